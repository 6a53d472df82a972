-- +goose Up
-- Who published each version (NULL: shipped, imported from the shell, or
-- published before this migration), for the version history.
ALTER TABLE course_versions ADD COLUMN published_by BIGINT NULL;

-- A request to show a course to more people than its publisher may: its
-- region or everyone. The course keeps its visibility until a region admin
-- or an admin approves; the owner's institution and region are copied in so
-- reviewers' queues are one indexed read.
CREATE TABLE IF NOT EXISTS course_reviews (
  id                   BIGINT        NOT NULL AUTO_INCREMENT,
  course_id            BIGINT        NOT NULL,
  visibility           VARCHAR(16)   NOT NULL,
  status               VARCHAR(16)   NOT NULL DEFAULT 'pending',
  owner_institution_id BIGINT        NULL,
  owner_region_code    VARCHAR(6)    NOT NULL DEFAULT '',
  requested_by         BIGINT        NOT NULL,
  requested_at         DATETIME(3)   NOT NULL,
  decided_by           BIGINT        NULL,
  decided_at           DATETIME(3)   NULL,
  comment              VARCHAR(1000) NOT NULL DEFAULT '',
  PRIMARY KEY (id),
  KEY idx_course_reviews_status (status, id),
  KEY idx_course_reviews_course (course_id, id),
  CONSTRAINT fk_course_reviews_course FOREIGN KEY (course_id) REFERENCES courses (id),
  CONSTRAINT fk_course_reviews_requested FOREIGN KEY (requested_by) REFERENCES users (id),
  CONSTRAINT fk_course_reviews_decided FOREIGN KEY (decided_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A learner's "report a problem" on a lesson, for the course's editors.
CREATE TABLE IF NOT EXISTS lesson_reports (
  id          BIGINT        NOT NULL AUTO_INCREMENT,
  course_id   BIGINT        NOT NULL,
  lesson_id   BIGINT        NOT NULL,
  lesson_slug VARCHAR(64)   NOT NULL,
  user_id     BIGINT        NOT NULL,
  reason      VARCHAR(16)   NOT NULL,
  text        VARCHAR(1000) NOT NULL DEFAULT '',
  created_at  DATETIME(3)   NOT NULL,
  resolved_at DATETIME(3)   NULL,
  resolved_by BIGINT        NULL,
  PRIMARY KEY (id),
  KEY idx_lesson_reports_course (course_id, id),
  KEY idx_lesson_reports_user (user_id, created_at),
  CONSTRAINT fk_lesson_reports_course FOREIGN KEY (course_id) REFERENCES courses (id),
  CONSTRAINT fk_lesson_reports_lesson FOREIGN KEY (lesson_id) REFERENCES lessons (id),
  CONSTRAINT fk_lesson_reports_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE IF EXISTS lesson_reports;
DROP TABLE IF EXISTS course_reviews;
ALTER TABLE course_versions DROP COLUMN published_by;
