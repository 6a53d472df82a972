package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// TestYearHoursEqualsRaw holds the aggregate-plus-tail reading of a
// learner's year equal to summing their raw events, for every learner and
// year around a random history, with the upkeep passing at random moments
// (never, partly, fully caught up).
func TestYearHoursEqualsRaw(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		for _, seed := range []int64{7, 8} {
			t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
				ctx := context.Background()
				w := newStatsWorld(t, b, seed)
				st, clk, rnd := w.st, w.clk, w.rnd
				check := func(when string) {
					t.Helper()
					y := clk.Now().In(shanghai).Year()
					for _, u := range w.users {
						for _, year := range []int{y - 1, y, y + 1} {
							from := time.Date(year, 1, 1, 0, 0, 0, 0, shanghai)
							wh, wa, err := st.HoursBetween(ctx, u.ID, from.UTC(), from.AddDate(1, 0, 0).UTC())
							if err != nil {
								t.Fatal(err)
							}
							gh, ga, err := st.YearHours(ctx, u.ID, year, shanghai)
							if err != nil {
								t.Fatal(err)
							}
							if gh != wh || ga != wa {
								t.Fatalf("%s: %s %d: YearHours = %v h, %d s; raw = %v h, %d s", when, u.Username, year, gh, ga, wh, wa)
							}
						}
					}
				}
				// Start late in December so the history crosses New Year.
				clk.Add(time.Date(clk.Now().Year(), 12, 20, 0, 0, 0, 0, time.UTC).Sub(clk.Now()))
				slugs := []string{"alpha", "beta"}
				passes := 0
				for step := 0; step < 120; step++ {
					u := w.users[rnd.Intn(len(w.users))]
					slug := slugs[rnd.Intn(2)]
					switch r := rnd.Intn(20); {
					case r < 3:
						w.enroll(t, u, slug)
					case r < 14:
						w.event(t, u, slug, rnd.Intn(3), "heartbeat", 30)
					case r < 16:
						w.finish(t, u, slug)
					case r == 16:
						clk.Add(time.Duration(rnd.Intn(5)) * 24 * time.Hour)
					default:
						clk.Add(time.Duration(rnd.Intn(600)) * time.Minute)
					}
					clk.Add(time.Duration(1+rnd.Intn(90)) * time.Second)
					if rnd.Intn(8) == 0 {
						// One pass: it may leave work for the next.
						if _, err := st.StatsCatchUp(ctx, shanghai); err != nil {
							t.Fatal(err)
						}
						passes++
					}
					if step%10 == 0 {
						check(fmt.Sprintf("step %d, %d passes", step, passes))
					}
				}
				check("before the last pass")
				for {
					p, err := st.StatsCatchUp(ctx, shanghai)
					if err != nil {
						t.Fatal(err)
					}
					if !p.More {
						break
					}
				}
				check("after the worker caught up")
				w.event(t, w.users[0], "alpha", 0, "heartbeat", 30)
				w.enroll(t, w.users[0], "alpha")
				w.event(t, w.users[0], "alpha", 1, "heartbeat", 30)
				check("new events after the watermark")
				// An id the upkeep waits for takes the transaction path.
				if _, err := st.DB().Exec("INSERT INTO stats_gaps (source, id, seen_at) VALUES ('progress_events', 0, ?)", clk.Now().UTC()); err != nil {
					t.Fatal(err)
				}
				w.event(t, w.users[0], "alpha", 2, "heartbeat", 30)
				check("with a waited-for id")
			})
		}
	})
}

// TestYearHoursTailAtNewYear: the events past the upkeep's watermark are
// summed in SQL against the year's bounds in the deployment's zone; one
// received at the first instant of a year counts in that year, one a
// microsecond earlier in the year before, and an event credited nothing
// adds nothing, as when the upkeep counts them.
func TestYearHoursTailAtNewYear(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		w := newStatsWorld(t, b, 1)
		st, clk := w.st, w.clk
		early, onTime := w.users[0], w.users[1]
		year := clk.Now().In(shanghai).Year() + 1
		newYear := time.Date(year, 1, 1, 0, 0, 0, 0, shanghai)
		clk.Add(newYear.Add(-time.Hour).Sub(clk.Now()))
		for _, u := range []*store.User{early, onTime} {
			w.enroll(t, u, "alpha")
			w.event(t, u, "alpha", 0, "heartbeat", 30)
		}
		for {
			p, err := st.StatsCatchUp(ctx, shanghai)
			if err != nil {
				t.Fatal(err)
			}
			if !p.More {
				break
			}
		}
		// Past the watermark from here on.
		clk.Add(newYear.Add(-time.Microsecond).Sub(clk.Now()))
		w.event(t, early, "alpha", 0, "heartbeat", 30)
		clk.Add(time.Microsecond)
		w.event(t, onTime, "alpha", 0, "heartbeat", 30)
		w.event(t, onTime, "alpha", 0, "complete", 0)
		clk.Add(20 * time.Second)
		w.event(t, onTime, "alpha", 0, "heartbeat", 20)
		for _, c := range []struct {
			u             *store.User
			year          int
			activeAtLeast int64
		}{{early, year - 1, 30}, {early, year, 0}, {onTime, year - 1, 0}, {onTime, year, 50}} {
			from := time.Date(c.year, 1, 1, 0, 0, 0, 0, shanghai)
			wh, wa, err := st.HoursBetween(ctx, c.u.ID, from.UTC(), from.AddDate(1, 0, 0).UTC())
			if err != nil {
				t.Fatal(err)
			}
			gh, ga, err := st.YearHours(ctx, c.u.ID, c.year, shanghai)
			if err != nil {
				t.Fatal(err)
			}
			if gh != wh || ga != wa || ga < c.activeAtLeast {
				t.Fatalf("%s %d: YearHours = %v h, %d s; raw = %v h, %d s; want at least %d s",
					c.u.Username, c.year, gh, ga, wh, wa, c.activeAtLeast)
			}
		}
	})
}
