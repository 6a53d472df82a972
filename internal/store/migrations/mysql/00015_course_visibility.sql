-- +goose Up
-- A course belongs to the institution that first published it (NULL: shipped
-- with Xuetang or imported from the shell, owned by nobody) and is visible to
-- that institution, its region, or everyone. Existing courses were all
-- imported by operators and stay public.
ALTER TABLE courses
  ADD COLUMN owner_institution_id BIGINT NULL,
  ADD COLUMN visibility VARCHAR(16) NOT NULL DEFAULT 'public',
  ADD KEY idx_courses_owner (owner_institution_id),
  ADD CONSTRAINT fk_courses_owner FOREIGN KEY (owner_institution_id) REFERENCES institutions (id);

-- +goose Down
ALTER TABLE courses DROP FOREIGN KEY fk_courses_owner;
ALTER TABLE courses DROP KEY idx_courses_owner, DROP COLUMN visibility, DROP COLUMN owner_institution_id;
