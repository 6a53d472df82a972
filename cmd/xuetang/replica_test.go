package main

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/config"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// With XUETANG_DATABASE_REPLICA_URL, the statistics API and exports read a
// real MariaDB replica the test starts beside its primary, say so and how
// far behind it is, and read the primary when it is too far behind or down.
func TestReplicaServesStatsAndExports(t *testing.T) {
	if !storetest.HaveMariaDB() {
		t.Skip("mariadbd and mariadb-install-db not installed")
	}
	prim, rep := storetest.ReplicatedMariaDB(t)
	prim.Exec(t, "CREATE DATABASE xt CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
	env := serveEnv(t)
	env["XUETANG_LOG_LEVEL"] = "warn"
	env["XUETANG_DATABASE_URL"] = prim.URL("xt")
	env["XUETANG_DATABASE_REPLICA_URL"] = rep.URL("xt")
	if code, _, errOut := withStdin(env, "a-long-admin-password-1\n", "user", "create", "--username", "boss", "--role", "admin"); code != 0 {
		t.Fatalf("user create: %s", errOut)
	}
	institution := func(code string) {
		t.Helper()
		if c, _, errOut := xuetang(env, "institution", "create", "--code", code, "--name", code, "--kind", "library", "--region", "510104"); c != 0 {
			t.Fatalf("institution %s: %s", code, errOut)
		}
	}
	institution("lib-a")
	caughtUp := func() bool {
		return rep.SlaveStatus(t, "Seconds_Behind_Master") == "0" &&
			rep.QueryInt(t, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'xt' AND table_name = 'institutions'") == 1 &&
			rep.QueryInt(t, "SELECT COUNT(*) FROM xt.institutions") == 1
	}
	storetest.WaitFor(t, 20*time.Second, "the replica to catch up", caughtUp)

	cfg, err := config.FromEnv(mapEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	base, logs := startServe(t, cfg, serveHooks{})
	c := newAppClient(t, base)
	if status, body := c.login("boss", "a-long-admin-password-1"); status != 200 {
		t.Fatalf("login: %d %s", status, body)
	}
	type fresh struct {
		Source string `json:"source"`
		Lag    *int64 `json:"replica_lag_seconds"`
	}
	summary := func() fresh {
		t.Helper()
		status, body := c.do("GET", "/api/v1/admin/stats/summary", "")
		var f fresh
		if status != 200 || json.Unmarshal(body, &f) != nil || !strings.Contains(string(body), `"replica_lag_seconds":`) {
			t.Fatalf("summary: %d %s", status, body)
		}
		return f
	}
	if f := summary(); f.Source != "replica" || f.Lag == nil || *f.Lag != 0 {
		t.Fatalf("caught up: %+v, want the replica 0 s behind", f)
	}
	for _, path := range []string{"/regions", "/trend", "/breakdown?by=kind"} {
		status, body := c.do("GET", "/api/v1/admin/stats"+path, "")
		if status != 200 || !strings.Contains(string(body), `"source":"replica"`) || !strings.Contains(string(body), `"replica_lag_seconds":0`) {
			t.Errorf("%s: %d %s", path, status, body)
		}
	}

	// The replica holds back the primary's writes: an export lists the
	// institutions it has, not the one just created on the primary.
	rep.Exec(t, "STOP SLAVE", "CHANGE MASTER TO MASTER_DELAY=3600", "START SLAVE")
	institution("lib-b")
	rows := func(env map[string]string) int {
		t.Helper()
		out := filepath.Join(t.TempDir(), "indicators.csv")
		if code, _, errOut := xuetang(env, "export", "indicators", "--format", "csv", "--out", out); code != 0 {
			t.Fatalf("export: %s", errOut)
		}
		return len(readExportCSV(t, out)) - 1
	}
	if n := rows(env); n != 1 {
		t.Fatalf("export from the delayed replica: %d rows, want 1 (lib-b not replicated yet)", n)
	}
	storetest.WaitFor(t, 15*time.Second, "the API to report the replica behind", func() bool {
		f := summary()
		return f.Source == "replica" && f.Lag != nil && *f.Lag >= 1
	})

	// Further behind than XUETANG_REPLICA_MAX_LAG: the export reads the primary.
	storetest.WaitFor(t, 10*time.Second, "the replica 2 s behind", func() bool {
		n, _ := strconv.Atoi(rep.SlaveStatus(t, "Seconds_Behind_Master"))
		return n >= 2
	})
	strict := map[string]string{}
	for k, v := range env {
		strict[k] = v
	}
	strict["XUETANG_REPLICA_MAX_LAG"] = "1s"
	if n := rows(strict); n != 2 {
		t.Fatalf("export with the replica past the lag limit: %d rows, want 2 from the primary", n)
	}

	// Down: the dashboard reads the primary within a check or two, with no lag.
	rep.Stop()
	storetest.WaitFor(t, 15*time.Second, "the API on the primary", func() bool {
		f := summary()
		return f.Source == "primary" && f.Lag == nil
	})
	if !strings.Contains(logs.String(), "read replica refused") {
		t.Errorf("no log line for the replica refused:\n%s", logs)
	}
}

// A replica of the embedded SQLite database is a configuration error.
func TestReplicaWithoutMySQLExits2(t *testing.T) {
	env := serveEnv(t)
	env["XUETANG_DATABASE_REPLICA_URL"] = "mysql://root@127.0.0.1:1/xt"
	code, _, errOut := xuetang(env, "migrate")
	if code != 2 || !strings.Contains(errOut, "XUETANG_DATABASE_REPLICA_URL") || !strings.Contains(errOut, "XUETANG_DATABASE_URL") {
		t.Fatalf("exit %d, stderr %q; want 2 naming both variables", code, errOut)
	}
}

// The dashboard says, in both languages, that its numbers come from the
// replica and how far behind it is, beside the "counted up to" time.
func TestBrowserStatsReplica(t *testing.T) {
	exe := needChromium(t)
	if !storetest.HaveMariaDB() {
		t.Skip("mariadbd and mariadb-install-db not installed")
	}
	prim, rep := storetest.ReplicatedMariaDB(t)
	prim.Exec(t, "CREATE DATABASE xt CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
	env := map[string]string{"XUETANG_ADDR": "127.0.0.1:0", "XUETANG_DATA_DIR": t.TempDir(), "XUETANG_LOG_LEVEL": "warn",
		"XUETANG_DATABASE_URL": prim.URL("xt"), "XUETANG_DATABASE_REPLICA_URL": rep.URL("xt")}
	getenv := func(k string) string { return env[k] }
	createUser(t, getenv, "replica-admin-zh", "admin", "统计管理员", "zh-CN")
	createUser(t, getenv, "replica-admin-en", "admin", "Stats Admin", "en")
	storetest.WaitFor(t, 20*time.Second, "the replica to catch up", func() bool {
		return rep.SlaveStatus(t, "Seconds_Behind_Master") == "0" &&
			rep.QueryInt(t, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'xt' AND table_name = 'users'") == 1 &&
			rep.QueryInt(t, "SELECT COUNT(*) FROM xt.users") == 2
	})
	base := startBrowserServer(t, getenv, time.Now)
	browserCtx := startBrowser(t, exe)
	for _, lang := range []string{"zh-CN", "en"} {
		t.Run(lang, func(t *testing.T) {
			b := newBrowserSession(t, browserCtx, base, browserLearner{lang: lang, username: "replica-admin-" + map[string]string{"zh-CN": "zh", "en": "en"}[lang]})
			b.signIn(b.l.username)
			b.adminPage("/admin/stats")
			s := b.text("as of", "#dash-as-of")
			asOf := strings.TrimSpace(strings.Split(b.msg("dash.as_of"), "{")[0])
			source := strings.TrimSpace(strings.Split(b.msg("stats.source.replica"), "{")[0])
			if !strings.Contains(s, asOf) || !strings.Contains(s, source) {
				t.Errorf("the as-of line reads %q, want %q and %q", s, asOf, source)
			}
		})
	}
}
