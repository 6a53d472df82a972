package learning

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

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
	// Withdrawn: its editors took it off the catalogue; only enrolled
	// learners still see it.
	Withdrawn bool `json:"withdrawn"`
}

// maxOutlines bounds the version outlines kept, a few KB each.
const maxOutlines = 1000

// versionLessons returns a version's outline, cached: versions are immutable.
func (s *Service) versionLessons(ctx context.Context, versionID int64) ([]versionLesson, error) {
	if o, ok := s.outlines.get(versionID); ok {
		return o, nil
	}
	ls, err := s.courses.LessonsOfVersion(ctx, versionID)
	if err != nil {
		return nil, err
	}
	out := make([]versionLesson, 0, len(ls))
	for _, l := range ls {
		qs, err := s.courses.QuestionsOfLesson(ctx, l.ID)
		if err != nil {
			return nil, err
		}
		l.HTML = "" // never shown from an outline; the lesson cache has it
		out = append(out, versionLesson{Lesson: l, HasQuiz: len(qs) > 0})
	}
	s.outlines.put(versionID, out)
	return out, nil
}

type versionLesson struct {
	store.Lesson
	HasQuiz bool
}

// Course returns a course page for a viewer (UserID 0 when signed out); a
// course outside the viewer's audience is not found.
func (s *Service) Course(ctx context.Context, viewer Viewer, slug string) (*CourseDetail, error) {
	userID := viewer.UserID
	all, err := s.published(ctx)
	if err != nil {
		return nil, err
	}
	var entry *store.CatalogueEntry
	var translations []Translation
	for i := range all {
		if all[i].Course.Slug == slug {
			entry = &all[i]
		}
	}
	if entry == nil {
		// Not in the cached catalogue: maybe imported a moment ago elsewhere.
		c, v, err := s.courses.CourseBySlug(ctx, slug)
		if errors.Is(err, errs.ErrNotFound) {
			return nil, errs.New(errs.NotFound, "error.course_not_found")
		}
		if err != nil {
			return nil, err
		}
		if !c.Published {
			// Withdrawn: its enrolled learners keep reading it (and their
			// records); it is not listed and nobody else finds it.
			if _, err := s.enrolledAt(ctx, userID, c.ID); err != nil {
				return nil, errs.New(errs.NotFound, "error.course_not_found")
			}
		} else {
			s.Invalidate()
		}
		a, err := s.audience(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		entry = &store.CatalogueEntry{Course: *c, Version: *v, OwnerRegion: a.OwnerRegion}
	}
	view, err := s.learnerView(ctx, userID)
	if err != nil {
		return nil, err
	}
	entries := view.visible(all, viewer)
	if len(view.visible([]store.CatalogueEntry{*entry}, viewer)) == 0 {
		return nil, errs.New(errs.NotFound, "error.course_not_found")
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
	d := &CourseDetail{CourseCard: card(*entry), Lessons: []LessonItem{}, Withdrawn: !entry.Course.Published}
	d.LessonsCount = len(lessons)
	d.Minutes = 0
	for _, l := range lessons {
		d.Minutes += l.Minutes
	}
	if translations != nil {
		d.Translations = translations
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
