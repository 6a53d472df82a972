package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/learning"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// Study-hour years run on Beijing time: 2026-12-31T17:00Z is 01:00 on New
// Year's Day 2027 in China.
func TestHoursBetweenYearBoundary(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		x := cxSetup(t, b)
		x.clk.Add(time.Date(2026, 12, 31, 17, 0, 0, 0, time.UTC).Sub(x.clk.Now()))
		x.finishAllButQuiz(t)
		if c := cxAttempt(t, x.st, x.u, x.c, x.lessons[0], 100); !c.Completed {
			t.Fatal("not completed")
		}
		year := func(y int) (float64, int64) {
			from := time.Date(y, 1, 1, 0, 0, 0, 0, learning.China).UTC()
			h, a, err := x.st.HoursBetween(ctx, x.u.ID, from, from.AddDate(1, 0, 0))
			if err != nil {
				t.Fatal(err)
			}
			return h, a
		}
		if h, _ := year(2026); h != 0 {
			t.Errorf("2026 has %v hours, want 0", h)
		}
		if h, _ := year(2027); h != 2 {
			t.Errorf("2027 has %v hours, want 2", h)
		}
	})
}

func TestTargetFor(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := b.Open(t, storetest.NewClock().Now)
		check := func(name string, scopes []string, want float64) {
			t.Helper()
			got, ok, err := st.TargetFor(ctx, 2026, scopes)
			if err != nil || !ok || got != want {
				t.Errorf("%s: %v, %v, %v; want %v", name, got, ok, err, want)
			}
		}
		check("default", []string{"role:learner", "default"}, 12)
		check("cadre centre", []string{"institution:x", "kind:cadre_centre", "role:learner", "default"}, 50)
		if err := st.SetTarget(ctx, store.StudyHourTarget{Year: 2026, Scope: "default", Hours: 16}); err != nil {
			t.Fatal(err)
		}
		check("year-specific default", []string{"default"}, 16)
		if got, _, _ := st.TargetFor(ctx, 2027, []string{"default"}); got != 12 {
			t.Errorf("2027 default = %v, want the every-year 12", got)
		}
		if err := st.SetTarget(ctx, store.StudyHourTarget{Year: 0, Scope: "institution:x", Hours: 40}); err != nil {
			t.Fatal(err)
		}
		check("institution beats kind", []string{"institution:x", "kind:cadre_centre", "default"}, 40)
		if err := st.SetTarget(ctx, store.StudyHourTarget{Year: 0, Scope: "institution:x", Hours: 45}); err != nil {
			t.Fatal(err)
		}
		check("replaced", []string{"institution:x", "default"}, 45)
		if _, ok, err := st.TargetFor(ctx, 2026, []string{"nothing"}); ok || err != nil {
			t.Errorf("unknown scope: ok = %v, %v", ok, err)
		}
	})
}
