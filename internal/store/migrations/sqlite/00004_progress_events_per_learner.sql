-- +goose Up
-- Event ids are deduplicated per learner, not across all learners, and kept
-- as the UUID's 16 bytes: the expand step. See the MySQL migration of the
-- same number for the columns, the indexes and the later contract step.
ALTER TABLE progress_events ADD COLUMN event_key BLOB NULL;
DROP INDEX IF EXISTS uq_progress_events_event;
CREATE UNIQUE INDEX IF NOT EXISTS uq_progress_events_user_event ON progress_events (user_id, event_id);
CREATE UNIQUE INDEX IF NOT EXISTS uq_progress_events_user_key ON progress_events (user_id, event_key);

-- +goose Down
DROP INDEX IF EXISTS uq_progress_events_user_key;
DROP INDEX IF EXISTS uq_progress_events_user_event;
CREATE UNIQUE INDEX IF NOT EXISTS uq_progress_events_event ON progress_events (event_id);
ALTER TABLE progress_events DROP COLUMN event_key;
