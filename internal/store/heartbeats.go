package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// recordHeartbeats is RecordProgress on MySQL for a batch without completions
// (nearly every batch: heartbeats and opens). A batch's transaction time
// bounds how many events a writer stores per second, and on a busy server
// every round trip waits its turn for a CPU, so this takes two round trips
// where the general way takes six:
//
//  1. START TRANSACTION, a lock on the learners' rows, their latest
//     activity, the event rows, a count of the rows stored, and the
//     lesson_progress upsert, as one multi-statement request;
//  2. COMMIT, or ROLLBACK when a count says otherwise.
//
// Credit is computed before the request from each learner's latest activity
// as this store last wrote it (activity). The same request locks the
// learners (so no other instance's batch for them is open) and then reads
// the database's value; when any learner's differs (another instance, a
// quiz, a restart) nothing is kept and the batch is written again with the
// value read first, in three round trips, and checked the same way. Learners
// not seen yet take that way too.
//
// It answers errRaced when a learner's event id was stored before (nothing
// is kept); the caller then writes the batch the general way, with the
// look-up. On any other failure too nothing is kept, and the general way
// reports or retries.
func (s *Store) recordHeartbeats(ctx context.Context, in []ProgressInput, f Rules) ([]ProgressOutcome, error) {
	users := usersOf(in)
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
	// lock. Stale again, the general way takes it, reading under the lock.
	return s.writeHeartbeats(ctx, in, users, last, now, false, f)
}

// errStale: a learner's activity in the database is not what credit was
// computed from.
var errStale = errors.New("learner activity changed elsewhere")

func (s *Store) writeHeartbeats(ctx context.Context, in []ProgressInput, users []int64, last map[int64]time.Time,
	now time.Time, remembered bool, f Rules) ([]ProgressOutcome, error) {
	assumed := make(map[int64]time.Time, len(last))
	for u, t := range last {
		assumed[u] = t
	}
	p := planBatch(in, nil, last, nil, now, f)
	q, args := s.heartbeatRequest(p, users)

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
		qc, ok1 := dc.(driver.QueryerContext)
		ex, ok2 := dc.(driver.ExecerContext)
		if !ok1 || !ok2 {
			return fmt.Errorf("store: %T cannot run queries", dc)
		}
		result = readHeartbeatResults(ctx, qc, q, args, assumed, len(p.events))
		if result == nil && s.beforeHeartbeatCommit != nil {
			s.beforeHeartbeatCommit()
		}
		if result != nil {
			if _, err := ex.ExecContext(ctx, "ROLLBACK", nil); err != nil {
				// The connection's state is unknown: database/sql must
				// discard it rather than hand it to the next caller.
				return driver.ErrBadConn
			}
			return nil
		}
		if _, result = ex.ExecContext(ctx, "COMMIT", nil); result != nil {
			return driver.ErrBadConn
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
	// upsert left as their latest activity.
	s.activity.set(last)
	s.heartbeatBatches.Add(1)
	if remembered {
		s.rememberedBatches.Add(1)
	}
	return p.out, nil
}

// heartbeatRequest builds the multi-statement request. Its result sets are,
// in order: the locked learners, their latest activity, and the number of
// event rows stored.
func (s *Store) heartbeatRequest(p *batchPlan, users []int64) (string, []driver.NamedValue) {
	var sb strings.Builder
	args := make([]driver.NamedValue, 0, 2*len(users)+len(p.events)*8+len(p.bumps)*7)
	add := func(vs ...any) {
		for _, v := range vs {
			if n, ok := v.(int); ok {
				v = int64(n) // the driver takes int64, not int
			}
			args = append(args, driver.NamedValue{Ordinal: len(args) + 1, Value: v})
		}
	}
	inUsers := func() {
		for i, u := range users {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("?")
			add(u)
		}
	}
	sb.WriteString("START TRANSACTION; SELECT id FROM users WHERE id IN (")
	inUsers()
	sb.WriteString(") FOR UPDATE; SELECT user_id, MAX(last_seen_at) FROM lesson_progress WHERE user_id IN (")
	inUsers()
	sb.WriteString(") GROUP BY user_id; ")
	sb.WriteString("INSERT INTO progress_events (event_key, user_id, lesson_id, type, seconds, credited_seconds, received_at) VALUES ")
	for i, e := range p.events {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(?, ?, ?, ?, ?, ?, ?)")
		add(e.EventKey, e.UserID, e.LessonID, e.Type, e.Seconds, e.CreditedSeconds, e.ReceivedAt)
	}
	// An event id the learner sent before (unique per learner) changes
	// nothing and counts no affected row.
	sb.WriteString(" ON DUPLICATE KEY UPDATE event_key = event_key; SELECT ROW_COUNT(); ")
	uq, uargs := s.progressUpsert(p.bumps)
	sb.WriteString(uq)
	add(uargs...)
	return sb.String(), args
}

// readHeartbeatResults runs the request and checks its results: errStale
// when a learner's activity is not what was assumed, errRaced when fewer
// event rows were stored than sent.
func readHeartbeatResults(ctx context.Context, qc driver.QueryerContext, q string, args []driver.NamedValue,
	assumed map[int64]time.Time, events int) error {
	rows, err := qc.QueryContext(ctx, q, args)
	if err != nil {
		return err
	}
	defer rows.Close()
	next, ok := rows.(driver.RowsNextResultSet)
	if !ok {
		return fmt.Errorf("store: %T has no result sets", rows)
	}
	// The locked learners: nothing to check, the lock is the point.
	if err := eachRow(rows, next, 1, func([]driver.Value) {}); err != nil {
		return err
	}
	stale, seen := false, 0
	err = eachRow(rows, next, 2, func(vals []driver.Value) {
		u := asInt64(vals[0])
		t, _ := vals[1].(time.Time)
		if got, ok := assumed[u]; !ok || !got.Equal(t) {
			stale = true
		}
		seen++
	})
	if err != nil {
		return err
	}
	for _, t := range assumed {
		if !t.IsZero() {
			seen-- // each learner with activity must have been read
		}
	}
	if seen != 0 {
		stale = true
	}
	vals := make([]driver.Value, 1)
	if err := rows.Next(vals); err != nil {
		return err
	}
	stored := asInt64(vals[0])
	// The upsert's outcome: an error here means it failed.
	for {
		err := next.NextResultSet()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	switch {
	case stale:
		return errStale
	case stored != int64(events):
		return errRaced
	}
	return nil
}

// eachRow calls fn with every row of the current result set, then moves to
// the next result set.
func eachRow(rows driver.Rows, next driver.RowsNextResultSet, columns int, fn func([]driver.Value)) error {
	vals := make([]driver.Value, columns)
	for {
		err := rows.Next(vals)
		if err == io.EOF {
			return next.NextResultSet()
		}
		if err != nil {
			return err
		}
		fn(vals)
	}
}

func asInt64(v driver.Value) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case uint64:
		return int64(n)
	}
	return -1
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
