-- +goose Up
-- See the MySQL migration of the same number.
ALTER TABLE course_versions ADD COLUMN published_by BIGINT NULL;

CREATE TABLE IF NOT EXISTS course_reviews (
  id                   INTEGER       NOT NULL PRIMARY KEY AUTOINCREMENT,
  course_id            BIGINT        NOT NULL,
  visibility           VARCHAR(16)   NOT NULL,
  status               VARCHAR(16)   NOT NULL DEFAULT 'pending',
  owner_institution_id BIGINT        NULL,
  owner_region_code    VARCHAR(6)    NOT NULL DEFAULT '',
  requested_by         BIGINT        NOT NULL,
  requested_at         DATETIME      NOT NULL,
  decided_by           BIGINT        NULL,
  decided_at           DATETIME      NULL,
  comment              VARCHAR(1000) NOT NULL DEFAULT '',
  FOREIGN KEY (course_id) REFERENCES courses (id),
  FOREIGN KEY (requested_by) REFERENCES users (id),
  FOREIGN KEY (decided_by) REFERENCES users (id)
);
CREATE INDEX IF NOT EXISTS idx_course_reviews_status ON course_reviews (status, id);
CREATE INDEX IF NOT EXISTS idx_course_reviews_course ON course_reviews (course_id, id);

CREATE TABLE IF NOT EXISTS lesson_reports (
  id          INTEGER       NOT NULL PRIMARY KEY AUTOINCREMENT,
  course_id   BIGINT        NOT NULL,
  lesson_id   BIGINT        NOT NULL,
  lesson_slug VARCHAR(64)   NOT NULL,
  user_id     BIGINT        NOT NULL,
  reason      VARCHAR(16)   NOT NULL,
  text        VARCHAR(1000) NOT NULL DEFAULT '',
  created_at  DATETIME      NOT NULL,
  resolved_at DATETIME      NULL,
  resolved_by BIGINT        NULL,
  FOREIGN KEY (course_id) REFERENCES courses (id),
  FOREIGN KEY (lesson_id) REFERENCES lessons (id),
  FOREIGN KEY (user_id) REFERENCES users (id)
);
CREATE INDEX IF NOT EXISTS idx_lesson_reports_course ON lesson_reports (course_id, id);
CREATE INDEX IF NOT EXISTS idx_lesson_reports_user ON lesson_reports (user_id, created_at);

-- +goose Down
DROP TABLE IF EXISTS lesson_reports;
DROP TABLE IF EXISTS course_reviews;
ALTER TABLE course_versions DROP COLUMN published_by;
