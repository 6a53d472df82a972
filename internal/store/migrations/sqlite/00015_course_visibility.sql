-- +goose Up
-- See the MySQL migration of the same number.
ALTER TABLE courses ADD COLUMN owner_institution_id BIGINT NULL REFERENCES institutions (id);
ALTER TABLE courses ADD COLUMN visibility VARCHAR(16) NOT NULL DEFAULT 'public';
CREATE INDEX IF NOT EXISTS idx_courses_owner ON courses (owner_institution_id);

-- +goose Down
DROP INDEX IF EXISTS idx_courses_owner;
ALTER TABLE courses DROP COLUMN visibility;
ALTER TABLE courses DROP COLUMN owner_institution_id;
