package teach_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
	"github.com/xuetang-edu/xuetang/internal/teach"
)

// classOf builds a class of n learners with two assigned courses, the
// first completed by every third learner in a minute (implausibly fast),
// the others half-way.
func classOf(t *testing.T, st *store.Store, clk *storetest.Clock, n int) (account.Principal, int64) {
	t.Helper()
	ctx := context.Background()
	inst := &store.Institution{Code: fmt.Sprintf("school-%d", n), Name: "小学", Kind: "school", RegionCode: "000000", CreatedAt: clk.Now()}
	if err := st.CreateInstitution(ctx, inst); err != nil {
		t.Fatal(err)
	}
	user := func(name, role string) *store.User {
		u := &store.User{Username: name, DisplayName: name, PasswordHash: "x", Role: role, InstitutionID: &inst.ID, Locale: "zh-CN",
			CreatedAt: clk.Now(), UpdatedAt: clk.Now()}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		return u
	}
	teacher := user(fmt.Sprintf("t-%d", n), account.RoleTeacher)
	c := &store.Class{InstitutionID: inst.ID, Name: "一班", TeacherID: &teacher.ID, JoinCodeEnabled: true}
	if err := st.CreateClass(ctx, c); err != nil {
		t.Fatal(err)
	}
	due := clk.Now().Add(-time.Hour)
	var courses []*store.Course
	var versions []*store.CourseVersion
	for _, slug := range []string{"grid-a", "grid-b"} {
		co, v, err := st.CourseBySlug(ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		courses, versions = append(courses, co), append(versions, v)
		if err := st.Assign(ctx, &store.Assignment{ClassID: c.ID, CourseID: co.ID, DueAt: &due}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < n; i++ {
		u := user(fmt.Sprintf("l-%d-%d", n, i), account.RoleLearner)
		if err := st.AddClassMember(ctx, c.ID, u.ID); err != nil {
			t.Fatal(err)
		}
		e := &store.Enrollment{UserID: u.ID, CourseID: courses[0].ID, CourseVersionID: versions[0].ID}
		if _, err := st.Enroll(ctx, e); err != nil {
			t.Fatal(err)
		}
		now := clk.Now()
		slugs := []string{"intro"}
		if i%3 == 0 {
			slugs = []string{"intro", "practice", "wrapup"}
			if _, err := st.DB().Exec("UPDATE enrollments SET completed_at = ?, hours_credited = 2 WHERE id = ?", now, e.ID); err != nil {
				t.Fatal(err)
			}
		}
		for _, s := range slugs {
			if _, err := st.DB().Exec(`INSERT INTO lesson_progress (user_id, course_id, lesson_slug, first_opened_at, last_seen_at, completed_at, active_seconds, attempts)
				VALUES (?, ?, ?, ?, ?, ?, 20, 0)`, u.ID, courses[0].ID, s, now, now, now); err != nil {
				t.Fatal(err)
			}
		}
	}
	return account.Principal{UserID: teacher.ID, Role: account.RoleTeacher, InstitutionID: inst.ID}, c.ID
}

// TestGridQueriesDoNotGrowWithTheClass: the grid of 30 learners costs the
// same statements as the grid of 3, and shows what happened.
func TestGridQueriesDoNotGrowWithTheClass(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		clk := storetest.NewClock()
		st := b.Open(t, clk.Now)
		a, b2 := coursetest.Simple("grid-a"), coursetest.Simple("grid-b")
		coursetest.Import(t, st, a, b2)
		var counts []int64
		for _, n := range []int{3, 30} {
			p, id := classOf(t, st, clk, n)
			cs := &counting{st: st}
			g, err := teach.New(cs, nil, teach.Config{Now: clk.Now, Location: time.UTC}).Progress(context.Background(), p, id)
			if err != nil {
				t.Fatal(err)
			}
			counts = append(counts, cs.n.Load())
			if len(g.Learners) != n || len(g.Courses) != 2 {
				t.Fatalf("grid of %d: %d learners, %d courses", n, len(g.Learners), len(g.Courses))
			}
			for i, l := range g.Learners {
				c := l.Courses[0]
				done := l.Username == fmt.Sprintf("l-%d-%d", n, 0) // every third, by name: check one of each
				switch {
				case done && (c.Status != teach.Completed || !c.Implausible || c.HoursCredited != 2 || c.ActiveSeconds != 60):
					t.Errorf("%d: completed learner %s: %+v", i, l.Username, c)
				case l.Username == fmt.Sprintf("l-%d-%d", n, 1) && (c.Status != teach.Overdue || c.ProgressPercent != 33 || c.LessonsCompleted != 1):
					t.Errorf("%d: half-way learner %s: %+v", i, l.Username, c)
				}
				if l.Courses[1].Status != teach.Overdue || l.Courses[1].ProgressPercent != 0 {
					t.Errorf("untouched course of %s: %+v", l.Username, l.Courses[1])
				}
			}
		}
		if counts[0] != counts[1] || counts[0] > 8 {
			t.Errorf("statements for 3 and 30 learners: %v", counts)
		}
	})
}
