-- +goose Up
-- Age-friendly display (适老化): large text and high contrast follow the
-- account to any device it signs in on.
ALTER TABLE users
  ADD COLUMN large_text    BOOLEAN NOT NULL DEFAULT FALSE,
  ADD COLUMN high_contrast BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE users DROP COLUMN high_contrast, DROP COLUMN large_text;
