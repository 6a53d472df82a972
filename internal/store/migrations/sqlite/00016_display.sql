-- +goose Up
-- Age-friendly display (适老化): large text and high contrast follow the
-- account to any device it signs in on.
ALTER TABLE users ADD COLUMN large_text BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN high_contrast BOOLEAN NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE users DROP COLUMN high_contrast;
ALTER TABLE users DROP COLUMN large_text;
