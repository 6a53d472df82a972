package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

func TestSnapshot(t *testing.T) {
	ctx := context.Background()
	st := storetest.OpenSQLite(t, nil)
	if err := st.CreateUser(ctx, &store.User{Username: "snap", DisplayName: "快照", PasswordHash: "x", Role: "learner", Locale: "zh-CN"}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := st.SnapshotTo(ctx, path); err != nil {
		t.Fatal(err)
	}
	if err := st.SnapshotTo(ctx, path); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("snapshot over an existing file: %v", err)
	}
	cp, err := store.Open(ctx, store.Options{SQLitePath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if err := cp.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
	if u, err := cp.UserByUsername(ctx, "snap"); err != nil || u.DisplayName != "快照" {
		t.Errorf("user in the copy: %+v %v", u, err)
	}
	v, err := cp.SchemaVersion(ctx)
	latest, lerr := store.LatestSchemaVersion(store.SQLite)
	if err != nil || lerr != nil || v != latest || v == 0 {
		t.Errorf("copy at schema %d (%v), latest migration %d (%v)", v, err, latest, lerr)
	}
	if my, err := store.LatestSchemaVersion(store.MySQL); err != nil || my != latest {
		t.Errorf("MySQL's latest migration %d, SQLite's %d (%v)", my, latest, err)
	}

	// A file with a damaged page fails the check.
	cp.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(raw) / 2; i < len(raw)/2+4096 && i < len(raw); i++ {
		raw[i] ^= 0x5a
	}
	bad := filepath.Join(t.TempDir(), "bad.db")
	if err := os.WriteFile(bad, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := store.Open(ctx, store.Options{SQLitePath: bad}); err == nil {
		if err := b.IntegrityCheck(ctx); err == nil {
			t.Error("a damaged database passed the integrity check")
		}
		b.Close()
	}
}
