-- +goose Up
-- MySQL commits each DDL statement on its own, so this first migration only
-- creates tables: if it stops half way, re-running it resumes (IF NOT EXISTS).
CREATE TABLE IF NOT EXISTS regions (
  code        CHAR(6)      NOT NULL,
  name        VARCHAR(100) NOT NULL,
  parent_code CHAR(6)      NULL,
  PRIMARY KEY (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS institutions (
  id          BIGINT       NOT NULL AUTO_INCREMENT,
  code        VARCHAR(32)  NOT NULL,
  name        VARCHAR(200) NOT NULL,
  kind        VARCHAR(20)  NOT NULL,
  region_code CHAR(6)      NOT NULL,
  created_at  DATETIME(3)  NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_institutions_code (code),
  KEY idx_institutions_region (region_code),
  CONSTRAINT fk_institutions_region FOREIGN KEY (region_code) REFERENCES regions (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS users (
  id             BIGINT       NOT NULL AUTO_INCREMENT,
  username       VARCHAR(64)  NOT NULL,
  display_name   VARCHAR(100) NOT NULL,
  password_hash  VARCHAR(255) NOT NULL,
  role           VARCHAR(20)  NOT NULL,
  institution_id BIGINT       NULL,
  region_code    CHAR(6)      NULL,
  locale         VARCHAR(10)  NOT NULL DEFAULT 'zh-CN',
  birth_year     INT          NULL,
  disabled       BOOLEAN      NOT NULL DEFAULT FALSE,
  created_at     DATETIME(3)  NOT NULL,
  updated_at     DATETIME(3)  NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_users_username (username),
  KEY idx_users_institution (institution_id),
  KEY idx_users_role (role),
  CONSTRAINT fk_users_institution FOREIGN KEY (institution_id) REFERENCES institutions (id),
  CONSTRAINT fk_users_region FOREIGN KEY (region_code) REFERENCES regions (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS courses (
  id                 BIGINT      NOT NULL AUTO_INCREMENT,
  slug               VARCHAR(64) NOT NULL,
  translation_group  VARCHAR(64) NOT NULL,
  language           VARCHAR(10) NOT NULL,
  current_version_id BIGINT      NULL,
  published          BOOLEAN     NOT NULL DEFAULT TRUE,
  created_at         DATETIME(3) NOT NULL,
  updated_at         DATETIME(3) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_courses_slug (slug),
  KEY idx_courses_group (translation_group)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS course_versions (
  id            BIGINT        NOT NULL AUTO_INCREMENT,
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
  published_at  DATETIME(3)   NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_course_versions (course_id, version),
  CONSTRAINT fk_course_versions_course FOREIGN KEY (course_id) REFERENCES courses (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS lessons (
  id                BIGINT       NOT NULL AUTO_INCREMENT,
  course_version_id BIGINT       NOT NULL,
  slug              VARCHAR(64)  NOT NULL,
  file_name         VARCHAR(128) NOT NULL,
  position          INT          NOT NULL,
  title             VARCHAR(200) NOT NULL,
  minutes           INT          NOT NULL,
  body              MEDIUMTEXT   NOT NULL,
  html              MEDIUMTEXT   NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_lessons_slug (course_version_id, slug),
  KEY idx_lessons_position (course_version_id, position),
  CONSTRAINT fk_lessons_version FOREIGN KEY (course_version_id) REFERENCES course_versions (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS questions (
  id          BIGINT      NOT NULL AUTO_INCREMENT,
  lesson_id   BIGINT      NOT NULL,
  qid         VARCHAR(32) NOT NULL,
  position    INT         NOT NULL,
  type        VARCHAR(16) NOT NULL,
  prompt      TEXT        NOT NULL,
  options     TEXT        NOT NULL,
  answer      TEXT        NOT NULL,
  explanation TEXT        NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_questions_qid (lesson_id, qid),
  CONSTRAINT fk_questions_lesson FOREIGN KEY (lesson_id) REFERENCES lessons (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS course_assets (
  id                BIGINT       NOT NULL AUTO_INCREMENT,
  course_version_id BIGINT       NOT NULL,
  path              VARCHAR(255) NOT NULL,
  content_type      VARCHAR(64)  NOT NULL,
  data              MEDIUMBLOB   NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_course_assets_path (course_version_id, path),
  CONSTRAINT fk_course_assets_version FOREIGN KEY (course_version_id) REFERENCES course_versions (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS classes (
  id             BIGINT       NOT NULL AUTO_INCREMENT,
  institution_id BIGINT       NOT NULL,
  name           VARCHAR(100) NOT NULL,
  teacher_id     BIGINT       NULL,
  created_at     DATETIME(3)  NOT NULL,
  PRIMARY KEY (id),
  KEY idx_classes_institution (institution_id),
  CONSTRAINT fk_classes_institution FOREIGN KEY (institution_id) REFERENCES institutions (id),
  CONSTRAINT fk_classes_teacher FOREIGN KEY (teacher_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS class_members (
  class_id  BIGINT      NOT NULL,
  user_id   BIGINT      NOT NULL,
  joined_at DATETIME(3) NOT NULL,
  PRIMARY KEY (class_id, user_id),
  KEY idx_class_members_user (user_id),
  CONSTRAINT fk_class_members_class FOREIGN KEY (class_id) REFERENCES classes (id),
  CONSTRAINT fk_class_members_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS assignments (
  id         BIGINT      NOT NULL AUTO_INCREMENT,
  class_id   BIGINT      NOT NULL,
  course_id  BIGINT      NOT NULL,
  due_at     DATETIME(3) NULL,
  created_by BIGINT      NULL,
  created_at DATETIME(3) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_assignments (class_id, course_id),
  KEY idx_assignments_course (course_id),
  CONSTRAINT fk_assignments_class FOREIGN KEY (class_id) REFERENCES classes (id),
  CONSTRAINT fk_assignments_course FOREIGN KEY (course_id) REFERENCES courses (id),
  CONSTRAINT fk_assignments_creator FOREIGN KEY (created_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS enrollments (
  id                BIGINT       NOT NULL AUTO_INCREMENT,
  user_id           BIGINT       NOT NULL,
  course_id         BIGINT       NOT NULL,
  course_version_id BIGINT       NOT NULL,
  enrolled_at       DATETIME(3)  NOT NULL,
  completed_at      DATETIME(3)  NULL,
  hours_credited    DECIMAL(6,2) NOT NULL DEFAULT 0,
  institution_id    BIGINT       NULL,
  region_code       CHAR(6)      NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_enrollments (user_id, course_id),
  KEY idx_enrollments_course_done (course_id, completed_at),
  KEY idx_enrollments_inst_done (institution_id, completed_at),
  KEY idx_enrollments_region_done (region_code, completed_at),
  CONSTRAINT fk_enrollments_user FOREIGN KEY (user_id) REFERENCES users (id),
  CONSTRAINT fk_enrollments_course FOREIGN KEY (course_id) REFERENCES courses (id),
  CONSTRAINT fk_enrollments_version FOREIGN KEY (course_version_id) REFERENCES course_versions (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS lesson_progress (
  id              BIGINT      NOT NULL AUTO_INCREMENT,
  user_id         BIGINT      NOT NULL,
  course_id       BIGINT      NOT NULL,
  lesson_slug     VARCHAR(64) NOT NULL,
  first_opened_at DATETIME(3) NOT NULL,
  last_seen_at    DATETIME(3) NOT NULL,
  completed_at    DATETIME(3) NULL,
  active_seconds  INT         NOT NULL DEFAULT 0,
  best_score      INT         NULL,
  attempts        INT         NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  UNIQUE KEY uq_lesson_progress (user_id, course_id, lesson_slug),
  CONSTRAINT fk_lesson_progress_user FOREIGN KEY (user_id) REFERENCES users (id),
  CONSTRAINT fk_lesson_progress_course FOREIGN KEY (course_id) REFERENCES courses (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS progress_events (
  id               BIGINT      NOT NULL AUTO_INCREMENT,
  event_id         CHAR(36)    NOT NULL,
  user_id          BIGINT      NOT NULL,
  lesson_id        BIGINT      NOT NULL,
  type             VARCHAR(16) NOT NULL,
  seconds          INT         NOT NULL,
  credited_seconds INT         NOT NULL,
  received_at      DATETIME(3) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_progress_events_event (event_id),
  KEY idx_progress_events_user (user_id, received_at),
  CONSTRAINT fk_progress_events_user FOREIGN KEY (user_id) REFERENCES users (id),
  CONSTRAINT fk_progress_events_lesson FOREIGN KEY (lesson_id) REFERENCES lessons (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS quiz_attempts (
  id          BIGINT      NOT NULL AUTO_INCREMENT,
  user_id     BIGINT      NOT NULL,
  course_id   BIGINT      NOT NULL,
  lesson_id   BIGINT      NOT NULL,
  lesson_slug VARCHAR(64) NOT NULL,
  score       INT         NOT NULL,
  passed      BOOLEAN     NOT NULL,
  answers     TEXT        NOT NULL,
  created_at  DATETIME(3) NOT NULL,
  PRIMARY KEY (id),
  KEY idx_quiz_attempts_user (user_id, course_id, lesson_slug),
  CONSTRAINT fk_quiz_attempts_user FOREIGN KEY (user_id) REFERENCES users (id),
  CONSTRAINT fk_quiz_attempts_lesson FOREIGN KEY (lesson_id) REFERENCES lessons (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS certificates (
  id                BIGINT       NOT NULL AUTO_INCREMENT,
  serial            VARCHAR(32)  NOT NULL,
  enrollment_id     BIGINT       NOT NULL,
  user_id           BIGINT       NOT NULL,
  course_id         BIGINT       NOT NULL,
  course_version_id BIGINT       NOT NULL,
  learner_name      VARCHAR(100) NOT NULL,
  course_title      VARCHAR(200) NOT NULL,
  institution_name  VARCHAR(200) NOT NULL DEFAULT '',
  study_hours       DECIMAL(6,2) NOT NULL,
  issued_at         DATETIME(3)  NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_certificates_serial (serial),
  UNIQUE KEY uq_certificates_enrollment (enrollment_id),
  KEY idx_certificates_user (user_id),
  CONSTRAINT fk_certificates_enrollment FOREIGN KEY (enrollment_id) REFERENCES enrollments (id),
  CONSTRAINT fk_certificates_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS study_hour_targets (
  id    BIGINT       NOT NULL AUTO_INCREMENT,
  year  INT          NOT NULL,
  scope VARCHAR(80)  NOT NULL,
  hours DECIMAL(6,2) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_study_hour_targets (year, scope)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS audit_log (
  id       BIGINT       NOT NULL AUTO_INCREMENT,
  at       DATETIME(3)  NOT NULL,
  actor_id BIGINT       NULL,
  action   VARCHAR(64)  NOT NULL,
  target   VARCHAR(128) NOT NULL,
  detail   TEXT         NOT NULL,
  ip       VARCHAR(45)  NOT NULL DEFAULT '',
  PRIMARY KEY (id),
  KEY idx_audit_log_at (at),
  KEY idx_audit_log_actor (actor_id, at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS sessions (
  id           CHAR(64)     NOT NULL,
  user_id      BIGINT       NOT NULL,
  csrf_token   CHAR(43)     NOT NULL,
  shared       BOOLEAN      NOT NULL DEFAULT FALSE,
  idle_seconds INT          NOT NULL,
  created_at   DATETIME(3)  NOT NULL,
  last_seen_at DATETIME(3)  NOT NULL,
  expires_at   DATETIME(3)  NOT NULL,
  PRIMARY KEY (id),
  KEY idx_sessions_user (user_id),
  KEY idx_sessions_expires (expires_at),
  CONSTRAINT fk_sessions_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS throttle_counters (
  k        VARCHAR(191) NOT NULL,
  hits     INT          NOT NULL,
  reset_at DATETIME(3)  NOT NULL,
  PRIMARY KEY (k)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

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
