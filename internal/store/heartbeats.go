package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"

	mysqldrv "github.com/go-sql-driver/mysql"
)

// recordHeartbeats is RecordProgress on MySQL for a batch without completions
// (nearly every batch: heartbeats and opens), in three round trips instead
// of five: the learners' latest activity is read before the transaction (a
// non-locking read, as it would be inside one at READ COMMITTED), the
// transaction's start and both writes go as one multi-statement request, and
// the commit follows once the event rows are known to be all new. A batch's
// transaction time bounds how many events a writer stores per second.
//
// It answers errRaced when an event id was stored before (nothing is kept);
// the caller then writes the batch the general way, with the look-up. On any
// other failure too nothing is kept, and the general way reports or retries.
func (s *Store) recordHeartbeats(ctx context.Context, in []ProgressInput) ([]ProgressOutcome, error) {
	last, err := lastSeen(s.rc.WithContext(ctx), usersOf(in))
	if err != nil {
		return nil, err
	}
	p := planBatch(in, nil, last, s.now())
	var sb strings.Builder
	args := make([]driver.NamedValue, 0, len(p.events)*7+len(p.bumps)*7)
	add := func(vs ...any) {
		for _, v := range vs {
			args = append(args, driver.NamedValue{Ordinal: len(args) + 1, Value: v})
		}
	}
	sb.WriteString("START TRANSACTION; INSERT INTO progress_events (event_id, user_id, lesson_id, type, seconds, credited_seconds, received_at) VALUES ")
	for i, e := range p.events {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(?, ?, ?, ?, ?, ?, ?)")
		add(e.EventID, e.UserID, e.LessonID, e.Type, int64(e.Seconds), int64(e.CreditedSeconds), e.ReceivedAt)
	}
	// A duplicate event id changes nothing and counts no affected row.
	sb.WriteString(" ON DUPLICATE KEY UPDATE event_id = event_id; ")
	q, uargs := s.progressUpsert(p.bumps)
	sb.WriteString(q)
	for _, v := range uargs {
		if n, ok := v.(int); ok {
			v = int64(n)
		}
		add(v)
	}

	sqlDB, err := s.rc.DB()
	if err != nil {
		return nil, err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var result error
	err = conn.Raw(func(dc any) error {
		ex, ok := dc.(driver.ExecerContext)
		if !ok {
			return fmt.Errorf("store: %T cannot execute statements", dc)
		}
		res, err := ex.ExecContext(ctx, sb.String(), args)
		if err == nil {
			r, ok := res.(mysqldrv.Result)
			switch {
			case !ok:
				err = fmt.Errorf("store: %T has no per-statement counts", res)
			case len(r.AllRowsAffected()) != 3:
				err = fmt.Errorf("store: %d statement results, want 3", len(r.AllRowsAffected()))
			case r.AllRowsAffected()[1] != int64(len(p.events)):
				err = errRaced
			}
		}
		if err != nil {
			result = err
			if _, rerr := ex.ExecContext(ctx, "ROLLBACK", nil); rerr != nil {
				// The connection's state is unknown: database/sql must
				// discard it rather than hand it to the next caller.
				return driver.ErrBadConn
			}
			return nil
		}
		_, result = ex.ExecContext(ctx, "COMMIT", nil)
		if result != nil {
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
	s.heartbeatBatches.Add(1)
	return p.out, nil
}
