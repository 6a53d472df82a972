-- +goose Up
-- Statistics (docs/INDICATORS.md). Raw tables stay the source of truth;
-- everything below is derived by the stats worker and can be recomputed
-- with `xuetang stats rebuild`.
-- An account deleted (users.deleted_at, migration 00009) leaves every
-- statistic; its row stays because enrolments and certificates point at it.
-- The worker finds changed accounts and revoked certificates by time.
CREATE INDEX IF NOT EXISTS idx_users_updated ON users (updated_at);
CREATE INDEX IF NOT EXISTS idx_certificates_revoked ON certificates (revoked_at);
-- Face-to-face training (线下培训学时) an admin credits to a learner by hand:
-- it counts toward yearly targets, shown apart from course 学时. Rows are
-- never changed; a mistake is corrected by a negative entry.
CREATE TABLE IF NOT EXISTS manual_credits (
  id         INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
  user_id    BIGINT       NOT NULL,
  day        INT          NOT NULL,
  hours      DECIMAL(6,2) NOT NULL,
  title      VARCHAR(200) NOT NULL,
  created_by BIGINT       NULL,
  created_at DATETIME     NOT NULL,
  FOREIGN KEY (user_id) REFERENCES users (id),
  FOREIGN KEY (created_by) REFERENCES users (id)
);
CREATE INDEX IF NOT EXISTS idx_manual_credits_user ON manual_credits (user_id, day);
-- One row: the worker's lock (every pass locks it first, so two app
-- instances never count the same fact twice) and how far the numbers go.
CREATE TABLE IF NOT EXISTS stats_state (
  id               INT         NOT NULL PRIMARY KEY,
  as_of            DATETIME    NULL,
  users_checked_at DATETIME    NULL,
  targets_sum      CHAR(64)    NOT NULL DEFAULT ''
);
INSERT OR IGNORE INTO stats_state (id) VALUES (1);
-- How far each raw table has been read, by auto-increment id.
CREATE TABLE IF NOT EXISTS stats_tails (
  source  VARCHAR(32) NOT NULL PRIMARY KEY,
  last_id BIGINT      NOT NULL DEFAULT 0
);
-- Ids skipped by a tail: a transaction may still commit them later.
CREATE TABLE IF NOT EXISTS stats_gaps (
  source  VARCHAR(32) NOT NULL,
  id      BIGINT      NOT NULL,
  seen_at DATETIME    NOT NULL,
  PRIMARY KEY (source, id)
);
-- Where each counted learner is attributed now: the counters hold exactly
-- the learners listed here, at these places.
CREATE TABLE IF NOT EXISTS stats_learners (
  user_id        BIGINT      NOT NULL PRIMARY KEY,
  institution_id BIGINT      NULL,
  region_code    CHAR(6)     NOT NULL DEFAULT '',
  kind           VARCHAR(20) NOT NULL DEFAULT '',
  birth_year     INT         NULL
);
CREATE INDEX IF NOT EXISTS idx_stats_learners_inst ON stats_learners (institution_id);
CREATE INDEX IF NOT EXISTS idx_stats_learners_region ON stats_learners (region_code);
-- Per learner, day (yyyymmdd in the deployment's time zone) and course.
CREATE TABLE IF NOT EXISTS stats_learner_days (
  user_id          BIGINT NOT NULL,
  day              INT    NOT NULL,
  course_id        BIGINT NOT NULL,
  credited_seconds BIGINT NOT NULL DEFAULT 0,
  enrolled         INT    NOT NULL DEFAULT 0,
  enrolled_done    INT    NOT NULL DEFAULT 0,
  completed        INT    NOT NULL DEFAULT 0,
  certificates     INT    NOT NULL DEFAULT 0,
  hours_centi      BIGINT NOT NULL DEFAULT 0,
  offline_centi    BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, day, course_id)
);
CREATE INDEX IF NOT EXISTS idx_stats_learner_days_day ON stats_learner_days (day, user_id);
-- Counters per period (d day, m month, q quarter, y year, a all time;
-- start yyyymmdd, 0 for all time), scope (* all, r<prefix>, i<id>) and
-- dimension (t total, c course id, k institution kind, b birth year).
CREATE TABLE IF NOT EXISTS stats_counters (
  period           CHAR(1)     NOT NULL,
  start            INT         NOT NULL,
  scope            VARCHAR(24) NOT NULL,
  dim              CHAR(1)     NOT NULL,
  val              VARCHAR(24) NOT NULL,
  learners         BIGINT      NOT NULL DEFAULT 0,
  active           BIGINT      NOT NULL DEFAULT 0,
  enrolled         BIGINT      NOT NULL DEFAULT 0,
  enrolled_done    BIGINT      NOT NULL DEFAULT 0,
  completed        BIGINT      NOT NULL DEFAULT 0,
  certificates     BIGINT      NOT NULL DEFAULT 0,
  hours_centi      BIGINT      NOT NULL DEFAULT 0,
  credited_seconds BIGINT      NOT NULL DEFAULT 0,
  reached          BIGINT      NOT NULL DEFAULT 0,
  offline_centi    BIGINT      NOT NULL DEFAULT 0,
  PRIMARY KEY (period, start, scope, dim, val)
);
CREATE INDEX IF NOT EXISTS idx_stats_counters_scope ON stats_counters (scope, dim, period, start);

-- +goose Down
DROP TABLE IF EXISTS stats_counters;
DROP TABLE IF EXISTS stats_learner_days;
DROP TABLE IF EXISTS stats_learners;
DROP TABLE IF EXISTS stats_gaps;
DROP TABLE IF EXISTS stats_tails;
DROP TABLE IF EXISTS stats_state;
DROP TABLE IF EXISTS manual_credits;
DROP INDEX IF EXISTS idx_certificates_revoked;
DROP INDEX IF EXISTS idx_users_updated;
