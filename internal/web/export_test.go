package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xuetang-edu/xuetang/frontend"
	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/export"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/web"
)

// exportWorld is the unlock world (staff of every role at cd-lib in
// Sichuan; a learner there and one at gz-lib in Guangdong), both learners
// enrolled in a course, a region admin of Guangdong, and the export routes.
type exportWorld struct {
	*unlockWorld
	gdAdmin *store.User
	svc     *export.Service
}

func newExportWorld(t *testing.T) *exportWorld {
	t.Helper()
	w := &exportWorld{unlockWorld: newUnlockWorld(t)}
	ts := w.ts
	ctx := context.Background()
	var err error
	w.gdAdmin, err = ts.accounts.Create(ctx, account.NewUser{Username: "gd-region", Role: account.RoleRegionAdmin, RegionCode: "440000", Password: staffPassword})
	if err != nil {
		t.Fatal(err)
	}
	coursetest.Import(t, ts.st, coursetest.Simple("safe"))
	ls := coursetest.Lessons(t, ts.st, "safe")
	for _, u := range []*store.User{w.home, w.remote} {
		if _, err := ts.st.Enroll(ctx, &store.Enrollment{UserID: u.ID, CourseID: coursetest.CourseID(t, ts.st, "safe"), CourseVersionID: ls[0].CourseVersionID}); err != nil {
			t.Fatal(err)
		}
	}
	w.svc = export.New(ts.st, export.Config{Dir: t.TempDir(), Translator: ts.cat, Location: time.UTC,
		HeartbeatEvery: 20 * time.Millisecond, PollEvery: 20 * time.Millisecond, SweepEvery: time.Hour})
	if err := w.svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.svc.Close)
	reg := prometheus.NewRegistry()
	e, err := web.New(web.Deps{
		Logger: slog.New(slog.NewJSONHandler(ts.logs, nil)), Catalog: ts.cat, Frontend: frontend.FS(""), Registry: reg,
		Auth:    &web.AuthAPI{Accounts: ts.accounts, Sessions: ts.sessions, Users: ts.st},
		Health:  &web.HealthAPI{Database: ts.st, Sessions: ts.sessions, Registry: reg},
		Exports: &web.ExportAPI{Exports: w.svc},
	})
	if err != nil {
		t.Fatal(err)
	}
	ts.e = e
	return w
}

// as signs a client in as the staff member of a role ("signed out": nobody).
func (w *exportWorld) as(t *testing.T, role string) *client {
	t.Helper()
	c := w.ts.client()
	switch {
	case role == "gd-region":
		c.login(t, "gd-region", staffPassword)
	case w.staff[role] != nil:
		c.login(t, w.staff[role].Username, staffPassword)
	default:
		c.prepareCSRF(t)
	}
	return c
}

func startExport(c *client, body string) *httptest.ResponseRecorder {
	return c.do(request{method: "POST", path: "/api/v1/admin/exports", body: body, csrf: true})
}

// submitDone starts an export as c and waits for it to finish.
func submitDone(t *testing.T, c *client, body string) string {
	t.Helper()
	rec := startExport(c, body)
	if rec.Code != 202 {
		t.Fatalf("start: %d %s", rec.Code, rec.Body)
	}
	var out struct{ ID string }
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	deadline := time.Now().Add(10 * time.Second)
	for {
		rec := c.do(request{method: "GET", path: "/api/v1/admin/exports/" + out.ID})
		var st struct{ Status string }
		_ = json.Unmarshal(rec.Body.Bytes(), &st)
		if st.Status == "done" {
			return out.ID
		}
		if st.Status == "failed" || time.Now().After(deadline) {
			t.Fatalf("job %s: %s", out.ID, rec.Body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var exportRoles = []string{account.RoleLearner, account.RoleTeacher, account.RoleInstitutionAdmin, account.RoleRegionAdmin, account.RoleAdmin, "signed out"}

// Starting an export: every role, with filters in and out of its scope.
func TestStartExportByRoleAndScope(t *testing.T) {
	t.Parallel()
	type filter struct{ name, body string }
	in := filter{"in scope", `{"kind":"completions","format":"csv","filters":{"institution":"cd-lib"}}`}
	out := filter{"out of scope", `{"kind":"completions","format":"xlsx","filters":{"institution":"gz-lib"}}`}
	outRegion := filter{"region out of scope", `{"kind":"indicators","format":"csv","filters":{"region":"440000"}}`}
	badDate := filter{"bad date", `{"kind":"completions","format":"csv","filters":{"from":"2026-02-30"}}`}
	order := filter{"dates out of order", `{"kind":"completions","format":"csv","filters":{"from":"2026-03-02","to":"2026-03-01"}}`}
	want := map[string]map[string]int{
		account.RoleLearner:          {in.name: 403, out.name: 403, outRegion.name: 403, badDate.name: 403, order.name: 403},
		account.RoleTeacher:          {in.name: 403, out.name: 403, outRegion.name: 403, badDate.name: 403, order.name: 403},
		account.RoleInstitutionAdmin: {in.name: 202, out.name: 404, outRegion.name: 403, badDate.name: 400, order.name: 400},
		account.RoleRegionAdmin:      {in.name: 202, out.name: 404, outRegion.name: 403, badDate.name: 400, order.name: 400},
		account.RoleAdmin:            {in.name: 202, out.name: 202, outRegion.name: 202, badDate.name: 400, order.name: 400},
		"signed out":                 {in.name: 401, out.name: 401, outRegion.name: 401, badDate.name: 401, order.name: 401},
	}
	w := newExportWorld(t)
	for _, role := range exportRoles {
		c := w.as(t, role)
		for _, f := range []filter{in, out, outRegion, badDate, order} {
			rec := startExport(c, f.body)
			if rec.Code != want[role][f.name] {
				t.Errorf("%s, %s: %d, want %d: %s", role, f.name, rec.Code, want[role][f.name], rec.Body)
			}
			if rec.Code != 202 {
				errorOf(t, rec)
			}
		}
	}
}

// Status, cancel and download: only the admin who asked; everyone else is
// told there is no such export (learners and teachers: forbidden).
func TestExportJobRoutesByRole(t *testing.T) {
	t.Parallel()
	w := newExportWorld(t)
	owners := map[string]string{} // role -> id of a job they own
	for _, role := range []string{account.RoleInstitutionAdmin, account.RoleRegionAdmin, account.RoleAdmin, "gd-region"} {
		owners[role] = submitDone(t, w.as(t, role), `{"kind":"completions","format":"csv"}`)
	}
	routes := []struct{ method, suffix string }{{"GET", ""}, {"GET", "/file"}, {"DELETE", ""}}
	for _, role := range append(exportRoles, "gd-region") {
		c := w.as(t, role)
		for _, r := range routes {
			// Someone else's job: the Sichuan admin's for the others, Guangdong's for the admin.
			other := owners[account.RoleAdmin]
			if role == account.RoleAdmin {
				other = owners["gd-region"]
			}
			wantOther := map[string]int{account.RoleLearner: 403, account.RoleTeacher: 403, "signed out": 401}[role]
			if wantOther == 0 {
				wantOther = 404
			}
			rec := c.do(request{method: r.method, path: "/api/v1/admin/exports/" + other + r.suffix, csrf: true})
			if rec.Code != wantOther {
				t.Errorf("%s %s on another's job as %s: %d, want %d", r.method, r.suffix, role, rec.Code, wantOther)
			}
			errorOf(t, rec)
			if rec := c.do(request{method: r.method, path: "/api/v1/admin/exports/not-an-id" + r.suffix, csrf: true}); rec.Code != wantOther {
				t.Errorf("%s %s on a bad id as %s: %d, want %d", r.method, r.suffix, role, rec.Code, wantOther)
			}
		}
	}
	// The owners themselves: status, download, then discard.
	for _, role := range []string{account.RoleInstitutionAdmin, account.RoleRegionAdmin, account.RoleAdmin, "gd-region"} {
		c, id := w.as(t, role), owners[role]
		rec := c.do(request{method: "GET", path: "/api/v1/admin/exports/" + id})
		var st map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &st)
		if rec.Code != 200 || st["status"] != "done" || st["download_url"] != "/api/v1/admin/exports/"+id+"/file" || st["rows_done"] == nil {
			t.Errorf("%s status: %d %s", role, rec.Code, rec.Body)
		}
		rec = c.do(request{method: "GET", path: "/api/v1/admin/exports/" + id + "/file"})
		if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") ||
			!strings.Contains(rec.Header().Get("Content-Disposition"), "attachment") || rec.Header().Get("Content-Encoding") != "" {
			t.Errorf("%s download: %d %v", role, rec.Code, rec.Header())
		}
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(rec.Body.Bytes(), []byte("\ufeff")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range recs[1:] {
			names = append(names, r[2])
		}
		wantNames := map[string]string{account.RoleInstitutionAdmin: "home-learner", account.RoleRegionAdmin: "home-learner",
			account.RoleAdmin: "home-learner,remote-learner", "gd-region": "remote-learner"}[role]
		if strings.Join(names, ",") != wantNames {
			t.Errorf("%s's export holds %v, want %s", role, names, wantNames)
		}
		rec = c.do(request{method: "DELETE", path: "/api/v1/admin/exports/" + id, csrf: true})
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"status":"cancelled"`) || !strings.Contains(rec.Body.String(), `"download_url":null`) {
			t.Errorf("%s discard: %d %s", role, rec.Code, rec.Body)
		}
		if rec := c.do(request{method: "GET", path: "/api/v1/admin/exports/" + id + "/file"}); rec.Code != 404 {
			t.Errorf("%s download after discard: %d", role, rec.Code)
		}
	}
}

// An XLSX export's download carries the workbook's type and is not gzipped.
func TestExportXLSXDownload(t *testing.T) {
	t.Parallel()
	w := newExportWorld(t)
	c := w.as(t, account.RoleAdmin)
	id := submitDone(t, c, `{"kind":"indicators","format":"xlsx"}`)
	rec := c.do(request{method: "GET", path: "/api/v1/admin/exports/" + id + "/file", headers: map[string]string{"Accept-Encoding": "gzip"}})
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" ||
		rec.Header().Get("Content-Encoding") != "" || !bytes.HasPrefix(rec.Body.Bytes(), []byte("PK")) ||
		!strings.Contains(rec.Header().Get("Content-Disposition"), "xuetang-indicators-") {
		t.Errorf("download: %d %v %q", rec.Code, rec.Header(), rec.Body.Bytes()[:min(4, rec.Body.Len())])
	}
}
