-- +goose Up
-- The contract step of 00004 (see the MySQL file). SQLite cannot make a
-- column NOT NULL without rebuilding the table, so event_key stays
-- nullable here; every write sets it and its unique index stands.
UPDATE progress_events SET event_key = unhex(replace(event_id, '-', ''))
WHERE event_key IS NULL;
DROP INDEX IF EXISTS uq_progress_events_user_event;
ALTER TABLE progress_events DROP COLUMN event_id;

-- +goose Down
ALTER TABLE progress_events ADD COLUMN event_id VARCHAR(36) NULL;
UPDATE progress_events SET event_id = lower(substr(hex(event_key), 1, 8) || '-' || substr(hex(event_key), 9, 4) || '-' ||
  substr(hex(event_key), 13, 4) || '-' || substr(hex(event_key), 17, 4) || '-' || substr(hex(event_key), 21, 12));
CREATE UNIQUE INDEX IF NOT EXISTS uq_progress_events_user_event ON progress_events (user_id, event_id);
