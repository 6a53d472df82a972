package store_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// secondLearner enrols another learner in x's course, on x's store and clock.
func (x *cxLearner) secondLearner(t *testing.T, name string) *cxLearner {
	t.Helper()
	u := cxUser(t, x.st, name)
	return &cxLearner{st: x.st, clk: x.clk, u: u, c: cxEnroll(t, x.st, u, x.c.Slug), lessons: x.lessons}
}

// keyOf is an event id as the 16 bytes stored.
func keyOf(t *testing.T, eventID string) []byte {
	t.Helper()
	key, err := hex.DecodeString(strings.ReplaceAll(eventID, "-", ""))
	if err != nil || len(key) != 16 {
		t.Fatalf("event id %q: %v", eventID, err)
	}
	return key
}

// eventRows counts the stored rows of one learner's event.
func eventRows(t *testing.T, st *store.Store, userID int64, eventID string) int {
	t.Helper()
	key := keyOf(t, eventID)
	var n int
	if err := st.DB().QueryRow("SELECT COUNT(*) FROM progress_events WHERE user_id = ? AND event_key = ?", userID, key).
		Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// An event id is one learner's: another learner's client picking the same
// id has its event stored and credited, and only the same learner sending
// it again is a duplicate. Heartbeats take the multi-statement way on
// MySQL, complete events the general way.
func TestEventIDsArePerLearner(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		for _, typ := range []string{"heartbeat", "complete"} {
			t.Run(typ, func(t *testing.T) {
				x := cxSetup(t, b)
				y := x.secondLearner(t, "mei")
				check := func(what string, got store.ProgressOutcome, dup bool, credit int) {
					t.Helper()
					if got.Duplicate != dup || got.CreditedSeconds != credit {
						t.Errorf("%s = %+v, want duplicate %v, %d s credited", what, got, dup, credit)
					}
				}
				heartbeatWay := func() int64 { n, _ := x.st.HeartbeatBatches(); return n }
				before := heartbeatWay()

				x.clk.Add(time.Minute)
				ex := x.event(0, typ, 30)
				ey := y.event(0, typ, 30)
				ey.EventID = ex.EventID
				check("first learner's event", x.record(t, ex)[0], false, 30)
				check("second learner's event, same id", y.record(t, ey)[0], false, 30)
				if want := int64(2); b.URL != "" && typ == "heartbeat" && heartbeatWay()-before != want {
					t.Errorf("%d batches written the heartbeat way, want %d", heartbeatWay()-before, want)
				}

				x.clk.Add(time.Minute)
				ax, ay := x.event(1, typ, 30), y.event(1, typ, 30)
				ay.EventID = ax.EventID
				out := x.record(t, ax, ay)
				check("one batch, first learner", out[0], false, 30)
				check("one batch, second learner, same id", out[1], false, 30)

				// The same learner again, in either case: a duplicate.
				x.clk.Add(time.Minute)
				again := ex
				again.EventID = strings.ToUpper(ex.EventID)
				check("first learner's id again", x.record(t, again)[0], true, 0)

				// A batch holding an id stored for one learner and new for
				// the other: on MySQL the insert stores fewer rows than
				// sent, and the batch is written again after looking up
				// which events are stored.
				x.clk.Add(time.Minute)
				sx := x.event(2, typ, 30)
				check("first learner's new event", x.record(t, sx)[0], false, 30)
				x.clk.Add(time.Minute)
				sy := y.event(2, typ, 30)
				sy.EventID = sx.EventID
				out = x.record(t, sx, sy)
				check("stored event in a mixed batch", out[0], true, 0)
				check("the other learner's event in a mixed batch", out[1], false, 30)

				for _, id := range []string{ex.EventID, ax.EventID, sx.EventID} {
					for _, l := range []*cxLearner{x, y} {
						if n := eventRows(t, x.st, l.u.ID, id); n != 1 {
							t.Errorf("%s's event %s stored %d times, want once", l.u.Username, id, n)
						}
					}
				}
				var n int
				if err := x.st.DB().QueryRow("SELECT COUNT(*) FROM progress_events").Scan(&n); err != nil || n != 6 {
					t.Errorf("%d event rows, %v; want 6", n, err)
				}
			})
		}
	})
}

// migrateTo applies the migrations up to and including version v.
func migrateTo(t *testing.T, st *store.Store, v int64) {
	t.Helper()
	all := store.MigrationsFS(st.Dialect())
	before := fstest.MapFS{}
	for _, n := range migrationFiles(t, st.Dialect()) {
		if n >= fmt.Sprintf("%05d", v+1) {
			continue
		}
		data, err := fs.ReadFile(all, n)
		if err != nil {
			t.Fatal(err)
		}
		before[n] = &fstest.MapFile{Data: data}
	}
	if got, err := st.MigrateFS(context.Background(), before); err != nil || got != v {
		t.Fatalf("migrate to %d = %d, %v", v, got, err)
	}
}

// An instance still running the code before event_key may write an event
// after 00005's backfill, with its text id only: the contract migration
// (00010) gives it its key before dropping the text, so the event still
// counts as sent.
func TestEventContractKeepsLateEvents(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clk := storetest.NewClock()
		st := openEmpty(t, b, clk.Now)
		migrateTo(t, st, 9)
		coursetest.Import(t, st, coursetest.Simple("late"))
		// Written as the version-9 schema had it: the model of today carries
		// columns later migrations add.
		now := clk.Now()
		if _, err := st.DB().Exec(`INSERT INTO users (username, display_name, password_hash, role, locale, created_at, updated_at)
			VALUES ('late', '学员 late', 'x', 'learner', 'zh-CN', ?, ?)`, now, now); err != nil {
			t.Fatal(err)
		}
		x := &cxLearner{st: st, clk: clk, u: &store.User{Username: "late", Role: "learner"}}
		if err := st.DB().QueryRow(`SELECT id FROM users WHERE username = 'late'`).Scan(&x.u.ID); err != nil {
			t.Fatal(err)
		}
		x.c = cxEnroll(t, st, x.u, "late")
		x.lessons = coursetest.Lessons(t, st, "late")
		clk.Add(time.Minute)
		late := x.event(1, "heartbeat", 30)
		if _, err := st.DB().Exec(`INSERT INTO progress_events (event_id, user_id, lesson_id, type, seconds, credited_seconds, received_at)
			VALUES (?, ?, ?, 'heartbeat', 30, 30, ?)`, late.EventID, x.u.ID, late.LessonID, clk.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if n := eventRows(t, st, x.u.ID, late.EventID); n != 1 {
			t.Fatalf("the late event has %d rows with its key, want 1", n)
		}
		clk.Add(time.Minute)
		if o := x.record(t, late)[0]; !o.Duplicate {
			t.Errorf("the late event sent again = %+v, want a duplicate", o)
		}
	})
}

// Events stored before the 16-byte key (migration 00004) get it from
// their text id, and still count as sent: a retry after the upgrade is a
// duplicate, while another learner may use the same id.
func TestEventKeysBackfilled(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clk := storetest.NewClock()
		st := openEmpty(t, b, clk.Now)
		migrateTo(t, st, 3)
		x := &cxLearner{st: st, clk: clk}
		coursetest.Import(t, st, coursetest.Simple("upgrade"))
		// Written as the version-3 schema had it: the model of today carries
		// columns later migrations add.
		now := clk.Now()
		if _, err := st.DB().Exec(`INSERT INTO users (username, display_name, password_hash, role, locale, created_at, updated_at)
			VALUES ('old', '学员 old', 'x', 'learner', 'zh-CN', ?, ?)`, now, now); err != nil {
			t.Fatal(err)
		}
		x.u = &store.User{Username: "old", Role: "learner"}
		if err := st.DB().QueryRow(`SELECT id FROM users WHERE username = 'old'`).Scan(&x.u.ID); err != nil {
			t.Fatal(err)
		}
		x.c = cxEnroll(t, st, x.u, "upgrade")
		x.lessons = coursetest.Lessons(t, st, "upgrade")
		clk.Add(time.Minute)
		old := x.event(0, "heartbeat", 30)
		old.EventID = strings.ToUpper(old.EventID) // as some client sent it
		if _, err := st.DB().Exec(`INSERT INTO progress_events (event_id, user_id, lesson_id, type, seconds, credited_seconds, received_at)
			VALUES (?, ?, ?, 'heartbeat', 30, 30, ?)`, old.EventID, x.u.ID, old.LessonID, clk.Now()); err != nil {
			t.Fatal(err)
		}

		if _, err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		var key []byte
		if err := st.DB().QueryRow("SELECT event_key FROM progress_events WHERE user_id = ?", x.u.ID).Scan(&key); err != nil {
			t.Fatal(err)
		}
		if want, _ := hex.DecodeString(strings.ReplaceAll(old.EventID, "-", "")); !bytes.Equal(key, want) {
			t.Errorf("backfilled key %x, want %x", key, want)
		}
		clk.Add(time.Minute)
		if o := x.record(t, old)[0]; !o.Duplicate {
			t.Errorf("an event stored before the upgrade, sent again = %+v, want a duplicate", o)
		}
		y := x.secondLearner(t, "new")
		ey := y.event(0, "heartbeat", 30)
		ey.EventID = old.EventID
		if o := y.record(t, ey)[0]; o.Duplicate {
			t.Errorf("another learner's event with an id stored before the upgrade = %+v, want it stored", o)
		}
	})
}
