// Package backup writes and reads the one-file backup of a deployment that
// runs on the embedded SQLite database: a consistent copy of the database
// (course assets, accounts and progress all live in it) plus the other
// files of the data dir, with a manifest of checksums so a damaged or
// foreign archive is refused before anything is replaced.
package backup

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

const (
	// FormatName marks an archive as a Xuetang backup.
	FormatName = "xuetang-backup"
	// FormatVersion is the layout written; a newer one is refused.
	FormatVersion = 1
	// ManifestName is the archive's last entry: it is written once every
	// file's checksum is known.
	ManifestName = "manifest.json"
	// DatabaseName is the SQLite file, in the data dir and in the archive.
	DatabaseName = "xuetang.db"
	// filesPrefix holds the other data dir files inside the archive.
	filesPrefix = "files/"
	maxManifest = 1 << 20
)

var (
	// ErrForeign: the file is not a Xuetang backup (or one from a newer
	// release).
	ErrForeign = errors.New("not a xuetang backup")
	// ErrCorrupt: a Xuetang backup whose contents do not match its manifest.
	ErrCorrupt = errors.New("the backup is damaged")
)

// File is one archived file with its size and SHA-256.
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Manifest describes an archive.
type Manifest struct {
	Format        string    `json:"format"`
	Version       int       `json:"version"`
	CreatedAt     time.Time `json:"created_at"`
	AppVersion    string    `json:"app_version"`
	SchemaVersion int64     `json:"schema_version"`
	Files         []File    `json:"files"`
}

// Database is what a backup needs of the store.
type Database interface {
	SnapshotTo(ctx context.Context, path string) error
	SchemaVersion(ctx context.Context) (int64, error)
}

// Options name the data dir and stamp the manifest.
type Options struct {
	DataDir    string
	AppVersion string
	Now        func() time.Time
}

// skipped reports whether a data dir entry stays out of a backup: the live
// database files (the snapshot replaces them), the lock, leftovers of an
// interrupted backup or restore, databases set aside by a restore, and
// finished export files, which are re-creatable downloads that expire
// within a day and would copy personal data into every backup for nothing.
func skipped(rel string, dir bool) bool {
	for _, seg := range strings.Split(rel, "/") {
		if strings.HasPrefix(seg, ".backup-") || strings.HasPrefix(seg, ".restore-") {
			return true
		}
	}
	if rel == "exports" || strings.HasPrefix(rel, "exports/") {
		return true
	}
	if dir {
		return false
	}
	switch {
	case rel == LockName, rel == DatabaseName, strings.HasPrefix(rel, DatabaseName+"-"),
		strings.HasPrefix(rel, DatabaseName+".before-restore-"):
		return true
	}
	return false
}

// Create writes a backup of the database and the data dir to w while the
// server may be running. skip, when not empty, is a path (the output file)
// that is never archived even when it lies in the data dir.
func Create(ctx context.Context, db Database, o Options, w io.Writer, skip string) (Manifest, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	m := Manifest{Format: FormatName, Version: FormatVersion, CreatedAt: now().UTC(), AppVersion: o.AppVersion}
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return m, err
	}
	m.SchemaVersion = v
	// The snapshot is made next to the database, on the same disk, not in
	// a /tmp that may be a small RAM disk.
	tmp, err := os.MkdirTemp(o.DataDir, ".backup-")
	if err != nil {
		return m, err
	}
	defer os.RemoveAll(tmp)
	snap := filepath.Join(tmp, DatabaseName)
	if err := db.SnapshotTo(ctx, snap); err != nil {
		return m, err
	}

	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	f, err := addFile(tw, snap, DatabaseName, now())
	if err != nil {
		return m, err
	}
	m.Files = append(m.Files, f)

	skipAbs, _ := filepath.Abs(skip)
	err = filepath.WalkDir(o.DataDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(o.DataDir, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if skipped(rel, d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		if abs, _ := filepath.Abs(p); skip != "" && abs == skipAbs {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		f, err := addFile(tw, p, filesPrefix+rel, now())
		if err != nil {
			return err
		}
		m.Files = append(m.Files, f)
		return nil
	})
	if err != nil {
		return m, err
	}
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, err
	}
	hdr := &tar.Header{Name: ManifestName, Mode: 0o640, Size: int64(len(body)), ModTime: now(), Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return m, err
	}
	if _, err := tw.Write(body); err != nil {
		return m, err
	}
	if err := tw.Close(); err != nil {
		return m, err
	}
	return m, zw.Close()
}

// addFile archives one file as name, hashing what is written. A file that
// grows meanwhile is cut at the size it had when its header was written; one
// that shrinks fails the backup rather than archiving a torn copy.
func addFile(tw *tar.Writer, src, name string, mod time.Time) (File, error) {
	in, err := os.Open(src)
	if err != nil {
		return File{}, err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return File{}, err
	}
	hdr := &tar.Header{Name: name, Mode: 0o640, Size: st.Size(), ModTime: st.ModTime(), Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return File{}, err
	}
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(tw, h), in, st.Size()); err != nil {
		return File{}, fmt.Errorf("archive %s: %w", name, err)
	}
	return File{Path: name, Size: st.Size(), SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// RestoreOptions say where to restore and how to vet the database before it
// replaces the current one.
type RestoreOptions struct {
	DataDir string
	Now     func() time.Time
	// Check opens the extracted database (integrity, schema version) and
	// refuses it with an error; nil skips the check.
	Check func(ctx context.Context, dbPath string, m Manifest) error
}

// Restored says what a restore did.
type Restored struct {
	Manifest Manifest
	// SetAside is the earlier database, renamed rather than deleted; empty
	// when the data dir had none.
	SetAside string
}

// Restore reads a backup from r and puts it in the data dir. It holds the
// data dir's lock throughout, so it refuses to run beside a server and no
// server can start half-way. Nothing in the data dir changes until the
// whole archive has been read and checked.
func Restore(ctx context.Context, r io.Reader, o RestoreOptions) (Restored, error) {
	var out Restored
	release, err := Lock(o.DataDir)
	if err != nil {
		return out, err
	}
	defer release()
	tmp, err := os.MkdirTemp(o.DataDir, ".restore-")
	if err != nil {
		return out, err
	}
	defer os.RemoveAll(tmp)
	m, err := extract(r, tmp)
	if err != nil {
		return out, err
	}
	out.Manifest = m
	if o.Check != nil {
		if err := o.Check(ctx, filepath.Join(tmp, DatabaseName), m); err != nil {
			return out, err
		}
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	live := filepath.Join(o.DataDir, DatabaseName)
	if _, err := os.Stat(live); err == nil {
		out.SetAside = live + ".before-restore-" + now().UTC().Format("20060102T150405Z")
		// The WAL and shared-memory files belong to the old database: left
		// behind, SQLite would try to apply them to the restored one.
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Rename(live+suffix, out.SetAside+suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return out, fmt.Errorf("set aside the current database: %w", err)
			}
		}
	}
	for _, f := range m.Files {
		dst := live
		if rel, ok := strings.CutPrefix(f.Path, filesPrefix); ok {
			dst = filepath.Join(o.DataDir, filepath.FromSlash(rel))
			if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
				return out, err
			}
		}
		if err := os.Rename(filepath.Join(tmp, filepath.FromSlash(f.Path)), dst); err != nil {
			return out, fmt.Errorf("restore %s: %w", f.Path, err)
		}
	}
	return out, nil
}

// extract unpacks r into dir and checks every file against the manifest.
func extract(r io.Reader, dir string) (Manifest, error) {
	var m Manifest
	zr, err := gzip.NewReader(r)
	if err != nil {
		return m, fmt.Errorf("%w: not a gzip archive", ErrForeign)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	got := map[string]File{}
	var manifest []byte
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if len(got) == 0 && manifest == nil {
				return m, fmt.Errorf("%w: not a tar archive", ErrForeign)
			}
			return m, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		name := hdr.Name
		if hdr.Typeflag != tar.TypeReg || !validName(name) {
			return m, fmt.Errorf("%w: unexpected entry %q", ErrForeign, name)
		}
		if name == ManifestName {
			if manifest, err = io.ReadAll(io.LimitReader(tr, maxManifest+1)); err != nil {
				return m, fmt.Errorf("%w: %v", ErrCorrupt, err)
			}
			if len(manifest) > maxManifest {
				return m, fmt.Errorf("%w: manifest too large", ErrForeign)
			}
			continue
		}
		if _, dup := got[name]; dup {
			return m, fmt.Errorf("%w: %q twice", ErrCorrupt, name)
		}
		f, err := writeEntry(tr, filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			return m, err
		}
		f.Path = name
		got[name] = f
	}
	if manifest == nil {
		return m, fmt.Errorf("%w: no %s", ErrForeign, ManifestName)
	}
	if err := json.Unmarshal(manifest, &m); err != nil || m.Format != FormatName {
		return m, fmt.Errorf("%w: the manifest is not a xuetang backup's", ErrForeign)
	}
	if m.Version > FormatVersion || m.Version < 1 {
		return m, fmt.Errorf("%w: backup format %d; this release reads up to %d", ErrForeign, m.Version, FormatVersion)
	}
	listed := map[string]bool{}
	for _, f := range m.Files {
		g, ok := got[f.Path]
		if !ok {
			return m, fmt.Errorf("%w: %s is missing", ErrCorrupt, f.Path)
		}
		if g.Size != f.Size || g.SHA256 != f.SHA256 {
			return m, fmt.Errorf("%w: %s does not match its checksum", ErrCorrupt, f.Path)
		}
		listed[f.Path] = true
	}
	if !listed[DatabaseName] {
		return m, fmt.Errorf("%w: no database in the backup", ErrCorrupt)
	}
	var extra []string
	for name := range got {
		if !listed[name] {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return m, fmt.Errorf("%w: %s not in the manifest", ErrCorrupt, strings.Join(extra, ", "))
	}
	return m, nil
}

// validName admits the database, the manifest and relative paths under
// files/ that stay inside it: an archive must not write outside the data dir.
func validName(name string) bool {
	if name == ManifestName || name == DatabaseName {
		return true
	}
	rel, ok := strings.CutPrefix(name, filesPrefix)
	if !ok || rel == "" || strings.Contains(name, "\\") || path.Clean(name) != name || !fs.ValidPath(rel) {
		return false
	}
	return !skipped(rel, false)
}

func writeEntry(r io.Reader, dst string) (File, error) {
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return File{}, err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return File{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), r)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return File{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return File{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}
