package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Raw heartbeat rows are most of progress_events and only matter in detail
// while they can still change a number: the statistics have not read them,
// or an offline client may still replay them. Past XUETANG_EVENT_RETENTION
// neither holds (older events are refused), so their detail goes; what an
// auditor or a rebuild needs stays in two compact tables.

// ProgressEventKey is a pruned event's id, kept forever.
type ProgressEventKey struct {
	UserID   int64  `gorm:"primaryKey"`
	EventKey []byte `gorm:"primaryKey;size:16"`
}

func (ProgressEventKey) TableName() string { return "progress_event_keys" }

// ProgressEventDay sums the pruned events of one learner in one lesson on
// one day (yyyymmdd in the deployment's time zone at the time of pruning).
type ProgressEventDay struct {
	UserID          int64 `gorm:"primaryKey"`
	LessonID        int64 `gorm:"primaryKey"`
	Day             int   `gorm:"primaryKey"`
	Events          int
	Seconds         int
	CreditedSeconds int
}

func (ProgressEventDay) TableName() string { return "progress_event_days" }

// PruneBatch bounds the rows one pruning transaction moves.
const PruneBatch = 2000

// PruneResult says what one call to PruneEvents did.
type PruneResult struct {
	Pruned int  // raw rows removed
	More   bool // the batch was full: call again
}

type pruneRow struct {
	ID              int64
	EventKey        []byte
	UserID          int64
	LessonID        int64
	Seconds         int
	CreditedSeconds int
	ReceivedAt      time.Time
	Type            string
}

// PruneEvents moves the detail of heartbeat rows received before cutoff,
// and already read by the statistics, into progress_event_days and
// progress_event_keys, at most PruneBatch rows in one transaction. It takes
// the statistics lock, so a pass or a rebuild sees every event exactly once:
// either as a raw row or in a day row.
func (s *Store) PruneEvents(ctx context.Context, cutoff time.Time, loc *time.Location) (PruneResult, error) {
	var out PruneResult
	err := s.tx(ctx, func(tx *gorm.DB) error {
		st, err := lockStats(tx)
		if err != nil {
			return err
		}
		// A rebuild counts from a cut it took at its start: an event moved
		// out of progress_events past that cut would be lost to it.
		if statsRebuilding(st, s.now().UTC()) {
			return nil
		}
		var state struct {
			EventsPrunedTo int64
			Tail           int64
		}
		if err := tx.Raw(`SELECT events_pruned_to,
  (SELECT COALESCE(MAX(last_id), 0) FROM stats_tails WHERE source = 'progress_events') AS tail
  FROM stats_state WHERE id = 1`).Scan(&state).Error; err != nil {
			return err
		}
		// Walks by id from where it stopped: ids follow arrival, so the walk
		// ends at the first row received after the cutoff, and open and
		// complete rows left behind are never scanned again.
		var rows []pruneRow
		if err := tx.Raw(`SELECT id, event_key, user_id, lesson_id, seconds, credited_seconds, received_at, type
  FROM progress_events WHERE id > ? AND id <= ? ORDER BY id LIMIT ?`, state.EventsPrunedTo, state.Tail, PruneBatch).
			Scan(&rows).Error; err != nil {
			return err
		}
		var gaps []int64
		if err := tx.Model(&StatsGap{}).Where("source = ?", "progress_events").Pluck("id", &gaps).Error; err != nil {
			return err
		}
		waiting := make(map[int64]bool, len(gaps))
		for _, g := range gaps {
			waiting[g] = true
		}
		cut := cutoff.UTC()
		reached := state.EventsPrunedTo
		var take []pruneRow
		for _, r := range rows {
			if !r.ReceivedAt.Before(cut) {
				break
			}
			reached = r.ID
			if r.Type == "heartbeat" && !waiting[r.ID] {
				take = append(take, r)
			}
		}
		out.More = len(rows) == PruneBatch && reached == rows[len(rows)-1].ID
		if err := s.archiveEvents(tx, take, loc); err != nil {
			return err
		}
		out.Pruned = len(take)
		if reached == state.EventsPrunedTo {
			return nil
		}
		return tx.Model(&StatsState{}).Where("id = 1").Update("events_pruned_to", reached).Error
	})
	return out, classify(err)
}

func (s *Store) archiveEvents(tx *gorm.DB, rows []pruneRow, loc *time.Location) error {
	if len(rows) == 0 {
		return nil
	}
	type dayKey struct {
		user, lesson int64
		day          int
	}
	days := map[dayKey]*ProgressEventDay{}
	var order []dayKey
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
		k := dayKey{r.UserID, r.LessonID, DayNumber(r.ReceivedAt.In(loc))}
		d := days[k]
		if d == nil {
			d = &ProgressEventDay{UserID: k.user, LessonID: k.lesson, Day: k.day}
			days[k] = d
			order = append(order, k)
		}
		d.Events++
		d.Seconds += r.Seconds
		d.CreditedSeconds += r.CreditedSeconds
	}
	ignore, conflict := "INSERT OR IGNORE INTO", " ON CONFLICT (user_id, lesson_id, day) DO UPDATE SET "+
		"events = events + excluded.events, seconds = seconds + excluded.seconds, "+
		"credited_seconds = credited_seconds + excluded.credited_seconds"
	if s.dialect == MySQL {
		ignore, conflict = "INSERT IGNORE INTO", " ON DUPLICATE KEY UPDATE events = events + VALUES(events), "+
			"seconds = seconds + VALUES(seconds), credited_seconds = credited_seconds + VALUES(credited_seconds)"
	}
	for start := 0; start < len(rows); start += 500 {
		part := rows[start:min(start+500, len(rows))]
		args := make([]any, 0, 2*len(part))
		for _, r := range part {
			args = append(args, r.UserID, r.EventKey)
		}
		q := ignore + " progress_event_keys (user_id, event_key) VALUES " + placeholders(len(part), 2)
		if err := tx.Exec(q, args...).Error; err != nil {
			return err
		}
	}
	for start := 0; start < len(order); start += 300 {
		part := order[start:min(start+300, len(order))]
		args := make([]any, 0, 6*len(part))
		for _, k := range part {
			d := days[k]
			args = append(args, d.UserID, d.LessonID, d.Day, d.Events, d.Seconds, d.CreditedSeconds)
		}
		q := "INSERT INTO progress_event_days (user_id, lesson_id, day, events, seconds, credited_seconds) VALUES " +
			placeholders(len(part), 6) + conflict
		if err := tx.Exec(q, args...).Error; err != nil {
			return err
		}
	}
	for _, ch := range chunks(ids, 500) {
		if err := tx.Exec("DELETE FROM progress_events WHERE id IN ?", ch).Error; err != nil {
			return err
		}
	}
	return nil
}

// placeholders is "(?, ?), (?, ?)" for n rows of width columns.
func placeholders(n, width int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
	var sb strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(row)
	}
	return sb.String()
}

// EventArchive reports what pruning has kept of the raw events.
type EventArchive struct {
	RawEvents  int64
	PrunedKeys int64
	DayRows    int64
	PrunedUpTo int64 // the highest progress_events id the pruning walked past
}

// EventArchiveStatus counts the raw and archived events.
func (s *Store) EventArchiveStatus(ctx context.Context) (EventArchive, error) {
	var a EventArchive
	err := s.r.WithContext(ctx).Raw(`SELECT
  (SELECT COUNT(*) FROM progress_events) AS raw_events,
  (SELECT COUNT(*) FROM progress_event_keys) AS pruned_keys,
  (SELECT COUNT(*) FROM progress_event_days) AS day_rows,
  (SELECT events_pruned_to FROM stats_state WHERE id = 1) AS pruned_up_to`).Scan(&a).Error
	if err != nil {
		return a, classify(fmt.Errorf("event archive status: %w", err))
	}
	return a, nil
}
