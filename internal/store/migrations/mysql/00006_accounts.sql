-- +goose Up
-- must_change_password: set by a staff reset or an import, cleared when the
-- user chooses their own; until then only a few calls are answered.
ALTER TABLE users
  ADD COLUMN must_change_password BOOLEAN     NOT NULL DEFAULT FALSE,
  ADD COLUMN password_changed_at  DATETIME(3) NULL;
-- Where the actor and the target stood when the entry was written, so a
-- region or institution admin sees the entries of their scope even after a
-- user has moved away.
ALTER TABLE audit_log
  ADD COLUMN outcome               VARCHAR(16) NOT NULL DEFAULT 'ok',
  ADD COLUMN actor_institution_id  BIGINT      NULL,
  ADD COLUMN actor_region_code     CHAR(6)     NULL,
  ADD COLUMN target_institution_id BIGINT      NULL,
  ADD COLUMN target_region_code    CHAR(6)     NULL,
  ADD KEY idx_audit_log_target (target);

-- +goose Down
ALTER TABLE audit_log
  DROP KEY idx_audit_log_target,
  DROP COLUMN target_region_code,
  DROP COLUMN target_institution_id,
  DROP COLUMN actor_region_code,
  DROP COLUMN actor_institution_id,
  DROP COLUMN outcome;
ALTER TABLE users DROP COLUMN password_changed_at, DROP COLUMN must_change_password;
