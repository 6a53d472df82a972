package learning

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// pageStore counts the builds of "my learning" (each starts by reading the
// learner's enrolments) and can run a hook in the middle of one, as a write
// committing meanwhile would.
type pageStore struct {
	Store
	builds atomic.Int64
	during func()
}

func (p *pageStore) EnrollmentsOf(ctx context.Context, userID int64) ([]store.Enrollment, error) {
	p.builds.Add(1)
	out, err := p.Store.EnrollmentsOf(ctx, userID)
	if p.during != nil {
		p.during()
	}
	return out, err
}

type pageFixture struct {
	st   *store.Store
	ps   *pageStore
	svc  *Service
	clk  *storetest.Clock
	user int64
	// lessons of "one", where the learner is enrolled; "two" they are not.
	lessons []int64
}

func newPageFixture(t *testing.T, b storetest.Backend) *pageFixture {
	t.Helper()
	clk := storetest.NewClock()
	st := b.Open(t, clk.Now)
	coursetest.Import(t, st, coursetest.Simple("one"), coursetest.Simple("two"))
	ps := &pageStore{Store: st}
	svc := New(ps, Config{Now: clk.Now})
	f := &pageFixture{st: st, ps: ps, svc: svc, clk: clk}
	f.user, f.lessons = startEnrolled(t, st, svc, clk, "pages", "one")
	return f
}

func (f *pageFixture) mine(t *testing.T) *MyLearning {
	t.Helper()
	m, err := f.svc.Mine(context.Background(), f.user, TargetScopes{Role: "learner"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var pageEvents atomic.Int64

func (f *pageFixture) event(t *testing.T, lesson int64, typ string, seconds int) {
	t.Helper()
	id := fmt.Sprintf("00000000-0000-4000-d000-%012d", pageEvents.Add(1))
	if _, err := f.svc.RecordEvent(context.Background(), f.user, Event{EventID: id, LessonID: lesson, Type: typ, Seconds: seconds}); err != nil {
		t.Fatal(err)
	}
}

// Repeat views share one build, and every write of the learner's own
// (time spent, a completion, a quiz attempt, an enrolment) shows on the
// very next one.
func TestMinePageCachedAndForgottenOnOwnWrites(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		f := newPageFixture(t, b)
		ctx := context.Background()
		if m := f.mine(t); len(m.Courses) != 1 || m.Courses[0].ActiveSeconds != 0 {
			t.Fatalf("fresh page: %+v", m.Courses)
		}
		f.mine(t)
		if n := f.ps.builds.Load(); n != 1 {
			t.Fatalf("two views built the page %d times, want 1", n)
		}

		f.event(t, f.lessons[0], "heartbeat", 30)
		if m := f.mine(t); m.Courses[0].ActiveSeconds != 30 {
			t.Errorf("after a heartbeat: %d active seconds shown, want 30", m.Courses[0].ActiveSeconds)
		}
		f.event(t, f.lessons[0], "complete", 0)
		if m := f.mine(t); m.Courses[0].LessonsCompleted != 1 {
			t.Errorf("after a completion: %d lessons completed shown, want 1", m.Courses[0].LessonsCompleted)
		}
		answers := map[string]json.RawMessage{"q1": json.RawMessage(`1`), "q2": json.RawMessage(`false`)}
		if _, err := f.svc.Attempt(ctx, f.user, f.lessons[0], AttemptRequest{Answers: answers}); err != nil {
			t.Fatal(err)
		}
		if m := f.mine(t); m.Courses[0].QuizAverage == nil {
			t.Error("after a quiz attempt: no quiz average shown")
		}
		if _, err := f.svc.Enroll(ctx, Learner{UserID: f.user}, "two"); err != nil {
			t.Fatal(err)
		}
		if m := f.mine(t); len(m.Courses) != 2 {
			t.Errorf("after enrolling: %d courses shown, want 2", len(m.Courses))
		}
		if n := f.ps.builds.Load(); n != 5 {
			t.Errorf("page built %d times, want 5 (once, then once after each write)", n)
		}

		f.svc.ForgetPages()
		f.mine(t)
		if n := f.ps.builds.Load(); n != 6 {
			t.Errorf("after ForgetPages the page was not built again")
		}
	})
}

// A write this process did not make (another instance's) shows once the
// page expires.
func TestMinePageExpires(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		f := newPageFixture(t, b)
		ctx := context.Background()
		f.mine(t)
		c, _, err := f.st.CourseBySlug(ctx, "two")
		if err != nil {
			t.Fatal(err)
		}
		created, err := f.st.Enroll(ctx, &store.Enrollment{UserID: f.user, CourseID: c.ID, CourseVersionID: *c.CurrentVersionID, EnrolledAt: f.clk.Now()})
		if err != nil || !created {
			t.Fatal(created, err)
		}
		if m := f.mine(t); len(m.Courses) != 1 {
			t.Fatal("the page was not kept: another instance's enrolment showed at once")
		}
		f.clk.Add(pageTTL - time.Second)
		if m := f.mine(t); len(m.Courses) != 1 {
			t.Fatal("the page expired early")
		}
		f.clk.Add(time.Second)
		if m := f.mine(t); len(m.Courses) != 2 {
			t.Error("another instance's enrolment did not show after the page expired")
		}
	})
}

// A build that overlaps a write is returned once but not kept: it may
// predate the write. Another learner's write does not stop it being kept.
func TestMinePageRacingWriteNotKept(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		f := newPageFixture(t, b)
		f.ps.during = func() { f.svc.pages.forget(f.user) }
		f.mine(t)
		f.ps.during = nil
		before := f.ps.builds.Load()
		f.mine(t)
		if f.ps.builds.Load() != before+1 {
			t.Error("a build that raced the learner's write was kept")
		}

		f.svc.ForgetPages()
		f.ps.during = f.svc.ForgetPages // a staff change
		f.mine(t)
		f.ps.during = nil
		before = f.ps.builds.Load()
		f.mine(t)
		if f.ps.builds.Load() != before+1 {
			t.Error("a build that raced a staff change was kept")
		}

		f.svc.ForgetPages()
		f.ps.during = func() { f.svc.pages.forget(f.user + 1) }
		f.mine(t)
		f.ps.during = nil
		before = f.ps.builds.Load()
		f.mine(t)
		if f.ps.builds.Load() != before {
			t.Error("a build that raced another learner's write was not kept")
		}
	})
}

// What Mine returns is the caller's: changing it does not change the
// kept page.
func TestMinePageNotShared(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		f := newPageFixture(t, b)
		m := f.mine(t)
		m.Courses[0].Title = "changed"
		m.Courses = append(m.Courses, MyCourse{Slug: "extra"})
		m.Hours.Target = 99
		n := f.mine(t)
		n.Courses[0].Slug = "again"
		if o := f.mine(t); len(o.Courses) != 1 || o.Courses[0].Title != "Course one" || o.Courses[0].Slug != "one" || o.Hours.Target == 99 {
			t.Errorf("a caller's changes reached the kept page: %+v %+v", o.Courses, o.Hours)
		}
		if f.ps.builds.Load() != 1 {
			t.Error("the page was not kept")
		}
	})
}
