-- +goose Up
-- "My learning" reads a learner's events past the statistics watermark by id.
CREATE INDEX idx_progress_events_user_id ON progress_events (user_id, id);

-- A yearly study-hour statement as printed: a snapshot, verifiable by serial.
CREATE TABLE IF NOT EXISTS statements (
  id         BIGINT       NOT NULL AUTO_INCREMENT,
  serial     VARCHAR(32)  NOT NULL,
  user_id    BIGINT       NOT NULL,
  year       INT          NOT NULL,
  total      DECIMAL(8,2) NOT NULL,
  content    TEXT         NOT NULL,
  issued_at  DATETIME(3)  NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_statements_serial (serial),
  KEY idx_statements_user_year (user_id, year, id),
  CONSTRAINT fk_statements_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE IF EXISTS statements;
DROP INDEX idx_progress_events_user_id ON progress_events;
