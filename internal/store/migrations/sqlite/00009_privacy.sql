-- +goose Up
-- Personal information (PIPL): which privacy notice a user accepted and
-- when; deleted_at marks an account whose personal fields were erased
-- (its learning records stay, anonymised, so statistics stay right);
-- last_sign_in_at is what the retention rule for inactive accounts reads.
ALTER TABLE users ADD COLUMN privacy_version VARCHAR(16) NULL;
ALTER TABLE users ADD COLUMN privacy_accepted_at DATETIME NULL;
ALTER TABLE users ADD COLUMN last_sign_in_at DATETIME NULL;
ALTER TABLE users ADD COLUMN deleted_at DATETIME NULL;
CREATE INDEX IF NOT EXISTS idx_users_last_sign_in ON users (last_sign_in_at);
-- A certificate whose holder was removed still verifies as issued.
ALTER TABLE certificates ADD COLUMN holder_removed_at DATETIME NULL;

-- +goose Down
ALTER TABLE certificates DROP COLUMN holder_removed_at;
DROP INDEX IF EXISTS idx_users_last_sign_in;
ALTER TABLE users DROP COLUMN deleted_at;
ALTER TABLE users DROP COLUMN last_sign_in_at;
ALTER TABLE users DROP COLUMN privacy_accepted_at;
ALTER TABLE users DROP COLUMN privacy_version;
