// Package store is the only package that talks to the database. It wraps
// GORM for SQLite (the embedded default) and MySQL/MariaDB (production),
// keeps dialect quirks here, and returns errs-typed errors.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/glebarez/sqlite"
	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/pressly/goose/v3"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/xuetang-edu/xuetang/internal/config"
	"github.com/xuetang-edu/xuetang/internal/errs"
)

//go:embed migrations
var migrations embed.FS

// Dialect names the database family in use.
type Dialect string

const (
	SQLite Dialect = "sqlite"
	MySQL  Dialect = "mysql"
)

// Store is the database handle. On SQLite writes go through a single
// connection (SQLite allows one writer; queuing in Go beats spinning on
// SQLITE_BUSY) while reads use a small pool; on MySQL both are one pool, and
// progress writes have a small READ COMMITTED pool of their own.
type Store struct {
	w, r    *gorm.DB
	rc      *gorm.DB // MySQL: connections in READ COMMITTED, for progress writes
	dialect Dialect
	now     func() time.Time
	replica *replica // nil without XUETANG_DATABASE_REPLICA_URL

	heartbeatBatches  atomic.Int64 // progress batches written by recordHeartbeats
	rememberedBatches atomic.Int64 // of which credited from remembered activity
	activity          activity     // learners' latest activity as recordHeartbeats wrote it
	checks            checkProbe   // whether the server enforces learner_activity's CHECK
	// beforeHeartbeatCommit, set by tests only, runs while a heartbeat
	// batch's transaction is open and about to commit.
	beforeHeartbeatCommit func()
}

// Options says where the database is.
type Options struct {
	DatabaseURL string // mysql://...; empty for SQLite
	SQLitePath  string // file path when DatabaseURL is empty
	Now         func() time.Time
}

// Open connects without migrating; call Migrate next.
func Open(ctx context.Context, o Options) (*Store, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	gcfg := func() *gorm.Config {
		return &gorm.Config{
			SkipDefaultTransaction: true,
			Logger:                 logger.Discard,
			NowFunc:                func() time.Time { return now().UTC() },
			TranslateError:         false,
		}
	}
	s := &Store{now: func() time.Time { return now().UTC() }}
	if o.DatabaseURL != "" {
		dsn, err := config.MySQLDSN(o.DatabaseURL)
		if err != nil {
			return nil, err
		}
		// Without RETURNING: MariaDB 10.5+ returns the existing row from
		// INSERT ... ON DUPLICATE KEY UPDATE ... RETURNING, so GORM would
		// report a skipped duplicate (a retried progress event, a second
		// enrolment) as a row inserted. The affected-rows count is exact.
		db, err := gorm.Open(mysql.New(mysql.Config{DSN: dsn, DisableWithReturning: true}), gcfg())
		if err != nil {
			return nil, fmt.Errorf("open mysql: %w", err)
		}
		sqlDB, _ := db.DB()
		sqlDB.SetMaxOpenConns(32)
		sqlDB.SetMaxIdleConns(16)
		// Below MySQL's wait_timeout and typical proxy idle cut-offs.
		sqlDB.SetConnMaxLifetime(5 * time.Minute)
		sqlDB.SetConnMaxIdleTime(time.Minute)
		s.w, s.r, s.rc, s.dialect = db, db, db, MySQL
		if s.rc, err = openReadCommitted(ctx, db, dsn, gcfg()); err != nil {
			s.rc = db
			s.Close()
			return nil, err
		}
	} else {
		if o.SQLitePath == "" {
			return nil, errors.New("store: no database configured")
		}
		if err := os.MkdirAll(filepath.Dir(o.SQLitePath), 0o750); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
		base := "file:" + filepath.ToSlash(o.SQLitePath) +
			"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_time_format=sqlite"
		w, err := gorm.Open(sqlite.Open(base+"&_pragma=journal_mode(WAL)&_txlock=immediate"), gcfg())
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		wdb, _ := w.DB()
		wdb.SetMaxOpenConns(1)
		wdb.SetConnMaxLifetime(0)
		r, err := gorm.Open(sqlite.Open(base+"&_pragma=query_only(1)"), gcfg())
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		rdb, _ := r.DB()
		rdb.SetMaxOpenConns(4)
		s.w, s.r, s.rc, s.dialect = w, r, w, SQLite
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// readRows runs a read on the reader pool straight through database/sql,
// calling scan on each row. The small reads every "my learning" request
// makes (enrolments, progress, certificates, the year's hours) cost about
// half as much this way as through GORM, whose statement building and
// reflective scanning took as long as SQLite's own work on them; their
// columns are listed in the SQL instead. They have no ORDER BY: SQLite
// compiled such a statement a second time after binding (seen in
// profiles), and the few rows sort as well in Go.
func (s *Store) readRows(ctx context.Context, q string, args []any, scan func(*sql.Rows) error) error {
	db, err := s.r.DB()
	if err != nil {
		return classify(err)
	}
	return scanRows(ctx, db, q, args, scan)
}

// querier is a pool or a transaction, for reads that run in either.
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func scanRows(ctx context.Context, db querier, q string, args []any, scan func(*sql.Rows) error) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return classify(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return classify(err)
		}
	}
	return classify(rows.Err())
}

// Dialect reports which database family is in use.
func (s *Store) Dialect() Dialect { return s.dialect }

// DB exposes the write pool's *sql.DB for pool metrics.
func (s *Store) DB() *sql.DB {
	db, _ := s.w.DB()
	return db
}

// Ping checks every pool answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	for _, g := range uniq(s.w, s.r, s.rc) {
		db, err := g.DB()
		if err != nil {
			return classify(err)
		}
		if err := db.PingContext(ctx); err != nil {
			return errs.Wrap(errs.Unavailable, "error.unavailable", err)
		}
	}
	return nil
}

// Close releases the pools and stops the replica's checks.
func (s *Store) Close() error {
	var first error
	if s.replica != nil {
		first = s.replica.close()
	}
	for _, g := range uniq(s.w, s.r, s.rc) {
		if db, err := g.DB(); err == nil {
			if err := db.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

func uniq(dbs ...*gorm.DB) []*gorm.DB {
	var out []*gorm.DB
	for _, d := range dbs {
		if d != nil && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// openReadCommitted opens a small pool whose connections are set to READ
// COMMITTED once, when they connect. Progress writes want it (no gap locks
// between learners' upserts), and asking per transaction costs a round trip
// on every one. MariaDB before 11.1 and MySQL 8 name the variable
// differently, so the server is asked which it is.
func openReadCommitted(ctx context.Context, db *gorm.DB, dsn string, cfg *gorm.Config) (*gorm.DB, error) {
	var version string
	if err := db.WithContext(ctx).Raw("SELECT VERSION()").Scan(&version).Error; err != nil {
		return nil, classify(err)
	}
	c, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("open mysql: %w", err)
	}
	if c.Params == nil {
		c.Params = map[string]string{}
	}
	c.Params[isolationVariable(version)] = "'READ-COMMITTED'"
	// Progress batches send their transaction's start and writes as one
	// request (see recordHeartbeats). Every statement on this pool has its
	// parameters escaped by the driver (interpolateParams), never spliced in.
	c.MultiStatements = true
	rc, err := gorm.Open(mysql.New(mysql.Config{DSN: c.FormatDSN(), DisableWithReturning: true}), cfg)
	if err != nil {
		return nil, fmt.Errorf("open mysql: %w", err)
	}
	sqlDB, _ := rc.DB()
	// The progress writers (one by default, at most eight) and quiz submissions.
	sqlDB.SetMaxOpenConns(8)
	sqlDB.SetMaxIdleConns(8)
	sqlDB.SetConnMaxLifetime(5 * time.Minute)
	sqlDB.SetConnMaxIdleTime(time.Minute)
	return rc, nil
}

// isolationVariable names the session's isolation level variable for a
// server's VERSION(): MySQL 8 removed tx_isolation, and MariaDB has
// transaction_isolation only from 11.1.
func isolationVariable(version string) string {
	if !strings.Contains(strings.ToLower(version), "mariadb") {
		return "transaction_isolation"
	}
	var major, minor int
	fmt.Sscanf(version, "%d.%d", &major, &minor)
	if major > 11 || major == 11 && minor >= 1 {
		return "transaction_isolation"
	}
	return "tx_isolation"
}

// MigrationsFS returns the migration files for a dialect (for tests and tooling).
func MigrationsFS(d Dialect) fs.FS {
	sub, err := fs.Sub(migrations, "migrations/"+string(d))
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return sub
}

// Migrate applies pending migrations. Each migration runs in its own
// transaction, so on SQLite a failing one leaves the previous version whole.
func (s *Store) Migrate(ctx context.Context) (int64, error) {
	return s.migrateFS(ctx, MigrationsFS(s.dialect))
}

func (s *Store) migrateFS(ctx context.Context, fsys fs.FS) (int64, error) {
	gd := goose.DialectSQLite3
	if s.dialect == MySQL {
		gd = goose.DialectMySQL
	}
	p, err := goose.NewProvider(gd, s.DB(), fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	return p.GetDBVersion(ctx)
}

// SchemaVersion reports the applied migration version.
func (s *Store) SchemaVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.r.WithContext(ctx).Raw("SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version WHERE is_applied = ?", true).Scan(&v).Error
	return v, classify(err)
}

// tx runs fn in one write transaction.
func (s *Store) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return s.txOn(ctx, s.w, fn)
}

// txOn runs fn in one transaction on db. InnoDB may pick a transaction as a
// deadlock victim when concurrent upserts take gap locks; the whole
// transaction is then rolled back and is safe to run again, so it is, a few
// times.
func (s *Store) txOn(ctx context.Context, db *gorm.DB, fn func(tx *gorm.DB) error) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		err = db.WithContext(ctx).Transaction(fn)
		if !isDeadlock(err) {
			break
		}
	}
	return classify(err)
}

func isDeadlock(err error) bool {
	var me *mysqldrv.MySQLError
	return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205)
}

// classify turns driver errors into errs codes: the web layer must answer
// 503 for an unreachable database and 409 for a duplicate, not 500.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var e *errs.Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return errs.Wrap(errs.NotFound, "error.not_found", err)
	}
	if isDuplicate(err) {
		return errs.Wrap(errs.Conflict, "error.conflict", err)
	}
	if isUnavailable(err) {
		return errs.Wrap(errs.Unavailable, "error.unavailable", err)
	}
	return errs.Wrap(errs.Internal, "error.internal", err)
}

func isDuplicate(err error) bool {
	var me *mysqldrv.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1062
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}

func isUnavailable(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysqldrv.ErrInvalidConn) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, sql.ErrConnDone) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var me *mysqldrv.MySQLError
	if errors.As(err, &me) {
		// Server shutting down, too many connections, lock wait timeouts and
		// deadlocks: all transient, so "try again" (503), not a 500.
		switch me.Number {
		case 1040, 1053, 1205, 1213, 2006, 2013:
			return true
		}
	}
	msg := err.Error()
	return strings.Contains(msg, "database is locked") || strings.Contains(msg, "connection refused") ||
		strings.Contains(msg, "bad connection")
}
