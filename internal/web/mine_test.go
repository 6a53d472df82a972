package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// finishCourse takes a learner through the whole Simple course "hours".
func (cs *courseServer) finishCourse(t *testing.T, c *client) {
	t.Helper()
	ls := coursetest.Lessons(t, cs.st, "hours")
	c.callJSON(t, "POST", "/api/v1/courses/hours/enroll", nil, 201, nil)
	cs.completeAll(t, c, ls)
	c.submitQuiz(t, ls[1].ID, rightPractice)
	if r := c.submitQuiz(t, ls[0].ID, rightIntro); !r.CourseCompleted {
		t.Fatalf("course not completed: %+v", r)
	}
}

func (c *client) studyHours(t *testing.T) (year int, earned, target float64) {
	t.Helper()
	var m myLearning
	c.callJSON(t, "GET", "/api/v1/me/courses", nil, 200, &m)
	return m.Hours.Year, m.Hours.Earned, m.Hours.Target
}

func TestStudyHoursTargetsAndYears(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		cs := newCourseServer(t, b, coursetest.Simple("hours"))
		if err := cs.st.CreateInstitution(ctx, &store.Institution{Code: "dangxiao", Name: "区委党校", Kind: "cadre_centre",
			RegionCode: "000000", CreatedAt: cs.clk.Now()}); err != nil {
			t.Fatal(err)
		}
		cadre, _ := cs.learner(t, "cadre", "dangxiao")
		if y, e, target := cadre.studyHours(t); y != 2026 || e != 0 || target != 50 {
			t.Errorf("cadre: %d %v/%v, want 0/50 in 2026", y, e, target)
		}
		early, _ := cs.learner(t, "early", "")
		late, _ := cs.learner(t, "late", "")
		if _, _, target := early.studyHours(t); target != 12 {
			t.Errorf("default target = %v, want 12", target)
		}

		// 23:5x on New Year's Eve in Beijing: still 2026.
		cs.clk.Add(time.Date(2026, 12, 31, 15, 50, 0, 0, time.UTC).Sub(cs.clk.Now()))
		cs.finishCourse(t, early) // takes a few clock minutes
		if y, e, _ := early.studyHours(t); y != 2026 || e != 2 {
			t.Errorf("completed 2026-12-31 ~23:55 Beijing: year %d earned %v, want 2 in 2026", y, e)
		}
		// 2026-12-31T17:00Z is 01:00 on 1 January 2027 in Beijing.
		cs.clk.Add(time.Date(2026, 12, 31, 16, 57, 0, 0, time.UTC).Sub(cs.clk.Now()))
		cs.finishCourse(t, late) // completes at 17:00Z
		if y, e, _ := late.studyHours(t); y != 2027 || e != 2 {
			t.Errorf("completed 2026-12-31T17:00Z: year %d earned %v, want 2 in 2027", y, e)
		}
		if y, e, _ := early.studyHours(t); y != 2027 || e != 0 {
			t.Errorf("the 2026 completion in 2027: year %d earned %v, want 0", y, e)
		}
	})
}
