package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// openEmpty connects to a brand-new database without migrating it.
func openEmpty(t *testing.T, b storetest.Backend) *store.Store {
	t.Helper()
	o := store.Options{SQLitePath: filepath.Join(t.TempDir(), "empty.db")}
	if b.URL != "" {
		o = store.Options{DatabaseURL: storetest.FreshMySQLURL(t, b.URL)}
	}
	st, err := store.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func migrationFiles(t *testing.T, d store.Dialect) []string {
	t.Helper()
	names, err := fs.Glob(store.MigrationsFS(d), "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatalf("no %s migrations embedded", d)
	}
	return names
}

func tables(t *testing.T, st *store.Store) []string {
	t.Helper()
	q := "SELECT name FROM sqlite_master WHERE type = 'table'"
	if st.Dialect() == store.MySQL {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
	}
	rows, err := st.DB().Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.ToLower(n))
	}
	return out
}

// The data model the whole mission builds on; a migration that forgets one
// of these breaks a later feature on a live school's database.
var wantTables = []string{
	"regions", "institutions", "users", "courses", "course_versions", "lessons", "questions",
	"enrollments", "lesson_progress", "progress_events", "quiz_attempts", "certificates",
	"classes", "class_members", "assignments", "study_hour_targets", "audit_log",
	"sessions", "throttle_counters",
}

func TestMigrateFromEmpty(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := openEmpty(t, b)
		if slices.Contains(tables(t, st), "users") {
			t.Fatal("fresh database already has tables")
		}
		want := int64(len(migrationFiles(t, st.Dialect())))
		v, err := st.Migrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v != want {
			t.Errorf("Migrate reports version %d, want %d (one per file)", v, want)
		}
		if sv, err := st.SchemaVersion(ctx); err != nil || sv != want {
			t.Errorf("SchemaVersion = %d, %v; want %d", sv, err, want)
		}
		got := tables(t, st)
		for _, tb := range wantTables {
			if !slices.Contains(got, tb) {
				t.Errorf("table %s missing after migration", tb)
			}
		}
		// serve and `xuetang migrate` both run Migrate on every start.
		if v, err := st.Migrate(ctx); err != nil || v != want {
			t.Errorf("second Migrate = %d, %v; want %d, nil", v, err, want)
		}
		// The seed gives a deployment with no region data a root region.
		if r, err := st.RegionByCode(ctx, "000000"); err != nil || r.Name != "全国" {
			t.Errorf("root region = %+v, %v", r, err)
		}
	})
}

func TestMigrationsExistForBothDialects(t *testing.T) {
	t.Parallel()
	sq, my := migrationFiles(t, store.SQLite), migrationFiles(t, store.MySQL)
	if !slices.Equal(sq, my) {
		t.Errorf("migration files differ:\n sqlite %v\n mysql  %v", sq, my)
	}
	for i, n := range sq {
		// goose reads the version from the prefix; versions must count up
		// from 1 so "version == number of files" holds.
		want := fmt.Sprintf("%05d_", i+1)
		if !strings.HasPrefix(n, want) {
			t.Errorf("migration %d is %q, want prefix %q", i+1, n, want)
		}
	}
}

// The broken migration creates a table and then fails. On SQLite the whole
// migration is one transaction, so the table must not survive; MySQL commits
// DDL implicitly, which is why every migration uses IF NOT EXISTS. On both,
// the recorded version must stay where it was, so the next start retries it.
const brokenMigration = `-- +goose Up
CREATE TABLE broken_probe (id INTEGER);
INSERT INTO no_such_table (id) VALUES (1);

-- +goose Down
DROP TABLE broken_probe;
`

func TestFailingMigrationKeepsPreviousVersion(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := b.Open(t, nil)
		before, err := st.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		real := store.MigrationsFS(st.Dialect())
		doctored := fstest.MapFS{"99999_broken.sql": {Data: []byte(brokenMigration)}}
		for _, n := range migrationFiles(t, st.Dialect()) {
			data, err := fs.ReadFile(real, n)
			if err != nil {
				t.Fatal(err)
			}
			doctored[n] = &fstest.MapFile{Data: data}
		}
		if _, err := st.MigrateFS(ctx, doctored); err == nil {
			t.Fatal("the broken migration did not fail")
		}
		after, err := st.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if after != before {
			t.Errorf("version moved from %d to %d after a failed migration", before, after)
		}
		if st.Dialect() == store.SQLite && slices.Contains(tables(t, st), "broken_probe") {
			t.Error("the failed migration's table survived: it did not run in a transaction")
		}
		// The database is still usable and still at the real head.
		if v, err := st.Migrate(ctx); err != nil || v != before {
			t.Errorf("Migrate after failure = %d, %v", v, err)
		}
		now := time.Now().UTC()
		if err := st.CreateUser(ctx, &store.User{Username: "after", DisplayName: "after", PasswordHash: "x", Role: "learner",
			Locale: "zh-CN", CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Errorf("store unusable after failed migration: %v", err)
		}
	})
}

// MySQL tables must declare utf8mb4 themselves: a server whose default is
// latin1 or utf8mb3 would otherwise mangle 张伟 or reject emoji.
func TestMySQLTablesAreUTF8MB4(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		if b.URL == "" {
			t.Skip("MySQL only")
		}
		st := b.Open(t, nil)
		var bad []string
		rows, err := st.DB().Query(`SELECT table_name, table_collation FROM information_schema.tables
			WHERE table_schema = DATABASE() AND table_name <> 'goose_db_version'`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var n string
			var coll sql.NullString
			if err := rows.Scan(&n, &coll); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(coll.String, "utf8mb4_") {
				bad = append(bad, n+"="+coll.String)
			}
		}
		if len(bad) > 0 {
			t.Errorf("tables without a utf8mb4 collation: %v", bad)
		}
		var cols int
		if err := st.DB().QueryRow(`SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE()
			AND character_set_name IS NOT NULL AND character_set_name <> 'utf8mb4' AND table_name <> 'goose_db_version'`).Scan(&cols); err != nil {
			t.Fatal(err)
		}
		if cols > 0 {
			t.Errorf("%d text columns are not utf8mb4", cols)
		}
	})
}

func TestSQLitePragmas(t *testing.T) {
	t.Parallel()
	st := storetest.OpenSQLite(t, nil)
	for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "10000"} {
		var got string
		if err := st.DB().QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
}
