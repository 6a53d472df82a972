// Package storetest opens real databases for tests: a fresh SQLite file
// always, and a fresh MySQL/MariaDB database when XUETANG_TEST_MYSQL_URL is
// set (mysql://root@127.0.0.1:3306/test; each test gets its own database).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // registers the driver for database setup

	"github.com/xuetang-edu/xuetang/internal/config"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Clock is a settable clock for tests.
type Clock struct{ t time.Time }

// NewClock starts at a fixed instant.
func NewClock() *Clock { return &Clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { return c.t }

// Add moves the clock forward.
func (c *Clock) Add(d time.Duration) { c.t = c.t.Add(d) }

// Backend is one database to run a suite against.
type Backend struct {
	Name string
	URL  string // empty for SQLite
	Open func(t testing.TB, now func() time.Time) *store.Store
}

// Backends lists SQLite and, when configured, MySQL.
func Backends(t testing.TB) []Backend {
	out := []Backend{{Name: "sqlite", Open: OpenSQLite}}
	if u := os.Getenv("XUETANG_TEST_MYSQL_URL"); u != "" {
		out = append(out, Backend{Name: "mysql", URL: u, Open: func(t testing.TB, now func() time.Time) *store.Store {
			return OpenMySQL(t, u, now)
		}})
	}
	return out
}

// Run runs f once per backend as a subtest.
func Run(t *testing.T, f func(t *testing.T, b Backend)) {
	for _, b := range Backends(t) {
		t.Run(b.Name, func(t *testing.T) { f(t, b) })
	}
}

// OpenSQLite opens a migrated SQLite database in a temp dir.
func OpenSQLite(t testing.TB, now func() time.Time) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(t.TempDir(), "test.db"), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

// FreshMySQLURL creates an empty database next to the one in base and
// returns its URL; the database is dropped when the test ends.
func FreshMySQLURL(t testing.TB, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	dsn, err := config.MySQLDSN(base)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "xt_" + strings.ToLower(hex.EncodeToString(b[:]))
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if a, err := sql.Open("mysql", dsn); err == nil {
			_, _ = a.Exec("DROP DATABASE IF EXISTS " + name)
			a.Close()
		}
	})
	u.Path = "/" + name
	return u.String()
}

// OpenMySQL opens a migrated, freshly created MySQL database.
func OpenMySQL(t testing.TB, base string, now func() time.Time) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{DatabaseURL: FreshMySQLURL(t, base), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}
