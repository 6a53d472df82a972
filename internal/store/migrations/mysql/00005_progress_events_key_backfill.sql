-- +goose Up
-- The backfill of 00004's event_key, a migration of its own so that a
-- failure here re-runs only this (it skips rows already filled). Ids that
-- are not UUIDs (none are accepted) would stay NULL: UNHEX gives NULL.
UPDATE progress_events SET event_key = UNHEX(REPLACE(event_id, '-', ''))
WHERE event_key IS NULL;

-- +goose Down
-- Nothing: 00004's down drops the column.
SELECT 1;
