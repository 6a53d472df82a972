-- +goose Up
-- The country root lets a deployment with no region data still create
-- institutions; provinces and below are loaded by deployers.
INSERT OR IGNORE INTO regions (code, name, parent_code) VALUES ('000000', '全国', NULL);
-- Yearly study-hour targets (学时). year 0 applies to every year until an
-- admin sets a specific one. Cadres' 50 hours follow the common yearly
-- requirement for civil-servant training; others get a modest goal.
INSERT OR IGNORE INTO study_hour_targets (year, scope, hours) VALUES
  (0, 'default', 12),
  (0, 'kind:cadre_centre', 50);

-- +goose Down
DELETE FROM study_hour_targets WHERE year = 0 AND scope IN ('default', 'kind:cadre_centre');
