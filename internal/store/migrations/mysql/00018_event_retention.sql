-- +goose Up
-- Raw heartbeat rows older than XUETANG_EVENT_RETENTION are pruned once the
-- statistics have read them. What stays forever: every event's id (so an
-- auditor can still match a client's log), and its credited time summed per
-- learner, lesson and day (so `xuetang stats rebuild` counts the same).
-- Neither table has a secondary index: a pruned event costs about a third
-- of its raw row.
CREATE TABLE IF NOT EXISTS progress_event_keys (
  user_id   BIGINT     NOT NULL,
  event_key BINARY(16) NOT NULL,
  PRIMARY KEY (user_id, event_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS progress_event_days (
  user_id          BIGINT NOT NULL,
  lesson_id        BIGINT NOT NULL,
  day              INT    NOT NULL,
  events           INT    NOT NULL DEFAULT 0,
  seconds          INT    NOT NULL DEFAULT 0,
  credited_seconds INT    NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, lesson_id, day)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- How far the pruning has walked progress_events by id.
ALTER TABLE stats_state ADD COLUMN events_pruned_to BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE stats_state DROP COLUMN events_pruned_to;
DROP TABLE IF EXISTS progress_event_days;
DROP TABLE IF EXISTS progress_event_keys;
