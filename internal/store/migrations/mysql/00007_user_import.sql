-- +goose Up
-- Guardian consent for learners under 14 (PIPL): who consented and on which
-- day, recorded when the account is created (an import carries both).
ALTER TABLE users
  ADD COLUMN guardian_name         VARCHAR(100) NULL,
  ADD COLUMN guardian_consent_date DATE         NULL;
-- A bulk import of people. The row is written before the work starts, so a
-- background job can be polled from any instance; the one-time passwords
-- themselves are never stored here.
CREATE TABLE IF NOT EXISTS import_jobs (
  id             CHAR(32)    NOT NULL,
  actor_id       BIGINT      NOT NULL,
  institution_id BIGINT      NULL,
  status         VARCHAR(16) NOT NULL,
  rows_total     INT         NOT NULL,
  rows_done      INT         NOT NULL DEFAULT 0,
  created        INT         NOT NULL DEFAULT 0,
  error_key      VARCHAR(64) NOT NULL DEFAULT '',
  created_at     DATETIME(3) NOT NULL,
  finished_at    DATETIME(3) NULL,
  PRIMARY KEY (id),
  KEY idx_import_jobs_status (status),
  CONSTRAINT fk_import_jobs_actor FOREIGN KEY (actor_id) REFERENCES users (id),
  CONSTRAINT fk_import_jobs_institution FOREIGN KEY (institution_id) REFERENCES institutions (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE IF EXISTS import_jobs;
ALTER TABLE users DROP COLUMN guardian_consent_date, DROP COLUMN guardian_name;
