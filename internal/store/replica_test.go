package store_test

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// syncBuffer is a log sink the replica's checker writes to from its own goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// asOf reads stats_state.as_of through a reader; the zero time for NULL.
func asOf(t *testing.T, st *store.Store) time.Time {
	t.Helper()
	a, err := st.StatsAsOf(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if a == nil {
		return time.Time{}
	}
	return a.UTC()
}

// A real MariaDB primary and replica, started by the test: reads go to the
// replica while it is fit, and to the primary when it is too far behind,
// not replicating, on another schema version or down.
func TestReadReplica(t *testing.T) {
	if !storetest.HaveMariaDB() {
		t.Skip("mariadbd and mariadb-install-db not installed")
	}
	ctx := context.Background()
	prim, rep := storetest.ReplicatedMariaDB(t)
	prim.Exec(t, "CREATE DATABASE xt CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
	st, err := store.Open(ctx, store.Options{DatabaseURL: prim.URL("xt")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	version, err := st.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	storetest.WaitFor(t, 20*time.Second, "the replica to apply the migrations", func() bool {
		return rep.QueryInt(t, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'xt' AND table_name = 'goose_db_version'") == 1 &&
			rep.QueryInt(t, "SELECT COALESCE(MAX(version_id), 0) FROM xt.goose_db_version") == version &&
			rep.SlaveStatus(t, "Seconds_Behind_Master") == "0"
	})

	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	if err := st.OpenReplica(ctx, store.ReplicaOptions{URL: rep.URL("xt"), MaxLag: 30 * time.Second,
		CheckEvery: 100 * time.Millisecond, Log: log}); err != nil {
		t.Fatal(err)
	}
	// A second instance with a tight lag limit, on the same pair.
	strict, err := store.Open(ctx, store.Options{DatabaseURL: prim.URL("xt")})
	if err != nil {
		t.Fatal(err)
	}
	defer strict.Close()
	var strictLogs syncBuffer
	if err := strict.OpenReplica(ctx, store.ReplicaOptions{URL: rep.URL("xt"), MaxLag: time.Second,
		CheckEvery: 100 * time.Millisecond, Log: slog.New(slog.NewTextHandler(&strictLogs, nil))}); err != nil {
		t.Fatal(err)
	}
	source := func(s *store.Store) store.ReadSource { _, src := s.Reader(); return src }
	onReplica := func(s *store.Store) func() bool {
		return func() bool { return source(s).Source == store.SourceReplica }
	}
	onPrimary := func(s *store.Store) func() bool {
		return func() bool { return source(s).Source == store.SourcePrimary }
	}

	// Caught up: the replica answers, 0 s behind.
	storetest.WaitFor(t, 5*time.Second, "the replica in use", onReplica(st))
	if src := source(st); src.LagSeconds == nil || *src.LagSeconds != 0 {
		t.Fatalf("caught-up replica: %+v, want lag 0", src)
	}
	if !strings.Contains(logs.String(), "read replica in use") {
		t.Errorf("no log line for the replica taken into use:\n%s", logs.String())
	}

	// Behind: the replica holds back what the primary writes for an hour,
	// so the reader sees the old as-of time and says how far behind it is.
	rep.Exec(t, "STOP SLAVE", "CHANGE MASTER TO MASTER_DELAY=3600", "START SLAVE")
	written := time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)
	prim.Exec(t, "UPDATE xt.stats_state SET as_of = '2026-05-04 03:02:01' WHERE id = 1")
	if got := asOf(t, st); !got.Equal(written) {
		t.Fatalf("primary as of %v, want %v", got, written)
	}
	storetest.WaitFor(t, 10*time.Second, "a lag of 1 s or more", func() bool {
		src := source(st)
		return src.Source == store.SourceReplica && src.LagSeconds != nil && *src.LagSeconds >= 1
	})
	rd, src := st.Reader()
	if got := asOf(t, rd); got.Equal(written) {
		t.Fatalf("replica reader sees the primary's write (as of %v) while the replica is %d s behind", got, *src.LagSeconds)
	}

	// Further behind than the strict instance allows: it reads the primary
	// and says why; the lenient one keeps the replica.
	storetest.WaitFor(t, 10*time.Second, "the strict instance to leave the replica", onPrimary(strict))
	rd, src = strict.Reader()
	if got := asOf(t, rd); !got.Equal(written) || src.LagSeconds != nil {
		t.Fatalf("strict reader: as of %v, %+v; want the primary's %v and no lag", got, src, written)
	}
	if !strings.Contains(strictLogs.String(), "more than XUETANG_REPLICA_MAX_LAG 1s") {
		t.Errorf("no log line for the lag limit:\n%s", strictLogs.String())
	}
	if source(st).Source != store.SourceReplica {
		t.Fatal("the 30 s limit left the replica at a few seconds behind")
	}

	// Caught up again: both read the replica, which now has the write.
	rep.Exec(t, "STOP SLAVE", "CHANGE MASTER TO MASTER_DELAY=0", "START SLAVE")
	storetest.WaitFor(t, 10*time.Second, "the strict instance back on the replica", onReplica(strict))
	storetest.WaitFor(t, 10*time.Second, "the replica to apply the write", func() bool {
		rd, src := st.Reader()
		return src.Source == store.SourceReplica && asOf(t, rd).Equal(written)
	})

	// Replication stopped: the lag is unknown (NULL), so the primary answers.
	rep.Exec(t, "STOP SLAVE SQL_THREAD")
	storetest.WaitFor(t, 5*time.Second, "the primary while replication is stopped", onPrimary(st))
	if !strings.Contains(logs.String(), "replica not replicating") {
		t.Errorf("no log line for stopped replication:\n%s", logs.String())
	}
	rep.Exec(t, "START SLAVE SQL_THREAD")
	storetest.WaitFor(t, 5*time.Second, "the replica again", onReplica(st))

	// Another schema version (a replica not yet migrated, say): refused,
	// with a line naming both versions.
	rep.Exec(t, "DELETE FROM xt.goose_db_version WHERE version_id = "+strconv.FormatInt(version, 10))
	storetest.WaitFor(t, 5*time.Second, "the primary for a replica on another schema", onPrimary(st))
	want := "replica schema version " + strconv.FormatInt(version-1, 10) + " differs from the primary's " + strconv.FormatInt(version, 10)
	if !strings.Contains(logs.String(), want) {
		t.Errorf("no log line %q:\n%s", want, logs.String())
	}
	rep.Exec(t, "INSERT INTO xt.goose_db_version (version_id, is_applied) VALUES ("+strconv.FormatInt(version, 10)+", 1)")
	storetest.WaitFor(t, 5*time.Second, "the replica once its schema matches", onReplica(st))

	// Down: the primary answers, and reads keep working.
	rep.Stop()
	storetest.WaitFor(t, 10*time.Second, "the primary with the replica down", onPrimary(st))
	if !strings.Contains(logs.String(), "replica unreachable") {
		t.Errorf("no log line for the replica down:\n%s", logs.String())
	}
	rd, _ = st.Reader()
	if got := asOf(t, rd); !got.Equal(written) {
		t.Fatalf("with the replica down: as of %v, want %v", got, written)
	}
}

// Only a MySQL primary can have a replica; SQLite says so.
func TestReadReplicaNeedsMySQL(t *testing.T) {
	st := storetest.OpenSQLite(t, nil)
	if err := st.OpenReplica(context.Background(), store.ReplicaOptions{URL: "mysql://root@127.0.0.1:1/xt"}); err == nil {
		t.Fatal("OpenReplica on SQLite: no error")
	}
	rd, src := st.Reader()
	if rd != st || src.Source != store.SourcePrimary || src.LagSeconds != nil {
		t.Fatalf("Reader without a replica: %p %+v, want the store itself on the primary", rd, src)
	}
}
