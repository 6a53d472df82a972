-- +goose Up
-- A class's join code is short and typed by hand (stored upper case, no
-- look-alike characters); NULL until one is made. A code switched off keeps
-- its value so switching it on again does not reprint the poster.
ALTER TABLE classes ADD COLUMN join_code VARCHAR(12) NULL;
ALTER TABLE classes ADD COLUMN join_code_enabled BOOLEAN NOT NULL DEFAULT 1;
-- Learners of other institutions may join only when the class says so.
ALTER TABLE classes ADD COLUMN allow_outside BOOLEAN NOT NULL DEFAULT 0;
-- Term dates, YYYY-MM-DD in the deployment's time zone; a code stops
-- working after the term's last day.
ALTER TABLE classes ADD COLUMN starts_on CHAR(10) NULL;
ALTER TABLE classes ADD COLUMN ends_on CHAR(10) NULL;
-- An archived class keeps its members and assignments for statistics but
-- drops out of the teacher's work and the learners' assigned courses.
ALTER TABLE classes ADD COLUMN archived_at DATETIME NULL;
ALTER TABLE classes ADD COLUMN updated_at DATETIME NULL;
CREATE UNIQUE INDEX IF NOT EXISTS uq_classes_join_code ON classes (join_code);
CREATE INDEX IF NOT EXISTS idx_classes_teacher ON classes (teacher_id);
ALTER TABLE class_members ADD COLUMN added_by BIGINT NULL;
-- Moving a due date is an edit of the assignment: who and when.
ALTER TABLE assignments ADD COLUMN updated_by BIGINT NULL;
ALTER TABLE assignments ADD COLUMN updated_at DATETIME NULL;
-- The question analysis of a whole course (admins) reads every attempt at
-- one lesson: by course and lesson slug, not by learner.
CREATE INDEX IF NOT EXISTS idx_quiz_attempts_lesson ON quiz_attempts (course_id, lesson_slug);

-- +goose Down
DROP INDEX IF EXISTS idx_quiz_attempts_lesson;
ALTER TABLE assignments DROP COLUMN updated_at;
ALTER TABLE assignments DROP COLUMN updated_by;
ALTER TABLE class_members DROP COLUMN added_by;
DROP INDEX IF EXISTS idx_classes_teacher;
DROP INDEX IF EXISTS uq_classes_join_code;
ALTER TABLE classes DROP COLUMN updated_at;
ALTER TABLE classes DROP COLUMN archived_at;
ALTER TABLE classes DROP COLUMN ends_on;
ALTER TABLE classes DROP COLUMN starts_on;
ALTER TABLE classes DROP COLUMN allow_outside;
ALTER TABLE classes DROP COLUMN join_code_enabled;
ALTER TABLE classes DROP COLUMN join_code;
