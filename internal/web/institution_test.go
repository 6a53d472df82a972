package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// institutionEndpoint is one staff endpoint of /api/v1/admin/institutions
// as a table row: how to call it on the in-scope (cd-lib, Sichuan) or
// out-of-scope (gz-lib, Guangdong) institution, and what a success changed.
type institutionEndpoint struct {
	name   string
	method string
	path   func(w *unlockWorld, target *store.Institution) string
	body   func(target *store.Institution) string
	// action is the audit action a success writes ("" for reads).
	action string
	// check verifies a success answer and its effect.
	check func(t *testing.T, w *unlockWorld, target *store.Institution, rec *httptest.ResponseRecorder)
}

func instPath(suffix string) func(*unlockWorld, *store.Institution) string {
	return func(_ *unlockWorld, in *store.Institution) string {
		return fmt.Sprintf("/api/v1/admin/institutions/%d%s", in.ID, suffix)
	}
}

func institution(t *testing.T, w *unlockWorld, code string) *store.Institution {
	t.Helper()
	in, err := w.ts.st.InstitutionByCode(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func decodeInstitution(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("body %s: %v", rec.Body, err)
	}
	return m
}

var institutionEndpoints = []institutionEndpoint{
	{name: "get", method: "GET", path: instPath(""),
		check: func(t *testing.T, w *unlockWorld, in *store.Institution, rec *httptest.ResponseRecorder) {
			m := decodeInstitution(t, rec)
			if m["code"] != in.Code || m["region_code"] != in.RegionCode || m["region_name"] == "" || m["closed_at"] != nil {
				t.Errorf("institution = %v", m)
			}
		}},
	{name: "rename", method: "PATCH", path: instPath(""), body: func(*store.Institution) string { return `{"name":"  新名字 "}` },
		action: "institution.update",
		check: func(t *testing.T, w *unlockWorld, in *store.Institution, rec *httptest.ResponseRecorder) {
			if got := institution(t, w, in.Code); got.Name != "新名字" {
				t.Errorf("name after rename: %q", got.Name)
			}
		}},
	{name: "change kind", method: "PATCH", path: instPath(""), body: func(*store.Institution) string { return `{"kind":"school","self_registration":true}` },
		action: "institution.update",
		check: func(t *testing.T, w *unlockWorld, in *store.Institution, rec *httptest.ResponseRecorder) {
			if got := institution(t, w, in.Code); got.Kind != "school" || !got.SelfRegistration {
				t.Errorf("after patch: %+v", got)
			}
		}},
	{name: "close", method: "POST", path: instPath("/close"), action: "institution.close",
		check: func(t *testing.T, w *unlockWorld, in *store.Institution, rec *httptest.ResponseRecorder) {
			if got := institution(t, w, in.Code); got.ClosedAt == nil {
				t.Error("not closed")
			}
			if decodeInstitution(t, rec)["closed_at"] == nil {
				t.Errorf("answer without closed_at: %s", rec.Body)
			}
		}},
	{name: "create", method: "POST", path: func(*unlockWorld, *store.Institution) string { return "/api/v1/admin/institutions" },
		body: func(in *store.Institution) string {
			return fmt.Sprintf(`{"code":"new-%s","name":"新馆","kind":"culture_station","region_code":%q}`, in.Code, in.RegionCode)
		},
		action: "institution.create",
		check: func(t *testing.T, w *unlockWorld, in *store.Institution, rec *httptest.ResponseRecorder) {
			if rec.Code != 201 {
				t.Errorf("create answered %d", rec.Code)
			}
			if got := institution(t, w, "new-"+in.Code); got.RegionCode != in.RegionCode || got.Kind != "culture_station" {
				t.Errorf("created %+v", got)
			}
		}},
}

// TestInstitutionsByRoleAndScope runs every endpoint for every role on an
// institution inside and outside the caller's scope: allowed calls succeed
// and are audited with the caller, the rest answer 401/403/404 in the one
// error shape and change nothing.
func TestInstitutionsByRoleAndScope(t *testing.T) {
	t.Parallel()
	const in, out = "cd-lib", "gz-lib"
	// want[endpoint][role] = {in scope, out of scope}
	want := map[string]map[string][2]int{
		"get": {account.RoleLearner: {403, 403}, account.RoleTeacher: {403, 403}, account.RoleInstitutionAdmin: {200, 404},
			account.RoleRegionAdmin: {200, 404}, account.RoleAdmin: {200, 200}, "signed out": {401, 401}},
		"rename": {account.RoleLearner: {403, 403}, account.RoleTeacher: {403, 403}, account.RoleInstitutionAdmin: {200, 404},
			account.RoleRegionAdmin: {200, 404}, account.RoleAdmin: {200, 200}, "signed out": {401, 401}},
		"change kind": {account.RoleLearner: {403, 403}, account.RoleTeacher: {403, 403}, account.RoleInstitutionAdmin: {403, 404},
			account.RoleRegionAdmin: {200, 404}, account.RoleAdmin: {200, 200}, "signed out": {401, 401}},
		"close": {account.RoleLearner: {403, 403}, account.RoleTeacher: {403, 403}, account.RoleInstitutionAdmin: {403, 404},
			account.RoleRegionAdmin: {200, 404}, account.RoleAdmin: {200, 200}, "signed out": {401, 401}},
		"create": {account.RoleLearner: {403, 403}, account.RoleTeacher: {403, 403}, account.RoleInstitutionAdmin: {403, 403},
			account.RoleRegionAdmin: {201, 403}, account.RoleAdmin: {201, 201}, "signed out": {401, 401}},
	}
	for _, ep := range institutionEndpoints {
		for role, codes := range want[ep.name] {
			for i, code := range []string{in, out} {
				t.Run(fmt.Sprintf("%s/%s/%s", ep.name, role, code), func(t *testing.T) {
					t.Parallel()
					w := newUnlockWorld(t)
					ctx := context.Background()
					target := institution(t, w, code)
					c := w.ts.client()
					if staff := w.staff[role]; staff != nil {
						c.login(t, staff.Username, staffPassword)
					} else {
						c.prepareCSRF(t)
					}
					body := ""
					if ep.body != nil {
						body = ep.body(target)
					}
					rec := c.do(request{method: ep.method, path: ep.path(w, target), body: body, csrf: true})
					if rec.Code != codes[i] {
						t.Fatalf("status %d, want %d: %s", rec.Code, codes[i], rec.Body)
					}
					entries, err := w.ts.st.AuditEntries(ctx, ep.action, 10)
					if err != nil {
						t.Fatal(err)
					}
					if rec.Code >= 400 {
						errorOf(t, rec)
						if after := institution(t, w, code); fmt.Sprint(after) != fmt.Sprint(target) {
							t.Errorf("a refused call changed %+v into %+v", target, after)
						}
						if ep.action != "" && len(entries) != 0 {
							t.Errorf("a refused call was audited: %+v", entries)
						}
						if _, err := w.ts.st.InstitutionByCode(ctx, "new-"+code); err == nil {
							t.Error("a refused create created")
						}
						return
					}
					ep.check(t, w, target, rec)
					if ep.action != "" {
						staff := w.staff[role]
						if len(entries) != 1 || entries[0].ActorID == nil || *entries[0].ActorID != staff.ID || entries[0].IP == "" ||
							!strings.HasPrefix(entries[0].Target, "institution:") {
							t.Errorf("audit = %+v", entries)
						}
					}
				})
			}
		}
	}
}

// Unknown and malformed ids answer like out-of-scope ones, after the role check.
func TestInstitutionUnknownIDs(t *testing.T) {
	t.Parallel()
	w := newUnlockWorld(t)
	for _, role := range []string{account.RoleAdmin, account.RoleRegionAdmin, account.RoleInstitutionAdmin, account.RoleTeacher} {
		c := w.ts.client()
		c.login(t, w.staff[role].Username, staffPassword)
		for _, path := range []string{"/api/v1/admin/institutions/424242", "/api/v1/admin/institutions/x1", "/api/v1/admin/institutions/-3/close"} {
			method := "GET"
			if strings.HasSuffix(path, "/close") {
				method = "POST"
			}
			rec := c.do(request{method: method, path: path, csrf: true})
			want := 404
			if role == account.RoleTeacher {
				want = 403
			}
			if rec.Code != want {
				t.Errorf("%s %s %s: %d, want %d", role, method, path, rec.Code, want)
			}
			errorOf(t, rec)
		}
	}
}

func listCodes(t *testing.T, c *client, path string) ([]string, *string) {
	t.Helper()
	rec := c.do(request{method: "GET", path: path})
	if rec.Code != 200 {
		t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	var body struct {
		Institutions []struct {
			Code     string   `json:"code"`
			Editable []string `json:"editable"`
		} `json:"institutions"`
		Next *string `json:"next"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, in := range body.Institutions {
		codes = append(codes, in.Code)
	}
	return codes, body.Next
}

func TestInstitutionListByRoleAndFilter(t *testing.T) {
	t.Parallel()
	w := newUnlockWorld(t)
	ctx := context.Background()
	for _, in := range []store.Institution{{Code: "cd-school", Name: "成都实验小学", Kind: "school", RegionCode: "510100"},
		{Code: "jj-station", Name: "锦江文化站", Kind: "culture_station", RegionCode: "510104"}} {
		if err := w.ts.st.CreateInstitution(ctx, &in); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		role, query string
		want        []string
		status      int
	}{
		{account.RoleAdmin, "", []string{"cd-lib", "gz-lib", "cd-school", "jj-station"}, 200},
		{account.RoleAdmin, "?region=440000", []string{"gz-lib"}, 200},
		{account.RoleAdmin, "?region=510104", []string{"cd-lib", "jj-station"}, 200},
		{account.RoleAdmin, "?kind=school", []string{"cd-school"}, 200},
		{account.RoleAdmin, "?q=图书馆", []string{"cd-lib", "gz-lib"}, 200},
		{account.RoleAdmin, "?q=CD-", []string{"cd-lib", "cd-school"}, 200},
		{account.RoleAdmin, "?kind=zoo", nil, 400},
		{account.RoleAdmin, "?region=51", nil, 400},
		{account.RoleAdmin, "?cursor=bogus!", nil, 400},
		{account.RoleRegionAdmin, "", []string{"cd-lib", "cd-school", "jj-station"}, 200},
		{account.RoleRegionAdmin, "?region=440000", nil, 200}, // outside their region: nothing, not an error
		{account.RoleRegionAdmin, "?q=广州", nil, 200},
		{account.RoleInstitutionAdmin, "", []string{"cd-lib"}, 200},
		{account.RoleInstitutionAdmin, "?region=440000", nil, 200},
		{account.RoleTeacher, "", nil, 403},
		{account.RoleLearner, "", nil, 403},
	} {
		c := w.ts.client()
		c.login(t, w.staff[tc.role].Username, staffPassword)
		path := "/api/v1/admin/institutions" + tc.query
		if tc.status != 200 {
			rec := c.do(request{method: "GET", path: path})
			if rec.Code != tc.status {
				t.Errorf("%s %s: %d, want %d", tc.role, tc.query, rec.Code, tc.status)
			}
			errorOf(t, rec)
			continue
		}
		if got, _ := listCodes(t, c, path); !slices.Equal(got, tc.want) {
			t.Errorf("%s %s: %v, want %v", tc.role, tc.query, got, tc.want)
		}
	}

	// Keyset pages: two, then two, then none, every institution once.
	c := w.ts.client()
	c.login(t, "s-admin", staffPassword)
	var seen []string
	path := "/api/v1/admin/institutions?limit=2"
	for pages := 0; ; pages++ {
		codes, next := listCodes(t, c, path)
		seen = append(seen, codes...)
		if next == nil {
			if pages != 1 || len(codes) != 2 {
				t.Errorf("last page %d has %v", pages, codes)
			}
			break
		}
		path = "/api/v1/admin/institutions?limit=2&cursor=" + *next
	}
	if !slices.Equal(seen, []string{"cd-lib", "gz-lib", "cd-school", "jj-station"}) {
		t.Errorf("pages gave %v", seen)
	}
}

func TestInstitutionCreateRefusals(t *testing.T) {
	t.Parallel()
	w := newUnlockWorld(t)
	c := w.ts.client()
	c.login(t, "s-admin", staffPassword)
	for _, tc := range []struct{ body, key string }{
		{`{"code":"cd-lib","name":"x","kind":"library","region_code":"510104"}`, "error.institution_code_taken"},
		{`{"code":"CD-LIB","name":"x","kind":"library","region_code":"510104"}`, "error.institution_code_taken"},
		{`{"code":"has space","name":"x","kind":"library","region_code":"510104"}`, "error.institution_code_invalid"},
		{`{"code":"` + strings.Repeat("a", 33) + `","name":"x","kind":"library","region_code":"510104"}`, "error.institution_code_invalid"},
		{`{"code":"ok","name":" ","kind":"library","region_code":"510104"}`, "error.institution_name_invalid"},
		{`{"code":"ok","name":"x","kind":"zoo","region_code":"510104"}`, "error.institution_kind_invalid"},
		{`{"code":"ok","name":"x","kind":"library","region_code":"510199"}`, "error.region_unknown"},
		{`{"code":"ok","name":"x","kind":"library","region_code":"5101"}`, "error.region_invalid"},
	} {
		rec := c.do(request{method: "POST", path: "/api/v1/admin/institutions", body: tc.body, csrf: true})
		var body struct {
			Error struct{ Key, Message string } `json:"error"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		if rec.Code < 400 || body.Error.Key != tc.key || strings.HasPrefix(body.Error.Message, "error.") {
			t.Errorf("%s: %d %s, want key %s with a translated message", tc.body, rec.Code, rec.Body, tc.key)
		}
	}
	if e, _ := w.ts.st.AuditEntries(context.Background(), "institution.create", 10); len(e) != 0 {
		t.Errorf("refused creates audited: %+v", e)
	}
	// Without the CSRF header a forged form could create institutions.
	rec := c.do(request{method: "POST", path: "/api/v1/admin/institutions", body: `{"code":"ok","name":"x","kind":"library","region_code":"510104"}`})
	if rec.Code != 403 {
		t.Errorf("without X-CSRF-Token: %d", rec.Code)
	}
}

// Institution changes carry their place in the audit log, so a region admin
// reads those in their region and not the others'.
func TestInstitutionAuditInScope(t *testing.T) {
	t.Parallel()
	w := newUnlockWorld(t)
	admin := w.ts.client()
	admin.login(t, "s-admin", staffPassword)
	for _, body := range []string{`{"code":"sc-new","name":"川馆","kind":"library","region_code":"510104"}`,
		`{"code":"gd-new","name":"粤馆","kind":"library","region_code":"440100"}`} {
		if rec := admin.do(request{method: "POST", path: "/api/v1/admin/institutions", body: body, csrf: true}); rec.Code != 201 {
			t.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
	}
	sc, _ := w.ts.st.InstitutionByCode(context.Background(), "sc-new")
	gd, _ := w.ts.st.InstitutionByCode(context.Background(), "gd-new")
	region := w.ts.client()
	region.login(t, "s-region", staffPassword)
	rec := region.do(request{method: "GET", path: "/api/v1/admin/audit"})
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, fmt.Sprintf(`"institution:%d"`, sc.ID)) || strings.Contains(body, fmt.Sprintf(`"institution:%d"`, gd.ID)) {
		t.Errorf("region admin's audit view: %d %s", rec.Code, body)
	}
}
