-- +goose Up
-- A course being edited in the browser: the editor's structured course as
-- JSON, shared by the course's editors, never read by the learner side.
-- revision increases on every save so a save based on an older one is
-- refused instead of overwriting a colleague's work.
CREATE TABLE IF NOT EXISTS course_drafts (
  id                   INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
  slug                 VARCHAR(64)  NOT NULL,
  course_id            BIGINT       NULL,
  owner_institution_id BIGINT       NULL,
  base_version         INT          NOT NULL DEFAULT 0,
  body                 TEXT         NOT NULL,
  revision             INT          NOT NULL,
  created_by           BIGINT       NOT NULL,
  updated_by           BIGINT       NOT NULL,
  created_at           DATETIME     NOT NULL,
  updated_at           DATETIME     NOT NULL,
  FOREIGN KEY (course_id) REFERENCES courses (id),
  FOREIGN KEY (owner_institution_id) REFERENCES institutions (id)
);
CREATE UNIQUE INDEX IF NOT EXISTS uq_course_drafts_slug ON course_drafts (slug);

-- Images of a draft, already re-encoded (or allow-listed SVG), keyed by
-- their path in the package (assets/name.png).
CREATE TABLE IF NOT EXISTS draft_assets (
  id           INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
  draft_id     BIGINT       NOT NULL,
  path         VARCHAR(255) NOT NULL,
  content_type VARCHAR(64)  NOT NULL,
  data         BLOB         NOT NULL,
  created_at   DATETIME     NOT NULL,
  FOREIGN KEY (draft_id) REFERENCES course_drafts (id)
);
CREATE UNIQUE INDEX IF NOT EXISTS uq_draft_assets_path ON draft_assets (draft_id, path);

-- +goose Down
DROP TABLE IF EXISTS draft_assets;
DROP TABLE IF EXISTS course_drafts;
