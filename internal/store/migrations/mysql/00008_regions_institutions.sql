-- +goose Up
-- level: 0 the country root, 1 province, 2 prefecture, 3 county (GB/T 2260).
ALTER TABLE regions ADD COLUMN level SMALLINT NOT NULL DEFAULT 0;
CREATE INDEX idx_regions_parent ON regions (parent_code);
-- A closed institution keeps its learners' history but takes nobody new;
-- self_registration lets walk-in visitors sign themselves up (off by default).
ALTER TABLE institutions
  ADD COLUMN closed_at         DATETIME(3) NULL,
  ADD COLUMN self_registration BOOLEAN     NOT NULL DEFAULT FALSE;
-- Every list of divisions applied (the shipped one by checksum, imports
-- too), so start-up applies the shipped list once, not over a newer import.
CREATE TABLE IF NOT EXISTS region_datasets (
  checksum   CHAR(64)     NOT NULL,
  source     VARCHAR(200) NOT NULL,
  regions    INT          NOT NULL,
  applied_at DATETIME(3)  NOT NULL,
  PRIMARY KEY (checksum)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE IF EXISTS region_datasets;
ALTER TABLE institutions DROP COLUMN self_registration, DROP COLUMN closed_at;
DROP INDEX idx_regions_parent ON regions;
ALTER TABLE regions DROP COLUMN level;
