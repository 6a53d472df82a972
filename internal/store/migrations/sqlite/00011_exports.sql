-- +goose Up
-- An export of completion records or indicators, run in the background.
-- See the MySQL migration of the same number for what the columns mean.
CREATE TABLE IF NOT EXISTS export_jobs (
  id             CHAR(32)     NOT NULL PRIMARY KEY,
  actor_id       BIGINT       NOT NULL,
  kind           VARCHAR(16)  NOT NULL,
  format         VARCHAR(8)   NOT NULL,
  lang           VARCHAR(10)  NOT NULL,
  filters        VARCHAR(500) NOT NULL,
  status         VARCHAR(16)  NOT NULL,
  rows_done      BIGINT       NOT NULL DEFAULT 0,
  rows_estimated BIGINT       NOT NULL DEFAULT 0,
  error_key      VARCHAR(64)  NOT NULL DEFAULT '',
  file_name      VARCHAR(100) NOT NULL DEFAULT '',
  file_size      BIGINT       NOT NULL DEFAULT 0,
  created_at     DATETIME     NOT NULL,
  started_at     DATETIME     NULL,
  heartbeat_at   DATETIME     NULL,
  finished_at    DATETIME     NULL,
  expires_at     DATETIME     NULL,
  FOREIGN KEY (actor_id) REFERENCES users (id)
);
CREATE INDEX IF NOT EXISTS idx_export_jobs_status ON export_jobs (status, created_at);
CREATE INDEX IF NOT EXISTS idx_export_jobs_actor ON export_jobs (actor_id, created_at);

-- +goose Down
DROP TABLE IF EXISTS export_jobs;
