-- +goose Up
-- must_change_password: set by a staff reset or an import, cleared when the
-- user chooses their own; until then only a few calls are answered.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN password_changed_at DATETIME NULL;
-- Where the actor and the target stood when the entry was written, so a
-- region or institution admin sees the entries of their scope even after a
-- user has moved away.
ALTER TABLE audit_log ADD COLUMN outcome VARCHAR(16) NOT NULL DEFAULT 'ok';
ALTER TABLE audit_log ADD COLUMN actor_institution_id BIGINT NULL;
ALTER TABLE audit_log ADD COLUMN actor_region_code CHAR(6) NULL;
ALTER TABLE audit_log ADD COLUMN target_institution_id BIGINT NULL;
ALTER TABLE audit_log ADD COLUMN target_region_code CHAR(6) NULL;
CREATE INDEX IF NOT EXISTS idx_audit_log_target ON audit_log (target);

-- +goose Down
DROP INDEX IF EXISTS idx_audit_log_target;
ALTER TABLE audit_log DROP COLUMN target_region_code;
ALTER TABLE audit_log DROP COLUMN target_institution_id;
ALTER TABLE audit_log DROP COLUMN actor_region_code;
ALTER TABLE audit_log DROP COLUMN actor_institution_id;
ALTER TABLE audit_log DROP COLUMN outcome;
ALTER TABLE users DROP COLUMN password_changed_at;
ALTER TABLE users DROP COLUMN must_change_password;
