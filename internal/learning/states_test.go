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

// countingStore counts reads of a learner's lesson states and can run a
// hook in the middle of one, as a write committing meanwhile would.
type countingStore struct {
	Store
	reads  atomic.Int64
	during func()
}

func (c *countingStore) ProgressOf(ctx context.Context, userID, courseID int64) ([]store.LessonProgress, error) {
	c.reads.Add(1)
	out, err := c.Store.ProgressOf(ctx, userID, courseID)
	if c.during != nil {
		c.during()
	}
	return out, err
}

type statesFixture struct {
	st      *store.Store
	cs      *countingStore
	svc     *Service
	clk     *storetest.Clock
	user    int64
	lessons []int64
}

func newStatesFixture(t *testing.T, b storetest.Backend) *statesFixture {
	t.Helper()
	clk := storetest.NewClock()
	st := b.Open(t, clk.Now)
	coursetest.Import(t, st, coursetest.Simple("st"))
	cs := &countingStore{Store: st}
	svc := New(cs, Config{Now: clk.Now})
	f := &statesFixture{st: st, cs: cs, svc: svc, clk: clk}
	f.user, f.lessons = startEnrolled(t, st, svc, clk, "states", "st")
	return f
}

// startEnrolled creates a learner enrolled in slug, moves the clock a
// minute on and starts svc: the learner's id and the course's lesson ids.
func startEnrolled(t *testing.T, st *store.Store, svc *Service, clk *storetest.Clock, username, slug string) (int64, []int64) {
	t.Helper()
	ctx := context.Background()
	u := &store.User{Username: username, DisplayName: username, PasswordHash: "x", Role: "learner",
		Locale: "zh-CN", CreatedAt: clk.Now(), UpdatedAt: clk.Now()}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Enroll(ctx, Learner{UserID: u.ID}, slug); err != nil {
		t.Fatal(err)
	}
	var lessons []int64
	for _, l := range coursetest.Lessons(t, st, slug) {
		lessons = append(lessons, l.ID)
	}
	clk.Add(time.Minute)
	svc.Start()
	t.Cleanup(svc.Close)
	return u.ID, lessons
}

func (f *statesFixture) view(t *testing.T, lesson int64) *LessonView {
	t.Helper()
	v, err := f.svc.Lesson(context.Background(), Viewer{UserID: f.user}, lesson)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

var stateEvents atomic.Int64

func (f *statesFixture) complete(t *testing.T, lesson int64) {
	t.Helper()
	id := fmt.Sprintf("00000000-0000-4000-b000-%012d", stateEvents.Add(1))
	if _, err := f.svc.RecordEvent(context.Background(), f.user, Event{EventID: id, LessonID: lesson, Type: "complete"}); err != nil {
		t.Fatal(err)
	}
}

// Views share one read of the learner's states per course, and the
// learner's own completions and quiz scores show on the very next view.
func TestLessonStatesCachedAndForgottenOnWrite(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		f := newStatesFixture(t, b)
		if v := f.view(t, f.lessons[0]); v.Completed || v.BestScore != nil || !v.Course.Enrolled {
			t.Fatalf("fresh lesson: completed %v, best %v, enrolled %v", v.Completed, v.BestScore, v.Course.Enrolled)
		}
		f.view(t, f.lessons[1])
		f.view(t, f.lessons[0])
		if n := f.cs.reads.Load(); n != 1 {
			t.Fatalf("three views of one course read the states %d times, want 1", n)
		}

		f.complete(t, f.lessons[0])
		if v := f.view(t, f.lessons[0]); !v.Completed {
			t.Error("a completed lesson is not shown completed on the next view")
		}
		if v := f.view(t, f.lessons[1]); v.Completed {
			t.Error("completing one lesson showed another completed")
		}

		answers := map[string]json.RawMessage{"q1": json.RawMessage(`1`), "q2": json.RawMessage(`false`)}
		if _, err := f.svc.Attempt(context.Background(), f.user, f.lessons[0], AttemptRequest{Answers: answers}); err != nil {
			t.Fatal(err)
		}
		if v := f.view(t, f.lessons[0]); v.BestScore == nil || *v.BestScore != 50 {
			t.Errorf("best score after a 50%% attempt = %v, want 50", v.BestScore)
		}
		if n := f.cs.reads.Load(); n != 3 {
			t.Errorf("states read %d times, want 3 (once, then once after each write)", n)
		}
	})
}

// A write this process did not make (another instance's) shows once the
// cached states expire.
func TestLessonStatesExpire(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		f := newStatesFixture(t, b)
		slug := f.view(t, f.lessons[2]).Slug
		_, err := f.st.RecordProgress(context.Background(), []store.ProgressInput{{
			EventID: "00000000-0000-4000-c000-000000000001", UserID: f.user, CourseID: f.courseOf(t, f.lessons[2]),
			LessonID: f.lessons[2], LessonSlug: slug, Type: "complete", EnrolledAt: f.clk.Now().Add(-time.Minute),
		}}, f.svc.rules)
		if err != nil {
			t.Fatal(err)
		}
		if v := f.view(t, f.lessons[2]); v.Completed {
			t.Fatal("the states were not cached: the other write showed at once")
		}
		f.clk.Add(stateTTL)
		if v := f.view(t, f.lessons[2]); !v.Completed {
			t.Error("another instance's completion did not show after the states expired")
		}
	})
}

// A read that overlaps a write is used once but not kept: it may predate
// the write.
func TestLessonStatesReadRacingWriteNotKept(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		f := newStatesFixture(t, b)
		courseID := f.courseOf(t, f.lessons[0])
		f.clk.Add(stateTTL) // expired: the next view reads again
		f.cs.during = func() { f.svc.states.forget(f.user, courseID) }
		f.view(t, f.lessons[0])
		f.cs.during = nil
		before := f.cs.reads.Load()
		f.view(t, f.lessons[0])
		if f.cs.reads.Load() != before+1 {
			t.Error("a read that raced a write was kept")
		}
	})
}

func (f *statesFixture) courseOf(t *testing.T, lesson int64) int64 {
	t.Helper()
	d, err := f.svc.lesson(context.Background(), lesson)
	if err != nil {
		t.Fatal(err)
	}
	return d.courseID
}
