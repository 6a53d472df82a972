package learning

import (
	"context"
	"math"
	"sort"
	"strings"
	"time"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

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
	Reviewed         string        `json:"reviewed"` // YYYY-MM the facts were last checked, or ""
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
		Reviewed:         e.Version.Reviewed,
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

// Catalogue lists the published courses a viewer may see (UserID 0 when
// signed out): assigned courses first, earliest due date first, then by
// title. The cached catalogue is shared by everyone and filtered here, so
// one query result serves every audience.
func (s *Service) Catalogue(ctx context.Context, viewer Viewer, f Filter) ([]CourseCard, error) {
	all, err := s.published(ctx)
	if err != nil {
		return nil, err
	}
	mine, err := s.learnerView(ctx, viewer.UserID)
	if err != nil {
		return nil, err
	}
	entries := mine.visible(all, viewer)
	groups := map[string][]Translation{}
	for _, e := range entries {
		groups[e.Course.TranslationGroup] = append(groups[e.Course.TranslationGroup], Translation{Slug: e.Course.Slug, Language: e.Course.Language})
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
	titles := titleOrder()
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
		return titles(a.Title, b.Title)
	})
	return out, nil
}

// titleOrder compares titles as a Chinese reader expects: Chinese titles
// by pinyin (the default collation of CLDR's zh), Latin ones alphabetically
// ignoring case, Latin before Han. Code-point order put 办公 after 网上.
// A collator keeps scratch buffers, so each call gets its own.
func titleOrder() func(a, b string) bool {
	col := collate.New(language.Chinese)
	return func(a, b string) bool { return col.CompareString(a, b) < 0 }
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
	ens, err := s.enrolments.EnrollmentsOf(ctx, userID)
	if err != nil {
		return nil, err
	}
	for _, e := range ens {
		v.enrolments[e.CourseID] = e
	}
	as, err := s.enrolments.AssignmentsFor(ctx, userID)
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		v.assigned[a.CourseID] = a
	}
	if len(ens) > 0 {
		ps, err := s.progress.AllProgressOf(ctx, userID)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			v.progress[p.CourseID] = append(v.progress[p.CourseID], p)
		}
	}
	return v, nil
}

// visible keeps the entries the viewer may see; the learner's enrolments
// and assignments are already loaded, so this costs no query.
func (v *learnerView) visible(all []store.CatalogueEntry, viewer Viewer) []store.CatalogueEntry {
	out := make([]store.CatalogueEntry, 0, len(all))
	for _, e := range all {
		if admits(audienceOf(e), viewer) {
			out = append(out, e)
			continue
		}
		if _, ok := v.enrolments[e.Course.ID]; ok {
			out = append(out, e)
			continue
		}
		if _, ok := v.assigned[e.Course.ID]; ok {
			out = append(out, e)
		}
	}
	return out
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

// catalogueTTL bounds how long a course imported by another process (the
// import command) takes to appear.
const catalogueTTL = 30 * time.Second

func (s *Service) published(ctx context.Context) ([]store.CatalogueEntry, error) {
	s.catMu.Lock()
	defer s.catMu.Unlock()
	if s.catalogue != nil && s.now().Sub(s.catAt) < catalogueTTL {
		return s.catalogue, nil
	}
	cat, err := s.courses.PublishedCourses(ctx)
	if err != nil {
		return nil, err
	}
	if cat == nil {
		cat = []store.CatalogueEntry{}
	}
	// Audiences age with the catalogue: another process may have changed
	// a course's visibility.
	s.audiences.clear()
	s.catalogue, s.catAt = cat, s.now()
	return cat, nil
}

// Invalidate drops cached catalogue data after an import in this process,
// and the "my learning" pages listing the courses (a withdrawn course
// leaves them).
func (s *Service) Invalidate() {
	s.catMu.Lock()
	s.catalogue = nil
	s.catMu.Unlock()
	s.audiences.clear()
	s.pages.clear()
}
