-- +goose Up
-- The MySQL progress writers' per-learner lock and activity check (see the
-- MySQL migration). SQLite runs one write transaction at a time and needs
-- neither: the table exists so both schemas hold the same tables, and stays
-- empty here.
CREATE TABLE IF NOT EXISTS learner_activity (
  user_id BIGINT   NOT NULL PRIMARY KEY,
  last_at DATETIME NULL,
  prev_at DATETIME NULL,
  seq     BIGINT   NOT NULL DEFAULT 0 CHECK (seq >= 0)
);

-- +goose Down
DROP TABLE IF EXISTS learner_activity;
