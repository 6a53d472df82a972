package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/xuetang-edu/xuetang/internal/config"
)

// A read replica (XUETANG_DATABASE_REPLICA_URL) answers the heavy reads
// that may be a little stale: the statistics dashboard and exports. Whether
// it may is decided by a check every few seconds, not per request, and
// cached: a replica that is down, not replicating, further behind than the
// allowed lag or on another schema version is left alone and the primary
// answers instead, until a later check finds it fit again.

// Where a read was answered.
const (
	SourcePrimary = "primary"
	SourceReplica = "replica"
)

// ReadSource says where a Reader reads and, for the replica, how far
// behind the primary it was at the last check.
type ReadSource struct {
	Source     string
	LagSeconds *int64 // nil on the primary
}

// ReplicaOptions configure OpenReplica.
type ReplicaOptions struct {
	URL        string        // mysql://... like XUETANG_DATABASE_URL
	MaxLag     time.Duration // further behind than this: read the primary; 30 s when 0
	CheckEvery time.Duration // 5 s when 0
	Log        *slog.Logger
}

// DefaultReplicaMaxLag is XUETANG_REPLICA_MAX_LAG's default.
const DefaultReplicaMaxLag = 30 * time.Second

type replica struct {
	db     *gorm.DB
	view   *Store // reads on the replica, writes (should any happen) on the primary
	maxLag time.Duration
	log    *slog.Logger
	state  atomic.Pointer[replicaState]
	stop   chan struct{}
	done   sync.WaitGroup
	closed sync.Once
}

// replicaState is one check's verdict; reason is empty when the replica is used.
type replicaState struct {
	lag    int64
	reason string
}

// OpenReplica adds a read replica to a MySQL store and starts checking it
// in the background until Close. A replica that cannot be reached now is
// not an error: the primary answers until it can be.
func (s *Store) OpenReplica(ctx context.Context, o ReplicaOptions) error {
	if s.dialect != MySQL {
		return errors.New("store: a read replica needs a MySQL/MariaDB primary")
	}
	if s.replica != nil {
		return errors.New("store: replica already open")
	}
	dsn, err := config.MySQLDSN(o.URL)
	if err != nil {
		return err
	}
	c, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		return fmt.Errorf("open replica: %w", err)
	}
	if c.Timeout == 0 {
		// A replica host that has vanished must not hold a dashboard
		// request for the system's connect timeout (minutes).
		c.Timeout = 2 * time.Second
	}
	dsn = c.FormatDSN()
	if o.MaxLag <= 0 {
		o.MaxLag = DefaultReplicaMaxLag
	}
	if o.CheckEvery <= 0 {
		o.CheckEvery = 5 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	db, err := gorm.Open(mysql.New(mysql.Config{DSN: dsn, DisableWithReturning: true}), &gorm.Config{
		SkipDefaultTransaction: true,
		Logger:                 logger.Discard,
		NowFunc:                func() time.Time { return s.now() },
		// The replica may be down at start; the checks find out.
		DisableAutomaticPing: true,
	})
	if err != nil {
		return fmt.Errorf("open replica: %w", err)
	}
	sqlDB, _ := db.DB()
	// Dashboard requests and exports only; a handful at once.
	sqlDB.SetMaxOpenConns(16)
	sqlDB.SetMaxIdleConns(8)
	sqlDB.SetConnMaxLifetime(5 * time.Minute)
	sqlDB.SetConnMaxIdleTime(time.Minute)
	rep := &replica{db: db, maxLag: o.MaxLag, log: o.Log, stop: make(chan struct{})}
	// A read that finds the replica gone takes it out of use at once, so
	// the requests until the next check do not each wait on it too.
	down := func(tx *gorm.DB) {
		// A request whose own deadline passed says nothing about the replica.
		ctx := tx.Statement.Context
		if tx.Error != nil && isUnavailable(tx.Error) && ctx.Err() == nil && ctx.Value(checking{}) == nil {
			rep.failed(tx.Error)
		}
	}
	err = db.Callback().Query().After("gorm:query").Register("xuetang:replica_down", down)
	if err == nil {
		err = db.Callback().Row().After("gorm:row").Register("xuetang:replica_down", down)
	}
	if err != nil {
		sqlDB.Close()
		return fmt.Errorf("open replica: %w", err)
	}
	rep.view = &Store{w: s.w, r: db, rc: s.rc, dialect: s.dialect, now: s.now}
	rep.state.Store(&replicaState{reason: "not checked yet"})
	s.replica = rep
	s.checkReplica(ctx)
	rep.done.Add(1)
	go func() {
		defer rep.done.Done()
		t := time.NewTicker(o.CheckEvery)
		defer t.Stop()
		for {
			select {
			case <-rep.stop:
				return
			case <-t.C:
				s.checkReplica(context.Background())
			}
		}
	}()
	return nil
}

// Reader is where reads that may be a little stale go: the replica when
// the last check found it fit, the primary otherwise. Take it once per
// request, so one answer is read from one place. Never hand it a reader
// of data a learner has just written (their own progress, their lessons):
// those stay on the primary.
func (s *Store) Reader() (*Store, ReadSource) {
	rep := s.replica
	if rep == nil {
		return s, ReadSource{Source: SourcePrimary}
	}
	st := rep.state.Load()
	if st.reason != "" {
		return s, ReadSource{Source: SourcePrimary}
	}
	lag := st.lag
	return rep.view, ReadSource{Source: SourceReplica, LagSeconds: &lag}
}

// checkReplica judges the replica once and logs only changes of verdict,
// so a replica down for an hour is one line, not 720.
func (s *Store) checkReplica(ctx context.Context) {
	rep := s.replica
	ctx, cancel := context.WithTimeout(context.WithValue(ctx, checking{}, true), 2*time.Second)
	defer cancel()
	next := &replicaState{}
	lag, err := s.judgeReplica(ctx)
	if err != nil {
		next.reason = err.Error()
	} else {
		next.lag = lag
	}
	prev := rep.state.Swap(next)
	switch {
	case next.reason == "" && prev.reason != "":
		rep.log.Info("read replica in use for statistics and exports", "lag_seconds", next.lag)
	case next.reason != "" && next.reason != prev.reason:
		rep.log.Warn("read replica refused; statistics and exports read the primary", "reason", next.reason)
	}
}

// checking marks the checks' own queries, which report failure themselves.
type checking struct{}

// failed takes a replica in use out of use after a read on it failed.
func (r *replica) failed(err error) {
	next := &replicaState{reason: "a read failed: " + err.Error()}
	if prev := r.state.Load(); prev.reason == "" && r.state.CompareAndSwap(prev, next) {
		r.log.Warn("read replica refused; statistics and exports read the primary", "reason", next.reason)
	}
}

// judgeReplica returns the replica's lag in seconds, or why it must not be
// read.
func (s *Store) judgeReplica(ctx context.Context) (int64, error) {
	rep := s.replica
	var theirs int64
	err := rep.db.WithContext(ctx).Raw("SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version WHERE is_applied = ?", true).
		Scan(&theirs).Error
	if err != nil {
		return 0, fmt.Errorf("replica unreachable or unreadable: %w", err)
	}
	ours, err := s.SchemaVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("primary's schema version unknown: %w", err)
	}
	if theirs != ours {
		// Mid-upgrade, or a replica of another database: its tables do not
		// have the columns this binary asks for.
		return 0, fmt.Errorf("replica schema version %d differs from the primary's %d", theirs, ours)
	}
	lag, err := replicaLag(ctx, rep.db)
	if err != nil {
		return 0, err
	}
	if time.Duration(lag)*time.Second > rep.maxLag {
		return 0, fmt.Errorf("replica %d s behind, more than XUETANG_REPLICA_MAX_LAG %s", lag, rep.maxLag)
	}
	return lag, nil
}

// replicaLag reads Seconds_Behind_Source (MySQL 8.0.22+, SHOW REPLICA
// STATUS) or Seconds_Behind_Master (MariaDB, which also accepts SHOW
// REPLICA STATUS from 10.5, and older MySQL). NULL there means a stopped or
// disconnected replication thread: the lag is then unknown and may be
// growing, so the replica is not used.
func replicaLag(ctx context.Context, db *gorm.DB) (int64, error) {
	rows, err := db.WithContext(ctx).Raw("SHOW REPLICA STATUS").Rows()
	if err != nil {
		rows, err = db.WithContext(ctx).Raw("SHOW SLAVE STATUS").Rows()
	}
	if err != nil {
		return 0, fmt.Errorf("replica status unreadable (the user needs REPLICA MONITOR or REPLICATION CLIENT): %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return 0, err
		}
		return 0, errors.New("not a replica: replica status is empty")
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return 0, err
	}
	for i, c := range cols {
		if c != "Seconds_Behind_Master" && c != "Seconds_Behind_Source" {
			continue
		}
		if vals[i] == nil {
			return 0, errors.New("replica not replicating: its replication threads are stopped or disconnected")
		}
		return strconv.ParseInt(string(vals[i]), 10, 64)
	}
	return 0, errors.New("replica status has no Seconds_Behind_Source or Seconds_Behind_Master")
}

// close stops the checks and the pool; a second call does nothing.
func (r *replica) close() error {
	var err error
	r.closed.Do(func() {
		close(r.stop)
		r.done.Wait()
		var db *sql.DB
		if db, err = r.db.DB(); err == nil {
			err = db.Close()
		}
	})
	return err
}
