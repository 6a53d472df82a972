package web_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/store"
)

const staffPassword = "staff-password-2026"

// unlockWorld is a server with two institutions in two provinces, staff of
// every role at the first, and one learner at each.
type unlockWorld struct {
	ts           *testServer
	staff        map[string]*store.User // by role
	home, remote *store.User            // learners at cd-lib (Sichuan) and gz-lib (Guangdong)
}

func newUnlockWorld(t *testing.T) *unlockWorld {
	t.Helper()
	w := newUnlockWorldWith(t)
	w.teacherClass(t)
	return w
}

// teacherClass gives the teacher a class with the home learner and the
// staff learner: a teacher's people are the learners of their institution
// in their classes.
func (w *unlockWorld) teacherClass(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	teacher := w.staff[account.RoleTeacher]
	class := &store.Class{InstitutionID: *teacher.InstitutionID, Name: "一班", TeacherID: &teacher.ID}
	if err := w.ts.st.CreateClass(ctx, class); err != nil {
		t.Fatal(err)
	}
	for _, u := range []*store.User{w.home, w.staff[account.RoleLearner]} {
		if err := w.ts.st.AddClassMember(ctx, class.ID, u.ID); err != nil {
			t.Fatal(err)
		}
	}
}

func newUnlockWorldWith(t *testing.T, opts ...option) *unlockWorld {
	t.Helper()
	ts := newTestServer(t, opts...)
	ctx := context.Background()
	sc, cd, gd, gz := "510000", "510100", "440000", "440100"
	if err := ts.st.UpsertRegions(ctx, []store.Region{{Code: sc, Name: "四川省"}, {Code: cd, Name: "成都市", ParentCode: &sc},
		{Code: "510104", Name: "锦江区", ParentCode: &cd}, {Code: gd, Name: "广东省"}, {Code: gz, Name: "广州市", ParentCode: &gd}}); err != nil {
		t.Fatal(err)
	}
	for _, in := range []store.Institution{{Code: "cd-lib", Name: "成都图书馆", Kind: "library", RegionCode: "510104"},
		{Code: "gz-lib", Name: "广州图书馆", Kind: "library", RegionCode: gz}} {
		in.CreatedAt = time.Now()
		if err := ts.st.CreateInstitution(ctx, &in); err != nil {
			t.Fatal(err)
		}
	}
	create := func(n account.NewUser) *store.User {
		n.Password = staffPassword
		u, err := ts.accounts.Create(ctx, n)
		if err != nil {
			t.Fatalf("create %s: %v", n.Username, err)
		}
		return u
	}
	w := &unlockWorld{ts: ts, staff: map[string]*store.User{}}
	w.staff[account.RoleLearner] = create(account.NewUser{Username: "s-learner", Role: account.RoleLearner, InstitutionCode: "cd-lib"})
	w.staff[account.RoleTeacher] = create(account.NewUser{Username: "s-teacher", Role: account.RoleTeacher, InstitutionCode: "cd-lib"})
	w.staff[account.RoleInstitutionAdmin] = create(account.NewUser{Username: "s-inst", Role: account.RoleInstitutionAdmin, InstitutionCode: "cd-lib"})
	w.staff[account.RoleRegionAdmin] = create(account.NewUser{Username: "s-region", Role: account.RoleRegionAdmin, RegionCode: sc})
	w.staff[account.RoleAdmin] = create(account.NewUser{Username: "s-admin", Role: account.RoleAdmin})
	w.home = create(account.NewUser{Username: "home-learner", Role: account.RoleLearner, InstitutionCode: "cd-lib"})
	w.remote = create(account.NewUser{Username: "remote-learner", Role: account.RoleLearner, InstitutionCode: "gz-lib"})
	return w
}

const lockedOutAddr = "198.51.100.7:40000"

// lockOut fails sign-in for the user from one address until it is delayed.
func (w *unlockWorld) lockOut(t *testing.T, u *store.User) {
	t.Helper()
	c := w.ts.client()
	c.prepareCSRF(t)
	var rec *httptest.ResponseRecorder
	for i := 0; i <= account.PairFreeFailures; i++ {
		rec = c.do(request{method: "POST", path: "/api/v1/auth/login", body: loginBody(u.Username, "guess"), csrf: true, remoteAddr: lockedOutAddr})
	}
	if rec.Code != 429 {
		t.Fatalf("lock-out of %s: last status %d", u.Username, rec.Code)
	}
}

func (w *unlockWorld) signInFromLockedAddr(u *store.User) int {
	c := w.ts.client()
	c.do(request{method: "GET", path: "/api/v1/auth/csrf"})
	return c.do(request{method: "POST", path: "/api/v1/auth/login", body: loginBody(u.Username, staffPassword), csrf: true, remoteAddr: lockedOutAddr}).Code
}

func TestUnlockByRoleAndScope(t *testing.T) {
	t.Parallel()
	in, out, unknown, malformed := "in scope", "out of scope", "unknown id", "malformed id"
	cases := []struct {
		role, target string
		want         int
	}{
		{account.RoleLearner, in, 403}, {account.RoleLearner, out, 403}, {account.RoleLearner, unknown, 403},
		{account.RoleTeacher, in, 200}, {account.RoleTeacher, out, 404}, {account.RoleTeacher, unknown, 404},
		{account.RoleInstitutionAdmin, in, 200}, {account.RoleInstitutionAdmin, out, 404}, {account.RoleInstitutionAdmin, unknown, 404},
		{account.RoleRegionAdmin, in, 200}, {account.RoleRegionAdmin, out, 404}, {account.RoleRegionAdmin, unknown, 404},
		{account.RoleAdmin, in, 200}, {account.RoleAdmin, out, 200}, {account.RoleAdmin, unknown, 404},
		{account.RoleAdmin, malformed, 404},
		{"signed out", in, 401},
	}
	for _, tc := range cases {
		t.Run(tc.role+"/"+tc.target, func(t *testing.T) {
			t.Parallel()
			w := newUnlockWorld(t)
			// An admin's whole country is in scope; the out-of-scope
			// learner is the one in another province.
			target := w.home
			if tc.target == out {
				target = w.remote
			}
			w.lockOut(t, target)
			path := fmt.Sprintf("/api/v1/admin/users/%d/unlock", target.ID)
			switch tc.target {
			case unknown:
				path = "/api/v1/admin/users/424242/unlock"
			case malformed:
				path = "/api/v1/admin/users/x1/unlock"
			}
			c := w.ts.client()
			if staff := w.staff[tc.role]; staff != nil {
				c.login(t, staff.Username, staffPassword)
			} else {
				c.prepareCSRF(t)
			}
			rec := c.do(request{method: "POST", path: path, csrf: true})
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.want, rec.Body)
			}
			entries, err := w.ts.st.AuditEntries(context.Background(), "user.unlock", 10)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want != 200 {
				errorOf(t, rec)
				if len(entries) != 0 {
					t.Errorf("a refused unlock was audited: %+v", entries)
				}
				if tc.target == in || tc.target == out {
					if code := w.signInFromLockedAddr(target); code != 429 {
						t.Errorf("a refused unlock lifted the delay: sign-in %d", code)
					}
				}
				return
			}
			if code := w.signInFromLockedAddr(target); code != 200 {
				t.Errorf("after unlock, sign-in from the delayed address: %d", code)
			}
			staff := w.staff[tc.role]
			if len(entries) != 1 || entries[0].ActorID == nil || *entries[0].ActorID != staff.ID ||
				entries[0].Target != fmt.Sprintf("user:%d", target.ID) || entries[0].IP == "" {
				t.Errorf("audit = %+v", entries)
			}
		})
	}
}

// Without the header a forged form could unlock accounts.
func TestUnlockNeedsCSRF(t *testing.T) {
	t.Parallel()
	w := newUnlockWorld(t)
	c := w.ts.client()
	c.login(t, "s-admin", staffPassword)
	rec := c.do(request{method: "POST", path: fmt.Sprintf("/api/v1/admin/users/%d/unlock", w.home.ID)})
	if rec.Code != 403 {
		t.Errorf("without X-CSRF-Token: %d", rec.Code)
	}
}
