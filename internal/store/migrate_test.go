package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"gorm.io/gorm/schema"

	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// openEmpty connects to a brand-new database without migrating it.
func openEmpty(t *testing.T, b storetest.Backend, now func() time.Time) *store.Store {
	t.Helper()
	o := store.Options{SQLitePath: filepath.Join(t.TempDir(), "empty.db"), Now: now}
	if b.URL != "" {
		o = store.Options{DatabaseURL: storetest.FreshMySQLURL(t, b.URL), Now: now}
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
		st := openEmpty(t, b, nil)
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

func TestMigrationsNumberedAlike(t *testing.T) {
	t.Parallel()
	versions := func(d store.Dialect) []string {
		var out []string
		for i, n := range migrationFiles(t, d) {
			// goose reads the version from the prefix; versions must count
			// up from 1 so "version == number of files" holds.
			want := fmt.Sprintf("%05d_", i+1)
			if !strings.HasPrefix(n, want) {
				t.Errorf("%s migration %d is %q, want prefix %q", d, i+1, n, want)
			}
			out = append(out, n[:len(want)])
		}
		return out
	}
	// What each version does is compared by TestSchemaSameInBothDialects.
	if sq, my := versions(store.SQLite), versions(store.MySQL); !slices.Equal(sq, my) {
		t.Errorf("migration versions differ:\n sqlite %v\n mysql  %v", sq, my)
	}
}

// dbTable is one table of a migrated database in names only: each dialect
// spells types its own way, and the suites that use a column test its type.
type dbTable struct {
	columns []string          // sorted
	indexes map[string]string // name -> "unique (a, b)" or "(a, b)"
}

// readSchema lists the tables, columns and secondary indexes a migration
// left. Primary keys are left out (SQLite names them sqlite_autoindex_*),
// as are the indexes MySQL adds by itself for foreign keys (named after the
// constraint; SQLite adds none).
func readSchema(t *testing.T, st *store.Store) map[string]*dbTable {
	t.Helper()
	db := st.DB()
	strs := func(q string, args ...any) [][]string {
		t.Helper()
		rows, err := db.Query(q, args...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var out [][]string
		for rows.Next() {
			vals := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			row := make([]string, len(cols))
			for i, v := range vals {
				row[i] = strings.ToLower(v.String)
			}
			out = append(out, row)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	out := map[string]*dbTable{}
	index := func(tb *dbTable, name string, unique bool, cols []string) {
		kind := ""
		if unique {
			kind = "unique "
		}
		tb.indexes[name] = kind + "(" + strings.Join(cols, ", ") + ")"
	}
	if st.Dialect() == store.SQLite {
		for _, r := range strs("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version'") {
			tb := &dbTable{indexes: map[string]string{}}
			out[r[0]] = tb
			for _, c := range strs("SELECT name FROM pragma_table_info(?)", r[0]) {
				tb.columns = append(tb.columns, c[0])
			}
			for _, ix := range strs(`SELECT name, "unique" FROM pragma_index_list(?) WHERE origin <> 'pk'`, r[0]) {
				var cols []string
				for _, c := range strs("SELECT name FROM pragma_index_info(?) ORDER BY seqno", ix[0]) {
					cols = append(cols, c[0])
				}
				index(tb, ix[0], ix[1] == "1", cols)
			}
		}
	} else {
		for _, r := range strs(`SELECT table_name FROM information_schema.tables
			WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' AND table_name <> 'goose_db_version'`) {
			out[r[0]] = &dbTable{indexes: map[string]string{}}
		}
		for _, r := range strs("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = DATABASE()") {
			if tb := out[r[0]]; tb != nil {
				tb.columns = append(tb.columns, r[1])
			}
		}
		type key struct{ table, name string }
		cols, unique := map[key][]string{}, map[key]bool{}
		var order []key
		for _, r := range strs(`SELECT s.table_name, s.index_name, s.non_unique, s.column_name FROM information_schema.statistics s
			WHERE s.table_schema = DATABASE() AND s.index_name <> 'PRIMARY' AND NOT EXISTS (
				SELECT 1 FROM information_schema.table_constraints c WHERE c.constraint_schema = s.table_schema
				AND c.table_name = s.table_name AND c.constraint_name = s.index_name AND c.constraint_type = 'FOREIGN KEY')
			ORDER BY s.table_name, s.index_name, s.seq_in_index`) {
			k := key{r[0], r[1]}
			if _, ok := cols[k]; !ok {
				order = append(order, k)
			}
			cols[k], unique[k] = append(cols[k], r[3]), r[2] == "0"
		}
		for _, k := range order {
			if tb := out[k.table]; tb != nil {
				index(tb, k.name, unique[k], cols[k])
			}
		}
	}
	for _, tb := range out {
		slices.Sort(tb.columns)
	}
	return out
}

// Every type the store reads and writes has its table, with a column for
// each field, on every backend: a model field without a migration fails
// here rather than on a live school's database.
func TestSchemaHasEveryModel(t *testing.T) {
	t.Parallel()
	models := map[string]*schema.Schema{}
	for _, m := range store.Models() {
		sc, err := schema.Parse(m, &sync.Map{}, schema.NamingStrategy{})
		if err != nil {
			t.Fatal(err)
		}
		models[sc.Table] = sc
	}
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		got := readSchema(t, b.Open(t, nil))
		for table, sc := range models {
			tb, ok := got[table]
			if !ok {
				t.Errorf("%s: no table %s", sc.Name, table)
				continue
			}
			for _, f := range sc.Fields {
				if f.DBName != "" && !slices.Contains(tb.columns, f.DBName) {
					t.Errorf("%s.%s: no column %s.%s", sc.Name, f.Name, table, f.DBName)
				}
			}
		}
		// And the other way: a table no model reads is a leftover.
		for table := range got {
			if models[table] == nil {
				t.Errorf("table %s has no model in store.Models", table)
			}
		}
	})
}

// The same migrations on SQLite and MySQL leave the same tables, columns
// and indexes, so code tested on one dialect meets the schema it expects
// on the other.
func TestSchemaSameInBothDialects(t *testing.T) {
	t.Parallel()
	base := os.Getenv("XUETANG_TEST_MYSQL_URL")
	if base == "" {
		t.Skip("schema comparison with MySQL skipped: set XUETANG_TEST_MYSQL_URL=mysql://root@127.0.0.1:3306/test")
	}
	sq, my := readSchema(t, storetest.OpenSQLite(t, nil)), readSchema(t, storetest.OpenMySQL(t, base, nil))
	if a, b := slices.Sorted(maps.Keys(sq)), slices.Sorted(maps.Keys(my)); !slices.Equal(a, b) {
		t.Errorf("tables differ:\n sqlite %v\n mysql  %v", a, b)
	}
	for _, name := range slices.Sorted(maps.Keys(sq)) {
		s, m := sq[name], my[name]
		if m == nil {
			continue
		}
		if !slices.Equal(s.columns, m.columns) {
			t.Errorf("%s columns differ:\n sqlite %v\n mysql  %v", name, s.columns, m.columns)
		}
		if !maps.Equal(s.indexes, m.indexes) {
			t.Errorf("%s indexes differ:\n sqlite %v\n mysql  %v", name, s.indexes, m.indexes)
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
