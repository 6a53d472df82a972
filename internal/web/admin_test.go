package web_test

import (
	"strings"
	"testing"

	"github.com/xuetang-edu/xuetang/internal/account"
)

// Each administration page is served to the staff roles that use it; other
// signed-in people get the ordinary "page not found" page, and a signed-out
// visitor is sent to sign in and brought back.
func TestAdminPagesByRole(t *testing.T) {
	t.Parallel()
	w := newUnlockWorld(t)
	const (
		teacher = account.RoleTeacher
		inst    = account.RoleInstitutionAdmin
		region  = account.RoleRegionAdmin
		admin   = account.RoleAdmin
	)
	pages := []struct {
		path  string
		title string // the page's data-title: which file was served
		roles []string
	}{
		{"/admin", "admin.home", []string{teacher, inst, region, admin}},
		{"/admin/users", "admin.users", []string{teacher, inst, region, admin}},
		{"/admin/import", "admin.import", []string{inst, region, admin}},
		{"/admin/audit", "admin.audit", []string{inst, region, admin}},
		{"/admin/institutions", "admin.institutions", []string{region, admin}},
		{"/admin/stats", "dash.title", []string{inst, region, admin}},
	}
	clients := map[string]*client{}
	for _, role := range account.Roles {
		c := w.ts.client()
		c.login(t, w.staff[role].Username, staffPassword)
		clients[role] = c
	}
	html := map[string]string{"Accept": "text/html,application/xhtml+xml"}
	for _, p := range pages {
		for _, role := range account.Roles {
			allowed := false
			for _, r := range p.roles {
				allowed = allowed || r == role
			}
			rec := clients[role].do(request{method: "GET", path: p.path, headers: html})
			body := rec.Body.String()
			switch {
			case allowed && (rec.Code != 200 || !strings.Contains(body, `data-title="`+p.title+`"`)):
				t.Errorf("%s as %s: %d, want the page %s", p.path, role, rec.Code, p.title)
			case !allowed && (rec.Code != 404 || !strings.Contains(body, `data-title="page.not_found"`)):
				t.Errorf("%s as %s: %d, want the not-found page", p.path, role, rec.Code)
			}
		}
		anon := w.ts.client()
		rec := anon.do(request{method: "GET", path: p.path + "?lang=en", headers: html})
		want := "/login?next=" + strings.ReplaceAll(strings.ReplaceAll(p.path, "/", "%2F"), "?", "%3F") + "%3Flang%3Den&lang=en"
		if rec.Code != 303 || rec.Header().Get("Location") != want {
			t.Errorf("%s signed out: %d to %q, want 303 to %q", p.path, rec.Code, rec.Header().Get("Location"), want)
		}
	}
	// The page files are not reachable by another name.
	for _, path := range []string{"/admin/users.html", "/admin/index.html", "/admin/nothing"} {
		if rec := clients[admin].do(request{method: "GET", path: path, headers: html}); rec.Code != 404 {
			t.Errorf("%s: %d, want 404", path, rec.Code)
		}
	}
}
