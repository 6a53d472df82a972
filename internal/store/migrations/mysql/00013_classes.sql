-- +goose Up
-- A class's join code is short and typed by hand (stored upper case, no
-- look-alike characters); NULL until one is made. A code switched off keeps
-- its value so switching it on again does not reprint the poster.
-- allow_outside: learners of other institutions may join only when set.
-- starts_on/ends_on: term dates, YYYY-MM-DD in the deployment's time zone;
-- a code stops working after the term's last day.
-- archived_at: an archived class keeps its members and assignments for
-- statistics but drops out of the teacher's work and the learners' courses.
ALTER TABLE classes
  ADD COLUMN join_code         VARCHAR(12) NULL,
  ADD COLUMN join_code_enabled BOOLEAN     NOT NULL DEFAULT TRUE,
  ADD COLUMN allow_outside     BOOLEAN     NOT NULL DEFAULT FALSE,
  ADD COLUMN starts_on         CHAR(10)    NULL,
  ADD COLUMN ends_on           CHAR(10)    NULL,
  ADD COLUMN archived_at       DATETIME(3) NULL,
  ADD COLUMN updated_at        DATETIME(3) NULL,
  ADD UNIQUE KEY uq_classes_join_code (join_code),
  ADD KEY idx_classes_teacher (teacher_id);
ALTER TABLE class_members ADD COLUMN added_by BIGINT NULL;
-- Moving a due date is an edit of the assignment: who and when.
ALTER TABLE assignments
  ADD COLUMN updated_by BIGINT      NULL,
  ADD COLUMN updated_at DATETIME(3) NULL;
-- The question analysis of a whole course (admins) reads every attempt at
-- one lesson: by course and lesson slug, not by learner.
CREATE INDEX idx_quiz_attempts_lesson ON quiz_attempts (course_id, lesson_slug);

-- +goose Down
DROP INDEX idx_quiz_attempts_lesson ON quiz_attempts;
ALTER TABLE assignments DROP COLUMN updated_at, DROP COLUMN updated_by;
ALTER TABLE class_members DROP COLUMN added_by;
ALTER TABLE classes DROP KEY idx_classes_teacher, DROP KEY uq_classes_join_code,
  DROP COLUMN updated_at, DROP COLUMN archived_at, DROP COLUMN ends_on, DROP COLUMN starts_on,
  DROP COLUMN allow_outside, DROP COLUMN join_code_enabled, DROP COLUMN join_code;
