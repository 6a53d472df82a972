package learning

import (
	"context"
	"regexp"
	"sync"
	"time"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Event is a progress event from a lesson page.
type Event struct {
	EventID  string `json:"event_id"`
	LessonID int64  `json:"lesson_id"`
	Type     string `json:"type"`
	Seconds  int    `json:"seconds"`
	// OccurredAt is when it happened, for events queued offline and sent
	// later (RFC 3339); absent means now.
	OccurredAt *time.Time `json:"occurred_at,omitempty"`
}

var uuidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Validate checks the pure rules.
func (e *Event) Validate() error {
	if !uuidRe.MatchString(e.EventID) {
		return errs.New(errs.Invalid, "error.event_id_invalid").With("field", "event_id")
	}
	switch e.Type {
	case "open", "heartbeat", "complete":
	default:
		return errs.New(errs.Invalid, "error.event_type_invalid").With("field", "type")
	}
	if e.Seconds < 0 || e.Seconds > 86400 {
		return errs.New(errs.Invalid, "error.event_seconds_invalid").With("field", "seconds")
	}
	if e.LessonID <= 0 {
		return errs.New(errs.Invalid, "error.lesson_not_found").With("field", "lesson_id")
	}
	return nil
}

// EventResult is the acknowledgement of one event.
type EventResult struct {
	Status          string `json:"status"` // recorded or duplicate
	CreditedSeconds int    `json:"credited_seconds"`
	LessonCompleted bool   `json:"lesson_completed"`
	// SecondsNeeded is, for a complete event before the lesson's required
	// active time, how much more it needs.
	SecondsNeeded     int     `json:"seconds_needed,omitempty"`
	CourseCompleted   bool    `json:"course_completed"`
	CertificateSerial *string `json:"certificate_serial"`
}

// RecordEvent stores one progress event durably before returning.
func (s *Service) RecordEvent(ctx context.Context, userID int64, ev Event) (*EventResult, error) {
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	d, err := s.lesson(ctx, ev.LessonID)
	if err != nil {
		if errs.CodeOf(err) == errs.NotFound {
			return nil, errs.New(errs.Invalid, "error.lesson_not_found").With("field", "lesson_id")
		}
		return nil, err
	}
	at, err := s.enrolledAt(ctx, userID, d.courseID)
	if err != nil {
		return nil, err
	}
	in := store.ProgressInput{
		EventID: ev.EventID, UserID: userID, CourseID: d.courseID, LessonID: ev.LessonID, LessonSlug: d.view.Slug,
		Type: ev.Type, Seconds: ev.Seconds, EnrolledAt: at, RequiredSeconds: RequiredSeconds(d.view.Minutes, s.minShare),
	}
	if ev.OccurredAt != nil {
		in.OccurredAt = *ev.OccurredAt
	}
	out, err := s.recorder.record(ctx, in)
	if err != nil {
		return nil, err
	}
	r := &EventResult{Status: "recorded", CreditedSeconds: out.CreditedSeconds, LessonCompleted: out.LessonCompleted,
		SecondsNeeded: out.SecondsNeeded, CourseCompleted: out.Completion.Completed}
	if out.Duplicate {
		r.Status = "duplicate"
	}
	if out.Completion.Serial != "" {
		serial := out.Completion.Serial
		r.CertificateSerial = &serial
	}
	return r, nil
}

// Recorder writes progress events with group commit: while one transaction
// commits, new events queue, and the next transaction takes them all. Under
// load many learners share one commit (one fsync); alone, an event waits for
// nobody. Every event is acknowledged only after its transaction commits.
//
// With several writers (MySQL), one batch collects and executes while
// another waits for its commit to reach the disk. A learner's events always
// go to the same writer, so their time on task is credited in order and
// never twice.
type Recorder struct {
	st       Store
	fin      store.Rules
	states   *lessonStates
	in       []chan *pending
	maxBatch int
	wg       sync.WaitGroup
	mu       sync.RWMutex
	closed   bool
}

type pending struct {
	in   store.ProgressInput
	out  store.ProgressOutcome
	err  error
	done chan struct{}
}

func newRecorder(st Store, fin store.Rules, writers int, states *lessonStates) *Recorder {
	r := &Recorder{st: st, fin: fin, states: states, maxBatch: 256}
	for i := 0; i < max(writers, 1); i++ {
		r.in = append(r.in, make(chan *pending, 1024))
	}
	return r
}

func (r *Recorder) start() {
	for _, ch := range r.in {
		r.wg.Add(1)
		go r.loop(ch)
	}
}

// close stops accepting events and waits for queued ones to be written.
func (r *Recorder) close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	for _, ch := range r.in {
		close(ch)
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// queued counts events waiting for a writer.
func (r *Recorder) queued() int {
	n := 0
	for _, ch := range r.in {
		n += len(ch)
	}
	return n
}

func (r *Recorder) record(ctx context.Context, in store.ProgressInput) (store.ProgressOutcome, error) {
	p := &pending{in: in, done: make(chan struct{})}
	r.mu.RLock()
	if r.closed {
		r.mu.RUnlock()
		return store.ProgressOutcome{}, errs.New(errs.Unavailable, "error.unavailable")
	}
	select {
	case r.in[int(uint64(in.UserID)%uint64(len(r.in)))] <- p:
	case <-ctx.Done():
		r.mu.RUnlock()
		return store.ProgressOutcome{}, errs.Wrap(errs.Unavailable, "error.unavailable", ctx.Err())
	}
	r.mu.RUnlock()
	select {
	case <-p.done:
		return p.out, p.err
	case <-ctx.Done():
		// The event may still be written; the client retries with the same
		// event id and is told "duplicate", so nothing counts twice.
		return store.ProgressOutcome{}, errs.Wrap(errs.Unavailable, "error.unavailable", ctx.Err())
	}
}

func (r *Recorder) loop(in chan *pending) {
	defer r.wg.Done()
	for first := range in {
		batch := []*pending{first}
	drain:
		for len(batch) < r.maxBatch {
			select {
			case p, ok := <-in:
				if !ok {
					break drain
				}
				batch = append(batch, p)
			default:
				break drain
			}
		}
		r.write(batch)
	}
}

func (r *Recorder) write(batch []*pending) {
	ins := make([]store.ProgressInput, len(batch))
	for i, p := range batch {
		ins[i] = p.in
	}
	// Background context: once accepted, an event is written even if its
	// request has gone away.
	outs, err := r.st.RecordProgress(context.Background(), ins, r.fin)
	for _, in := range ins {
		if in.Type == "complete" {
			r.states.forget(in.UserID, in.CourseID)
		}
	}
	if err != nil && len(batch) > 1 && errs.CodeOf(err) != errs.Unavailable {
		// One bad event must not fail its neighbours: write them one by one.
		for _, p := range batch {
			r.write([]*pending{p})
		}
		return
	}
	for i, p := range batch {
		if err != nil {
			p.err = err
		} else {
			p.out = outs[i]
		}
		close(p.done)
	}
}
