package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xuetang-edu/xuetang/frontend"
	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/roster"
	"github.com/xuetang-edu/xuetang/internal/web"
)

// newImportWorld is the unlock world (staff of every role at cd-lib in
// Sichuan, gz-lib in Guangdong) served with the import routes.
func newImportWorld(t *testing.T) *unlockWorld {
	t.Helper()
	w := newUnlockWorld(t)
	ts := w.ts
	svc := roster.New(ts.st, roster.Config{Params: fastParams})
	t.Cleanup(svc.Close)
	reg := prometheus.NewRegistry()
	e, err := web.New(web.Deps{
		Logger: slog.New(slog.NewJSONHandler(ts.logs, nil)), Catalog: ts.cat, Frontend: frontend.FS(""), Registry: reg,
		BaseURL: "http://xuetang.example.cn",
		Auth:    &web.AuthAPI{Accounts: ts.accounts, Sessions: ts.sessions, Users: ts.st},
		Health:  &web.HealthAPI{Database: ts.st, Sessions: ts.sessions, Registry: reg},
		Roster:  &web.RosterAPI{Importer: svc, BaseURL: "http://xuetang.example.cn"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ts.e = e
	return w
}

func upload(c *client, path, institution, file string) *httptest.ResponseRecorder {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if institution != "" {
		mw.WriteField("institution", institution)
	}
	fw, _ := mw.CreateFormFile("file", "名单.csv")
	fw.Write([]byte(file))
	mw.Close()
	return c.do(request{method: "POST", path: path, body: body.String(), csrf: true,
		headers: map[string]string{"Content-Type": mw.FormDataContentType()}})
}

func (w *unlockWorld) countUsers(t *testing.T) int {
	t.Helper()
	var n int
	if err := w.ts.st.DB().QueryRow("SELECT COUNT(*) FROM users").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportByRoleAndScope(t *testing.T) {
	t.Parallel()
	in, out := "in scope", "out of scope"
	cases := []struct {
		role, scope string
		want        int
	}{
		{account.RoleLearner, in, 403}, {account.RoleLearner, out, 403},
		{account.RoleTeacher, in, 403}, {account.RoleTeacher, out, 403},
		{account.RoleInstitutionAdmin, in, 200}, {account.RoleInstitutionAdmin, out, 404},
		{account.RoleRegionAdmin, in, 200}, {account.RoleRegionAdmin, out, 404},
		{account.RoleAdmin, in, 200}, {account.RoleAdmin, out, 200},
		{"signed out", in, 401},
	}
	for _, tc := range cases {
		for _, dry := range []bool{true, false} {
			name := tc.role + "/" + tc.scope + map[bool]string{true: "/preview", false: "/commit"}[dry]
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				w := newImportWorld(t)
				c := w.ts.client()
				if staff := w.staff[tc.role]; staff != nil {
					c.login(t, staff.Username, staffPassword)
				} else {
					c.prepareCSRF(t)
				}
				inst := "cd-lib"
				if tc.scope == out {
					inst = "gz-lib"
				}
				path := "/api/v1/admin/users/import"
				if dry {
					path += "?dry_run=true"
				}
				before := w.countUsers(t)
				rec := upload(c, path, inst, "用户名,姓名\nnew-person,新人\n")
				if rec.Code != tc.want {
					t.Fatalf("status %d, want %d: %s", rec.Code, tc.want, rec.Body)
				}
				created := w.countUsers(t) - before
				if tc.want != 200 {
					errorOf(t, rec)
				}
				switch {
				case tc.want == 200 && dry:
					if rec.Body.String() != `{"errors":[],"rows":1}`+"\n" || created != 0 {
						t.Errorf("preview %s, %d created", rec.Body, created)
					}
				case tc.want == 200:
					if !strings.Contains(rec.Body.String(), `"created":1`) || created != 1 {
						t.Errorf("commit %s, %d created", rec.Body, created)
					}
					u, err := w.ts.st.UserByUsername(context.Background(), "new-person")
					if err != nil || u.InstitutionID == nil {
						t.Fatalf("imported user %+v, %v", u, err)
					}
					if want := map[string]string{in: "cd-lib", out: "gz-lib"}[tc.scope]; instCode(t, w, *u.InstitutionID) != want {
						t.Errorf("imported at %d, want %s", *u.InstitutionID, want)
					}
				default:
					if created != 0 {
						t.Errorf("a refused import created %d users", created)
					}
				}
			})
		}
	}
}

func instCode(t *testing.T, w *unlockWorld, id int64) string {
	in, err := w.ts.st.InstitutionByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return in.Code
}

// A file with a bad row creates nobody: 422 with every problem named.
func TestImportRefusesAFileWithProblems(t *testing.T) {
	t.Parallel()
	w := newImportWorld(t)
	c := w.ts.client()
	c.login(t, "s-inst", staffPassword)
	before := w.countUsers(t)
	rec := upload(c, "/api/v1/admin/users/import", "", "username,role,birth_year\nok-one,,1970\nhome-learner,,\nboss,admin,\n")
	if rec.Code != 422 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var body struct {
		Error  struct{ Key string }
		Rows   int
		Errors []struct {
			Row             int
			Column, Message string
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body.Error.Key != "error.import_rows_invalid" || body.Rows != 3 || len(body.Errors) != 2 ||
		body.Errors[0].Row != 3 || body.Errors[0].Column != "username" || body.Errors[1].Row != 4 || body.Errors[1].Column != "role" ||
		body.Errors[0].Message != "That username is already taken." {
		t.Errorf("body = %s", rec.Body)
	}
	if n := w.countUsers(t); n != before {
		t.Errorf("%d users created", n-before)
	}
}

func TestImportJobAndSlips(t *testing.T) {
	t.Parallel()
	w := newImportWorld(t)
	c := w.ts.client()
	c.login(t, "s-inst", staffPassword)
	rec := upload(c, "/api/v1/admin/users/import", "", "username,display_name\nslip-one,王<b>芳</b>\n")
	var res struct {
		Created int
		ID      string
	}
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &res) != nil || res.Created != 1 || len(res.ID) != 32 {
		t.Fatalf("commit %d %s", rec.Code, rec.Body)
	}
	jobPath := "/api/v1/admin/users/import/" + res.ID
	// Teachers import into their classes, so they poll their own jobs: another's is not found.
	others := map[string]int{"s-learner": 403, "s-teacher": 404, "s-region": 404, "s-admin": 404}
	for user, want := range others {
		o := w.ts.client()
		o.login(t, user, staffPassword)
		if rec := o.do(request{method: "GET", path: jobPath}); rec.Code != want {
			t.Errorf("%s polls the job: %d, want %d", user, rec.Code, want)
		}
		if rec := o.do(request{method: "GET", path: jobPath + "/slips"}); rec.Code != want {
			t.Errorf("%s takes the slips: %d, want %d", user, rec.Code, want)
		}
	}
	if rec := c.do(request{method: "GET", path: jobPath}); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"status":"done"`) ||
		!strings.Contains(rec.Body.String(), `"slips":true`) {
		t.Errorf("job %d %s", rec.Code, rec.Body)
	}
	rec = c.do(request{method: "GET", path: jobPath + "/slips"})
	page := rec.Body.String()
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") || rec.Header().Get("Cache-Control") != "no-store" ||
		!strings.Contains(page, "slip-one") || !strings.Contains(page, "http://xuetang.example.cn/login") ||
		!strings.Contains(page, `class="qr" src="data:image/svg`) || strings.Contains(page, "<b>") {
		t.Fatalf("slips %d %v %s", rec.Code, rec.Header(), truncate(page))
	}
	if strings.Contains(w.ts.logs.String(), "slip-one") {
		t.Error("the log names an imported user")
	}
	if rec := c.do(request{method: "GET", path: jobPath + "/slips"}); rec.Code != 404 {
		t.Errorf("slips a second time: %d", rec.Code)
	}
	if rec := c.do(request{method: "GET", path: "/api/v1/admin/users/import/" + strings.Repeat("0", 32)}); rec.Code != 404 {
		t.Errorf("unknown job: %d", rec.Code)
	}
}

// A roster larger than the 1 MiB other requests are held to still uploads.
func TestImportTakesALargeFile(t *testing.T) {
	t.Parallel()
	w := newImportWorld(t)
	c := w.ts.client()
	c.login(t, "s-admin", staffPassword)
	var b strings.Builder
	b.WriteString("username,display_name\n")
	for i := 0; b.Len() < 3<<20; i++ {
		b.WriteString("p" + strings.Repeat("x", 10) + string(rune('a'+i%26)) + "," + strings.Repeat("名", 60) + "\n")
	}
	rec := upload(c, "/api/v1/admin/users/import?dry_run=true", "cd-lib", b.String())
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "error.import_too_many_rows") {
		t.Errorf("3 MiB file: %d %s", rec.Code, truncate(rec.Body.String()))
	}
}
