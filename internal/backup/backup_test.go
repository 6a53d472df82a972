package backup

import (
	"errors"
	"testing"
)

func TestLock(t *testing.T) {
	dir := t.TempDir()
	release, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	// flock belongs to the open file: a second lock in the same process is
	// refused, as it is from another process.
	if _, err := Lock(dir); !errors.Is(err, ErrInUse) {
		t.Fatalf("second lock: %v, want ErrInUse", err)
	}
	release()
	again, err := Lock(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	again()
}

func TestArchiveNames(t *testing.T) {
	for name, want := range map[string]bool{
		"manifest.json":               true,
		"xuetang.db":                  true,
		"files/media/a.png":           true,
		"files/notes.txt":             true,
		"files/":                      false,
		"files/../xuetang.lock":       false,
		"files/media/../../etc/x":     false,
		"files//double":               false,
		"/etc/passwd":                 false,
		"files/C:\\\\x":               false,
		"other/x":                     false,
		"files/exports/old.csv":       false, // exports are never archived, so never restored
		"files/xuetang.db":            false, // the live database only as the snapshot
		"files/xuetang.db-wal":        false,
		"files/xuetang.lock":          false,
		"files/.restore-1/xuetang.db": false,
	} {
		if got := validName(name); got != want {
			t.Errorf("validName(%q) = %v, want %v", name, got, want)
		}
	}
}
