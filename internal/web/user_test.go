package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// adminWorld is unlockWorld plus a second institution in the staff's
// province (cd-school, 成都市) with a learner: in a region admin's scope,
// outside an institution admin's.
type adminWorld struct {
	*unlockWorld
	nearby *store.User // learner at cd-school
}

func newAdminWorld(t *testing.T, opts ...option) *adminWorld {
	t.Helper()
	w := &adminWorld{unlockWorld: newUnlockWorldWith(t, opts...)}
	w.teacherClass(t)
	ctx := context.Background()
	if err := w.ts.st.CreateInstitution(ctx, &store.Institution{Code: "cd-school", Name: "成都学校", Kind: "school",
		RegionCode: "510100", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	u, err := w.ts.accounts.Create(ctx, account.NewUser{Username: "nearby-learner", Role: account.RoleLearner,
		InstitutionCode: "cd-school", Password: staffPassword})
	if err != nil {
		t.Fatal(err)
	}
	w.nearby = u
	return w
}

// signIn returns a client signed in as u.
func (w *adminWorld) signIn(t *testing.T, u *store.User) *client {
	t.Helper()
	c := w.ts.client()
	c.login(t, u.Username, staffPassword)
	return c
}

// Targets of the scope table.
const (
	tHome    = "same institution" // home-learner at cd-lib, the staff's institution
	tNearby  = "other institution"
	tRemote  = "other region"
	tGuessed = "guessed id"
)

var (
	allRoles   = []string{account.RoleLearner, account.RoleTeacher, account.RoleInstitutionAdmin, account.RoleRegionAdmin, account.RoleAdmin}
	allTargets = []string{tHome, tNearby, tRemote, tGuessed}
)

func (w *adminWorld) targetUser(target string) *store.User {
	switch target {
	case tHome:
		return w.home
	case tNearby:
		return w.nearby
	case tRemote:
		return w.remote
	}
	return nil
}

// staffScope is who may act on whom: 403 for roles that may never,
// 404 outside the caller's scope, 200 inside. Teachers act only where
// teachers may (teacherToo).
func staffScope(role, target string, teacherToo bool) int {
	switch role {
	case account.RoleLearner:
		return 403
	case account.RoleTeacher:
		if !teacherToo {
			return 403
		}
		if target == tHome {
			return 200
		}
		return 404
	case account.RoleInstitutionAdmin:
		if target == tHome {
			return 200
		}
	case account.RoleRegionAdmin:
		if target == tHome || target == tNearby {
			return 200
		}
	case account.RoleAdmin:
		if target != tGuessed {
			return 200
		}
	}
	return 404
}

// userState is what a refused request must leave as it was.
type userState struct {
	DisplayName, Role, PasswordHash string
	Disabled, MustChange            bool
	InstitutionID                   int64
}

func stateOf(t *testing.T, st *store.Store, id int64) userState {
	t.Helper()
	u, err := st.UserByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	s := userState{DisplayName: u.DisplayName, Role: u.Role, PasswordHash: u.PasswordHash, Disabled: u.Disabled, MustChange: u.MustChangePassword}
	if u.InstitutionID != nil {
		s.InstitutionID = *u.InstitutionID
	}
	return s
}

// lastAudit is the id of the newest audit entry, to tell a request's
// entries from the fixture's.
func lastAudit(t *testing.T, st *store.Store) int64 {
	t.Helper()
	all, err := st.AuditEntries(context.Background(), "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		return 0
	}
	return all[0].ID
}

// userAudits lists the user.* entries written after entry id since.
func userAudits(t *testing.T, st *store.Store, since int64) []store.AuditEntry {
	t.Helper()
	all, err := st.AuditEntries(context.Background(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.AuditEntry
	for _, e := range all {
		if e.ID > since && strings.HasPrefix(e.Action, "user.") {
			out = append(out, e)
		}
	}
	return out
}

// signedInNow reports whether c's session is still alive, asking the
// session store itself as well as the server: the server also refuses a
// disabled user's session, which would hide one left behind in the store,
// where another instance would still find it.
func signedInNow(c *client) bool {
	_, err := c.ts.sessions.Get(context.Background(), c.cookies["xuetang_session"])
	served := c.do(request{method: "GET", path: "/api/v1/me"}).Code == 200
	return err == nil || served
}

// Every staff action on one user, for every role, on a user in the
// caller's institution, in another institution of their region, in
// another region, and on a guessed id: allowed ones do what they say and
// are audited; the rest answer 403 or 404 and change nothing.
func TestUserActionsByRoleAndScope(t *testing.T) {
	t.Parallel()
	type action struct {
		name       string
		method     string
		suffix     string
		body       func(w *adminWorld, target string) string
		teacherToo bool
		audit      string
		// effect checks an allowed request did its work.
		effect func(t *testing.T, w *adminWorld, target *store.User, before, after userState, rec *httptest.ResponseRecorder, targetClient *client)
		// override corrects staffScope where the action has its own rule.
		override func(role, target string) (int, bool)
	}
	actions := []action{
		{name: "rename", method: "PATCH", suffix: "", audit: "user.update",
			body: func(*adminWorld, string) string { return `{"display_name":"新名字"}` },
			effect: func(t *testing.T, w *adminWorld, u *store.User, before, after userState, rec *httptest.ResponseRecorder, _ *client) {
				if after.DisplayName != "新名字" {
					t.Errorf("display name = %q", after.DisplayName)
				}
			}},
		{name: "make teacher", method: "PATCH", suffix: "", audit: "user.update",
			body: func(*adminWorld, string) string { return `{"role":"teacher"}` },
			effect: func(t *testing.T, w *adminWorld, u *store.User, before, after userState, rec *httptest.ResponseRecorder, _ *client) {
				if after.Role != account.RoleTeacher {
					t.Errorf("role = %q", after.Role)
				}
			}},
		{name: "disable", method: "POST", suffix: "/disable", audit: "user.disable",
			effect: func(t *testing.T, w *adminWorld, u *store.User, before, after userState, rec *httptest.ResponseRecorder, tc *client) {
				if !after.Disabled {
					t.Error("not disabled")
				}
				if signedInNow(tc) {
					t.Error("the disabled user's session survived")
				}
				c := w.ts.client()
				c.prepareCSRF(t)
				if code := c.do(request{method: "POST", path: "/api/v1/auth/login", body: loginBody(u.Username, staffPassword), csrf: true}).Code; code != 401 {
					t.Errorf("a disabled user signed in: %d", code)
				}
			}},
		{name: "enable", method: "POST", suffix: "/enable", audit: "user.enable",
			effect: func(t *testing.T, w *adminWorld, u *store.User, before, after userState, rec *httptest.ResponseRecorder, tc *client) {
				if after.Disabled {
					t.Error("still disabled")
				}
				if !signedInNow(tc) {
					t.Error("enabling an enabled user ended their session")
				}
			}},
		{name: "password reset", method: "POST", suffix: "/password-reset", audit: "user.password_reset", teacherToo: true,
			effect: func(t *testing.T, w *adminWorld, u *store.User, before, after userState, rec *httptest.ResponseRecorder, tc *client) {
				var body struct {
					OneTime string `json:"one_time_password"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body.OneTime) < 8 {
					t.Fatalf("body %s", rec.Body)
				}
				if !after.MustChange || after.PasswordHash == before.PasswordHash {
					t.Errorf("after reset: must change %v, hash changed %v", after.MustChange, after.PasswordHash != before.PasswordHash)
				}
				if signedInNow(tc) {
					t.Error("the user's session survived a password reset")
				}
				c := w.ts.client()
				rec = c.login(t, u.Username, body.OneTime)
				if !strings.Contains(rec.Body.String(), `"must_change_password":true`) {
					t.Errorf("sign-in with the one-time password: %s", rec.Body)
				}
			}},
		{name: "delete", method: "DELETE", suffix: "", audit: "user.delete",
			effect: func(t *testing.T, w *adminWorld, u *store.User, before, after userState, rec *httptest.ResponseRecorder, tc *client) {
				got, err := w.ts.st.UserByID(context.Background(), u.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.Username != store.DeletedUsername(u.ID) || got.DisplayName != "" || !got.Disabled || got.DeletedAt == nil ||
					got.PasswordHash == before.PasswordHash {
					t.Errorf("after delete: %+v", got)
				}
				if after.InstitutionID != before.InstitutionID {
					t.Error("a deletion moved the learner out of their institution's statistics")
				}
				if signedInNow(tc) {
					t.Error("the deleted user's session survived")
				}
				c := w.ts.client()
				c.prepareCSRF(t)
				if code := c.do(request{method: "POST", path: "/api/v1/auth/login", body: loginBody(u.Username, staffPassword), csrf: true}).Code; code != 401 {
					t.Errorf("a deleted user signed in: %d", code)
				}
			}},
		{name: "move", method: "POST", suffix: "/move", audit: "user.move",
			body: func(w *adminWorld, target string) string {
				if target == tHome {
					return `{"institution":"cd-school"}`
				}
				return `{"institution":"cd-lib"}`
			},
			effect: func(t *testing.T, w *adminWorld, u *store.User, before, after userState, rec *httptest.ResponseRecorder, _ *client) {
				if after.InstitutionID == before.InstitutionID || after.InstitutionID == 0 {
					t.Errorf("institution %d -> %d", before.InstitutionID, after.InstitutionID)
				}
			},
			// cd-school is not an institution admin's to move people to.
			override: func(role, target string) (int, bool) {
				if role == account.RoleInstitutionAdmin && target == tHome {
					return 400, true
				}
				return 0, false
			}},
	}
	for _, act := range actions {
		for _, role := range allRoles {
			for _, target := range allTargets {
				want := staffScope(role, target, act.teacherToo)
				if act.override != nil {
					if o, ok := act.override(role, target); ok {
						want = o
					}
				}
				t.Run(act.name+"/"+role+"/"+target, func(t *testing.T) {
					t.Parallel()
					w := newAdminWorld(t)
					st := w.ts.st
					u := w.targetUser(target)
					path := "/api/v1/admin/users/424242" + act.suffix
					var before userState
					var tc *client
					if u != nil {
						path = fmt.Sprintf("/api/v1/admin/users/%d%s", u.ID, act.suffix)
						before = stateOf(t, st, u.ID)
						tc = w.signIn(t, u)
					}
					body := ""
					if act.body != nil {
						body = act.body(w, target)
					}
					c := w.signIn(t, w.staff[role])
					since := lastAudit(t, st)
					rec := c.do(request{method: act.method, path: path, body: body, csrf: true, remoteAddr: "203.0.113.9:5000"})
					if rec.Code != want {
						t.Fatalf("status %d, want %d: %s", rec.Code, want, rec.Body)
					}
					audits := userAudits(t, st, since)
					if want != 200 {
						errorOf(t, rec)
						if u != nil {
							if after := stateOf(t, st, u.ID); after != before {
								t.Errorf("a refused request changed the user:\n before %+v\n after  %+v", before, after)
							}
							if !signedInNow(tc) {
								t.Error("a refused request ended the user's session")
							}
						}
						if len(audits) != 0 {
							t.Errorf("a refused request was audited: %+v", audits)
						}
						return
					}
					after := stateOf(t, st, u.ID)
					act.effect(t, w, u, before, after, rec, tc)
					staff := w.staff[role]
					// A move is filed under both places: the destination
					// (user.move) and the origin (user.move_out).
					wantActions := []string{act.audit}
					if act.audit == "user.move" {
						wantActions = []string{"user.move_out", "user.move"} // newest first
					}
					var got []string
					for _, a := range audits {
						got = append(got, a.Action)
						if a.ActorID == nil || *a.ActorID != staff.ID || a.Target != account.UserTarget(u.ID) || a.IP != "203.0.113.9" || a.Outcome != "ok" {
							t.Errorf("audit = %+v", a)
						}
					}
					if !slices.Equal(got, wantActions) {
						t.Errorf("audited %v, want %v", got, wantActions)
					}
					if act.audit == "user.move" && len(audits) == 2 {
						if out := audits[0]; out.TargetInstitutionID == nil || *out.TargetInstitutionID != before.InstitutionID {
							t.Errorf("user.move_out is not filed under the origin %d: %+v", before.InstitutionID, out)
						}
						if in := audits[1]; in.TargetInstitutionID == nil || *in.TargetInstitutionID != after.InstitutionID {
							t.Errorf("user.move is not filed under the destination %d: %+v", after.InstitutionID, in)
						}
					}
				})
			}
		}
	}
}

// What each role finds in GET /api/v1/admin/users.
func TestListUsersByRole(t *testing.T) {
	t.Parallel()
	w := newAdminWorld(t)
	all := []string{"home-learner", "nearby-learner", "remote-learner", "s-learner", "s-teacher", "s-inst", "s-region", "s-admin", "zhangwei", "lina"}
	cases := map[string][]string{
		account.RoleLearner:          nil,
		account.RoleTeacher:          {"home-learner", "s-learner"},
		account.RoleInstitutionAdmin: {"home-learner", "s-learner", "s-teacher", "s-inst"},
		// Region admins of the same region are peers, not listed.
		account.RoleRegionAdmin: {"home-learner", "nearby-learner", "s-learner", "s-teacher", "s-inst"},
		account.RoleAdmin:       all,
	}
	for role, want := range cases {
		t.Run(role, func(t *testing.T) {
			t.Parallel()
			c := w.signIn(t, w.staff[role])
			rec := c.do(request{method: "GET", path: "/api/v1/admin/users"})
			if want == nil {
				if rec.Code != 403 {
					t.Fatalf("status %d", rec.Code)
				}
				errorOf(t, rec)
				return
			}
			got := listNames(t, rec)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("listed %v, want %v", got, want)
			}
		})
	}
}

type listedUser struct {
	ID          int64  `json:"id"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	Disabled    bool   `json:"disabled"`
	Institution *struct {
		Code string `json:"code"`
		Name string `json:"name"`
	} `json:"institution"`
}

func listPage(t *testing.T, rec *httptest.ResponseRecorder) ([]listedUser, *string) {
	t.Helper()
	if rec.Code != 200 {
		t.Fatalf("list: %d %s", rec.Code, rec.Body)
	}
	var body struct {
		Users []listedUser `json:"users"`
		Next  *string      `json:"next"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	return body.Users, body.Next
}

func listNames(t *testing.T, rec *httptest.ResponseRecorder) []string {
	t.Helper()
	users, _ := listPage(t, rec)
	var out []string
	for _, u := range users {
		out = append(out, u.Username)
	}
	return out
}

// Pages follow one another without gaps or repeats, a search matches
// usernames and display names, and a forged cursor is refused.
func TestListUsersPagesAndSearch(t *testing.T) {
	t.Parallel()
	w := newAdminWorld(t)
	ctx := context.Background()
	for i := 0; i < 7; i++ {
		if _, err := w.ts.accounts.Create(ctx, account.NewUser{Username: fmt.Sprintf("pupil%02d", i), DisplayName: fmt.Sprintf("王小%d", i),
			Role: account.RoleLearner, InstitutionCode: "cd-lib", Password: staffPassword}); err != nil {
			t.Fatal(err)
		}
	}
	c := w.signIn(t, w.staff[account.RoleInstitutionAdmin])
	var seen []string
	path := "/api/v1/admin/users?limit=3"
	pages := 0
	for {
		users, next := listPage(t, c.do(request{method: "GET", path: path}))
		pages++
		for _, u := range users {
			seen = append(seen, u.Username)
		}
		if next == nil {
			break
		}
		if len(users) != 3 {
			t.Fatalf("a page before the last has %d users", len(users))
		}
		path = "/api/v1/admin/users?limit=3&cursor=" + *next
	}
	if len(seen) != 11 || pages != 4 {
		t.Errorf("%d pages, users %v", pages, seen)
	}
	sorted := slices.Clone(seen)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != len(seen) {
		t.Errorf("a user appeared twice: %v", seen)
	}
	if got := listNames(t, c.do(request{method: "GET", path: "/api/v1/admin/users?q=" + "%E7%8E%8B%E5%B0%8F3"})); !slices.Equal(got, []string{"pupil03"}) {
		t.Errorf("search by display name: %v", got)
	}
	if got := listNames(t, c.do(request{method: "GET", path: "/api/v1/admin/users?q=UPIL0&limit=2"})); len(got) != 2 {
		t.Errorf("search by username part: %v", got)
	}
	// Wildcards are literal: no username has a percent sign.
	if got := listNames(t, c.do(request{method: "GET", path: "/api/v1/admin/users?q=%25"})); len(got) != 0 {
		t.Errorf("q=%% matched %v", got)
	}
	rec := c.do(request{method: "GET", path: "/api/v1/admin/users?cursor=bm90LWEtY3Vyc29y"})
	if rec.Code != 400 {
		t.Errorf("forged cursor: %d", rec.Code)
	}
}

// Creating one account, for every role, at the caller's institution, at
// another institution of the region, in another region, and at an
// unknown institution.
func TestCreateUserByRoleAndScope(t *testing.T) {
	t.Parallel()
	codes := map[string]string{tHome: "cd-lib", tNearby: "cd-school", tRemote: "gz-lib", tGuessed: "no-such-lib"}
	for _, role := range allRoles {
		for _, target := range allTargets {
			want := staffScope(role, target, false)
			switch {
			case want == 200:
				want = 201
			case want == 404:
				// An institution out of scope reads as unknown.
				want = 400
			}
			t.Run(role+"/"+target, func(t *testing.T) {
				t.Parallel()
				w := newAdminWorld(t)
				c := w.signIn(t, w.staff[role])
				since := lastAudit(t, w.ts.st)
				body := fmt.Sprintf(`{"username":"NewPerson","display_name":"新人","role":"learner","institution":%q}`, codes[target])
				rec := c.do(request{method: "POST", path: "/api/v1/admin/users", body: body, csrf: true})
				if rec.Code != want {
					t.Fatalf("status %d, want %d: %s", rec.Code, want, rec.Body)
				}
				u, err := w.ts.st.UserByUsername(context.Background(), "newperson")
				if want != 201 {
					errorOf(t, rec)
					if err == nil {
						t.Errorf("a refused create made %+v", u)
					}
					if a := userAudits(t, w.ts.st, since); len(a) != 0 {
						t.Errorf("audited: %+v", a)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				var body2 struct {
					OneTime string     `json:"one_time_password"`
					User    listedUser `json:"user"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &body2); err != nil || body2.OneTime == "" || body2.User.Username != "newperson" ||
					body2.User.Institution == nil || body2.User.Institution.Code != codes[target] {
					t.Fatalf("body %s", rec.Body)
				}
				if !u.MustChangePassword || !account.CheckPassword(body2.OneTime, u.PasswordHash) {
					t.Errorf("stored: must change %v, one-time password works %v", u.MustChangePassword, account.CheckPassword(body2.OneTime, u.PasswordHash))
				}
				if a := userAudits(t, w.ts.st, since); len(a) != 1 || a[0].Action != "user.create" || a[0].Target != account.UserTarget(u.ID) {
					t.Errorf("audit %+v", a)
				}
			})
		}
	}
}

// Which roles each role may give, at their own institution.
func TestCreateUserRolesGrantable(t *testing.T) {
	t.Parallel()
	type grant struct {
		actor, role, institution, region string
		want                             int
	}
	cases := []grant{
		{account.RoleInstitutionAdmin, "learner", "", "", 201}, // defaults to their institution
		{account.RoleInstitutionAdmin, "teacher", "cd-lib", "", 201},
		{account.RoleInstitutionAdmin, "institution_admin", "cd-lib", "", 403},
		{account.RoleInstitutionAdmin, "region_admin", "", "510104", 403},
		{account.RoleInstitutionAdmin, "admin", "", "", 403},
		{account.RoleRegionAdmin, "institution_admin", "cd-school", "", 201},
		{account.RoleRegionAdmin, "region_admin", "", "510100", 201}, // below theirs
		{account.RoleRegionAdmin, "region_admin", "", "510000", 403}, // a peer
		{account.RoleRegionAdmin, "region_admin", "", "440000", 403}, // elsewhere
		{account.RoleRegionAdmin, "admin", "", "", 403},
		{account.RoleRegionAdmin, "learner", "", "", 403}, // nowhere in their region
		{account.RoleAdmin, "admin", "", "", 201},
		{account.RoleAdmin, "region_admin", "", "440000", 201},
		{account.RoleAdmin, "learner", "", "510000", 400}, // a region is for region admins only
		{account.RoleAdmin, "region_admin", "", "999999", 400},
		{account.RoleTeacher, "learner", "cd-lib", "", 403},
	}
	for _, g := range cases {
		t.Run(fmt.Sprintf("%s gives %s at %s%s", g.actor, g.role, g.institution, g.region), func(t *testing.T) {
			t.Parallel()
			w := newAdminWorld(t)
			c := w.signIn(t, w.staff[g.actor])
			body, _ := json.Marshal(map[string]string{"username": "granted", "role": g.role, "institution": g.institution, "region": g.region, "password": "a-chosen-password-7"})
			rec := c.do(request{method: "POST", path: "/api/v1/admin/users", body: string(body), csrf: true})
			if rec.Code != g.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, g.want, rec.Body)
			}
			_, err := w.ts.st.UserByUsername(context.Background(), "granted")
			if (err == nil) != (g.want == 201) {
				t.Errorf("user exists: %v", err == nil)
			}
			if g.want == 201 && strings.Contains(rec.Body.String(), "one_time_password") {
				t.Errorf("a chosen password came back as one-time: %s", rec.Body)
			}
		})
	}
}

// Staff cannot disable themselves or change their own role (the last
// admin would lock everyone out), nor act on a peer of their rank.
func TestStaffCannotActOnThemselvesOrPeers(t *testing.T) {
	t.Parallel()
	w := newAdminWorld(t)
	ctx := context.Background()
	admin := w.staff[account.RoleAdmin]
	c := w.signIn(t, admin)
	for _, r := range []request{
		{method: "POST", path: fmt.Sprintf("/api/v1/admin/users/%d/disable", admin.ID), csrf: true},
		{method: "PATCH", path: fmt.Sprintf("/api/v1/admin/users/%d", admin.ID), body: `{"role":"learner"}`, csrf: true},
	} {
		if rec := c.do(r); rec.Code != 403 {
			t.Errorf("%s %s: %d", r.method, r.path, rec.Code)
		}
	}
	other, err := w.ts.accounts.Create(ctx, account.NewUser{Username: "s-inst2", Role: account.RoleInstitutionAdmin, InstitutionCode: "cd-lib", Password: staffPassword})
	if err != nil {
		t.Fatal(err)
	}
	ic := w.signIn(t, w.staff[account.RoleInstitutionAdmin])
	if rec := ic.do(request{method: "POST", path: fmt.Sprintf("/api/v1/admin/users/%d/disable", other.ID), csrf: true}); rec.Code != 403 {
		t.Errorf("institution admin disabling a peer: %d", rec.Code)
	}
	if u, _ := w.ts.st.UserByID(ctx, other.ID); u.Disabled {
		t.Error("peer disabled")
	}
}

// A teacher or admin moved only learners.
func TestMoveOnlyLearners(t *testing.T) {
	t.Parallel()
	w := newAdminWorld(t)
	c := w.signIn(t, w.staff[account.RoleAdmin])
	rec := c.do(request{method: "POST", path: fmt.Sprintf("/api/v1/admin/users/%d/move", w.staff[account.RoleTeacher].ID),
		body: `{"institution":"gz-lib"}`, csrf: true})
	if rec.Code != 400 {
		t.Errorf("moving a teacher: %d %s", rec.Code, rec.Body)
	}
}

// Disabling ends the user's sessions at once, with Redis sessions too.
func TestDisableEndsSessions(t *testing.T) {
	t.Parallel()
	sessionBackends(t, func(t *testing.T, opts ...option) {
		w := newAdminWorld(t, opts...)
		phone, laptop := w.signIn(t, w.home), w.signIn(t, w.home)
		admin := w.signIn(t, w.staff[account.RoleInstitutionAdmin])
		if rec := admin.do(request{method: "POST", path: fmt.Sprintf("/api/v1/admin/users/%d/disable", w.home.ID), csrf: true}); rec.Code != 200 {
			t.Fatalf("disable: %d %s", rec.Code, rec.Body)
		}
		if signedInNow(phone) || signedInNow(laptop) {
			t.Error("a session of the disabled user survived")
		}
		if !signedInNow(admin) {
			t.Error("the admin's own session ended")
		}
		if rec := admin.do(request{method: "POST", path: fmt.Sprintf("/api/v1/admin/users/%d/enable", w.home.ID), csrf: true}); rec.Code != 200 {
			t.Fatalf("enable: %d", rec.Code)
		}
		w.signIn(t, w.home)
	})
}

// A teacher's people are the learners of their institution in their own
// classes: a learner of the same institution in no class of theirs is not
// listed and cannot be reset or unlocked by them.
func TestTeacherSeesOnlyTheirClasses(t *testing.T) {
	t.Parallel()
	w := newAdminWorld(t)
	ctx := context.Background()
	other, err := w.ts.accounts.Create(ctx, account.NewUser{Username: "not-in-class", Role: account.RoleLearner,
		InstitutionCode: "cd-lib", Password: staffPassword})
	if err != nil {
		t.Fatal(err)
	}
	c := w.signIn(t, w.staff[account.RoleTeacher])
	rec := c.do(request{method: "GET", path: "/api/v1/admin/users"})
	if rec.Code != 200 || strings.Contains(rec.Body.String(), "not-in-class") || !strings.Contains(rec.Body.String(), "home-learner") {
		t.Errorf("teacher's list: %d %s", rec.Code, rec.Body)
	}
	for _, suffix := range []string{"/password-reset", "/unlock"} {
		rec := c.do(request{method: "POST", path: fmt.Sprintf("/api/v1/admin/users/%d%s", other.ID, suffix), csrf: true})
		if rec.Code != 404 {
			t.Errorf("%s of a learner outside the teacher's classes: %d %s", suffix, rec.Code, rec.Body)
		}
	}
	// The institution admin still sees everyone of the institution.
	ia := w.signIn(t, w.staff[account.RoleInstitutionAdmin])
	if rec := ia.do(request{method: "GET", path: "/api/v1/admin/users"}); !strings.Contains(rec.Body.String(), "not-in-class") {
		t.Errorf("institution admin's list: %s", rec.Body)
	}
}
