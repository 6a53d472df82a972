package store_test

import (
	"context"
	"testing"

	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

func TestEnrollTwiceCreatesOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := b.Open(t, storetest.NewClock().Now)
		coursetest.Import(t, st, coursetest.Simple("enrol"))
		u := cxUser(t, st, "zhao")
		c, v, _ := st.CourseBySlug(ctx, "enrol")
		for i, want := range []bool{true, false} {
			created, err := st.Enroll(ctx, &store.Enrollment{UserID: u.ID, CourseID: c.ID, CourseVersionID: v.ID})
			if err != nil || created != want {
				t.Errorf("enrol #%d: created = %v, %v; want %v", i+1, created, err, want)
			}
		}
		if ens, _ := st.EnrollmentsOf(ctx, u.ID); len(ens) != 1 {
			t.Errorf("%d enrolments, want 1", len(ens))
		}
	})
}
