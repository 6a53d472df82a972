-- +goose Up
-- A course being edited in the browser: the editor's structured course as
-- JSON, shared by the course's editors, never read by the learner side.
-- revision increases on every save so a save based on an older one is
-- refused instead of overwriting a colleague's work.
CREATE TABLE IF NOT EXISTS course_drafts (
  id                   BIGINT       NOT NULL AUTO_INCREMENT,
  slug                 VARCHAR(64)  NOT NULL,
  course_id            BIGINT       NULL,
  owner_institution_id BIGINT       NULL,
  base_version         INT          NOT NULL DEFAULT 0,
  body                 LONGTEXT     NOT NULL,
  revision             INT          NOT NULL,
  created_by           BIGINT       NOT NULL,
  updated_by           BIGINT       NOT NULL,
  created_at           DATETIME(3)  NOT NULL,
  updated_at           DATETIME(3)  NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_course_drafts_slug (slug),
  CONSTRAINT fk_course_drafts_course FOREIGN KEY (course_id) REFERENCES courses (id),
  CONSTRAINT fk_course_drafts_owner FOREIGN KEY (owner_institution_id) REFERENCES institutions (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Images of a draft, already re-encoded (or allow-listed SVG), keyed by
-- their path in the package (assets/name.png).
CREATE TABLE IF NOT EXISTS draft_assets (
  id           BIGINT       NOT NULL AUTO_INCREMENT,
  draft_id     BIGINT       NOT NULL,
  path         VARCHAR(255) NOT NULL,
  content_type VARCHAR(64)  NOT NULL,
  data         MEDIUMBLOB   NOT NULL,
  created_at   DATETIME(3)  NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_draft_assets_path (draft_id, path),
  CONSTRAINT fk_draft_assets_draft FOREIGN KEY (draft_id) REFERENCES course_drafts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE IF EXISTS draft_assets;
DROP TABLE IF EXISTS course_drafts;
