-- +goose Up
-- The backfill of 00004's event_key (see the MySQL migration).
UPDATE progress_events SET event_key = unhex(replace(event_id, '-', ''))
WHERE event_key IS NULL;

-- +goose Down
SELECT 1;
