-- +goose Up
-- The (user_id, id) index serves every per-learner read this one did (see
-- the MySQL migration, which also drops the table's foreign keys; SQLite
-- would have to rebuild the table for that, and its single writer is not
-- where its time goes).
DROP INDEX IF EXISTS idx_progress_events_user;

-- +goose Down
CREATE INDEX IF NOT EXISTS idx_progress_events_user ON progress_events (user_id, received_at);
