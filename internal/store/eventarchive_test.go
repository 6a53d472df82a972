package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// Pruning old heartbeat detail changes no statistic, before or after a
// rebuild from the raw tables, keeps every event id, and leaves alone what
// the statistics have not read yet and every open and complete event.
func TestPruneEventsKeepsStatistics(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		w := newStatsWorld(t, b, 7)
		st, clk := w.st, w.clk
		pass := func() {
			t.Helper()
			for {
				p, err := st.StatsCatchUp(ctx, shanghai)
				if err != nil {
					t.Fatal(err)
				}
				if !p.More {
					return
				}
			}
		}
		count := func(q string, args ...any) int64 {
			t.Helper()
			var n int64
			if err := st.DB().QueryRow(q, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		learners := w.users[:4]
		for _, u := range learners {
			w.enroll(t, u, "alpha")
		}
		// Ten days of study, a few heartbeats a day, some past midnight
		// in Shanghai; the first five days will be past the cutoff.
		for day := 0; day < 10; day++ {
			for i, u := range learners {
				w.event(t, u, "alpha", i, "open", 0)
				for h := 0; h < 3; h++ {
					clk.Add(40 * time.Second)
					w.event(t, u, "alpha", i, "heartbeat", 30)
				}
			}
			if day == 2 {
				w.finish(t, learners[0], "alpha")
			}
			clk.Add(7*time.Hour + 13*time.Minute)
			pass()
			clk.Add(16*time.Hour + 47*time.Minute)
		}
		cutoff := clk.Now().Add(-5*24*time.Hour - time.Hour)
		// Old-looking but unread by the statistics: must stay. (received_at
		// is the server's clock, so turn it back for this one event.)
		back := clk.Now()
		clk.Add(-8 * 24 * time.Hour)
		w.event(t, learners[1], "alpha", 1, "heartbeat", 30)
		unread := count("SELECT MAX(id) FROM progress_events")
		clk.Add(back.Sub(clk.Now()))

		beforeStats := statsRows(t, st)
		beforeCredit := count("SELECT COALESCE(SUM(credited_seconds), 0) FROM progress_events")
		wantPruned := count("SELECT COUNT(*) FROM progress_events WHERE type = 'heartbeat' AND received_at < ? AND id < ?", cutoff.UTC(), unread)
		keep := count("SELECT COUNT(*) FROM progress_events WHERE type <> 'heartbeat' OR received_at >= ? OR id = ?", cutoff.UTC(), unread)
		if wantPruned == 0 || keep == 0 {
			t.Fatalf("scenario: %d rows to prune, %d to keep", wantPruned, keep)
		}
		var pruned int
		for {
			r, err := st.PruneEvents(ctx, cutoff, shanghai)
			if err != nil {
				t.Fatal(err)
			}
			pruned += r.Pruned
			if !r.More {
				break
			}
		}
		if int64(pruned) != wantPruned {
			t.Errorf("pruned %d rows, want %d", pruned, wantPruned)
		}
		if got := count("SELECT COUNT(*) FROM progress_events"); got != keep {
			t.Errorf("%d raw rows left, want %d", got, keep)
		}
		if got := count("SELECT COUNT(*) FROM progress_events WHERE id = ?", unread); got != 1 {
			t.Error("an event the statistics had not read was pruned")
		}
		if got := count("SELECT COUNT(*) FROM progress_event_keys"); got != wantPruned {
			t.Errorf("%d event ids kept, want %d", got, wantPruned)
		}
		after := count("SELECT COALESCE(SUM(credited_seconds), 0) FROM progress_events") +
			count("SELECT COALESCE(SUM(credited_seconds), 0) FROM progress_event_days")
		if after != beforeCredit {
			t.Errorf("credited seconds raw + archived = %d, before pruning %d", after, beforeCredit)
		}
		if got := count("SELECT COALESCE(SUM(events), 0) FROM progress_event_days"); got != wantPruned {
			t.Errorf("day rows count %d events, want %d", got, wantPruned)
		}
		diffRows(t, "after pruning", beforeStats, statsRows(t, st))

		// Again: nothing more to do, and the walk does not start over.
		if r, err := st.PruneEvents(ctx, cutoff, shanghai); err != nil || r.Pruned != 0 || r.More {
			t.Errorf("second prune = %+v, %v", r, err)
		}
		pass()
		want := statsRows(t, st)
		if err := st.StatsRebuild(ctx, shanghai); err != nil {
			t.Fatal(err)
		}
		diffRows(t, "rebuild after pruning vs upkeep", want, statsRows(t, st))
		a, err := st.EventArchiveStatus(ctx)
		if err != nil || a.PrunedKeys != wantPruned || a.RawEvents != keep || a.DayRows == 0 {
			t.Errorf("archive status %+v, %v", a, err)
		}
		// My learning's year totals, from the aggregates, are unchanged too.
		if rows, err := st.LearnerYearTotals(ctx, learners[2].ID); err != nil || len(rows) == 0 || rows[0].CreditedSeconds == 0 {
			t.Errorf("year totals after pruning: %+v, %v", rows, err)
		}
	})
}
