package learning

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// enrolCountingStore counts enrolment lookups.
type enrolCountingStore struct {
	Store
	lookups atomic.Int64
}

func (c *enrolCountingStore) EnrollmentOf(ctx context.Context, userID, courseID int64) (*store.Enrollment, error) {
	c.lookups.Add(1)
	return c.Store.EnrollmentOf(ctx, userID, courseID)
}

// A learner's enrolment is looked up once, then served from memory; a
// learner not (yet) enrolled is asked of the database every time, so their
// enrolment shows at once.
func TestEnrolmentLookedUpOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clk := storetest.NewClock()
		st := b.Open(t, clk.Now)
		coursetest.Import(t, st, coursetest.Simple("en"))
		cs := &enrolCountingStore{Store: st}
		svc := New(cs, Config{Now: clk.Now})
		u := &store.User{Username: "enrol", DisplayName: "e", PasswordHash: "x", Role: "learner",
			Locale: "zh-CN", CreatedAt: clk.Now(), UpdatedAt: clk.Now()}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		lesson := coursetest.Lessons(t, st, "en")[0].ID
		view := func() *LessonView {
			t.Helper()
			v, err := svc.Lesson(ctx, Viewer{UserID: u.ID}, lesson)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		view()
		view()
		if n := cs.lookups.Load(); n != 2 {
			t.Fatalf("two views before enrolling looked the enrolment up %d times, want 2", n)
		}
		if _, err := svc.Enroll(ctx, Learner{UserID: u.ID}, "en"); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			if !view().Course.Enrolled {
				t.Fatal("an enrolled learner is shown not enrolled")
			}
		}
		if n := cs.lookups.Load(); n != 3 {
			t.Errorf("three views after enrolling made %d lookups in all, want 3 (one more)", n)
		}
	})
}
