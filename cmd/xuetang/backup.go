package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/xuetang-edu/xuetang/internal/backup"
	"github.com/xuetang-edu/xuetang/internal/config"
	"github.com/xuetang-edu/xuetang/internal/store"
)

const (
	backupUsage  = "want: backup --out FILE.tar.gz"
	restoreUsage = "want: restore FILE.tar.gz"
	// mysqlBackupHint is the whole answer for MySQL deployments: the
	// database server has its own consistent, online dump.
	mysqlBackupHint = "the database is MySQL/MariaDB, which this command does not copy; back it up with " +
		"`mysqldump --single-transaction --no-tablespaces DBNAME > xuetang.sql` " +
		"and restore with `mysql DBNAME < xuetang.sql` (see README, Backups)"
)

// backupCommand is `xuetang backup --out FILE`: a consistent copy of the
// embedded database and the data dir's files, safe while the server runs.
// The file appears only when complete, so a nightly job that fails never
// leaves a truncated backup under the expected name.
func backupCommand(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("out", "", "")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || *out == "" {
		return usageError{backupUsage}
	}
	if cfg.DatabaseURL != "" {
		return errors.New(mysqlBackupHint)
	}
	dbPath := filepath.Join(cfg.DataDir, backup.DatabaseName)
	if _, err := os.Stat(dbPath); err != nil {
		return fmt.Errorf("no database at %s (is XUETANG_DATA_DIR right?)", dbPath)
	}
	// Opened without migrating: a backup must not change the schema under
	// a running server of another version.
	st, err := store.Open(ctx, store.Options{SQLitePath: dbPath})
	if err != nil {
		return err
	}
	defer st.Close()
	tmp, err := os.CreateTemp(filepath.Dir(*out), "."+filepath.Base(*out)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	m, err := backup.Create(ctx, st, backup.Options{DataDir: cfg.DataDir, AppVersion: Version}, tmp, tmp.Name())
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return err
	}
	var size int64
	for _, f := range m.Files {
		size += f.Size
	}
	fmt.Fprintf(stdout, "backup written to %s: %d files, %d bytes before compression, schema version %d\n",
		*out, len(m.Files), size, m.SchemaVersion)
	return nil
}

// restoreCommand is `xuetang restore FILE`: the backup's database and files
// replace the data dir's, the earlier database kept beside them. It refuses
// while a server holds the data dir, and refuses a damaged or foreign file
// before touching anything.
func restoreCommand(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) != 1 || args[0] == "" || args[0][0] == '-' {
		return usageError{restoreUsage}
	}
	if cfg.DatabaseURL != "" {
		return errors.New(mysqlBackupHint)
	}
	f, err := os.Open(args[0])
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := backup.Restore(ctx, f, backup.RestoreOptions{DataDir: cfg.DataDir, Check: checkRestoredDatabase})
	if err != nil {
		if errors.Is(err, backup.ErrInUse) {
			return fmt.Errorf("%w: stop the server first, then restore", err)
		}
		return fmt.Errorf("restore %s: %w", args[0], err)
	}
	fmt.Fprintf(stdout, "restored %s (made %s, schema version %d) into %s\n", args[0],
		res.Manifest.CreatedAt.In(cfg.Location).Format("2006-01-02 15:04 MST"), res.Manifest.SchemaVersion, cfg.DataDir)
	if res.SetAside != "" {
		fmt.Fprintf(stdout, "the previous database was kept as %s\n", res.SetAside)
	}
	log.Info("restored", "file", args[0], "data_dir", cfg.DataDir, "set_aside", res.SetAside)
	return nil
}

// checkRestoredDatabase opens an extracted database before it replaces the
// live one: it must be whole, be the version the manifest says, and not be
// newer than this binary's migrations (an older one is migrated at start).
func checkRestoredDatabase(ctx context.Context, dbPath string, m backup.Manifest) error {
	st, err := store.Open(ctx, store.Options{SQLitePath: dbPath})
	if err != nil {
		return fmt.Errorf("%w: %v", backup.ErrCorrupt, err)
	}
	defer st.Close()
	if err := st.IntegrityCheck(ctx); err != nil {
		return fmt.Errorf("%w: %v", backup.ErrCorrupt, err)
	}
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("%w: %v", backup.ErrCorrupt, err)
	}
	if v != m.SchemaVersion {
		return fmt.Errorf("%w: the database is at schema version %d, the manifest says %d", backup.ErrCorrupt, v, m.SchemaVersion)
	}
	latest, err := store.LatestSchemaVersion(store.SQLite)
	if err != nil {
		return err
	}
	if v > latest {
		return fmt.Errorf("the backup was made by a newer release (schema version %d, this one knows %d): upgrade xuetang first", v, latest)
	}
	return nil
}
