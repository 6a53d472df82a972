package learning

import (
	"context"
	"errors"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Translation points to the same course in another language.
type Translation struct {
	Slug     string `json:"slug"`
	Language string `json:"language"`
}

// CourseCard is a course as the catalogue shows it.
type CourseCard struct {
	Slug             string        `json:"slug"`
	Title            string        `json:"title"`
	Language         string        `json:"language"`
	Summary          string        `json:"summary"`
	Audience         []string      `json:"audience"`
	Level            string        `json:"level"`
	LessonsCount     int           `json:"lessons_count"`
	Minutes          int           `json:"minutes"`
	StudyHours       float64       `json:"study_hours"`
	PassScore        int           `json:"pass_score"`
	Version          int           `json:"version"`
	TranslationGroup string        `json:"translation_group"`
	Translations     []Translation `json:"translations"`
	Enrolled         bool          `json:"enrolled"`
	Assigned         bool          `json:"assigned"`
	DueAt            *time.Time    `json:"due_at"`
	ProgressPercent  int           `json:"progress_percent"`

	courseID  int64
	versionID int64
}

// Filter narrows the catalogue; empty fields match everything.
type Filter struct {
	Language, Query, Audience, Level string
}

func card(e store.CatalogueEntry) CourseCard {
	aud := []string{}
	if e.Version.Audience != "" {
		aud = strings.Split(e.Version.Audience, ",")
	}
	return CourseCard{
		Slug: e.Course.Slug, Title: e.Version.Title, Language: e.Course.Language, Summary: e.Version.Summary,
		Audience: aud, Level: e.Version.Level, LessonsCount: e.LessonsCount, Minutes: e.Minutes,
		StudyHours: e.Version.StudyHours, PassScore: e.Version.PassScore, Version: e.Version.Version,
		TranslationGroup: e.Course.TranslationGroup, Translations: []Translation{},
		courseID: e.Course.ID, versionID: e.Version.ID,
	}
}

func (f Filter) match(c CourseCard) bool {
	if f.Language != "" && c.Language != f.Language {
		return false
	}
	if f.Level != "" && c.Level != f.Level {
		return false
	}
	if f.Audience != "" && !contains(c.Audience, f.Audience) {
		return false
	}
	if q := strings.ToLower(strings.TrimSpace(f.Query)); q != "" {
		return strings.Contains(strings.ToLower(c.Title), q) || strings.Contains(strings.ToLower(c.Summary), q)
	}
	return true
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// Catalogue lists published courses for a learner (userID 0 when signed out):
// assigned courses first, earliest due date first, then by title.
func (s *Service) Catalogue(ctx context.Context, userID int64, f Filter) ([]CourseCard, error) {
	entries, err := s.published(ctx)
	if err != nil {
		return nil, err
	}
	groups := map[string][]Translation{}
	for _, e := range entries {
		groups[e.Course.TranslationGroup] = append(groups[e.Course.TranslationGroup], Translation{Slug: e.Course.Slug, Language: e.Course.Language})
	}
	mine, err := s.learnerView(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := []CourseCard{}
	for _, e := range entries {
		c := card(e)
		if !f.match(c) {
			continue
		}
		for _, t := range groups[c.TranslationGroup] {
			if t.Slug != c.Slug {
				c.Translations = append(c.Translations, t)
			}
		}
		mine.decorate(&c)
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Assigned != b.Assigned {
			return a.Assigned
		}
		// Between assigned courses a due date beats none, and the earlier
		// beats the later; a later due date must answer false here rather
		// than fall through to the title, or the order is inconsistent.
		if a.Assigned && (a.DueAt == nil) != (b.DueAt == nil) {
			return a.DueAt != nil
		}
		if a.Assigned && a.DueAt != nil && !a.DueAt.Equal(*b.DueAt) {
			return a.DueAt.Before(*b.DueAt)
		}
		return a.Title < b.Title
	})
	return out, nil
}

// learnerView holds one learner's enrolments, assignments and progress so
// a list of courses is decorated with three queries, not three per course.
type learnerView struct {
	enrolments map[int64]store.Enrollment
	assigned   map[int64]store.AssignedCourse
	progress   map[int64][]store.LessonProgress
	s          *Service
	ctx        context.Context
}

func (s *Service) learnerView(ctx context.Context, userID int64) (*learnerView, error) {
	v := &learnerView{enrolments: map[int64]store.Enrollment{}, assigned: map[int64]store.AssignedCourse{},
		progress: map[int64][]store.LessonProgress{}, s: s, ctx: ctx}
	if userID == 0 {
		return v, nil
	}
	ens, err := s.st.EnrollmentsOf(ctx, userID)
	if err != nil {
		return nil, err
	}
	for _, e := range ens {
		v.enrolments[e.CourseID] = e
	}
	as, err := s.st.AssignmentsFor(ctx, userID)
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		v.assigned[a.CourseID] = a
	}
	if len(ens) > 0 {
		ps, err := s.st.AllProgressOf(ctx, userID)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			v.progress[p.CourseID] = append(v.progress[p.CourseID], p)
		}
	}
	return v, nil
}

func (v *learnerView) decorate(c *CourseCard) {
	if a, ok := v.assigned[c.courseID]; ok {
		c.Assigned, c.DueAt = true, a.DueAt
	}
	e, ok := v.enrolments[c.courseID]
	if !ok {
		return
	}
	c.Enrolled = true
	if e.CompletedAt != nil {
		c.ProgressPercent = 100
		return
	}
	lessons, err := v.s.versionLessons(v.ctx, c.versionID)
	if err != nil || len(lessons) == 0 {
		return
	}
	done := completedSlugs(v.progress[c.courseID])
	n := 0
	for _, l := range lessons {
		if done[l.Slug] {
			n++
		}
	}
	c.ProgressPercent = percent(n, len(lessons))
}

func completedSlugs(ps []store.LessonProgress) map[string]bool {
	m := map[string]bool{}
	for _, p := range ps {
		if p.CompletedAt != nil {
			m[p.LessonSlug] = true
		}
	}
	return m
}

func percent(n, total int) int {
	if total == 0 {
		return 0
	}
	return int(math.Floor(float64(n) * 100 / float64(total)))
}

// LessonItem is a lesson in a course's outline.
type LessonItem struct {
	ID        int64  `json:"id"`
	Slug      string `json:"slug"`
	Title     string `json:"title"`
	Minutes   int    `json:"minutes"`
	Position  int    `json:"position"`
	HasQuiz   bool   `json:"has_quiz"`
	Completed bool   `json:"completed"`
	BestScore *int   `json:"best_score"`
}

// Progress summarises a learner's state in a course.
type Progress struct {
	Percent           int        `json:"percent"`
	LessonsCompleted  int        `json:"lessons_completed"`
	LessonsTotal      int        `json:"lessons_total"`
	QuizAverage       *int       `json:"quiz_average"`
	CompletedAt       *time.Time `json:"completed_at"`
	CertificateSerial *string    `json:"certificate_serial"`
	ActiveSeconds     int        `json:"active_seconds"`
}

// CourseDetail is a course page.
type CourseDetail struct {
	CourseCard
	Lessons  []LessonItem `json:"lessons"`
	Progress *Progress    `json:"progress"`
}

// versionLessons returns a version's outline, cached: versions are immutable.
func (s *Service) versionLessons(ctx context.Context, versionID int64) ([]versionLesson, error) {
	if v, ok := s.outlines.Load(versionID); ok {
		return v.([]versionLesson), nil
	}
	ls, err := s.st.LessonsOfVersion(ctx, versionID)
	if err != nil {
		return nil, err
	}
	out := make([]versionLesson, 0, len(ls))
	for _, l := range ls {
		qs, err := s.st.QuestionsOfLesson(ctx, l.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, versionLesson{Lesson: l, HasQuiz: len(qs) > 0})
	}
	s.outlines.Store(versionID, out)
	return out, nil
}

type versionLesson struct {
	store.Lesson
	HasQuiz bool
}

// Course returns a course page for a learner (userID 0 when signed out).
func (s *Service) Course(ctx context.Context, userID int64, slug string) (*CourseDetail, error) {
	entries, err := s.published(ctx)
	if err != nil {
		return nil, err
	}
	var entry *store.CatalogueEntry
	var translations []Translation
	for i := range entries {
		if entries[i].Course.Slug == slug {
			entry = &entries[i]
		}
	}
	if entry == nil {
		// Not in the cached catalogue: maybe imported a moment ago elsewhere.
		c, v, err := s.st.CourseBySlug(ctx, slug)
		if errors.Is(err, errs.ErrNotFound) || (err == nil && !c.Published) {
			return nil, errs.New(errs.NotFound, "error.course_not_found")
		}
		if err != nil {
			return nil, err
		}
		s.Invalidate()
		entry = &store.CatalogueEntry{Course: *c, Version: *v}
	}
	for _, e := range entries {
		if e.Course.TranslationGroup == entry.Course.TranslationGroup && e.Course.Slug != slug {
			translations = append(translations, Translation{Slug: e.Course.Slug, Language: e.Course.Language})
		}
	}
	lessons, err := s.versionLessons(ctx, entry.Version.ID)
	if err != nil {
		return nil, err
	}
	d := &CourseDetail{CourseCard: card(*entry), Lessons: []LessonItem{}}
	d.LessonsCount = len(lessons)
	d.Minutes = 0
	for _, l := range lessons {
		d.Minutes += l.Minutes
	}
	if translations != nil {
		d.Translations = translations
	}
	view, err := s.learnerView(ctx, userID)
	if err != nil {
		return nil, err
	}
	view.decorate(&d.CourseCard)
	var byslug map[string]store.LessonProgress
	if d.Enrolled {
		byslug = map[string]store.LessonProgress{}
		for _, p := range view.progress[entry.Course.ID] {
			byslug[p.LessonSlug] = p
		}
	}
	states := make([]store.LessonState, 0, len(lessons))
	done, active := 0, 0
	for _, l := range lessons {
		it := LessonItem{ID: l.ID, Slug: l.Slug, Title: l.Title, Minutes: l.Minutes, Position: l.Position, HasQuiz: l.HasQuiz}
		if p, ok := byslug[l.Slug]; ok {
			it.Completed, it.BestScore = p.CompletedAt != nil, p.BestScore
			active += p.ActiveSeconds
			if it.Completed {
				done++
			}
		}
		states = append(states, store.LessonState{Slug: l.Slug, HasQuiz: l.HasQuiz, Completed: it.Completed, BestScore: it.BestScore})
		d.Lessons = append(d.Lessons, it)
	}
	if d.Enrolled {
		e := view.enrolments[entry.Course.ID]
		p := &Progress{LessonsCompleted: done, LessonsTotal: len(lessons), Percent: percent(done, len(lessons)),
			CompletedAt: e.CompletedAt, ActiveSeconds: active}
		if avg, ok := QuizAverage(states); ok {
			a := int(math.Round(avg))
			p.QuizAverage = &a
		}
		if e.CompletedAt != nil {
			p.Percent = 100
			if serial, err := s.serialOf(ctx, userID, entry.Course.ID); err == nil && serial != "" {
				p.CertificateSerial = &serial
			}
		}
		d.Progress = p
	}
	return d, nil
}

func (s *Service) serialOf(ctx context.Context, userID, courseID int64) (string, error) {
	certs, err := s.st.CertificatesOf(ctx, userID)
	if err != nil {
		return "", err
	}
	for _, c := range certs {
		if c.CourseID == courseID {
			return c.Serial, nil
		}
	}
	return "", nil
}

// Learner is who is enrolling: their institution and region are recorded
// on the enrolment for statistics.
type Learner struct {
	UserID        int64
	InstitutionID int64
	RegionCode    string
}

// Enroll enrols a learner; enrolling twice changes nothing.
func (s *Service) Enroll(ctx context.Context, l Learner, slug string) (created bool, err error) {
	c, v, err := s.st.CourseBySlug(ctx, slug)
	if errors.Is(err, errs.ErrNotFound) || (err == nil && !c.Published) {
		return false, errs.New(errs.NotFound, "error.course_not_found")
	}
	if err != nil {
		return false, err
	}
	e := &store.Enrollment{UserID: l.UserID, CourseID: c.ID, CourseVersionID: v.ID, EnrolledAt: s.now().UTC()}
	if l.InstitutionID != 0 {
		id := l.InstitutionID
		e.InstitutionID = &id
	}
	if l.RegionCode != "" {
		rc := l.RegionCode
		e.RegionCode = &rc
	}
	return s.st.Enroll(ctx, e)
}

// enrolledAt reports when a learner enrolled in a course; errs.Forbidden when not.
func (s *Service) enrolledAt(ctx context.Context, userID, courseID int64) (time.Time, error) {
	k := enrolKey{userID, courseID}
	if t, ok := s.enrolled.Load(k); ok {
		return t.(time.Time), nil
	}
	e, err := s.st.EnrollmentOf(ctx, userID, courseID)
	if errors.Is(err, errs.ErrNotFound) {
		return time.Time{}, errs.New(errs.Forbidden, "error.not_enrolled")
	}
	if err != nil {
		return time.Time{}, err
	}
	s.enrolled.Store(k, e.EnrolledAt)
	return e.EnrolledAt, nil
}
