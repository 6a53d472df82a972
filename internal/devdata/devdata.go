// Package devdata fills a database with a made-up but realistic population
// for demonstrations and benchmarks: institutions of every kind over several
// provinces, their staff and learners of fitting ages, classes, enrolments in
// the loaded courses, lesson progress with a sample of its events, quiz
// attempts, completions credited by the learning rules, and certificates.
// The same seed on the same database gives the same rows.
package devdata

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/region"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Store is what the generator needs from the database.
type Store interface {
	region.Store
	AllRegions(ctx context.Context) ([]store.Region, error)
	PublishedCourses(ctx context.Context) ([]store.CatalogueEntry, error)
	LessonsOfVersion(ctx context.Context, versionID int64) ([]store.Lesson, error)
	QuestionsOfLesson(ctx context.Context, lessonID int64) ([]store.Question, error)
	PopulationState(ctx context.Context) (store.PopulationState, error)
	InsertPopulation(ctx context.Context, p *store.Population) error
	Audit(ctx context.Context, e *store.AuditEntry) error
}

// Options describe the population to generate.
type Options struct {
	Learners int
	// Institutions: 0 means one per ten learners, at least one of each kind.
	Institutions int
	Seed         uint64
	// Courses are the slugs learners enrol in; empty: every published course.
	Courses []string
	// Days is how far back activity goes; 0 means 365.
	Days int
	// Append adds a population beside an earlier generated one; without it
	// a database that has one is refused (ErrGenerated).
	Append bool
	// Now is the end of the period: every timestamp is before it. Zero: the clock.
	Now time.Time
	// PasswordHash is every generated account's password hash.
	PasswordHash string
	// EventsPerLesson is how many of a lesson's progress events are written
	// (the open, the complete, and heartbeats between); 0 writes every
	// 30-second heartbeat, so the events' credited seconds add up to the
	// lesson's active time.
	EventsPerLesson int
	// MinTimeShare and MinutesPerStudyHour are the deployment's learning
	// rules (XUETANG_MIN_TIME_SHARE, XUETANG_MINUTES_PER_STUDY_HOUR).
	MinTimeShare        float64
	MinutesPerStudyHour int
	// Writers is how many batches are written at once (1 on SQLite).
	Writers int
	// Progress receives a line now and then; nil: silent.
	Progress io.Writer
}

// ErrGenerated refuses a second population without Append.
var ErrGenerated = errors.New("the database already holds generated data (an earlier `xuetang dev generate`); " +
	"add --append to add another population beside it")

// Summary counts what a run wrote.
type Summary struct {
	Institutions, Staff, Learners, Classes, ClassMembers, Assignments int64
	Enrollments, Completed, LessonProgress, Events, Attempts          int64
	Certificates, Revoked                                             int64
	Elapsed                                                           time.Duration
}

// Rows is every row written.
func (s Summary) Rows() int64 {
	return s.Institutions + s.Staff + s.Learners + s.Classes + s.ClassMembers + s.Assignments + s.Enrollments +
		s.LessonProgress + s.Events + s.Attempts + s.Certificates
}

func (s *Summary) add(p *store.Population) {
	s.Institutions += int64(len(p.Institutions))
	for _, u := range p.Users {
		if u.Role == "learner" {
			s.Learners++
		} else {
			s.Staff++
		}
	}
	s.Classes += int64(len(p.Classes))
	s.ClassMembers += int64(len(p.ClassMembers))
	s.Assignments += int64(len(p.Assignments))
	s.Enrollments += int64(len(p.Enrollments))
	for _, e := range p.Enrollments {
		if e.CompletedAt != nil {
			s.Completed++
		}
	}
	s.LessonProgress += int64(len(p.Progress))
	s.Events += int64(len(p.Events))
	s.Attempts += int64(len(p.Attempts))
	s.Certificates += int64(len(p.Certificates))
	for _, c := range p.Certificates {
		if c.RevokedAt != nil {
			s.Revoked++
		}
	}
}

// batchLearners is about how many learners one transaction carries: whole
// institutions are added until a batch reaches it.
const batchLearners = 1000

// Generate writes the population and reports what it wrote.
func Generate(ctx context.Context, st Store, o Options) (Summary, error) {
	began := time.Now()
	if o.Learners < 1 {
		return Summary{}, errs.New(errs.Invalid, "error.invalid").With("field", "learners")
	}
	if o.Days <= 0 {
		o.Days = 365
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC().Truncate(time.Second)
	if o.Writers < 1 {
		o.Writers = 1
	}
	state, err := st.PopulationState(ctx)
	if err != nil {
		return Summary{}, err
	}
	if state.Generated && !o.Append {
		return Summary{}, ErrGenerated
	}
	w, err := newWorld(ctx, st, o)
	if err != nil {
		return Summary{}, err
	}
	plan := w.plan(state)
	if err := st.Audit(ctx, &store.AuditEntry{At: o.Now, Action: store.GeneratedAction, Target: "database",
		Detail: fmt.Sprintf("seed=%d learners=%d institutions=%d days=%d courses=%d first_user_id=%d",
			o.Seed, o.Learners, len(plan.institutions), o.Days, len(w.courses), state.NextUserID)}); err != nil {
		return Summary{}, err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan *store.Population, o.Writers+1)
	var (
		mu      sync.Mutex
		sum     Summary
		failure error
		wg      sync.WaitGroup
	)
	meter := newMeter(o.Progress, o.Learners, began)
	for range o.Writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				err := st.InsertPopulation(ctx, b)
				mu.Lock()
				if err != nil && failure == nil {
					failure = err
					cancel()
				}
				if err == nil {
					sum.add(b)
					meter.report(sum)
				}
				mu.Unlock()
			}
		}()
	}
	plan.generate(ctx, batches)
	close(batches)
	wg.Wait()
	sum.Elapsed = time.Since(began)
	if failure == nil && ctx.Err() != nil {
		failure = ctx.Err()
	}
	if failure != nil {
		return sum, failure
	}
	meter.done(sum)
	return sum, nil
}

// meter prints progress at most every two seconds.
type meter struct {
	w        io.Writer
	learners int
	began    time.Time
	last     time.Time
}

func newMeter(w io.Writer, learners int, began time.Time) *meter {
	return &meter{w: w, learners: learners, began: began, last: began}
}

func (m *meter) report(s Summary) {
	if m.w == nil || time.Since(m.last) < 2*time.Second {
		return
	}
	m.last = time.Now()
	el := time.Since(m.began)
	share := float64(s.Learners) / float64(m.learners)
	eta := time.Duration(0)
	if share > 0 {
		eta = time.Duration(float64(el)/share) - el
	}
	fmt.Fprintf(m.w, "generate: %d/%d learners (%.0f%%), %d rows, %.0f rows/s, %s elapsed, about %s left\n",
		s.Learners, m.learners, share*100, s.Rows(), float64(s.Rows())/el.Seconds(),
		el.Round(time.Second), eta.Round(time.Second))
}

func (m *meter) done(s Summary) {
	if m.w == nil {
		return
	}
	fmt.Fprintf(m.w, "generate: done in %s: %d rows (%.0f rows/s)\n", s.Elapsed.Round(time.Millisecond), s.Rows(),
		float64(s.Rows())/s.Elapsed.Seconds())
}

// rngFor is the random stream of one part of the population: the seed and
// the part's own number (an institution's id), so every institution's
// people come out the same whatever was generated before them.
func rngFor(seed, part uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, part^0x9e3779b97f4a7c15))
}
