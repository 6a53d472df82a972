package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/config"
	"github.com/xuetang-edu/xuetang/internal/session"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// sharedInstanceEnv is an instance of a multi-instance deployment: its own
// data dir, the common database and shared dir.
func sharedInstanceEnv(t *testing.T, dbURL, sharedDir string) config.Config {
	t.Helper()
	env := serveEnv(t)
	env["XUETANG_DATABASE_URL"] = dbURL
	env["XUETANG_SHARED_DIR"] = sharedDir
	cfg, err := config.FromEnv(mapEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// A finished export can be downloaded from an instance that did not write
// it, as long as both have the same XUETANG_SHARED_DIR; an instance with
// another directory answers 404 and says in its log what is wrong.
func TestExportDownloadFromAnotherInstance(t *testing.T) {
	base := os.Getenv("XUETANG_TEST_MYSQL_URL")
	if base == "" {
		t.Skip("XUETANG_TEST_MYSQL_URL not set")
	}
	ctx := context.Background()
	dbURL := storetest.FreshMySQLURL(t, base)
	st, err := store.Open(ctx, store.Options{DatabaseURL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	accounts := account.NewService(st, session.NewSQL(st, nil), session.NewSQLThrottle(st),
		account.Config{Params: account.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32}})
	if _, err := accounts.Create(ctx, account.NewUser{Username: "zhaomin", Password: "export-password", Role: account.RoleAdmin}); err != nil {
		t.Fatal(err)
	}

	shared := t.TempDir()
	writer, _ := startServe(t, sharedInstanceEnv(t, dbURL, shared), serveHooks{})
	c := newAppClient(t, writer)
	if status, body := c.login("zhaomin", "export-password"); status != 200 {
		t.Fatalf("login: %d %s", status, body)
	}
	status, body := c.do("POST", "/api/v1/admin/exports", `{"kind":"completions","format":"csv","filters":{}}`)
	var job struct{ ID string }
	if status != 202 || json.Unmarshal(body, &job) != nil || job.ID == "" {
		t.Fatalf("start export: %d %s", status, body)
	}
	var done struct {
		Status      string `json:"status"`
		DownloadURL string `json:"download_url"`
	}
	for deadline := time.Now().Add(30 * time.Second); done.Status != "done"; time.Sleep(100 * time.Millisecond) {
		status, body := c.do("GET", "/api/v1/admin/exports/"+job.ID, "")
		if status != 200 || json.Unmarshal(body, &done) != nil || done.Status == "failed" || time.Now().After(deadline) {
			t.Fatalf("export status: %d %s", status, body)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(shared, "exports", job.ID+".csv")); len(files) != 1 {
		t.Fatalf("the export is not in the shared dir: %v", files)
	}

	// Started after the job finished, so it cannot be the one that wrote
	// it; its own data dir is empty.
	reader, _ := startServe(t, sharedInstanceEnv(t, dbURL, shared), serveHooks{})
	other := newAppClient(t, reader)
	if status, body := other.login("zhaomin", "export-password"); status != 200 {
		t.Fatalf("login on the second instance: %d %s", status, body)
	}
	status, body = other.do("GET", done.DownloadURL, "")
	if status != 200 || !strings.HasPrefix(string(body), "\ufeff") || !strings.Contains(string(body), ",") {
		t.Fatalf("download from the second instance: %d %.200q", status, body)
	}

	apart, logs := startServe(t, sharedInstanceEnv(t, dbURL, t.TempDir()), serveHooks{})
	third := newAppClient(t, apart)
	if status, body := third.login("zhaomin", "export-password"); status != 200 {
		t.Fatalf("login on the third instance: %d %s", status, body)
	}
	if status, body := third.do("GET", done.DownloadURL, ""); status != 404 {
		t.Errorf("download from an instance with another shared dir: %d %.200q; want 404", status, body)
	}
	if !strings.Contains(logs.String(), "XUETANG_SHARED_DIR") {
		t.Errorf("the instance with another shared dir did not log why the file is missing:\n%s", logs)
	}
}
