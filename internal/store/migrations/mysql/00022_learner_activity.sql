-- +goose Up
-- One row per learner: the latest activity the progress writers credited
-- from, kept equal to MAX(lesson_progress.last_seen_at) of the learner by
-- every writer that moves it. A batch of heartbeats locks these rows and
-- checks them in one statement, instead of locking the users' rows and
-- reading that MAX: a row that is not what the batch assumed sets seq to -1,
-- which the CHECK refuses, so the request stops before its COMMIT and the
-- batch is written again the general way. No foreign key: nothing is
-- written here for a user that does not exist (the batch's events fail
-- theirs in the same transaction), and a key check per batch is what this
-- table saves. Missing rows are fine: the general way creates them, so
-- learners active before this migration need one such batch each.
CREATE TABLE IF NOT EXISTS learner_activity (
  user_id BIGINT      NOT NULL PRIMARY KEY,
  last_at DATETIME(3) NULL,
  prev_at DATETIME(3) NULL,
  seq     BIGINT      NOT NULL DEFAULT 0,
  CONSTRAINT ck_learner_activity_seq CHECK (seq >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE IF EXISTS learner_activity;
