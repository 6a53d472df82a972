-- +goose Up
-- "My learning" reads a learner's events past the statistics watermark by id.
CREATE INDEX IF NOT EXISTS idx_progress_events_user_id ON progress_events (user_id, id);

-- A yearly study-hour statement as printed: a snapshot, verifiable by serial.
CREATE TABLE IF NOT EXISTS statements (
  id         INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
  serial     VARCHAR(32)  NOT NULL,
  user_id    BIGINT       NOT NULL,
  year       INT          NOT NULL,
  total      DECIMAL(8,2) NOT NULL,
  content    TEXT         NOT NULL,
  issued_at  DATETIME     NOT NULL,
  FOREIGN KEY (user_id) REFERENCES users (id)
);
CREATE UNIQUE INDEX IF NOT EXISTS uq_statements_serial ON statements (serial);
CREATE INDEX IF NOT EXISTS idx_statements_user_year ON statements (user_id, year, id);

-- +goose Down
DROP TABLE IF EXISTS statements;
DROP INDEX IF EXISTS idx_progress_events_user_id;
