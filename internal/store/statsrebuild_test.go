package store_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

func catchUp(t *testing.T, st *store.Store) {
	t.Helper()
	for {
		p, err := st.StatsCatchUp(context.Background(), shanghai)
		if err != nil {
			t.Fatal(err)
		}
		if p.Rebuilding {
			t.Fatal("the upkeep still sees a rebuild")
		}
		if !p.More {
			return
		}
	}
}

// statsSchema lists the statistics tables' indexes and the tables that
// exist, so a swap that lost an index or left a shadow table shows.
func statsSchema(t *testing.T, st *store.Store, b storetest.Backend) []string {
	t.Helper()
	q := `SELECT name || ' on ' || tbl_name FROM sqlite_master WHERE tbl_name LIKE 'stats%' AND name NOT LIKE 'sqlite_autoindex%'`
	if b.URL != "" {
		q = `SELECT DISTINCT CONCAT(index_name, ' on ', table_name) FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name LIKE 'stats%'`
	}
	rows, err := st.DB().Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func rebuildAt(t *testing.T, st *store.Store) *time.Time {
	t.Helper()
	var s store.StatsState
	if err := st.DB().QueryRow("SELECT rebuild_at FROM stats_state WHERE id = 1").Scan(&s.RebuildAt); err != nil {
		t.Fatal(err)
	}
	return s.RebuildAt
}

// TestStatsRebuildInBatchesWhileLearning: a rebuild of one learner per
// transaction while learners keep learning, move, enrol and finish between
// its batches, and an event id the rebuild's cut saw missing commits late;
// once the upkeep has carried on from the rebuild, the numbers are those
// of a rebuild of the finished history. During the rebuild, the upkeep and
// the pruning change nothing and readers see the old numbers.
func TestStatsRebuildInBatchesWhileLearning(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		w := newStatsWorld(t, b, 7)
		st, clk := w.st, w.clk
		for i, u := range w.users {
			w.enroll(t, u, "alpha")
			w.event(t, u, "alpha", i, "heartbeat", 30)
			clk.Add(time.Minute)
		}
		w.finish(t, w.users[2], "alpha")
		catchUp(t, st)
		schema := statsSchema(t, st, b)

		// A hole just below the newest event: its id was taken by a
		// transaction that commits only after the rebuild's cut.
		last := w.users[len(w.users)-1]
		var maxID, lessonID int64
		if err := st.DB().QueryRow("SELECT MAX(id), MAX(lesson_id) FROM progress_events").Scan(&maxID, &lessonID); err != nil {
			t.Fatal(err)
		}
		insertEvent := func(id int64) {
			t.Helper()
			if _, err := st.DB().Exec(`INSERT INTO progress_events (id, event_key, user_id, lesson_id, type, seconds, credited_seconds, received_at)
				VALUES (?, ?, ?, ?, 'heartbeat', 40, 40, ?)`, id, []byte(fmt.Sprintf("late-ev-%08d", id)), last.ID, lessonID, clk.Now().UTC()); err != nil {
				t.Fatal(err)
			}
		}
		insertEvent(maxID + 2)
		catchUp(t, st)
		before := statsRows(t, st)

		calls := 0
		err := st.StatsRebuildWith(ctx, shanghai, store.RebuildOptions{BatchUsers: 1, Progress: func(done, total int64) {
			calls++
			if total < done || done != int64(calls) {
				t.Errorf("progress %d of %d after %d batches", done, total, calls)
			}
			clk.Add(90 * time.Second)
			switch calls {
			case 1:
				insertEvent(maxID + 1) // after the cut, for a learner counted later
				// The upkeep and the pruning wait; readers see the old numbers.
				p, err := st.StatsCatchUp(ctx, shanghai)
				if err != nil || !p.Rebuilding {
					t.Errorf("a pass during the rebuild: %+v %v", p, err)
				}
				if r, err := st.PruneEvents(ctx, clk.Now().Add(24*time.Hour), shanghai); err != nil || r.Pruned != 0 {
					t.Errorf("pruning during the rebuild: %+v %v", r, err)
				}
				diffRows(t, "during the rebuild", before, statsRows(t, st))
				// One rebuild at a time.
				if err := st.StatsRebuild(ctx, shanghai); !errors.Is(err, errs.ErrConflict) || errs.As(err).Key != "error.stats_rebuild_running" {
					t.Errorf("a second rebuild: %v", err)
				}
			case 2:
				w.event(t, w.users[0], "alpha", 1, "heartbeat", 30) // already counted
				w.event(t, last, "alpha", 1, "heartbeat", 30)       // not yet
				w.enroll(t, w.users[1], "beta")
				w.finish(t, w.users[3], "alpha")
			case 3:
				to := w.insts[1].ID
				if _, err := st.ChangeUser(ctx, w.users[0].ID, store.UserChange{InstitutionID: &to}, nil); err != nil {
					t.Fatal(err)
				}
				to = w.insts[2].ID
				if _, err := st.ChangeUser(ctx, last.ID, store.UserChange{InstitutionID: &to}, nil); err != nil {
					t.Fatal(err)
				}
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		if calls < len(w.users) {
			t.Fatalf("%d batches for %d accounts", calls, len(w.users))
		}
		if at := rebuildAt(t, st); at != nil {
			t.Fatalf("the rebuild's claim outlived it: %v", at)
		}
		if got := statsSchema(t, st, b); fmt.Sprint(got) != fmt.Sprint(schema) {
			t.Fatalf("schema after the swap:\n%v\nwant\n%v", got, schema)
		}
		catchUp(t, st)
		carried := statsRows(t, st)
		if err := st.StatsRebuild(ctx, shanghai); err != nil {
			t.Fatal(err)
		}
		diffRows(t, "rebuild during learning + upkeep vs rebuild", carried, statsRows(t, st))
	})
}

// TestStatsRebuildCutOffLeavesNothing: a rebuild stopped half-way keeps
// the numbers it would have replaced, leaves no shadow table and no claim.
// A claim nobody renews lapses; a live one holds off the upkeep.
func TestStatsRebuildCutOffLeavesNothing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		w := newStatsWorld(t, b, 8)
		st, clk := w.st, w.clk
		for i, u := range w.users {
			w.enroll(t, u, "beta")
			w.event(t, u, "beta", i, "heartbeat", 30)
		}
		catchUp(t, st)
		before, schema := statsRows(t, st), statsSchema(t, st, b)

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		err := st.StatsRebuildWith(ctx, shanghai, store.RebuildOptions{BatchUsers: 2, Progress: func(done, _ int64) {
			if done >= 4 {
				cancel()
			}
		}})
		if err == nil {
			t.Fatal("a cancelled rebuild succeeded")
		}
		diffRows(t, "after a cancelled rebuild", before, statsRows(t, st))
		if got := statsSchema(t, st, b); fmt.Sprint(got) != fmt.Sprint(schema) {
			t.Fatalf("schema after a cancelled rebuild:\n%v\nwant\n%v", got, schema)
		}
		if at := rebuildAt(t, st); at != nil {
			t.Fatalf("a cancelled rebuild kept its claim: %v", at)
		}

		// A claim renewed a minute ago (a rebuild elsewhere) holds; one
		// three minutes old (a rebuild that died) does not.
		claim := func(ago time.Duration) {
			t.Helper()
			if _, err := st.DB().Exec("UPDATE stats_state SET rebuild_at = ? WHERE id = 1", clk.Now().UTC().Add(-ago)); err != nil {
				t.Fatal(err)
			}
		}
		claim(time.Minute)
		err = st.StatsRebuild(context.Background(), shanghai)
		if want := clk.Now().UTC().Add(-time.Minute).Format(time.RFC3339); !errors.Is(err, errs.ErrConflict) ||
			errs.As(err).Args["renewed"] != want {
			t.Fatalf("a rebuild beside a live claim: %v (want the claim's renewal %s named)", err, want)
		}
		w.event(t, w.users[0], "beta", 0, "heartbeat", 30)
		if p, err := st.StatsCatchUp(context.Background(), shanghai); err != nil || !p.Rebuilding || p.Events != 0 {
			t.Fatalf("a pass beside a live claim: %+v %v", p, err)
		}
		claim(3 * time.Minute)
		catchUp(t, st)
		if err := st.StatsRebuild(context.Background(), shanghai); err != nil {
			t.Fatalf("a rebuild after a lapsed claim: %v", err)
		}
		if at := rebuildAt(t, st); at != nil {
			t.Fatalf("claim left: %v", at)
		}
	})
}
