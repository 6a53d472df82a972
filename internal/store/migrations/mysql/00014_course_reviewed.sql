-- +goose Up
-- The month a course's facts were last checked (course.yaml "reviewed",
-- YYYY-MM), shown on the course page; '' when the author did not say.
ALTER TABLE course_versions ADD COLUMN reviewed VARCHAR(7) NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE course_versions DROP COLUMN reviewed;
