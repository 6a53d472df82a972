package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/course"
	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/learning"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// cxTables are every table an import or a learner writes.
var cxTables = []string{
	"courses", "course_versions", "lessons", "questions", "course_assets",
	"enrollments", "lesson_progress", "progress_events", "quiz_attempts", "certificates",
}

// cxCounts counts the rows of every table in cxTables.
func cxCounts(t *testing.T, st *store.Store) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, tbl := range cxTables {
		var n int
		if err := st.DB().QueryRow("SELECT COUNT(*) FROM " + tbl).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", tbl, err)
		}
		out[tbl] = n
	}
	return out
}

func cxSameCounts(t *testing.T, what string, before, after map[string]int) {
	t.Helper()
	for _, tbl := range cxTables {
		if before[tbl] != after[tbl] {
			t.Errorf("%s: %s went from %d to %d rows", what, tbl, before[tbl], after[tbl])
		}
	}
}

func cxImport(st *store.Store, cs ...coursetest.Course) ([]course.ImportResult, error) {
	var pkgs []*course.Package
	for _, c := range cs {
		p, err := course.LoadFS(c.Files(""))
		if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, p...)
	}
	return course.Import(context.Background(), st, pkgs)
}

// cxUser creates a learner directly in the store.
func cxUser(t *testing.T, st *store.Store, name string) *store.User {
	t.Helper()
	now := time.Now().UTC()
	u := &store.User{Username: name, DisplayName: "学员 " + name, PasswordHash: "x", Role: "learner", Locale: "zh-CN",
		CreatedAt: now, UpdatedAt: now}
	if err := st.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// cxEnroll enrols u in the course and returns the course.
func cxEnroll(t *testing.T, st *store.Store, u *store.User, slug string) *store.Course {
	t.Helper()
	ctx := context.Background()
	c, v, err := st.CourseBySlug(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Enroll(ctx, &store.Enrollment{UserID: u.ID, CourseID: c.ID, CourseVersionID: v.ID}); err != nil {
		t.Fatal(err)
	}
	return c
}

var cxEvents atomic.Int64

// cxFinisher is the rules the server uses.
func cxFinisher() store.Rules {
	return learning.NewRules(0, nil)
}

// cxEventID makes a distinct UUID-shaped event id.
func cxEventID() string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", cxEvents.Add(1)) }

// cxComplete marks a lesson complete with a "complete" event.
func cxComplete(t *testing.T, st *store.Store, u *store.User, c *store.Course, l store.Lesson) store.ProgressOutcome {
	t.Helper()
	out, err := st.RecordProgress(context.Background(), []store.ProgressInput{{
		EventID: cxEventID(), UserID: u.ID, CourseID: c.ID, LessonID: l.ID, LessonSlug: l.Slug, Type: "complete",
	}}, cxFinisher())
	if err != nil {
		t.Fatal(err)
	}
	return out[0]
}

// cxAttempt records a graded attempt with the given score.
func cxAttempt(t *testing.T, st *store.Store, u *store.User, c *store.Course, l store.Lesson, score int) store.Completion {
	t.Helper()
	comp, err := st.RecordAttempt(context.Background(), store.QuizAttempt{UserID: u.ID, CourseID: c.ID, LessonID: l.ID,
		LessonSlug: l.Slug, Score: score, Passed: score >= 60, Answers: "{}"}, cxFinisher())
	if err != nil {
		t.Fatal(err)
	}
	return comp
}

func TestReimportSameVersionChangesNothing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clk := storetest.NewClock()
		st := b.Open(t, clk.Now)
		c := coursetest.Simple("same")
		coursetest.Import(t, st, c)
		course1, v1, err := st.CourseBySlug(ctx, "same")
		if err != nil {
			t.Fatal(err)
		}
		before := cxCounts(t, st)

		clk.Add(time.Hour)
		res := coursetest.Import(t, st, c)
		if res[0].Outcome != store.ImportUnchanged {
			t.Errorf("outcome = %s, want unchanged", res[0].Outcome)
		}
		cxSameCounts(t, "re-import", before, cxCounts(t, st))
		course2, v2, err := st.CourseBySlug(ctx, "same")
		if err != nil {
			t.Fatal(err)
		}
		if v2.ID != v1.ID || !v2.PublishedAt.Equal(v1.PublishedAt) || !course2.UpdatedAt.Equal(course1.UpdatedAt) {
			t.Errorf("re-import touched the course: %+v / %+v, was %+v / %+v", course2, v2, course1, v1)
		}
	})
}

func TestSameVersionChangedContentConflicts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := b.Open(t, storetest.NewClock().Now)
		c := coursetest.Simple("changed")
		coursetest.Import(t, st, c)
		before := cxCounts(t, st)

		c.Lessons[0].Questions[0].Prompt = "Pick B, really"
		_, err := cxImport(st, c)
		if !errors.Is(err, errs.ErrConflict) {
			t.Fatalf("err = %v, want errs.Conflict", err)
		}
		if e := errs.As(err); e.Key != "error.course_version_changed" {
			t.Errorf("key = %q", e.Key)
		}
		cxSameCounts(t, "refused import", before, cxCounts(t, st))
		l := coursetest.Lessons(t, st, "changed")[0]
		qs, err := st.QuestionsOfLesson(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if qs[0].Prompt != "Pick B" {
			t.Errorf("stored prompt = %q, the refused import changed it", qs[0].Prompt)
		}
	})
}

func TestOlderVersionConflicts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := b.Open(t, storetest.NewClock().Now)
		c := coursetest.Simple("older")
		c.Version = 3
		coursetest.Import(t, st, c)
		before := cxCounts(t, st)

		c.Version = 2
		_, err := cxImport(st, c)
		if !errors.Is(err, errs.ErrConflict) {
			t.Fatalf("err = %v, want errs.Conflict", err)
		}
		if e := errs.As(err); e.Key != "error.course_version_older" {
			t.Errorf("key = %q", e.Key)
		}
		cxSameCounts(t, "refused import", before, cxCounts(t, st))
		if _, v, err := st.CourseBySlug(ctx, "older"); err != nil || v.Version != 3 {
			t.Errorf("current version = %+v, %v; want 3", v, err)
		}
	})
}

// Packages imported together go in one transaction: a conflict in the last
// one leaves the first, new one unimported too.
func TestImportSetIsAllOrNothing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := b.Open(t, storetest.NewClock().Now)
		a := coursetest.Simple("set-a")
		coursetest.Import(t, st, a)
		before := cxCounts(t, st)

		fresh := coursetest.Simple("set-b")
		newer := coursetest.Simple("set-c")
		a.Title = "Changed without a new version"
		_, err := cxImport(st, fresh, newer, a)
		if !errors.Is(err, errs.ErrConflict) {
			t.Fatalf("err = %v, want errs.Conflict", err)
		}
		cxSameCounts(t, "refused set", before, cxCounts(t, st))
		for _, slug := range []string{"set-b", "set-c"} {
			if _, _, err := st.CourseBySlug(ctx, slug); !errors.Is(err, errs.ErrNotFound) {
				t.Errorf("%s after the refused set: err = %v, want not found", slug, err)
			}
		}
		// The same set without the conflict goes in whole.
		a.Title = coursetest.Simple("set-a").Title
		res, err := cxImport(st, fresh, newer, a)
		if err != nil {
			t.Fatal(err)
		}
		want := []store.ImportOutcome{store.ImportCreated, store.ImportCreated, store.ImportUnchanged}
		for i, r := range res {
			if r.Outcome != want[i] {
				t.Errorf("%s: %s, want %s", r.Slug, r.Outcome, want[i])
			}
		}
	})
}

// A new version is published beside the old one. Learners keep what they did
// on lessons that still exist (same slug); a removed lesson stops counting;
// nothing a learner did is deleted.
func TestNewVersionKeepsLearnerProgress(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clk := storetest.NewClock()
		st := b.Open(t, clk.Now)
		v1 := coursetest.Simple("versions")
		coursetest.Import(t, st, v1)
		old := coursetest.Lessons(t, st, "versions") // intro, practice, wrapup
		u := cxUser(t, st, "wang")
		c := cxEnroll(t, st, u, "versions")
		clk.Add(time.Minute)

		// Under version 1 the learner finishes intro (quiz 100) and wrapup
		// but never practice: not complete.
		cxComplete(t, st, u, c, old[0])
		cxAttempt(t, st, u, c, old[0], 100)
		if out := cxComplete(t, st, u, c, old[2]); out.Completion.Completed {
			t.Fatal("completed without the practice lesson")
		}
		before := cxCounts(t, st)

		// Version 2 drops practice, renumbers wrapup, changes intro's text
		// and adds a lesson.
		v2 := coursetest.Simple("versions")
		v2.Version, v2.StudyHours = 2, 1.25 // 54 minutes of lessons
		v2.Lessons[0].Body = "# Intro, revised\n"
		v2.Lessons = []coursetest.Lesson{v2.Lessons[0], v2.Lessons[2],
			{File: "03-extra.md", Title: "Extra", Minutes: 4, Body: "More.\n"}}
		v2.Lessons[1].File = "02-wrapup.md"
		clk.Add(time.Minute)
		if res := coursetest.Import(t, st, v2); res[0].Outcome != store.ImportNewVersion {
			t.Fatalf("outcome = %s, want new_version", res[0].Outcome)
		}

		after := cxCounts(t, st)
		for _, tbl := range []string{"enrollments", "lesson_progress", "progress_events", "quiz_attempts", "certificates"} {
			if after[tbl] != before[tbl] {
				t.Errorf("import changed learner table %s: %d -> %d rows", tbl, before[tbl], after[tbl])
			}
		}
		if after["lessons"] != before["lessons"]+3 || after["course_versions"] != before["course_versions"]+1 {
			t.Errorf("version 2 added %d lessons and %d versions, want 3 and 1",
				after["lessons"]-before["lessons"], after["course_versions"]-before["course_versions"])
		}
		// Version 1 stays whole and readable by lesson id.
		for _, l := range old {
			got, err := st.LessonByID(ctx, l.ID)
			if err != nil {
				t.Fatalf("old lesson %d: %v", l.ID, err)
			}
			if got.CourseVersionID != l.CourseVersionID || got.Slug != l.Slug {
				t.Errorf("old lesson %d changed: %+v", l.ID, got)
			}
		}
		if got, _ := st.LessonByID(ctx, old[0].ID); got.Body != v1.Lessons[0].Body {
			t.Errorf("old intro body = %q, want the version 1 text", got.Body)
		}
		if _, v, _ := st.CourseBySlug(ctx, "versions"); v.Version != 2 {
			t.Errorf("current version = %d", v.Version)
		}
		ps, err := st.ProgressOf(ctx, u.ID, c.ID)
		if err != nil || len(ps) != 2 {
			t.Fatalf("progress rows = %d, %v; want intro and wrapup kept", len(ps), err)
		}

		// Under version 2 only the new lesson is missing: completing it
		// completes the course, so intro and wrapup carried over and the
		// removed practice lesson no longer counts.
		clk.Add(time.Minute)
		now := coursetest.Lessons(t, st, "versions")
		out := cxComplete(t, st, u, c, now[2])
		if !out.Completion.Completed || out.Completion.Serial == "" {
			t.Fatalf("completing the new lesson = %+v, want the course complete", out)
		}
		e, err := st.EnrollmentOf(ctx, u.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if e.CourseVersionID != now[0].CourseVersionID {
			t.Errorf("completion recorded against version %d, want %d", e.CourseVersionID, now[0].CourseVersionID)
		}
	})
}
