-- +goose Up
-- Options may keep their authored order ("all of the above").
ALTER TABLE questions ADD COLUMN fixed_order BOOLEAN NOT NULL DEFAULT FALSE;
-- attempt_id: the client's id, so an offline queue resending an attempt
-- gets the stored result instead of a second grading; variant: which
-- option order the learner saw; result: the graded answer as returned.
ALTER TABLE quiz_attempts ADD COLUMN attempt_id VARCHAR(36) NULL;
ALTER TABLE quiz_attempts ADD COLUMN variant SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE quiz_attempts ADD COLUMN result TEXT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS uq_quiz_attempts_client ON quiz_attempts (user_id, attempt_id);
ALTER TABLE certificates ADD COLUMN revoked_at DATETIME NULL;
ALTER TABLE certificates ADD COLUMN revoked_reason VARCHAR(500) NOT NULL DEFAULT '';

-- +goose Down
DROP INDEX IF EXISTS uq_quiz_attempts_client;
ALTER TABLE certificates DROP COLUMN revoked_reason;
ALTER TABLE certificates DROP COLUMN revoked_at;
ALTER TABLE quiz_attempts DROP COLUMN result;
ALTER TABLE quiz_attempts DROP COLUMN variant;
ALTER TABLE quiz_attempts DROP COLUMN attempt_id;
ALTER TABLE questions DROP COLUMN fixed_order;
