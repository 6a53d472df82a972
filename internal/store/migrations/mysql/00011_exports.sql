-- +goose Up
-- An export of completion records or indicators, run in the background.
-- The row is the job's whole state, so any instance answers its status;
-- heartbeat_at is renewed while it runs, so a job whose process died is
-- recognised (and marked failed) by whichever instance looks next.
-- file_name is set only once the finished file is in place, and cleared
-- when the file is deleted (expired, discarded).
CREATE TABLE IF NOT EXISTS export_jobs (
  id             CHAR(32)     NOT NULL,
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
  created_at     DATETIME(3)  NOT NULL,
  started_at     DATETIME(3)  NULL,
  heartbeat_at   DATETIME(3)  NULL,
  finished_at    DATETIME(3)  NULL,
  expires_at     DATETIME(3)  NULL,
  PRIMARY KEY (id),
  KEY idx_export_jobs_status (status, created_at),
  KEY idx_export_jobs_actor (actor_id, created_at),
  CONSTRAINT fk_export_jobs_actor FOREIGN KEY (actor_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE IF EXISTS export_jobs;
