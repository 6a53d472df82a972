package course

import (
	"bytes"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// memFS is a read-only file system held in memory: a zip's entries once
// checked, or a package about to be exported. Keys are slash-separated paths
// as fs.ValidPath accepts them; folders need no key of their own, a key
// below them is enough. A key whose mode has fs.ModeSymlink is reported as
// the link itself and never followed, as os.DirFS does.
type memFS map[string]*memFile

type memFile struct {
	data []byte
	mode fs.FileMode
}

func (m memFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if f, ok := m[name]; ok && !f.mode.IsDir() {
		return &memOpenFile{info: memInfo{name: path.Base(name), size: int64(len(f.data)), mode: f.mode},
			r: bytes.NewReader(f.data)}, nil
	}
	entries, ok := m.children(name)
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &memDir{info: memInfo{name: path.Base(name), mode: fs.ModeDir | 0o755}, entries: entries}, nil
}

// children lists the folder name, and whether it is one: "." always is;
// another name is when it has its own folder key or any key below it.
func (m memFS) children(name string) ([]fs.DirEntry, bool) {
	prefix := name + "/"
	if name == "." {
		prefix = ""
	}
	f, isDir := m[name]
	isDir = name == "." || isDir && f.mode.IsDir()
	seen := map[string]fs.FileInfo{}
	for key, f := range m {
		rest, ok := strings.CutPrefix(key, prefix)
		if !ok || rest == "" {
			continue
		}
		isDir = true
		child, below, deeper := strings.Cut(rest, "/")
		switch {
		case deeper && below != "":
			if _, ok := seen[child]; !ok {
				seen[child] = memInfo{name: child, mode: fs.ModeDir | 0o755}
			}
		default:
			// A key for the child itself wins over one implied by a key below it.
			seen[child] = memInfo{name: child, size: int64(len(f.data)), mode: f.mode}
		}
	}
	if !isDir {
		return nil, false
	}
	out := make([]fs.DirEntry, 0, len(seen))
	for _, info := range seen {
		out = append(out, fs.FileInfoToDirEntry(info))
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out, true
}

type memInfo struct {
	name string
	size int64
	mode fs.FileMode
}

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) Mode() fs.FileMode  { return i.mode }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return i.mode.IsDir() }
func (i memInfo) Sys() any           { return nil }

type memOpenFile struct {
	info memInfo
	r    *bytes.Reader
}

func (f *memOpenFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *memOpenFile) Read(b []byte) (int, error) { return f.r.Read(b) }
func (f *memOpenFile) Close() error               { return nil }

type memDir struct {
	info    memInfo
	entries []fs.DirEntry
	next    int // entries already returned by ReadDir
}

func (d *memDir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *memDir) Close() error               { return nil }
func (d *memDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.name, Err: fs.ErrInvalid}
}

// ReadDir follows fs.ReadDirFile: n > 0 returns at most n entries and io.EOF
// once none are left; n <= 0 returns all that are left.
func (d *memDir) ReadDir(n int) ([]fs.DirEntry, error) {
	left := d.entries[d.next:]
	if n > 0 {
		if len(left) == 0 {
			return nil, io.EOF
		}
		left = left[:min(n, len(left))]
	}
	d.next += len(left)
	return slices.Clone(left), nil
}
