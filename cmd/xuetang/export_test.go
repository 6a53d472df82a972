package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/xuetang-edu/xuetang/internal/config"
	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

func readExportCSV(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\ufeff")) {
		t.Fatalf("%s has no BOM", path)
	}
	recs, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestExportCommand(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		env := coursesEnv(t, b)
		out := t.TempDir()
		empty := filepath.Join(out, "empty.csv")
		// An empty database: a file with just the (Chinese) header.
		if code, stdout, errOut := xuetang(env, "export", "completions", "--format", "csv", "--out", empty); code != 0 || !strings.Contains(stdout, "0 rows") {
			t.Fatalf("empty export: exit %d %q %q", code, stdout, errOut)
		}
		if recs := readExportCSV(t, empty); len(recs) != 1 || recs[0][0] != "地区" || len(recs[0]) != 11 {
			t.Fatalf("empty export %q", recs)
		}

		src := coursetest.WriteDir(t, t.TempDir(), coursetest.Simple("safe"))
		if code, _, errOut := xuetang(env, "courses", "import", src); code != 0 {
			t.Fatalf("import: %s", errOut)
		}
		if code, _, errOut := xuetang(env, "institution", "create", "--code", "cd-lib", "--name", "成都图书馆", "--kind", "library", "--region", "510104"); code != 0 {
			t.Fatalf("institution: %s", errOut)
		}
		st := appStore(t, env)
		in, err := st.InstitutionByCode(ctx, "cd-lib")
		if err != nil {
			t.Fatal(err)
		}
		u := &store.User{Username: "alice", DisplayName: `=HYPERLINK("http://x","点我")`, PasswordHash: "x", Role: "learner", Locale: "zh-CN", InstitutionID: &in.ID}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		ls := coursetest.Lessons(t, st, "safe")
		at := time.Date(2026, 3, 1, 16, 30, 0, 0, time.UTC) // 2 March, 00:30 in Beijing
		if _, err := st.Enroll(ctx, &store.Enrollment{UserID: u.ID, CourseID: coursetest.CourseID(t, st, "safe"), CourseVersionID: ls[0].CourseVersionID, EnrolledAt: at}); err != nil {
			t.Fatal(err)
		}

		csvPath := filepath.Join(out, "march.csv")
		code, stdout, errOut := xuetang(env, "export", "completions", "--format", "csv", "--out", csvPath, "--lang", "en",
			"--region", "510000", "--institution", "cd-lib", "--course", "safe", "--from", "2026-03-02", "--to", "2026-03-02")
		if code != 0 || !strings.Contains(stdout, "1 rows written to "+csvPath) || errOut != "" {
			t.Fatalf("export: exit %d %q %q", code, stdout, errOut)
		}
		recs := readExportCSV(t, csvPath)
		if len(recs) != 2 || recs[0][0] != "Region" || recs[1][0] != "510104 锦江区" || recs[1][3] != `'=HYPERLINK("http://x","点我")` ||
			recs[1][5] != "2026-03-02 00:30" {
			t.Fatalf("export %q", recs)
		}
		// The day before, in Beijing time, holds nothing.
		if code, _, errOut := xuetang(env, "export", "completions", "--format", "csv", "--out", csvPath, "--to", "2026-03-01"); code != 0 {
			t.Fatalf("export: %s", errOut)
		} else if recs := readExportCSV(t, csvPath); len(recs) != 1 {
			t.Errorf("1 March holds %q", recs)
		}

		xlsxPath := filepath.Join(out, "all.xlsx")
		if code, _, errOut := xuetang(env, "export", "completions", "--format", "xlsx", "--out", xlsxPath); code != 0 {
			t.Fatalf("xlsx: %s", errOut)
		}
		f, err := excelize.OpenFile(xlsxPath)
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := f.GetRows("学习记录")
		f.Close()
		if len(rows) != 2 || rows[1][3] != `=HYPERLINK("http://x","点我")` {
			t.Errorf("xlsx rows %q", rows)
		}
		if code, _, errOut := xuetang(env, "export", "indicators", "--format", "csv", "--out", filepath.Join(out, "ind.csv"), "--lang", "en"); code != 0 {
			t.Fatalf("indicators: %s", errOut)
		} else if recs := readExportCSV(t, filepath.Join(out, "ind.csv")); len(recs) != 2 || recs[1][1] != "成都图书馆" || recs[1][2] != "1" {
			t.Errorf("indicators %q", recs)
		}

		es, err := st.AuditEntries(ctx, "export.completions", 10)
		if err != nil || len(es) != 4 || es[0].ActorID != nil || es[0].Target != "export:cli" || !strings.Contains(es[2].Detail, `"rows":1`) ||
			!strings.Contains(es[2].Detail, `"institution":"cd-lib"`) {
			t.Errorf("audit %+v, %v", es, err)
		}

		for _, tc := range []struct {
			args []string
			code int
		}{
			{[]string{"export"}, 2},
			{[]string{"export", "passwords", "--format", "csv", "--out", "x"}, 2},
			{[]string{"export", "completions", "--format", "csv"}, 2},
			{[]string{"export", "completions", "--format", "pdf", "--out", "x"}, 2},
			{[]string{"export", "completions", "--format", "csv", "--out", "x", "--from", "2026-02-30"}, 2},
			{[]string{"export", "completions", "--format", "csv", "--out", "x", "--from", "2026-03-02", "--to", "2026-03-01"}, 2},
			{[]string{"export", "completions", "--format", "csv", "--out", "x", "--lang", "fr"}, 2},
			{[]string{"export", "completions", "--format", "csv", "--out", "x", "--institution", "nope"}, 1},
		} {
			tc.args = append([]string(nil), tc.args...)
			for i, a := range tc.args {
				if a == "x" {
					tc.args[i] = filepath.Join(out, "refused.csv")
				}
			}
			if code, _, errOut := xuetang(env, tc.args...); code != tc.code || !strings.HasPrefix(errOut, "xuetang: ") {
				t.Errorf("%v: exit %d (want %d), stderr %q", tc.args, code, tc.code, errOut)
			}
		}
		ents, _ := os.ReadDir(out)
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		if strings.Join(names, ",") != "all.xlsx,empty.csv,ind.csv,march.csv" {
			t.Errorf("files in the output folder: %v", names)
		}
	})
}

// The server runs browser exports in the background and serves the file
// from XUETANG_DATA_DIR/exports.
func TestServedExport(t *testing.T) {
	env := serveEnv(t)
	env["XUETANG_LOG_LEVEL"] = "warn"
	var out, errOut bytes.Buffer
	if code := run([]string{"user", "create", "--username", "boss", "--role", "admin"}, strings.NewReader("a-long-admin-password-1\n"),
		&out, &errOut, mapEnv(env)); code != 0 {
		t.Fatalf("user create: %s", errOut.String())
	}
	cfg, err := config.FromEnv(mapEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	base, _ := startServe(t, cfg, serveHooks{})
	c := newAppClient(t, base)
	if status, body := c.login("boss", "a-long-admin-password-1"); status != 200 {
		t.Fatalf("login: %d %s", status, body)
	}
	status, body := c.do("POST", "/api/v1/admin/exports", `{"kind":"indicators","format":"xlsx"}`)
	var started struct{ ID string }
	if status != 202 || json.Unmarshal(body, &started) != nil || started.ID == "" {
		t.Fatalf("start: %d %s", status, body)
	}
	var job struct {
		Status      string  `json:"status"`
		DownloadURL *string `json:"download_url"`
	}
	deadline := time.Now().Add(20 * time.Second)
	for job.Status != "done" {
		if time.Now().After(deadline) {
			t.Fatalf("job still %q", job.Status)
		}
		time.Sleep(50 * time.Millisecond)
		_, body := c.do("GET", "/api/v1/admin/exports/"+started.ID, "")
		if err := json.Unmarshal(body, &job); err != nil {
			t.Fatal(err)
		}
	}
	status, file := c.do("GET", *job.DownloadURL, "")
	if status != 200 || !bytes.HasPrefix(file, []byte("PK")) {
		t.Fatalf("download: %d, %d bytes", status, len(file))
	}
	if _, err := os.Stat(filepath.Join(env["XUETANG_DATA_DIR"], "exports", started.ID+".xlsx")); err != nil {
		t.Errorf("the file is not in the data dir: %v", err)
	}
}

// Progress goes only to a terminal, redrawn in place on one line.
func TestExportProgress(t *testing.T) {
	var buf bytes.Buffer
	if isTerminal(&buf) {
		t.Error("a buffer taken for a terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("a regular file taken for a terminal")
	}
	p := terminalProgress(&buf, "exporting: %d of about %d rows")
	p(0, 2000)
	p(1000, -1)
	p(2000, -1)
	if got := buf.String(); !strings.HasPrefix(got, "\rexporting: 0 of about 2000 rows") || !strings.HasSuffix(got, "\rexporting: 2000 of about 2000 rows") {
		t.Errorf("progress %q", got)
	}
}
