-- +goose Up
-- level: 0 the country root, 1 province, 2 prefecture, 3 county (GB/T 2260).
ALTER TABLE regions ADD COLUMN level SMALLINT NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS idx_regions_parent ON regions (parent_code);
-- A closed institution keeps its learners' history but takes nobody new;
-- self_registration lets walk-in visitors sign themselves up (off by default).
ALTER TABLE institutions ADD COLUMN closed_at DATETIME NULL;
ALTER TABLE institutions ADD COLUMN self_registration BOOLEAN NOT NULL DEFAULT 0;
-- Codes are unique whatever their case, as under MySQL's _ci collation.
DROP INDEX IF EXISTS uq_institutions_code;
CREATE UNIQUE INDEX IF NOT EXISTS uq_institutions_code ON institutions (code COLLATE NOCASE);
-- Every list of divisions applied (the shipped one by checksum, imports
-- too), so start-up applies the shipped list once, not over a newer import.
CREATE TABLE IF NOT EXISTS region_datasets (
  checksum   CHAR(64)     NOT NULL PRIMARY KEY,
  source     VARCHAR(200) NOT NULL,
  regions    INT          NOT NULL,
  applied_at DATETIME     NOT NULL
);

-- +goose Down
DROP TABLE IF EXISTS region_datasets;
DROP INDEX IF EXISTS uq_institutions_code;
CREATE UNIQUE INDEX IF NOT EXISTS uq_institutions_code ON institutions (code);
ALTER TABLE institutions DROP COLUMN self_registration;
ALTER TABLE institutions DROP COLUMN closed_at;
DROP INDEX IF EXISTS idx_regions_parent;
ALTER TABLE regions DROP COLUMN level;
