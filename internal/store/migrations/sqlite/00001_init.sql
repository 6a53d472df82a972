-- +goose Up
-- SQLite runs this whole file in one transaction: it applies fully or not at all.
CREATE TABLE IF NOT EXISTS regions (
  code        CHAR(6)      NOT NULL,
  name        VARCHAR(100) NOT NULL,
  parent_code CHAR(6)      NULL,
  PRIMARY KEY (code)
);

CREATE TABLE IF NOT EXISTS institutions (
  id          INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
  code        VARCHAR(32)  NOT NULL,
  name        VARCHAR(200) NOT NULL,
  kind        VARCHAR(20)  NOT NULL,
  region_code CHAR(6)      NOT NULL,
  created_at  DATETIME  NOT NULL,
  FOREIGN KEY (region_code) REFERENCES regions (code)
);
CREATE UNIQUE INDEX IF NOT EXISTS uq_institutions_code ON institutions (code);
CREATE INDEX IF NOT EXISTS idx_institutions_region ON institutions (region_code);

CREATE TABLE IF NOT EXISTS users (
  id             INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
  username       VARCHAR(64)  NOT NULL,
  display_name   VARCHAR(100) NOT NULL,
  password_hash  VARCHAR(255) NOT NULL,
  role           VARCHAR(20)  NOT NULL,
  institution_id BIGINT       NULL,
  region_code    CHAR(6)      NULL,
  locale         VARCHAR(10)  NOT NULL DEFAULT 'zh-CN',
  birth_year     INT          NULL,
  disabled       BOOLEAN      NOT NULL DEFAULT 0,
  created_at     DATETIME  NOT NULL,
  updated_at     DATETIME  NOT NULL,
  FOREIGN KEY (institution_id) REFERENCES institutions (id),
  FOREIGN KEY (region_code) REFERENCES regions (code)
);
CREATE UNIQUE INDEX IF NOT EXISTS uq_users_username ON users (username);
CREATE INDEX IF NOT EXISTS idx_users_institution ON users (institution_id);
CREATE INDEX IF NOT EXISTS idx_users_role ON users (role);

CREATE TABLE IF NOT EXISTS courses (
  id                 INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
  slug               VARCHAR(64) NOT NULL,
  translation_group  VARCHAR(64) NOT NULL,
  language           VARCHAR(10) NOT NULL,
  current_version_id BIGINT      NULL,
  published          BOOLEAN     NOT NULL DEFAULT 1,
  created_at         DATETIME NOT NULL,
  updated_at         DATETIME NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS uq_courses_slug ON courses (slug);
CREATE INDEX IF NOT EXISTS idx_courses_group ON courses (translation_group);

CREATE TABLE IF NOT EXISTS course_versions (
  id            INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
  course_id     BIGINT        NOT NULL,
  version       INT           NOT NULL,
  title         VARCHAR(200)  NOT NULL,
  summary       VARCHAR(1000) NOT NULL,
  audience      VARCHAR(100)  NOT NULL,
  level         VARCHAR(20)   NOT NULL,
  study_hours   DECIMAL(6,2)  NOT NULL,
  pass_score    INT           NOT NULL,
  translation_of VARCHAR(64)  NOT NULL DEFAULT '',
  checksum      CHAR(64)      NOT NULL,
  published_at  DATETIME   NOT NULL,
  FOREIGN KEY (course_id) REFERENCES courses (id)
);
CREATE UNIQUE INDEX IF NOT EXISTS uq_course_versions ON course_versions (course_id, version);

CREATE TABLE IF NOT EXISTS lessons (
  id                INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
  course_version_id BIGINT       NOT NULL,
  slug              VARCHAR(64)  NOT NULL,
  file_name         VARCHAR(128) NOT NULL,
  position          INT          NOT NULL,
  title             VARCHAR(200) NOT NULL,
  minutes           INT          NOT NULL,
  body              TEXT   NOT NULL,
  html              TEXT   NOT NULL,
  FOREIGN KEY (course_version_id) REFERENCES course_versions (id)
);
CREATE UNIQUE INDEX IF NOT EXISTS uq_lessons_slug ON lessons (course_version_id, slug);
CREATE INDEX IF NOT EXISTS idx_lessons_position ON lessons (course_version_id, position);

CREATE TABLE IF NOT EXISTS questions (
  id          INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
  lesson_id   BIGINT      NOT NULL,
  qid         VARCHAR(32) NOT NULL,
  position    INT         NOT NULL,
  type        VARCHAR(16) NOT NULL,
  prompt      TEXT        NOT NULL,
  options     TEXT        NOT NULL,
  answer      TEXT        NOT NULL,
  explanation TEXT        NOT NULL,
  FOREIGN KEY (lesson_id) REFERENCES lessons (id)
);
CREATE UNIQUE INDEX IF NOT EXISTS uq_questions_qid ON questions (lesson_id, qid);

CREATE TABLE IF NOT EXISTS course_assets (
  id                INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
  course_version_id BIGINT       NOT NULL,
  path              VARCHAR(255) NOT NULL,
  content_type      VARCHAR(64)  NOT NULL,
  data              BLOB   NOT NULL,
  FOREIGN KEY (course_version_id) REFERENCES course_versions (id)
);
CREATE UNIQUE INDEX IF NOT EXISTS uq_course_assets_path ON course_assets (course_version_id, path);

CREATE TABLE IF NOT EXISTS classes (
  id             INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
  institution_id BIGINT       NOT NULL,
  name           VARCHAR(100) NOT NULL,
  teacher_id     BIGINT       NULL,
  created_at     DATETIME  NOT NULL,
  FOREIGN KEY (institution_id) REFERENCES institutions (id),
  FOREIGN KEY (teacher_id) REFERENCES users (id)
);
CREATE INDEX IF NOT EXISTS idx_classes_institution ON classes (institution_id);

CREATE TABLE IF NOT EXISTS class_members (
  class_id  BIGINT      NOT NULL,
  user_id   BIGINT      NOT NULL,
  joined_at DATETIME NOT NULL,
  PRIMARY KEY (class_id, user_id),
  FOREIGN KEY (class_id) REFERENCES classes (id),
  FOREIGN KEY (user_id) REFERENCES users (id)
);
CREATE INDEX IF NOT EXISTS idx_class_members_user ON class_members (user_id);

CREATE TABLE IF NOT EXISTS assignments (
  id         INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
  class_id   BIGINT      NOT NULL,
  course_id  BIGINT      NOT NULL,
  due_at     DATETIME NULL,
  created_by BIGINT      NULL,
  created_at DATETIME NOT NULL,
  FOREIGN KEY (class_id) REFERENCES classes (id),
  FOREIGN KEY (course_id) REFERENCES courses (id),
  FOREIGN KEY (created_by) REFERENCES users (id)
);
CREATE UNIQUE INDEX IF NOT EXISTS uq_assignments ON assignments (class_id, course_id);
CREATE INDEX IF NOT EXISTS idx_assignments_course ON assignments (course_id);

CREATE TABLE IF NOT EXISTS enrollments (
  id                INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
  user_id           BIGINT       NOT NULL,
  course_id         BIGINT       NOT NULL,
  course_version_id BIGINT       NOT NULL,
  enrolled_at       DATETIME  NOT NULL,
  completed_at      DATETIME  NULL,
  hours_credited    DECIMAL(6,2) NOT NULL DEFAULT 0,
  institution_id    BIGINT       NULL,
  region_code       CHAR(6)      NULL,
  FOREIGN KEY (user_id) REFERENCES users (id),
  FOREIGN KEY (course_id) REFERENCES courses (id),
  FOREIGN KEY (course_version_id) REFERENCES course_versions (id)
);
CREATE UNIQUE INDEX IF NOT EXISTS uq_enrollments ON enrollments (user_id, course_id);
CREATE INDEX IF NOT EXISTS idx_enrollments_course_done ON enrollments (course_id, completed_at);
CREATE INDEX IF NOT EXISTS idx_enrollments_inst_done ON enrollments (institution_id, completed_at);
CREATE INDEX IF NOT EXISTS idx_enrollments_region_done ON enrollments (region_code, completed_at);

CREATE TABLE IF NOT EXISTS lesson_progress (
  id              INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
  user_id         BIGINT      NOT NULL,
  course_id       BIGINT      NOT NULL,
  lesson_slug     VARCHAR(64) NOT NULL,
  first_opened_at DATETIME NOT NULL,
  last_seen_at    DATETIME NOT NULL,
  completed_at    DATETIME NULL,
  active_seconds  INT         NOT NULL DEFAULT 0,
  best_score      INT         NULL,
  attempts        INT         NOT NULL DEFAULT 0,
  FOREIGN KEY (user_id) REFERENCES users (id),
  FOREIGN KEY (course_id) REFERENCES courses (id)
);
CREATE UNIQUE INDEX IF NOT EXISTS uq_lesson_progress ON lesson_progress (user_id, course_id, lesson_slug);

CREATE TABLE IF NOT EXISTS progress_events (
  id               INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
  event_id         CHAR(36)    NOT NULL,
  user_id          BIGINT      NOT NULL,
  lesson_id        BIGINT      NOT NULL,
  type             VARCHAR(16) NOT NULL,
  seconds          INT         NOT NULL,
  credited_seconds INT         NOT NULL,
  received_at      DATETIME NOT NULL,
  FOREIGN KEY (user_id) REFERENCES users (id),
  FOREIGN KEY (lesson_id) REFERENCES lessons (id)
);
CREATE UNIQUE INDEX IF NOT EXISTS uq_progress_events_event ON progress_events (event_id);
CREATE INDEX IF NOT EXISTS idx_progress_events_user ON progress_events (user_id, received_at);

CREATE TABLE IF NOT EXISTS quiz_attempts (
  id          INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
  user_id     BIGINT      NOT NULL,
  course_id   BIGINT      NOT NULL,
  lesson_id   BIGINT      NOT NULL,
  lesson_slug VARCHAR(64) NOT NULL,
  score       INT         NOT NULL,
  passed      BOOLEAN     NOT NULL,
  answers     TEXT        NOT NULL,
  created_at  DATETIME NOT NULL,
  FOREIGN KEY (user_id) REFERENCES users (id),
  FOREIGN KEY (lesson_id) REFERENCES lessons (id)
);
CREATE INDEX IF NOT EXISTS idx_quiz_attempts_user ON quiz_attempts (user_id, course_id, lesson_slug);

CREATE TABLE IF NOT EXISTS certificates (
  id                INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
  serial            VARCHAR(32)  NOT NULL,
  enrollment_id     BIGINT       NOT NULL,
  user_id           BIGINT       NOT NULL,
  course_id         BIGINT       NOT NULL,
  course_version_id BIGINT       NOT NULL,
  learner_name      VARCHAR(100) NOT NULL,
  course_title      VARCHAR(200) NOT NULL,
  institution_name  VARCHAR(200) NOT NULL DEFAULT '',
  study_hours       DECIMAL(6,2) NOT NULL,
  issued_at         DATETIME  NOT NULL,
  FOREIGN KEY (enrollment_id) REFERENCES enrollments (id),
  FOREIGN KEY (user_id) REFERENCES users (id)
);
CREATE UNIQUE INDEX IF NOT EXISTS uq_certificates_serial ON certificates (serial);
CREATE UNIQUE INDEX IF NOT EXISTS uq_certificates_enrollment ON certificates (enrollment_id);
CREATE INDEX IF NOT EXISTS idx_certificates_user ON certificates (user_id);

CREATE TABLE IF NOT EXISTS study_hour_targets (
  id    INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
  year  INT          NOT NULL,
  scope VARCHAR(80)  NOT NULL,
  hours DECIMAL(6,2) NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS uq_study_hour_targets ON study_hour_targets (year, scope);

CREATE TABLE IF NOT EXISTS audit_log (
  id       INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
  at       DATETIME  NOT NULL,
  actor_id BIGINT       NULL,
  action   VARCHAR(64)  NOT NULL,
  target   VARCHAR(128) NOT NULL,
  detail   TEXT         NOT NULL,
  ip       VARCHAR(45)  NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS idx_audit_log_at ON audit_log (at);
CREATE INDEX IF NOT EXISTS idx_audit_log_actor ON audit_log (actor_id, at);

CREATE TABLE IF NOT EXISTS sessions (
  id           CHAR(64)     NOT NULL,
  user_id      BIGINT       NOT NULL,
  csrf_token   CHAR(43)     NOT NULL,
  shared       BOOLEAN      NOT NULL DEFAULT 0,
  idle_seconds INT          NOT NULL,
  created_at   DATETIME  NOT NULL,
  last_seen_at DATETIME  NOT NULL,
  expires_at   DATETIME  NOT NULL,
  FOREIGN KEY (user_id) REFERENCES users (id)
);
CREATE INDEX IF NOT EXISTS idx_sessions_user ON sessions (user_id);
CREATE INDEX IF NOT EXISTS idx_sessions_expires ON sessions (expires_at);

CREATE TABLE IF NOT EXISTS throttle_counters (
  k        VARCHAR(191) NOT NULL,
  hits     INT          NOT NULL,
  reset_at DATETIME  NOT NULL,
  PRIMARY KEY (k)
);

-- +goose Down
DROP TABLE IF EXISTS throttle_counters;
DROP TABLE IF EXISTS sessions;
DROP TABLE IF EXISTS audit_log;
DROP TABLE IF EXISTS study_hour_targets;
DROP TABLE IF EXISTS certificates;
DROP TABLE IF EXISTS quiz_attempts;
DROP TABLE IF EXISTS progress_events;
DROP TABLE IF EXISTS lesson_progress;
DROP TABLE IF EXISTS enrollments;
DROP TABLE IF EXISTS assignments;
DROP TABLE IF EXISTS class_members;
DROP TABLE IF EXISTS classes;
DROP TABLE IF EXISTS course_assets;
DROP TABLE IF EXISTS questions;
DROP TABLE IF EXISTS lessons;
DROP TABLE IF EXISTS course_versions;
DROP TABLE IF EXISTS courses;
DROP TABLE IF EXISTS users;
DROP TABLE IF EXISTS institutions;
DROP TABLE IF EXISTS regions;
