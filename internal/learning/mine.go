package learning

import (
	"context"
	"math"
	"sort"
	"time"

	"github.com/xuetang-edu/xuetang/internal/store"
)

// MyCourse is an enrolled course on the "my learning" page.
type MyCourse struct {
	Slug              string     `json:"slug"`
	Title             string     `json:"title"`
	Language          string     `json:"language"`
	ProgressPercent   int        `json:"progress_percent"`
	LessonsCompleted  int        `json:"lessons_completed"`
	LessonsTotal      int        `json:"lessons_total"`
	QuizAverage       *int       `json:"quiz_average"`
	CompletedAt       *time.Time `json:"completed_at"`
	CertificateSerial *string    `json:"certificate_serial"`
	StudyHours        float64    `json:"study_hours"`
	HoursCredited     float64    `json:"hours_credited"`
	ActiveSeconds     int        `json:"active_seconds"`
	DueAt             *time.Time `json:"due_at"`
	EnrolledAt        time.Time  `json:"enrolled_at"`
}

// Hours is this year's study-hour account: credited hours against the
// target, and the time actually spent beside it so neither hides the other.
type Hours struct {
	Year        int     `json:"year"`
	Earned      float64 `json:"earned"`
	Target      float64 `json:"target"`
	ActiveHours float64 `json:"active_hours"`
}

// CertificateItem is a certificate in a learner's list.
type CertificateItem struct {
	Serial      string    `json:"serial"`
	CourseTitle string    `json:"course_title"`
	StudyHours  float64   `json:"study_hours"`
	IssuedAt    time.Time `json:"issued_at"`
}

// MyLearning is the "my learning" page.
type MyLearning struct {
	Courses      []MyCourse        `json:"courses"`
	Hours        Hours             `json:"hours"`
	Certificates []CertificateItem `json:"certificates"`
	Rules        HourRules         `json:"rules"`
}

// HourRules are the deployment's rules, so the page states them exactly.
type HourRules struct {
	MinutesPerStudyHour int `json:"minutes_per_study_hour"`
	// MinTimePercent of a lesson's minutes must be spent before it completes.
	MinTimePercent int `json:"min_time_percent"`
}

// TargetScopes lists where a learner's yearly target may come from, most
// specific first.
type TargetScopes struct {
	InstitutionCode, InstitutionKind, Role string
}

func (t TargetScopes) list() []string {
	var out []string
	if t.InstitutionCode != "" {
		out = append(out, "institution:"+t.InstitutionCode)
	}
	if t.InstitutionKind != "" {
		out = append(out, "kind:"+t.InstitutionKind)
	}
	if t.Role != "" {
		out = append(out, "role:"+t.Role)
	}
	return append(out, "default")
}

// Mine returns a learner's enrolments, this year's hours and certificates:
// a page built within pageTTL when no write in this process has changed it
// since (minecache.go), else built afresh. The caller owns what it gets.
func (s *Service) Mine(ctx context.Context, userID int64, scopes TargetScopes) (*MyLearning, error) {
	now := s.now()
	year := now.In(s.loc).Year()
	page, epoch := s.pages.get(userID, scopes, year)
	if page != nil {
		return page, nil
	}
	page, err := s.mine(ctx, userID, scopes, year)
	if err != nil {
		return nil, err
	}
	s.pages.put(userID, scopes, year, epoch, now, page)
	return page, nil
}

func (s *Service) mine(ctx context.Context, userID int64, scopes TargetScopes, year int) (*MyLearning, error) {
	entries, err := s.published(ctx)
	if err != nil {
		return nil, err
	}
	byCourse := map[int64]store.CatalogueEntry{}
	for _, e := range entries {
		byCourse[e.Course.ID] = e
	}
	view, err := s.learnerView(ctx, userID)
	if err != nil {
		return nil, err
	}
	certs, err := s.certificates.CertificatesOf(ctx, userID)
	if err != nil {
		return nil, err
	}
	serials := map[int64]string{}
	out := &MyLearning{Courses: []MyCourse{}, Certificates: []CertificateItem{},
		Rules: HourRules{MinutesPerStudyHour: s.perHour, MinTimePercent: int(s.minShare*100 + 0.5)}}
	for _, c := range certs {
		serials[c.CourseID] = c.Serial
		out.Certificates = append(out.Certificates, CertificateItem{Serial: c.Serial, CourseTitle: c.CourseTitle, StudyHours: c.StudyHours, IssuedAt: c.IssuedAt})
	}
	for courseID, e := range view.enrolments {
		entry, ok := byCourse[courseID]
		if !ok {
			continue // unpublished since: the record stays, the page does not list it
		}
		lessons, err := s.versionLessons(ctx, entry.Version.ID)
		if err != nil {
			return nil, err
		}
		prog := map[string]store.LessonProgress{}
		for _, p := range view.progress[courseID] {
			prog[p.LessonSlug] = p
		}
		mc := MyCourse{Slug: entry.Course.Slug, Title: entry.Version.Title, Language: entry.Course.Language,
			LessonsTotal: len(lessons), CompletedAt: e.CompletedAt, StudyHours: entry.Version.StudyHours,
			HoursCredited: e.HoursCredited, EnrolledAt: e.EnrolledAt}
		states := make([]store.LessonState, 0, len(lessons))
		for _, l := range lessons {
			p, ok := prog[l.Slug]
			st := store.LessonState{Slug: l.Slug, HasQuiz: l.HasQuiz}
			if ok {
				st.Completed, st.BestScore = p.CompletedAt != nil, p.BestScore
				mc.ActiveSeconds += p.ActiveSeconds
			}
			if st.Completed {
				mc.LessonsCompleted++
			}
			states = append(states, st)
		}
		mc.ProgressPercent = percent(mc.LessonsCompleted, mc.LessonsTotal)
		if e.CompletedAt != nil {
			mc.ProgressPercent = 100
		}
		if avg, ok := QuizAverage(states); ok {
			a := int(math.Round(avg))
			mc.QuizAverage = &a
		}
		if sn, ok := serials[courseID]; ok {
			mc.CertificateSerial = &sn
		}
		if a, ok := view.assigned[courseID]; ok {
			mc.DueAt = a.DueAt
		}
		out.Courses = append(out.Courses, mc)
	}
	sort.Slice(out.Courses, func(i, j int) bool {
		a, b := out.Courses[i], out.Courses[j]
		if (a.CompletedAt == nil) != (b.CompletedAt == nil) {
			return a.CompletedAt == nil // unfinished first
		}
		return a.EnrolledAt.After(b.EnrolledAt)
	})
	earned, active, err := s.hours.YearHours(ctx, userID, year, s.loc)
	if err != nil {
		return nil, err
	}
	target, _, err := s.hours.TargetFor(ctx, year, scopes.list())
	if err != nil {
		return nil, err
	}
	out.Hours = Hours{Year: year, Earned: earned, Target: target, ActiveHours: math.Round(float64(active)/36) / 100}
	return out, nil
}
