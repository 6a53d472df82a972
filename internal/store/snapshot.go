package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// SnapshotTo writes a consistent copy of the embedded SQLite database to
// path, which must not exist yet. VACUUM INTO reads inside one transaction,
// so writers carry on (WAL) and the copy is the database as of one moment,
// compacted and without a WAL of its own.
func (s *Store) SnapshotTo(ctx context.Context, path string) error {
	if s.dialect != SQLite {
		return errors.New("store: snapshots are for the embedded SQLite database; use mysqldump --single-transaction for MySQL")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("store: snapshot target %s exists", path)
	}
	if err := s.w.WithContext(ctx).Exec("VACUUM INTO ?", path).Error; err != nil {
		return fmt.Errorf("snapshot database: %w", err)
	}
	return nil
}

// IntegrityCheck runs SQLite's full consistency check (a restored or copied
// database file is checked before it replaces the live one).
func (s *Store) IntegrityCheck(ctx context.Context) error {
	if s.dialect != SQLite {
		return nil
	}
	var rows []string
	if err := s.r.WithContext(ctx).Raw("PRAGMA integrity_check").Scan(&rows).Error; err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if len(rows) != 1 || rows[0] != "ok" {
		return fmt.Errorf("integrity check failed: %v", rows)
	}
	return nil
}

// LatestSchemaVersion is the newest migration this binary knows; a database
// from a newer binary must not be restored under an older one.
func LatestSchemaVersion(d Dialect) (int64, error) {
	entries, err := fs.ReadDir(MigrationsFS(d), ".")
	if err != nil {
		return 0, err
	}
	var latest int64
	for _, e := range entries {
		var v int64
		if _, err := fmt.Sscanf(e.Name(), "%d_", &v); err == nil && v > latest {
			latest = v
		}
	}
	return latest, nil
}
