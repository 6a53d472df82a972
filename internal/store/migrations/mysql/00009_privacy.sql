-- +goose Up
-- Personal information (PIPL): which privacy notice a user accepted and
-- when; deleted_at marks an account whose personal fields were erased
-- (its learning records stay, anonymised, so statistics stay right);
-- last_sign_in_at is what the retention rule for inactive accounts reads.
ALTER TABLE users
  ADD COLUMN privacy_version     VARCHAR(16) NULL,
  ADD COLUMN privacy_accepted_at DATETIME(3) NULL,
  ADD COLUMN last_sign_in_at     DATETIME(3) NULL,
  ADD COLUMN deleted_at          DATETIME(3) NULL,
  ADD KEY idx_users_last_sign_in (last_sign_in_at);
-- A certificate whose holder was removed still verifies as issued.
ALTER TABLE certificates ADD COLUMN holder_removed_at DATETIME(3) NULL;

-- +goose Down
ALTER TABLE certificates DROP COLUMN holder_removed_at;
ALTER TABLE users
  DROP KEY idx_users_last_sign_in,
  DROP COLUMN deleted_at,
  DROP COLUMN last_sign_in_at,
  DROP COLUMN privacy_accepted_at,
  DROP COLUMN privacy_version;
