package store

import (
	"context"
	"io/fs"
)

// MigrateFS lets the external tests run a doctored migration set (a broken
// migration on top of the real ones) through the same code path as Migrate.
func (s *Store) MigrateFS(ctx context.Context, fsys fs.FS) (int64, error) {
	return s.migrateFS(ctx, fsys)
}
