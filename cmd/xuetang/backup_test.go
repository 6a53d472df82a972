package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/config"
	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// TestBackupRestoreRoundTrip backs up a running server's data while another
// process writes, restores into a fresh data dir and compares; a restore
// over the running server's data dir is refused.
func TestBackupRestoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	courses := coursetest.WriteDir(t, t.TempDir(), coursetest.Simple("safe"))
	env := map[string]string{"XUETANG_ADDR": "127.0.0.1:0", "XUETANG_DATA_DIR": t.TempDir(),
		"XUETANG_COURSES_DIR": courses, "XUETANG_LOG_LEVEL": "warn"}
	dataDir := env["XUETANG_DATA_DIR"]
	cfg, err := config.FromEnv(mapEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	startServe(t, cfg, serveHooks{})
	// A file of the data dir that belongs in the backup, and a finished
	// export that does not.
	if err := os.MkdirAll(filepath.Join(dataDir, "media", "2026"), 0o750); err != nil {
		t.Fatal(err)
	}
	media := []byte("校园照片 bytes \x00\x01")
	if err := os.WriteFile(filepath.Join(dataDir, "media", "2026", "photo.bin"), media, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dataDir, "exports", "old.csv"), []byte("a,b\n"), 0o640); err != nil {
		t.Fatal(err)
	}

	st := appStore(t, env)
	newUser := func(name string) {
		t.Helper()
		if err := st.CreateUser(ctx, &store.User{Username: name, DisplayName: name, PasswordHash: "x", Role: "learner", Locale: "zh-CN"}); err != nil {
			t.Error(err)
		}
	}
	newUser("before")
	// A writer keeps adding learners throughout the backup.
	var written atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			newUser(fmt.Sprintf("w%05d", i))
			written.Add(1)
		}
	}()
	for written.Load() < 5 {
		time.Sleep(5 * time.Millisecond)
	}
	atStart := written.Load()
	archive := filepath.Join(t.TempDir(), "nightly.tar.gz")
	code, stdout, errOut := xuetang(env, "backup", "--out", archive)
	atEnd := written.Load()
	close(stop)
	wg.Wait()
	if code != 0 || !strings.Contains(stdout, "backup written to "+archive) {
		t.Fatalf("backup: exit %d %q %q", code, stdout, errOut)
	}

	// The running server holds its data dir.
	if code, _, errOut := xuetang(env, "restore", archive); code != 1 || !strings.Contains(errOut, "in use by a running xuetang server") {
		t.Fatalf("restore over a running server: exit %d %q", code, errOut)
	}

	fresh := map[string]string{"XUETANG_DATA_DIR": filepath.Join(t.TempDir(), "new"), "XUETANG_LOG_LEVEL": "warn"}
	if code, stdout, errOut := xuetang(fresh, "restore", archive); code != 0 || !strings.Contains(stdout, "restored "+archive) ||
		strings.Contains(stdout, "previous database") {
		t.Fatalf("restore: exit %d %q %q", code, stdout, errOut)
	}
	got := appStore(t, fresh)
	var n int64
	if err := got.DB().QueryRow("SELECT COUNT(*) FROM users WHERE username LIKE 'w%'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	// A snapshot of one moment: at least what was written before the
	// backup began, at most what was written by its end.
	if n < atStart || n > atEnd {
		t.Errorf("restored %d writer rows; %d were written before the backup and %d by its end", n, atStart, atEnd)
	}
	if _, err := got.UserByUsername(ctx, "before"); err != nil {
		t.Errorf("user made before the backup: %v", err)
	}
	for _, q := range []string{"SELECT COUNT(*) FROM course_assets", "SELECT COUNT(*) FROM lessons", "SELECT COALESCE(SUM(LENGTH(data)), 0) FROM course_assets"} {
		var a, b int64
		if err := st.DB().QueryRow(q).Scan(&a); err != nil {
			t.Fatal(err)
		}
		if err := got.DB().QueryRow(q).Scan(&b); err != nil {
			t.Fatal(err)
		}
		if a != b || a == 0 {
			t.Errorf("%s: %d live, %d restored", q, a, b)
		}
	}
	if b, err := os.ReadFile(filepath.Join(fresh["XUETANG_DATA_DIR"], "media", "2026", "photo.bin")); err != nil || !bytes.Equal(b, media) {
		t.Errorf("media file restored as %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(fresh["XUETANG_DATA_DIR"], "exports", "old.csv")); !os.IsNotExist(err) {
		t.Errorf("export file restored: %v", err)
	}

	// Restoring again over the (stopped) restored data keeps the earlier
	// database beside it.
	got.Close()
	code, stdout, errOut = xuetang(fresh, "restore", archive)
	if code != 0 || !strings.Contains(stdout, "previous database was kept as") {
		t.Fatalf("second restore: exit %d %q %q", code, stdout, errOut)
	}
	aside, _ := filepath.Glob(filepath.Join(fresh["XUETANG_DATA_DIR"], "xuetang.db.before-restore-*"))
	if len(aside) == 0 {
		t.Error("no set-aside database")
	}
}

// rewrite copies a backup entry by entry, letting edit change or drop
// entries and add returns extra entries at the end.
func rewrite(t *testing.T, src, dst string, edit func(name string, body []byte) ([]byte, bool), add map[string][]byte) {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	put := func(name string, body []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o640, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(body)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		if body, keep := edit(h.Name, body); keep {
			put(h.Name, body)
		}
	}
	for name, body := range add {
		put(name, body)
	}
	tw.Close()
	zw.Close()
	if err := os.WriteFile(dst, buf.Bytes(), 0o640); err != nil {
		t.Fatal(err)
	}
}

func TestRestoreRefuses(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		env := coursesEnv(t, b)
		if b.URL != "" {
			// MySQL: the commands point at mysqldump instead.
			for _, args := range [][]string{{"backup", "--out", filepath.Join(t.TempDir(), "x.tar.gz")}, {"restore", "x.tar.gz"}} {
				if code, _, errOut := xuetang(env, args...); code != 1 || !strings.Contains(errOut, "mysqldump --single-transaction") {
					t.Errorf("%v on MySQL: exit %d %q", args, code, errOut)
				}
			}
			return
		}
		for _, args := range [][]string{{"backup"}, {"backup", "--out"}, {"backup", "--out", "x", "extra"}, {"restore"}, {"restore", "a", "b"}, {"restore", "--out"}} {
			if code, _, _ := xuetang(env, args...); code != 2 {
				t.Errorf("%v: exit %d, want 2", args, code)
			}
		}
		if code, _, errOut := xuetang(env, "backup", "--out", filepath.Join(t.TempDir(), "x.tar.gz")); code != 1 || !strings.Contains(errOut, "no database") {
			t.Errorf("backup of an empty data dir: exit %d %q", code, errOut)
		}
		if code, _, errOut := xuetang(env, "migrate"); code != 0 {
			t.Fatal(errOut)
		}
		dir := t.TempDir()
		good := filepath.Join(dir, "good.tar.gz")
		if code, _, errOut := xuetang(env, "backup", "--out", good); code != 0 {
			t.Fatal(errOut)
		}
		raw, err := os.ReadFile(good)
		if err != nil {
			t.Fatal(err)
		}
		flipped := bytes.Clone(raw)
		flipped[len(flipped)/2] ^= 0xff
		os.WriteFile(filepath.Join(dir, "flipped.tar.gz"), flipped, 0o640)
		os.WriteFile(filepath.Join(dir, "truncated.tar.gz"), raw[:len(raw)/2], 0o640)
		os.WriteFile(filepath.Join(dir, "text.tar.gz"), []byte("hello\n"), 0o640)
		keep := func(string, []byte) ([]byte, bool) { return nil, false }
		rewrite(t, good, filepath.Join(dir, "foreign.tar.gz"), keep, map[string][]byte{"README": []byte("hi")})
		rewrite(t, good, filepath.Join(dir, "nomanifest.tar.gz"), func(n string, b []byte) ([]byte, bool) { return b, n != "manifest.json" }, nil)
		rewrite(t, good, filepath.Join(dir, "tampered.tar.gz"), func(n string, b []byte) ([]byte, bool) {
			if n == "xuetang.db" {
				b[len(b)-1] ^= 1
			}
			return b, true
		}, nil)
		rewrite(t, good, filepath.Join(dir, "extra.tar.gz"), func(_ string, b []byte) ([]byte, bool) { return b, true },
			map[string][]byte{"files/../../escape": []byte("x")})
		rewrite(t, good, filepath.Join(dir, "newer.tar.gz"), func(n string, b []byte) ([]byte, bool) {
			if n == "manifest.json" {
				b = bytes.Replace(b, []byte(`"version": 1`), []byte(`"version": 99`), 1)
			}
			return b, true
		}, nil)
		cases := map[string]string{
			"flipped.tar.gz":    "damaged",
			"truncated.tar.gz":  "damaged",
			"text.tar.gz":       "not a xuetang backup",
			"foreign.tar.gz":    "not a xuetang backup",
			"nomanifest.tar.gz": "not a xuetang backup",
			"tampered.tar.gz":   "does not match its checksum",
			"extra.tar.gz":      "not a xuetang backup",
			"newer.tar.gz":      "backup format 99",
			"missing.tar.gz":    "no such file",
		}
		for name, want := range cases {
			target := map[string]string{"XUETANG_DATA_DIR": filepath.Join(t.TempDir(), "d"), "XUETANG_LOG_LEVEL": "warn"}
			code, _, errOut := xuetang(target, "restore", filepath.Join(dir, name))
			if code != 1 || !strings.Contains(errOut, want) {
				t.Errorf("%s: exit %d %q, want 1 and %q", name, code, errOut, want)
			}
			// Nothing was put in place, and nothing left behind but the lock.
			entries, _ := os.ReadDir(target["XUETANG_DATA_DIR"])
			for _, e := range entries {
				if e.Name() != "xuetang.lock" {
					t.Errorf("%s: left %s in the data dir", name, e.Name())
				}
			}
		}
	})
}
