package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
	"gorm.io/gorm"
)

// LearnerActivity is a learner's latest credited activity as the MySQL
// progress writers keep it (migration 00022): equal to the newest
// lesson_progress.last_seen_at of the learner, or NULL before any. Its row
// is the per-learner lock that keeps two instances from crediting the same
// minutes; on SQLite, one writer at a time, the table stays empty.
type LearnerActivity struct {
	UserID int64 `gorm:"primaryKey;autoIncrement:false"`
	LastAt *time.Time
	// PrevAt is what the last heartbeat batch assumed LastAt was.
	PrevAt *time.Time
	Seq    int64
}

func (LearnerActivity) TableName() string { return "learner_activity" }

// recordHeartbeats is RecordProgress on MySQL for a batch without completions
// (nearly every batch: heartbeats and opens). A batch's transaction time
// bounds how many events a writer stores per second, and on a busy server
// every round trip waits its turn for a CPU, so this takes one round trip
// where the general way takes six: START TRANSACTION, the learners'
// activity rows, the event rows, the lesson_progress upsert and COMMIT, as
// one multi-statement request.
//
// Credit is computed before the request from each learner's latest activity
// as this store last wrote it (activity). The request's first statement
// locks the learners' learner_activity rows and checks that each holds what
// credit was computed from; a row that does not fails the statement (a
// CHECK on seq), MySQL runs nothing after a failed statement, and the open
// transaction is rolled back. The batch is then written again with the
// value read first (two round trips), and checked the same way. Learners
// not seen yet take that way too.
//
// It answers errRaced when a learner's event id was stored before (the
// plain INSERT fails on the unique key; nothing is kept); the caller then
// writes the batch the general way, with the look-up. On any other failure
// too nothing is kept, and the general way reports or retries.
func (s *Store) recordHeartbeats(ctx context.Context, in []ProgressInput, f Rules) ([]ProgressOutcome, error) {
	users := usersOf(in)
	slices.Sort(users) // one lock order for every batch: no deadlocks between them
	// DATETIME(3): a time kept to the millisecond reads back equal.
	now := s.now().Truncate(time.Millisecond)
	last, known := s.activity.get(users)
	if known {
		out, err := s.writeHeartbeats(ctx, in, users, last, now, true, f)
		if !errors.Is(err, errStale) {
			return out, err
		}
	}
	last, err := lastSeen(s.rc.WithContext(ctx), users)
	if err != nil {
		return nil, err
	}
	// Still checked: another instance may write between this read and the
	// lock (and leaves the activity row of a learner it wrote for first).
	// Stale again, the general way takes it, reading under the lock.
	return s.writeHeartbeats(ctx, in, users, last, now, false, f)
}

// errStale: a learner's activity in the database is not what credit was
// computed from.
var errStale = errors.New("learner activity changed elsewhere")

// MySQL's and MariaDB's error numbers for what the request checks.
const (
	errNoDuplicateKey = 1062 // ER_DUP_ENTRY
	errNoCheckMySQL   = 3819 // ER_CHECK_CONSTRAINT_VIOLATED
	errNoCheckMariaDB = 4025 // ER_CONSTRAINT_FAILED
)

func (s *Store) writeHeartbeats(ctx context.Context, in []ProgressInput, users []int64, last map[int64]time.Time,
	now time.Time, remembered bool, f Rules) ([]ProgressOutcome, error) {
	assumed := make(map[int64]time.Time, len(last))
	for u, t := range last {
		assumed[u] = t
	}
	p := planBatch(in, nil, last, nil, now, f)
	pause := s.beforeHeartbeatCommit
	q, args := s.heartbeatRequest(p, users, assumed, last, pause == nil)

	sqlDB, err := s.rc.DB()
	if err != nil {
		return nil, err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	s.activity.forget(users) // until this batch's outcome is known
	var result error
	err = conn.Raw(func(dc any) error {
		ex, ok := dc.(driver.ExecerContext)
		if !ok {
			return fmt.Errorf("store: %T cannot run statements", dc)
		}
		_, result = ex.ExecContext(ctx, q, args)
		if result == nil && pause != nil {
			// Tests hold the transaction open here; the request left
			// its COMMIT out for them.
			pause()
			if _, result = ex.ExecContext(ctx, "COMMIT", nil); result != nil {
				return driver.ErrBadConn
			}
		}
		if result != nil {
			// Whatever failed, the transaction may still be open.
			if _, err := ex.ExecContext(ctx, "ROLLBACK", nil); err != nil {
				// The connection's state is unknown: database/sql must
				// discard it rather than hand it to the next caller.
				return driver.ErrBadConn
			}
			result = heartbeatFailure(result)
		}
		return nil
	})
	if result != nil {
		return nil, result
	}
	if err != nil {
		return nil, err
	}
	// planBatch advanced last to each learner's latest event: what the
	// request left as their latest activity.
	s.activity.set(last)
	s.heartbeatBatches.Add(1)
	if remembered {
		s.rememberedBatches.Add(1)
	}
	return p.out, nil
}

// checkProbe remembers whether the server enforces CHECK constraints:
// MySQL before 8.0.16 parses and ignores them, TiDB ignores them unless
// tidb_enable_check_constraint is on. The heartbeat way's activity check is
// one, so without it every batch goes the general way, which locks and reads
// instead.
type checkProbe struct {
	mu       sync.Mutex
	answered bool
	enforced bool
}

// checksEnforced asks the server once: a row the CHECK refuses, in a
// transaction rolled back either way. Only a failure to get an answer (the
// connection, a lock wait) is asked again next time, the batch going the
// general way meanwhile.
func (s *Store) checksEnforced(ctx context.Context) bool {
	s.checks.mu.Lock()
	defer s.checks.mu.Unlock()
	if s.checks.answered {
		return s.checks.enforced
	}
	errRefused := errors.New("refused")
	err := s.rc.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Exec("INSERT INTO learner_activity (user_id, seq) VALUES (0, -1)").Error
		if err == nil {
			return errChecksIgnored // rolls the row back
		}
		if heartbeatFailure(err) == errStale {
			return errRefused
		}
		return err
	})
	var me *mysqldrv.MySQLError
	switch {
	case errors.Is(err, errRefused):
		s.checks.answered, s.checks.enforced = true, true
	case errors.Is(err, errChecksIgnored), errors.As(err, &me) && !isDeadlock(err):
		// The server answered, but not with the refusal the heartbeat way
		// relies on. Asking again before every batch would cost a
		// transaction each time for the same answer.
		s.checks.answered = true
		slog.Warn("the database does not refuse what a CHECK constraint forbids: progress batches take the general way, "+
			"which is slower (MySQL 8.0.16 or later, MariaDB 10.2 or later, or TiDB with tidb_enable_check_constraint)",
			"probe", fmt.Sprint(err))
	}
	return s.checks.enforced
}

var errChecksIgnored = errors.New("store: CHECK constraints not enforced")

// heartbeatFailure names what a failed request's error means.
func heartbeatFailure(err error) error {
	var me *mysqldrv.MySQLError
	if !errors.As(err, &me) {
		return err
	}
	switch {
	case me.Number == errNoDuplicateKey:
		return errRaced
	case me.Number == errNoCheckMySQL || me.Number == errNoCheckMariaDB:
		return errStale
	}
	return err
}

// heartbeatRequest builds the multi-statement request; users must be
// sorted. assumed is each learner's activity credit was computed from (zero:
// none), last what the batch leaves it at.
func (s *Store) heartbeatRequest(p *batchPlan, users []int64, assumed, last map[int64]time.Time,
	commit bool) (string, []driver.NamedValue) {
	var sb strings.Builder
	args := make([]driver.NamedValue, 0, 3*len(users)+len(p.events)*7+len(p.bumps)*7)
	add := func(vs ...any) {
		for _, v := range vs {
			if n, ok := v.(int); ok {
				v = int64(n) // the driver takes int64, not int
			}
			args = append(args, driver.NamedValue{Ordinal: len(args) + 1, Value: v})
		}
	}
	// A row that holds another time than assumed (a row that exists where
	// none was assumed too) sets seq to -1, and the CHECK fails the
	// statement. seq is assigned first, so it compares the row's time before
	// this batch's. A missing row is inserted: every progress writer leaves
	// the row of a learner it wrote for, so no other write came between
	// the time assumed and this one (a learner's row is missing only if
	// they had no activity since migration 00022, and then the lesson rows
	// were read just before).
	sb.WriteString("START TRANSACTION; INSERT INTO learner_activity (user_id, last_at, prev_at, seq) VALUES ")
	for i, u := range users {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(?, ?, ?, 0)")
		var prev any // NULL: no activity assumed (the driver takes time.Time, not *time.Time)
		if t := assumed[u]; !t.IsZero() {
			prev = t
		}
		add(u, last[u], prev)
	}
	sb.WriteString(" ON DUPLICATE KEY UPDATE seq = IF(last_at <=> VALUES(prev_at), seq + 1, -1), " +
		"last_at = VALUES(last_at), prev_at = VALUES(prev_at); ")
	// An event id the learner sent before (unique per learner) fails this.
	sb.WriteString("INSERT INTO progress_events (event_key, user_id, lesson_id, type, seconds, credited_seconds, received_at) VALUES ")
	for i, e := range p.events {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(?, ?, ?, ?, ?, ?, ?)")
		add(e.EventKey, e.UserID, e.LessonID, e.Type, e.Seconds, e.CreditedSeconds, e.ReceivedAt)
	}
	sb.WriteString("; ")
	uq, uargs := s.progressUpsert(p.bumps)
	sb.WriteString(uq)
	add(uargs...)
	if commit {
		sb.WriteString("; COMMIT")
	}
	return sb.String(), args
}

// activity remembers each learner's latest activity as this store last
// wrote it, so a heartbeat batch need not read it first; the batch still
// checks it in the same request. Bounded: past maxActivity it starts again.
type activity struct {
	mu sync.Mutex
	m  map[int64]time.Time
}

const maxActivity = 100000

func (a *activity) get(users []int64) (map[int64]time.Time, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[int64]time.Time, len(users))
	for _, u := range users {
		t, ok := a.m[u]
		if !ok {
			return nil, false
		}
		out[u] = t
	}
	return out, true
}

func (a *activity) set(last map[int64]time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.m == nil || len(a.m)+len(last) > maxActivity {
		a.m = make(map[int64]time.Time)
	}
	for u, t := range last {
		a.m[u] = t
	}
}

func (a *activity) forget(users []int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, u := range users {
		delete(a.m, u)
	}
}
