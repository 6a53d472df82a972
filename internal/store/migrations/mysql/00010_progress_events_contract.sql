-- +goose Up
-- The contract step of 00004: every instance now runs code that writes and
-- reads event_key only. Rows written by older instances after 00005 get
-- their key here; then the text id, its index and the NULLs go. One fewer
-- unique index for every event written. An id that is not a UUID (none
-- were ever accepted) would leave a NULL and fail the MODIFY: loudly,
-- with nothing lost.
UPDATE progress_events SET event_key = UNHEX(REPLACE(event_id, '-', ''))
WHERE event_key IS NULL;
ALTER TABLE progress_events
  DROP INDEX uq_progress_events_user_event,
  DROP COLUMN event_id,
  MODIFY event_key BINARY(16) NOT NULL;

-- +goose Down
ALTER TABLE progress_events
  MODIFY event_key BINARY(16) NULL,
  ADD COLUMN event_id VARCHAR(36) NULL AFTER id;
UPDATE progress_events SET event_id = LOWER(CONCAT_WS('-', SUBSTR(HEX(event_key), 1, 8), SUBSTR(HEX(event_key), 9, 4),
  SUBSTR(HEX(event_key), 13, 4), SUBSTR(HEX(event_key), 17, 4), SUBSTR(HEX(event_key), 21, 12)));
ALTER TABLE progress_events
  MODIFY event_id VARCHAR(36) NOT NULL,
  ADD UNIQUE KEY uq_progress_events_user_event (user_id, event_id);
