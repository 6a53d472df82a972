package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// The privacy notice: not accepted at first, a stale version refused,
// the version in force recorded (also while a password change is pending).
func TestPrivacyNoticeAcceptance(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c := ts.client()
	c.login(t, "zhangwei", zhangPassword)
	var me map[string]any
	rec := c.do(request{method: "GET", path: "/api/v1/me"})
	if err := json.Unmarshal(rec.Body.Bytes(), &me); err != nil || me["privacy_accepted"] != false || me["privacy_version"] != account.PrivacyVersion {
		t.Fatalf("me before: %s", rec.Body)
	}
	rec = c.do(request{method: "POST", path: "/api/v1/me/privacy", body: `{"version":"1999-01"}`, csrf: true})
	if code, _ := errorOf(t, rec); rec.Code != 409 || code != "conflict" {
		t.Fatalf("stale version: %d %s", rec.Code, rec.Body)
	}
	rec = c.do(request{method: "POST", path: "/api/v1/me/privacy", body: fmt.Sprintf(`{"version":%q}`, account.PrivacyVersion), csrf: true})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"privacy_accepted":true`) {
		t.Fatalf("accept: %d %s", rec.Code, rec.Body)
	}
	if rec := c.do(request{method: "GET", path: "/api/v1/me"}); !strings.Contains(rec.Body.String(), `"privacy_accepted":true`) {
		t.Errorf("me after: %s", rec.Body)
	}
	u, err := ts.st.UserByID(context.Background(), ts.zhang.ID)
	if err != nil || u.PrivacyVersion == nil || *u.PrivacyVersion != account.PrivacyVersion || u.PrivacyAcceptedAt == nil || u.LastSignInAt == nil {
		t.Errorf("stored: %+v, %v", u, err)
	}
	if rec := ts.client().do(request{method: "POST", path: "/api/v1/me/privacy", body: `{}`}); rec.Code == 200 {
		t.Error("signed out, the notice was accepted")
	}
}

// A learner downloads everything kept about them, as JSON or as a zip of
// CSV files with a byte-order mark and formulas neutralised.
func TestMyDataDownload(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	if _, err := ts.accounts.Create(ctx, account.NewUser{Username: "formula", DisplayName: `=HYPERLINK("http://x","点我")`,
		Password: zhangPassword, Role: account.RoleLearner}); err != nil {
		t.Fatal(err)
	}
	c := ts.client()
	c.login(t, "formula", zhangPassword)
	rec := c.do(request{method: "GET", path: "/api/v1/me/data"})
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Disposition"), "attachment;") {
		t.Fatalf("json: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	var d struct {
		Profile struct {
			Username string `json:"username"`
		} `json:"profile"`
		Enrolments   []any `json:"enrolments"`
		Certificates []any `json:"certificates"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil || d.Profile.Username != "formula" || d.Enrolments == nil || d.Certificates == nil {
		t.Fatalf("json body: %v %s", err, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "password") {
		t.Error("the download mentions the password")
	}
	rec = c.do(request{method: "GET", path: "/api/v1/me/data?format=csv"})
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/zip" {
		t.Fatalf("csv: %d %v", rec.Code, rec.Header())
	}
	z, err := zip.NewReader(bytes.NewReader(rec.Body.Bytes()), int64(rec.Body.Len()))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range z.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r)
		files[f.Name] = string(b)
	}
	for _, name := range []string{"profile.csv", "enrolments.csv", "lesson_progress.csv", "quiz_attempts.csv", "certificates.csv"} {
		if !strings.HasPrefix(files[name], "\ufeff") {
			t.Errorf("%s missing or without a byte-order mark: %q", name, files[name])
		}
	}
	if !strings.Contains(files["profile.csv"], `"'=HYPERLINK(""http://x"",""点我"")"`) {
		t.Errorf("profile.csv does not neutralise the formula:\n%s", files["profile.csv"])
	}
	if rec := c.do(request{method: "GET", path: "/api/v1/me/data?format=pdf"}); rec.Code != 400 {
		t.Errorf("format pdf: %d", rec.Code)
	}
	if rec := ts.client().do(request{method: "GET", path: "/api/v1/me/data"}); rec.Code != 401 {
		t.Errorf("signed out: %d", rec.Code)
	}
}

// Accounts for children need the guardian's consent, recorded.
func TestCreateChildNeedsGuardian(t *testing.T) {
	t.Parallel()
	w := newAdminWorld(t)
	c := w.signIn(t, w.staff[account.RoleInstitutionAdmin])
	child := time.Now().Year() - 10
	cases := []struct {
		body  string
		code  int
		field string
	}{
		{fmt.Sprintf(`{"username":"kid1","birth_year":%d}`, child), 400, "guardian_name"},
		{fmt.Sprintf(`{"username":"kid1","birth_year":%d,"guardian_name":"王芳"}`, child), 400, "guardian_consent_date"},
		{fmt.Sprintf(`{"username":"kid1","birth_year":%d,"guardian_name":"王芳","guardian_consent_date":"2999-01-01"}`, child), 400, "guardian_consent_date"},
		{fmt.Sprintf(`{"username":"kid1","birth_year":%d,"guardian_name":"王芳","guardian_consent_date":"%d-01-01"}`, child, child-1), 400, "guardian_consent_date"},
		{fmt.Sprintf(`{"username":"kid1","birth_year":%d,"guardian_name":"王芳","guardian_consent_date":"2026-09-01"}`, child), 201, ""},
		{fmt.Sprintf(`{"username":"adult1","birth_year":%d}`, time.Now().Year()-30), 201, ""},
	}
	for _, tc := range cases {
		rec := c.do(request{method: "POST", path: "/api/v1/admin/users", body: tc.body, csrf: true})
		if rec.Code != tc.code {
			t.Errorf("%s: %d %s", tc.body, rec.Code, rec.Body)
			continue
		}
		if tc.field != "" && !strings.Contains(rec.Body.String(), `"field":"`+tc.field+`"`) {
			t.Errorf("%s: %s, want field %s", tc.body, rec.Body, tc.field)
		}
	}
	u, err := w.ts.st.UserByUsername(context.Background(), "kid1")
	if err != nil || u.GuardianName == nil || *u.GuardianName != "王芳" || u.GuardianConsentDate == nil ||
		u.GuardianConsentDate.Format(time.DateOnly) != "2026-09-01" {
		t.Errorf("kid1 = %+v, %v", u, err)
	}
}

// The retention rule for every role: staff see and anonymise the inactive
// learners in their scope and nobody else; learners and teachers nothing.
func TestRetentionByRoleAndScope(t *testing.T) {
	t.Parallel()
	for _, role := range allRoles {
		t.Run(role, func(t *testing.T) {
			t.Parallel()
			w := newAdminWorld(t, withRetention(365*24*time.Hour))
			db := w.ts.st.DB()
			long := time.Now().Add(-2 * 365 * 24 * time.Hour).UTC()
			for _, u := range []*store.User{w.home, w.nearby, w.remote} {
				if _, err := db.Exec("UPDATE users SET created_at = ? WHERE id = ?", long, u.ID); err != nil {
					t.Fatal(err)
				}
			}
			c := w.signIn(t, w.staff[role])
			rec := c.do(request{method: "GET", path: "/api/v1/admin/retention"})
			want := map[string][]string{
				account.RoleInstitutionAdmin: {"home-learner"},
				account.RoleRegionAdmin:      {"home-learner", "nearby-learner"},
				account.RoleAdmin:            {"home-learner", "remote-learner", "nearby-learner"}, // by id
			}[role]
			if want == nil {
				if rec.Code != 403 {
					t.Fatalf("list: %d %s", rec.Code, rec.Body)
				}
			} else {
				var body struct {
					Days  int `json:"retention_days"`
					Users []struct {
						Username string `json:"username"`
					} `json:"users"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != 200 || body.Days != 365 {
					t.Fatalf("list: %d %s", rec.Code, rec.Body)
				}
				var got []string
				for _, u := range body.Users {
					got = append(got, u.Username)
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("listed %v, want %v", got, want)
				}
			}
			ids := fmt.Sprintf(`{"ids":[%d,%d,%d]}`, w.home.ID, w.nearby.ID, w.remote.ID)
			rec = c.do(request{method: "POST", path: "/api/v1/admin/retention/anonymise", body: ids, csrf: true})
			if want == nil {
				if rec.Code != 403 {
					t.Errorf("anonymise: %d %s", rec.Code, rec.Body)
				}
			} else if rec.Code != 200 || !strings.Contains(rec.Body.String(), fmt.Sprintf(`"anonymised":%d`, len(want))) {
				t.Errorf("anonymise: %d %s", rec.Code, rec.Body)
			}
			deleted := map[string]bool{}
			for _, u := range []*store.User{w.home, w.nearby, w.remote} {
				got, err := w.ts.st.UserByID(context.Background(), u.ID)
				if err != nil {
					t.Fatal(err)
				}
				deleted[u.Username] = got.DeletedAt != nil
			}
			for _, name := range []string{"home-learner", "nearby-learner", "remote-learner"} {
				in := strings.Contains(fmt.Sprint(want), name)
				if deleted[name] != in {
					t.Errorf("%s anonymised = %v, want %v", name, deleted[name], in)
				}
			}
		})
	}
	// Off by default.
	w := newAdminWorld(t)
	c := w.signIn(t, w.staff[account.RoleAdmin])
	if rec := c.do(request{method: "GET", path: "/api/v1/admin/retention"}); rec.Code != 400 || !strings.Contains(rec.Body.String(), "retention") {
		t.Errorf("rule off: %d %s", rec.Code, rec.Body)
	}
}
