package course

import (
	"errors"
	"io"
	"io/fs"
	"testing"
	"testing/fstest"
)

func TestMemFS(t *testing.T) {
	m := memFS{
		"course.yaml":         {data: []byte("slug: x\n"), mode: 0o644},
		"01-a.md":             {data: []byte("---\ntitle: a\n---\n"), mode: 0o644},
		"assets/icons/a.png":  {data: []byte("png"), mode: 0o644},
		"assets/b.svg":        {data: []byte("<svg/>"), mode: 0o644},
		"empty":               {mode: fs.ModeDir | 0o755},
		"assets/link.svg":     {data: []byte("/etc/passwd"), mode: fs.ModeSymlink | 0o777},
		"deep/er/still/x.txt": {data: []byte("x"), mode: 0o644},
	}
	// The standard checks of an fs.FS: Open, ReadDir in pieces, Stat,
	// fs.Sub, and that every listed file reads back what it holds.
	if err := fstest.TestFS(m, "course.yaml", "01-a.md", "assets/icons/a.png", "assets/b.svg", "empty",
		"deep/er/still/x.txt"); err != nil {
		t.Fatal(err)
	}

	entries, err := fs.ReadDir(m, "assets")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]fs.FileMode{"b.svg": 0, "icons": fs.ModeDir, "link.svg": fs.ModeSymlink}
	if len(entries) != len(want) {
		t.Fatalf("assets lists %v, want %v", entries, want)
	}
	for _, e := range entries {
		if w, ok := want[e.Name()]; !ok || e.Type() != w {
			t.Errorf("assets/%s has type %v, want %v (listed: %v)", e.Name(), e.Type(), w, ok)
		}
	}

	for _, name := range []string{"missing", "assets/missing.png", "course.yaml/x"} {
		if _, err := m.Open(name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open(%q) = %v, want not exist", name, err)
		}
	}
	for _, name := range []string{"", "/course.yaml", "assets/../course.yaml", "assets/"} {
		if _, err := m.Open(name); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Open(%q) = %v, want invalid", name, err)
		}
	}

	d, err := m.Open("assets")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Read(make([]byte, 1)); err == nil {
		t.Error("reading a folder as a file succeeded")
	}
	rd := d.(fs.ReadDirFile)
	if got, err := rd.ReadDir(2); err != nil || len(got) != 2 {
		t.Fatalf("ReadDir(2) = %d entries, %v", len(got), err)
	}
	if got, err := rd.ReadDir(2); err != nil || len(got) != 1 {
		t.Fatalf("second ReadDir(2) = %d entries, %v", len(got), err)
	}
	if got, err := rd.ReadDir(2); err != io.EOF || len(got) != 0 {
		t.Fatalf("ReadDir past the end = %d entries, %v; want io.EOF", len(got), err)
	}
}
