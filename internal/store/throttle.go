package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

type throttleCounter struct {
	K       string `gorm:"column:k;primaryKey;size:191"`
	Hits    int
	ResetAt time.Time
}

func (throttleCounter) TableName() string { return "throttle_counters" }

// HitCounter adds one to a fixed-window counter and returns the new count.
// A lapsed window starts again at 1. Shared by every app instance, since
// they all use this database.
func (s *Store) HitCounter(ctx context.Context, key string, window time.Duration) (int, error) {
	hits, _, err := s.HitCounterWindow(ctx, key, window)
	return hits, err
}

// HitCounterWindow is HitCounter that also says how long until the window
// lapses, for a Retry-After, or for a counter used as a lock: a count of 1
// means this call opened the window.
func (s *Store) HitCounterWindow(ctx context.Context, key string, window time.Duration) (int, time.Duration, error) {
	now := s.now()
	var c throttleCounter
	if s.dialect == MySQL {
		// One upsert instead of SELECT ... FOR UPDATE then INSERT: two
		// first hits on a new key took gap locks and deadlocked (error 1213).
		// Assignments run left to right, so reset_at in the second IF is
		// still the old value.
		err := s.tx(ctx, func(tx *gorm.DB) error {
			if err := tx.Exec(`INSERT INTO throttle_counters (k, hits, reset_at) VALUES (?, 1, ?)
				ON DUPLICATE KEY UPDATE hits = IF(reset_at <= ?, 1, hits + 1), reset_at = IF(reset_at <= ?, ?, reset_at)`,
				key, now.Add(window), now, now, now.Add(window)).Error; err != nil {
				return err
			}
			return tx.Raw("SELECT k, hits, reset_at FROM throttle_counters WHERE k = ? FOR UPDATE", key).Scan(&c).Error
		})
		if err != nil {
			return 0, 0, classify(err)
		}
		return c.Hits, until(c.ResetAt, now), nil
	}
	// SQLite has a single writer connection, so read-then-write is safe.
	err := s.tx(ctx, func(tx *gorm.DB) error {
		err := tx.Where("k = ?", key).Take(&c).Error
		switch {
		case err == gorm.ErrRecordNotFound:
			c = throttleCounter{K: key, Hits: 1, ResetAt: now.Add(window)}
			// A racing instance may insert first; then count on its row.
			return tx.Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "k"}},
				DoUpdates: clause.Assignments(map[string]any{"hits": gorm.Expr("hits + 1")}),
			}).Create(&c).Error
		case err != nil:
			return err
		}
		if !now.Before(c.ResetAt) {
			c.Hits, c.ResetAt = 1, now.Add(window)
		} else {
			c.Hits++
		}
		return tx.Model(&throttleCounter{}).Where("k = ?", key).
			Updates(map[string]any{"hits": c.Hits, "reset_at": c.ResetAt}).Error
	})
	if err != nil {
		return 0, 0, classify(err)
	}
	return c.Hits, until(c.ResetAt, now), nil
}

// until is how long from now until t, never negative.
func until(t, now time.Time) time.Duration {
	if d := t.Sub(now); d > 0 {
		return d
	}
	return 0
}

// CounterValue reads a counter without changing it; a lapsed window reads 0.
func (s *Store) CounterValue(ctx context.Context, key string) (int, error) {
	hits, _, err := s.CounterState(ctx, key)
	return hits, err
}

// CounterState reads a counter and how long until its window lapses,
// without changing it; a lapsed or unknown counter reads 0 and 0.
func (s *Store) CounterState(ctx context.Context, key string) (int, time.Duration, error) {
	var c throttleCounter
	err := s.r.WithContext(ctx).Where("k = ?", key).Take(&c).Error
	if err == gorm.ErrRecordNotFound {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, classify(err)
	}
	now := s.now()
	if !now.Before(c.ResetAt) {
		return 0, 0, nil
	}
	return c.Hits, until(c.ResetAt, now), nil
}

// ResetCounter clears a counter.
func (s *Store) ResetCounter(ctx context.Context, key string) error {
	return classify(s.w.WithContext(ctx).Where("k = ?", key).Delete(&throttleCounter{}).Error)
}
