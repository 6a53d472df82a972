package store

import (
	"context"

	"gorm.io/gorm"
)

// WriteGormForBench hands the benchmarks the store's own write handle, so the
// naive baseline runs on exactly the pool, dialect settings and GORM
// configuration the real progress writes use.
func (s *Store) WriteGormForBench() *gorm.DB { return s.w }

// ProgressTxIsolation reports the isolation level a progress write's
// transaction runs at, as the server sees it.
func (s *Store) ProgressTxIsolation(ctx context.Context) (string, error) {
	if s.dialect != MySQL {
		return "", nil
	}
	var version string
	if err := s.r.WithContext(ctx).Raw("SELECT VERSION()").Scan(&version).Error; err != nil {
		return "", err
	}
	var level string
	err := s.txReadCommitted(ctx, func(tx *gorm.DB) error {
		return tx.Raw("SELECT @@SESSION." + isolationVariable(version)).Scan(&level).Error
	})
	return level, err
}

// HeartbeatBatches counts progress batches written the heartbeat way, and
// how many of them were credited from remembered activity (one round trip).
func (s *Store) HeartbeatBatches() (all, remembered int64) {
	return s.heartbeatBatches.Load(), s.rememberedBatches.Load()
}

// RecordHeartbeats exposes the heartbeat way on its own.
func (s *Store) RecordHeartbeats(ctx context.Context, in []ProgressInput, f Rules) ([]ProgressOutcome, error) {
	return s.recordHeartbeats(ctx, in, f)
}

// ErrRaced is the answer for a batch holding an event id stored before.
var ErrRaced = errRaced

// PauseBeforeHeartbeatCommit makes every heartbeat batch call f while its
// transaction is still open, just before COMMIT.
func (s *Store) PauseBeforeHeartbeatCommit(f func()) { s.beforeHeartbeatCommit = f }
