package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/learning"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// cxLearner is one learner enrolled in the Simple course "progress".
type cxLearner struct {
	st      *store.Store
	clk     *storetest.Clock
	u       *store.User
	c       *store.Course
	lessons []store.Lesson // intro (quiz), practice (quiz), wrapup
}

func cxSetup(t *testing.T, b storetest.Backend) *cxLearner {
	t.Helper()
	clk := storetest.NewClock()
	st := b.Open(t, clk.Now)
	coursetest.Import(t, st, coursetest.Simple("progress"))
	u := cxUser(t, st, "li")
	c := cxEnroll(t, st, u, "progress")
	return &cxLearner{st: st, clk: clk, u: u, c: c, lessons: coursetest.Lessons(t, st, "progress")}
}

func (x *cxLearner) event(lesson int, typ string, seconds int) store.ProgressInput {
	l := x.lessons[lesson]
	e, err := x.st.EnrollmentOf(context.Background(), x.u.ID, x.c.ID)
	if err != nil {
		panic(err)
	}
	return store.ProgressInput{EventID: cxEventID(), UserID: x.u.ID, CourseID: x.c.ID, LessonID: l.ID,
		LessonSlug: l.Slug, Type: typ, Seconds: seconds, EnrolledAt: e.EnrolledAt}
}

func (x *cxLearner) record(t *testing.T, in ...store.ProgressInput) []store.ProgressOutcome {
	t.Helper()
	out, err := x.st.RecordProgress(context.Background(), in, cxFinisher())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// activeSeconds sums the learner's time on task over the course's lessons.
func (x *cxLearner) activeSeconds(t *testing.T) int {
	t.Helper()
	ps, err := x.st.ProgressOf(context.Background(), x.u.ID, x.c.ID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range ps {
		n += p.ActiveSeconds
	}
	return n
}

func (x *cxLearner) certificates(t *testing.T) []store.Certificate {
	t.Helper()
	cs, err := x.st.CertificatesOf(context.Background(), x.u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// Progress writes run at READ COMMITTED (no gap locks between learners'
// upserts) without asking for it in every transaction.
func TestProgressWritesReadCommitted(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		st := b.Open(t, storetest.NewClock().Now)
		if st.Dialect() != store.MySQL {
			t.Skip("SQLite runs one write transaction at a time")
		}
		level, err := st.ProgressTxIsolation(context.Background())
		if err != nil || level != "READ-COMMITTED" {
			t.Errorf("progress transaction isolation = %q, %v; want READ-COMMITTED", level, err)
		}
	})
}

// On MySQL a batch of heartbeats goes in one round trip; one holding an
// event id stored before keeps nothing of its own write, leaves no open
// transaction on its connection, and is then written the general way.
func TestHeartbeatBatchOnMySQL(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		x := cxSetup(t, b)
		if x.st.Dialect() != store.MySQL {
			t.Skip("MySQL only")
		}
		ctx := context.Background()
		rows := func() int {
			var n int
			if err := x.st.DB().QueryRow("SELECT COUNT(*) FROM progress_events").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		x.clk.Add(time.Minute)
		before, _ := x.st.HeartbeatBatches()
		out := x.record(t, x.event(0, "heartbeat", 30), x.event(0, "open", 0), x.event(1, "heartbeat", 30))
		if got, _ := x.st.HeartbeatBatches(); got != before+1 {
			t.Fatalf("%d batches written the heartbeat way, want 1", got-before)
		}
		if out[0].CreditedSeconds != 30 || out[1].CreditedSeconds != 0 || out[2].CreditedSeconds != 0 || rows() != 3 {
			t.Fatalf("outcomes %+v, %d rows; want 30, 0, 0 s credited and 3 rows", out, rows())
		}

		x.clk.Add(time.Minute)
		stored := x.event(0, "heartbeat", 30)
		_, remembered := x.st.HeartbeatBatches()
		if got := x.record(t, stored)[0].CreditedSeconds; got != 30 {
			t.Errorf("the next batch credited %d s, want 30", got)
		}
		if _, r := x.st.HeartbeatBatches(); r != remembered+1 {
			t.Error("the learner's next batch did not use the activity remembered from the last")
		}
		x.clk.Add(time.Minute)
		fresh := x.event(1, "heartbeat", 40)
		if _, err := x.st.RecordHeartbeats(ctx, []store.ProgressInput{fresh, stored}, cxFinisher()); !errors.Is(err, store.ErrRaced) {
			t.Fatalf("a batch holding a stored event id: %v, want ErrRaced", err)
		}
		// Cycle every pooled connection: a transaction left open would be
		// committed by the next START TRANSACTION on its connection.
		for i := 0; i < 20; i++ {
			x.clk.Add(time.Second)
			if _, err := x.st.RecordHeartbeats(ctx, []store.ProgressInput{x.event(0, "heartbeat", 1)}, cxFinisher()); err != nil {
				t.Fatal(err)
			}
		}
		var n int
		if err := x.st.DB().QueryRow("SELECT COUNT(*) FROM progress_events WHERE user_id = ? AND event_key = ?", fresh.UserID, keyOf(t, fresh.EventID)).Scan(&n); err != nil || n != 0 {
			t.Fatalf("the raced batch's event was kept: %d rows, %v", n, err)
		}
		active := x.activeSeconds(t)
		x.clk.Add(time.Minute)
		out = x.record(t, fresh, stored)
		if out[0].Duplicate || out[0].CreditedSeconds != 40 || !out[1].Duplicate {
			t.Errorf("the raced batch written again = %+v, want 40 s credited and a duplicate", out)
		}
		if got := x.activeSeconds(t); got != active+40 {
			t.Errorf("active seconds %d, want %d", got, active+40)
		}
	})
}

// Two instances on one database: credit worked out from what one instance
// remembers of a learner is checked against the database in the same
// request, so time the other instance credited meanwhile counts once.
// twoInstances is one learner enrolled in the course "two" on a fresh
// MariaDB database, seen through two stores as two app instances would.
func twoInstances(t *testing.T, base string) (x, y *cxLearner) {
	t.Helper()
	ctx := context.Background()
	clk := storetest.NewClock()
	dbURL := storetest.FreshMySQLURL(t, base)
	open := func() *store.Store {
		st, err := store.Open(ctx, store.Options{DatabaseURL: dbURL, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	a, b := open(), open()
	if _, err := a.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	coursetest.Import(t, a, coursetest.Simple("two"))
	u := cxUser(t, a, "wang")
	c := cxEnroll(t, a, u, "two")
	lessons := coursetest.Lessons(t, a, "two")
	return &cxLearner{st: a, clk: clk, u: u, c: c, lessons: lessons},
		&cxLearner{st: b, clk: clk, u: u, c: c, lessons: lessons}
}

func TestHeartbeatsFromTwoInstances(t *testing.T) {
	base := os.Getenv("XUETANG_TEST_MYSQL_URL")
	if base == "" {
		t.Skip("XUETANG_TEST_MYSQL_URL not set")
	}
	x, y := twoInstances(t, base)
	clk, a := x.clk, x.st

	clk.Add(time.Minute)
	if got := x.record(t, x.event(0, "heartbeat", 60))[0].CreditedSeconds; got != 60 {
		t.Fatalf("first heartbeat credited %d s, want 60", got)
	}
	clk.Add(30 * time.Second)
	if got := y.record(t, y.event(1, "heartbeat", 60))[0].CreditedSeconds; got != 30 {
		t.Fatalf("the other instance credited %d s, want 30", got)
	}
	clk.Add(10 * time.Second)
	before, _ := a.HeartbeatBatches()
	if got := x.record(t, x.event(0, "heartbeat", 60))[0].CreditedSeconds; got != 10 {
		t.Errorf("after the other instance's heartbeat: credited %d s, want 10 (the wall clock since it)", got)
	}
	if all, _ := a.HeartbeatBatches(); all != before+1 {
		t.Error("the batch was not written the heartbeat way")
	}
	clk.Add(20 * time.Second)
	if got := x.record(t, x.event(0, "heartbeat", 60))[0].CreditedSeconds; got != 20 {
		t.Errorf("next heartbeat credited %d s, want 20", got)
	}
	if got := x.activeSeconds(t); got != 120 {
		t.Errorf("active seconds %d, want 120: the wall clock since enrolment", got)
	}
}

// A quiz attempt on one instance is activity the other instance's
// remembered value knows nothing of: the attempt moves the learner's
// activity row, so the other instance's next batch is checked against it.
// When the attempt added the learner's newest lesson row, credit counts
// from the attempt; when it did not, from the lesson rows, and the activity
// row is set right again.
func TestHeartbeatsAfterQuizOnOtherInstance(t *testing.T) {
	base := os.Getenv("XUETANG_TEST_MYSQL_URL")
	if base == "" {
		t.Skip("XUETANG_TEST_MYSQL_URL not set")
	}
	for _, tc := range []struct {
		name      string
		opened    bool // the quiz lesson was opened before the attempt
		want      int  // seconds credited to the heartbeat after the attempt
		heartbeat bool // and written the heartbeat way
	}{
		{"quiz on a lesson not opened", false, 10, true},
		{"quiz on an opened lesson", true, 30, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, y := twoInstances(t, base)
			clk, a := x.clk, x.st
			if tc.opened {
				x.record(t, x.event(0, "open", 0))
			}
			clk.Add(time.Minute)
			if got := x.record(t, x.event(2, "heartbeat", 60))[0].CreditedSeconds; got != 60 {
				t.Fatalf("first heartbeat credited %d s, want 60", got)
			}
			clk.Add(20 * time.Second)
			cxAttempt(t, y.st, y.u, y.c, y.lessons[0], 100)
			clk.Add(10 * time.Second)
			before, _ := a.HeartbeatBatches()
			if got := x.record(t, x.event(2, "heartbeat", 60))[0].CreditedSeconds; got != tc.want {
				t.Errorf("heartbeat after the other instance's quiz credited %d s, want %d", got, tc.want)
			}
			if all, _ := a.HeartbeatBatches(); (all == before+1) != tc.heartbeat {
				t.Errorf("written the heartbeat way: %v, want %v", all == before+1, tc.heartbeat)
			}
			clk.Add(5 * time.Second)
			before, _ = a.HeartbeatBatches()
			if got := x.record(t, x.event(2, "heartbeat", 60))[0].CreditedSeconds; got != 5 {
				t.Errorf("next heartbeat credited %d s, want 5", got)
			}
			// The activity row agrees with the lesson rows again.
			if all, _ := a.HeartbeatBatches(); all != before+1 {
				t.Error("the next batch was not written the heartbeat way")
			}
		})
	}
}

// A learner whose lesson rows predate their activity row (active before
// migration 00022, or filled in by the data generator) is credited from the
// lesson rows, and has the row from then on.
func TestHeartbeatsWithoutActivityRow(t *testing.T) {
	base := os.Getenv("XUETANG_TEST_MYSQL_URL")
	if base == "" {
		t.Skip("XUETANG_TEST_MYSQL_URL not set")
	}
	x, y := twoInstances(t, base)
	clk := x.clk
	clk.Add(time.Minute)
	if got := x.record(t, x.event(0, "heartbeat", 60))[0].CreditedSeconds; got != 60 {
		t.Fatalf("first heartbeat credited %d s, want 60", got)
	}
	if _, err := x.st.DB().Exec("DELETE FROM learner_activity WHERE user_id = ?", x.u.ID); err != nil {
		t.Fatal(err)
	}
	clk.Add(25 * time.Second)
	// y has written nothing for the learner: it reads the lesson rows.
	if got := y.record(t, y.event(1, "heartbeat", 60))[0].CreditedSeconds; got != 25 {
		t.Errorf("credited %d s, want 25: the wall clock since the lesson rows' latest activity", got)
	}
	var last time.Time
	if err := x.st.DB().QueryRow("SELECT last_at FROM learner_activity WHERE user_id = ?", x.u.ID).Scan(&last); err != nil {
		t.Fatalf("no activity row after the batch: %v", err)
	}
	if want := clk.Now().UTC().Truncate(time.Millisecond); !last.Equal(want) {
		t.Errorf("activity row says %v, want %v", last, want)
	}
}

// A server that ignores CHECK constraints (MySQL before 8.0.16, TiDB by
// default) cannot refuse a stale activity row, so no batch goes the
// heartbeat way there; credit stays the wall clock.
func TestHeartbeatsWithoutCheckConstraints(t *testing.T) {
	base := os.Getenv("XUETANG_TEST_MYSQL_URL")
	if base == "" {
		t.Skip("XUETANG_TEST_MYSQL_URL not set")
	}
	x, y := twoInstances(t, base)
	if _, err := x.st.DB().Exec("ALTER TABLE learner_activity DROP CONSTRAINT ck_learner_activity_seq"); err != nil {
		t.Fatal(err)
	}
	clk := x.clk
	for i, want := range []int{60, 20, 15} {
		clk.Add(time.Duration(want) * time.Second)
		l := x
		if i == 1 {
			l = y
		}
		if got := l.record(t, l.event(i, "heartbeat", 60))[0].CreditedSeconds; got != want {
			t.Errorf("heartbeat %d credited %d s, want %d", i, got, want)
		}
	}
	for _, st := range []*store.Store{x.st, y.st} {
		if all, _ := st.HeartbeatBatches(); all != 0 {
			t.Errorf("%d batches went the heartbeat way without the CHECK", all)
		}
	}
}

// A server that answers the probe with some other error (here a trigger's)
// is taken at its word once: batches go the general way and the probe is
// not repeated before each of them.
func TestHeartbeatsProbeAnsweredOtherwise(t *testing.T) {
	base := os.Getenv("XUETANG_TEST_MYSQL_URL")
	if base == "" {
		t.Skip("XUETANG_TEST_MYSQL_URL not set")
	}
	x, _ := twoInstances(t, base)
	db := x.st.DB()
	// MyISAM: the count survives the probe's rollback.
	for _, q := range []string{
		"CREATE TABLE probe_count (n INT NOT NULL) ENGINE=MyISAM",
		`CREATE TRIGGER probe_refused BEFORE INSERT ON learner_activity FOR EACH ROW
		 BEGIN
		   IF NEW.user_id = 0 THEN
		     INSERT INTO probe_count (n) VALUES (1);
		     SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'no probes here';
		   END IF;
		 END`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range []int{60, 20, 15} {
		x.clk.Add(time.Duration(want) * time.Second)
		if got := x.record(t, x.event(i, "heartbeat", 60))[0].CreditedSeconds; got != want {
			t.Errorf("heartbeat %d credited %d s, want %d", i, got, want)
		}
	}
	if all, _ := x.st.HeartbeatBatches(); all != 0 {
		t.Errorf("%d batches went the heartbeat way", all)
	}
	var probes int
	if err := db.QueryRow("SELECT COUNT(*) FROM probe_count").Scan(&probes); err != nil || probes != 1 {
		t.Errorf("the server was probed %d times (%v), want once", probes, err)
	}
}

// Batches of many learners from two instances at once, the learners in
// different orders, some of them the general way: none fails (each batch
// takes its learners' rows in one order), and each learner is credited the
// 30 s of their first event once (the clock stands still: every later one
// gets nothing).
func TestHeartbeatBatchesFromTwoInstancesOverlap(t *testing.T) {
	base := os.Getenv("XUETANG_TEST_MYSQL_URL")
	if base == "" {
		t.Skip("XUETANG_TEST_MYSQL_URL not set")
	}
	x, y := twoInstances(t, base)
	ctx := context.Background()
	learners := []*cxLearner{x}
	for i := 0; i < 11; i++ {
		u := cxUser(t, x.st, fmt.Sprintf("li%d", i))
		cxEnroll(t, x.st, u, "two")
		learners = append(learners, &cxLearner{st: x.st, clk: x.clk, u: u, c: x.c, lessons: x.lessons})
	}
	x.clk.Add(time.Hour)
	var wg sync.WaitGroup
	errc := make(chan error, 64)
	for w := 0; w < 8; w++ {
		st := x.st
		if w%2 == 1 {
			st = y.st
		}
		wg.Add(1)
		go func(w int, st *store.Store) {
			defer wg.Done()
			for round := 0; round < 15; round++ {
				var batch []store.ProgressInput
				for i := range learners {
					l := learners[(i*(w+1)+round)%len(learners)]
					batch = append(batch, l.event(round%3, "heartbeat", 30))
				}
				if w%4 == 3 {
					batch = append(batch, learners[w].event(2, "complete", 30)) // the general way
				}
				if _, err := st.RecordProgress(ctx, batch, cxFinisher()); err != nil {
					errc <- fmt.Errorf("writer %d round %d: %w", w, round, err)
					return
				}
			}
		}(w, st)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	for _, l := range learners {
		if got := l.activeSeconds(t); got != 30 {
			t.Errorf("%s credited %d s, want 30", l.u.Username, got)
		}
	}
}

// Two instances writing one learner's events at the same moment: the second
// batch must wait for the first and credit only the time after it, whichever
// way it is written.
func TestTwoInstancesAtOnceCreditTheWallClockOnce(t *testing.T) {
	base := os.Getenv("XUETANG_TEST_MYSQL_URL")
	if base == "" {
		t.Skip("XUETANG_TEST_MYSQL_URL not set")
	}
	cases := []struct {
		name     string
		warm     bool // the second instance has written for the learner before
		complete bool // its event is a completion (the general way)
	}{
		{"heartbeat read first", false, false},
		{"heartbeat from remembered activity", true, false},
		{"completion", false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x, y := twoInstances(t, base)
			ctx := context.Background()
			credited, wall := 0, 60
			if tc.warm {
				wall += 10
				x.clk.Add(10 * time.Second)
				credited += y.record(t, y.event(1, "heartbeat", 60))[0].CreditedSeconds
			}
			x.clk.Add(time.Minute)

			paused, release := make(chan struct{}), make(chan struct{})
			var once sync.Once
			x.st.PauseBeforeHeartbeatCommit(func() {
				once.Do(func() {
					close(paused)
					<-release
				})
			})
			type result struct {
				out []store.ProgressOutcome
				err error
			}
			first, second := make(chan result, 1), make(chan result, 1)
			go func() {
				out, err := x.st.RecordProgress(ctx, []store.ProgressInput{x.event(0, "heartbeat", 60)}, cxFinisher())
				first <- result{out, err}
			}()
			select {
			case <-paused:
			case r := <-first:
				t.Fatalf("the first batch did not take the heartbeat way: %+v", r)
			}
			typ := "heartbeat"
			if tc.complete {
				typ = "complete"
			}
			go func() {
				out, err := y.st.RecordProgress(ctx, []store.ProgressInput{y.event(2, typ, 60)}, cxFinisher())
				second <- result{out, err}
			}()
			// The second batch must block on the learner's lock while the
			// first holds it, and finish only once the first commits. A
			// batch that does not wait finishes here on its own, and the
			// credit check below could not tell: it only sums.
			if err := waitForLockWait(ctx, x.st, second); err != nil {
				close(release)
				t.Fatal(err)
			}
			select {
			case r := <-second:
				close(release)
				t.Fatalf("the second batch finished while the first held the lock: %+v", r)
			case <-time.After(200 * time.Millisecond):
			}
			close(release)
			for _, ch := range []chan result{first, second} {
				r := <-ch
				if r.err != nil {
					t.Fatal(r.err)
				}
				credited += r.out[0].CreditedSeconds
			}
			if credited != wall {
				t.Errorf("credited %d s in all, want %d: the wall clock since enrolment", credited, wall)
			}
			if got := x.activeSeconds(t); got != wall {
				t.Errorf("active seconds %d, want %d", got, wall)
			}
		})
	}
}

// waitForLockWait returns once another connection to st's database is
// running a locking read, and fails if done receives first (the batch that
// should wait finished) or nothing waits within a few seconds. The batch
// holding the lock sleeps between statements, so a write to the learners'
// activity rows still running is the other batch's, waiting. (MariaDB's
// information_schema.innodb_trx did not reliably list that wait.)
func waitForLockWait[T any](ctx context.Context, st *store.Store, done <-chan T) error {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		var n int
		if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.processlist
			WHERE db = DATABASE() AND id <> CONNECTION_ID() AND command = 'Query' AND info LIKE '%INSERT INTO %learner_activity%'`).
			Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		select {
		case r := <-done:
			return fmt.Errorf("the second batch finished without waiting for the first's lock: %+v", r)
		case <-time.After(5 * time.Millisecond):
		}
	}
	return errors.New("the second batch never waited for the first's lock")
}

func TestDuplicateEventCountsOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		x := cxSetup(t, b)
		x.clk.Add(time.Minute)
		ev := x.event(0, "heartbeat", 30)
		first := x.record(t, ev)[0]
		if first.Duplicate || first.CreditedSeconds != 30 {
			t.Fatalf("first = %+v, want 30 s credited", first)
		}
		x.clk.Add(time.Minute)
		second := x.record(t, ev)[0]
		if !second.Duplicate || second.CreditedSeconds != 0 {
			t.Errorf("retry = %+v, want a duplicate crediting nothing", second)
		}
		// Twice in the same batch, as a flaky network can deliver it.
		again := x.event(0, "heartbeat", 20)
		out := x.record(t, again, again)
		if out[0].Duplicate || !out[1].Duplicate {
			t.Errorf("same id twice in one batch = %+v", out)
		}
		if got := x.activeSeconds(t); got != 50 {
			t.Errorf("active seconds = %d, want 30 + 20", got)
		}
		var rows int
		if err := x.st.DB().QueryRow("SELECT COUNT(*) FROM progress_events").Scan(&rows); err != nil || rows != 2 {
			t.Errorf("progress_events rows = %d, %v; want 2", rows, err)
		}
	})
}

// Time on task never exceeds the wall-clock time since the learner's
// previous event, whatever the client claims and however many tabs send it.
func TestHeartbeatFloodIsCappedByWallClock(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		x := cxSetup(t, b)
		// 100 heartbeats claiming 60 s each, spread over 10 s of real time,
		// alternating between two lessons as two open tabs would.
		credited := 0
		for i := 0; i < 100; i++ {
			x.clk.Add(100 * time.Millisecond)
			out := x.record(t, x.event(i%2, "heartbeat", 60))[0]
			credited += out.CreditedSeconds
		}
		if credited > 10 {
			t.Errorf("credited %d s over 10 s of wall-clock time", credited)
		}
		// The same flood in one batch: one commit, same cap.
		x.clk.Add(10 * time.Second)
		var batch []store.ProgressInput
		for i := 0; i < 100; i++ {
			batch = append(batch, x.event(i%2, "heartbeat", 60))
		}
		for _, o := range x.record(t, batch...) {
			credited += o.CreditedSeconds
		}
		if credited > 20 {
			t.Errorf("credited %d s over 20 s of wall-clock time", credited)
		}
		if got := x.activeSeconds(t); got > 20 || got != credited {
			t.Errorf("active seconds = %d (credited %d), want at most 20", got, credited)
		}
		// An honest heartbeat after half a minute is credited in full,
		// and one claiming an hour is held to the per-event cap.
		x.clk.Add(30 * time.Second)
		if o := x.record(t, x.event(0, "heartbeat", 30))[0]; o.CreditedSeconds != 30 {
			t.Errorf("honest heartbeat credited %d, want 30", o.CreditedSeconds)
		}
		x.clk.Add(time.Hour)
		if o := x.record(t, x.event(0, "heartbeat", 3600))[0]; o.CreditedSeconds != learning.MaxCreditPerEvent {
			t.Errorf("hour-long claim credited %d, want %d", o.CreditedSeconds, learning.MaxCreditPerEvent)
		}
	})
}

func TestEventsBeforeEnrolmentTimeCreditNothing(t *testing.T) {
	x := cxSetup(t, storetest.Backends(t)[0])
	// No clock movement since enrolment: nothing can have been spent.
	if o := x.record(t, x.event(0, "open", 60))[0]; o.CreditedSeconds != 0 {
		t.Errorf("credited %d s at the instant of enrolment", o.CreditedSeconds)
	}
}

// finishAllButQuiz completes every lesson and passes the practice quiz, so
// only the intro quiz stands between the learner and completion.
func (x *cxLearner) finishAllButQuiz(t *testing.T) {
	t.Helper()
	for i := range x.lessons {
		if o := x.record(t, x.event(i, "complete", 0))[0]; !o.LessonCompleted || o.Completion.Completed {
			t.Fatalf("complete lesson %d = %+v", i, o)
		}
	}
	if c := cxAttempt(t, x.st, x.u, x.c, x.lessons[1], 100); c.Completed {
		t.Fatal("completed with the intro quiz never taken")
	}
}

func TestCompletionIssuesOneCertificateAndCreditsHours(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		x := cxSetup(t, b)
		x.clk.Add(time.Hour)
		x.finishAllButQuiz(t)

		// Average (20 + 100) / 2 = 60 reaches the pass score of 60 exactly.
		comp := cxAttempt(t, x.st, x.u, x.c, x.lessons[0], 20)
		if !comp.Completed || comp.Serial == "" {
			t.Fatalf("attempt = %+v, want the course complete with a serial", comp)
		}
		e, err := x.st.EnrollmentOf(ctx, x.u.ID, x.c.ID)
		if err != nil || e.CompletedAt == nil || e.HoursCredited != 2 {
			t.Fatalf("enrolment = %+v, %v; want completed with 2 hours", e, err)
		}
		if !e.CompletedAt.Equal(x.clk.Now()) {
			t.Errorf("completed at %v, want %v", e.CompletedAt, x.clk.Now())
		}
		hours, _, err := x.st.HoursBetween(ctx, x.u.ID, x.clk.Now().Add(-time.Minute), x.clk.Now().Add(time.Minute))
		if err != nil || hours != 2 {
			t.Errorf("HoursBetween = %v, %v; want 2", hours, err)
		}
		cert, err := x.st.CertificateBySerial(ctx, comp.Serial)
		if err != nil {
			t.Fatal(err)
		}
		if cert.LearnerName != x.u.DisplayName || cert.CourseTitle != "Course progress" || cert.StudyHours != 2 {
			t.Errorf("certificate = %+v", cert)
		}

		// Later writes report the same completion and issue nothing new.
		x.clk.Add(time.Minute)
		if again := cxAttempt(t, x.st, x.u, x.c, x.lessons[0], 100); !again.Completed || again.Serial != comp.Serial {
			t.Errorf("later attempt = %+v, want serial %s", again, comp.Serial)
		}
		if o := x.record(t, x.event(2, "complete", 0))[0]; !o.Completion.Completed || o.Completion.Serial != comp.Serial {
			t.Errorf("later complete event = %+v", o)
		}
		if cs := x.certificates(t); len(cs) != 1 {
			t.Errorf("%d certificates, want 1", len(cs))
		}
		if _, err := x.st.CertificateBySerial(ctx, "XT-0000-0000-0000-0000"); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("unknown serial: %v", err)
		}
	})
}

// Requests finishing the course at the same moment (two tabs, two app
// instances) must issue one certificate and all report it.
func TestConcurrentCompletionIssuesOneCertificate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		x := cxSetup(t, b)
		x.clk.Add(time.Hour)
		x.finishAllButQuiz(t)
		// Pass the last quiz under a rule that never completes, so the
		// course is done but not yet marked: every write below may be the
		// one that completes it.
		never := cxFinisher()
		never.CourseDone = func(store.CourseState) bool { return false }
		if _, err := x.st.RecordAttempt(context.Background(), store.QuizAttempt{UserID: x.u.ID, CourseID: x.c.ID,
			LessonID: x.lessons[0].ID, LessonSlug: x.lessons[0].Slug, Score: 100, Passed: true, Answers: "{}"}, never); err != nil {
			t.Fatal(err)
		}
		const n = 12
		var wg sync.WaitGroup
		serials := make([]string, n)
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				var c store.Completion
				var err error
				if i%4 == 3 {
					c, err = x.st.RecordAttempt(context.Background(), store.QuizAttempt{UserID: x.u.ID, CourseID: x.c.ID,
						LessonID: x.lessons[1].ID, LessonSlug: x.lessons[1].Slug, Score: 100, Passed: true, Answers: "{}"}, cxFinisher())
				} else {
					// Each on its own progress row, so no row lock but the
					// enrolment's orders them: as events for lessons of an
					// older version, still open in other tabs, would be.
					ev := x.event(2, "complete", 0)
					ev.LessonSlug = fmt.Sprintf("old-lesson-%d", i)
					var out []store.ProgressOutcome
					out, err = x.st.RecordProgress(context.Background(), []store.ProgressInput{ev}, cxFinisher())
					if err == nil {
						c = out[0].Completion
					}
				}
				if err != nil {
					t.Errorf("writer %d: %v", i, err)
					return
				}
				serials[i] = c.Serial
			}()
		}
		close(start)
		wg.Wait()
		cs := x.certificates(t)
		if len(cs) != 1 {
			t.Fatalf("%d certificates, want 1", len(cs))
		}
		for i, s := range serials {
			if s != cs[0].Serial {
				t.Errorf("writer %d got serial %q, want %q", i, s, cs[0].Serial)
			}
		}
	})
}

// The last two things a learner does can land at the same moment: the
// final quiz (one request) and the last lesson's "complete" event (the
// recorder, or another app instance). Whichever commits second must see the
// other's write and complete the course; on MySQL a transaction reading from
// a snapshot taken before the other committed would leave the course
// finished but never marked complete.
func TestSimultaneousLastWritesComplete(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		if b.URL == "" {
			continue // SQLite runs one write transaction at a time
		}
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			x := cxSetup(t, b)
			x.clk.Add(time.Hour)
			// Everything done but the wrapup lesson and the intro quiz.
			x.record(t, x.event(0, "complete", 0), x.event(1, "complete", 0))
			cxAttempt(t, x.st, x.u, x.c, x.lessons[1], 100)

			// The quiz's transaction holds the enrolment lock and pauses in
			// the completion rule, which (not seeing the wrapup lesson yet)
			// will say no.
			inRule, resume := make(chan struct{}), make(chan struct{})
			var once sync.Once
			paused := cxFinisher()
			paused.CourseDone = func(st store.CourseState) bool {
				once.Do(func() { close(inRule); <-resume })
				return learning.Complete(st)
			}
			quiz := make(chan store.Completion, 1)
			go func() {
				c, err := x.st.RecordAttempt(ctx, store.QuizAttempt{UserID: x.u.ID, CourseID: x.c.ID, LessonID: x.lessons[0].ID,
					LessonSlug: x.lessons[0].Slug, Score: 100, Passed: true, Answers: "{}"}, paused)
				if err != nil {
					t.Error(err)
				}
				quiz <- c
			}()
			<-inRule
			// The complete event starts now and waits for the enrolment lock.
			event := make(chan store.ProgressOutcome, 1)
			go func() {
				out, err := x.st.RecordProgress(ctx, []store.ProgressInput{x.event(2, "complete", 0)}, cxFinisher())
				if err != nil {
					t.Error(err)
					out = make([]store.ProgressOutcome, 1)
				}
				event <- out[0]
			}()
			// Wait until the event's transaction is blocked behind the quiz's:
			// on the learner's activity row (the quiz's transaction took it
			// first) or on the enrolment row.
			deadline := time.Now().Add(10 * time.Second)
			for {
				var waiting int
				if err := x.st.DB().QueryRow("SELECT COUNT(*) FROM information_schema.processlist WHERE db = DATABASE() " +
					"AND command = 'Query' AND (info LIKE 'SELECT%FOR UPDATE' OR info LIKE 'INSERT INTO %learner_activity%')").Scan(&waiting); err != nil {
					t.Fatal(err)
				}
				if waiting > 0 {
					break
				}
				if time.Now().After(deadline) {
					close(resume)
					t.Fatal("the complete event never waited for the quiz's locks")
				}
				time.Sleep(5 * time.Millisecond)
			}
			close(resume)
			q, ev := <-quiz, <-event
			if q.Completed {
				t.Error("the quiz completed the course before the last lesson was committed")
			}
			if !ev.Completion.Completed || ev.Completion.Serial == "" {
				t.Errorf("the event that came second = %+v, want it to complete the course", ev)
			}
			e, err := x.st.EnrollmentOf(ctx, x.u.ID, x.c.ID)
			if err != nil || e.CompletedAt == nil {
				t.Errorf("enrolment = %+v, %v: everything is done but the course is not complete", e, err)
			}
		})
	}
}
