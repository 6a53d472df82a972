package account_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/session"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

type fixture struct {
	st       *store.Store
	sessions session.Store
	svc      *account.Service
	clock    *storetest.Clock
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	clk := storetest.NewClock()
	st := storetest.OpenSQLite(t, clk.Now)
	sessions := session.NewSQL(st, clk.Now)
	svc := account.NewService(st, sessions, session.NewSQLThrottle(st), account.Config{
		Params: fast, SessionIdle: 2 * time.Hour, SessionMaxAge: 7 * 24 * time.Hour,
		SharedSessionIdle: 10 * time.Minute, Now: clk.Now,
	})
	return &fixture{st: st, sessions: sessions, svc: svc, clock: clk}
}

func (f *fixture) user(t *testing.T, name, pw string) *store.User {
	t.Helper()
	u, err := f.svc.Create(context.Background(), account.NewUser{Username: name, Password: pw, Role: account.RoleLearner})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func keyOf(err error) string {
	var e *errs.Error
	if errors.As(err, &e) {
		return string(e.Code) + "/" + e.Key
	}
	return fmt.Sprintf("untyped %v", err)
}

func TestCreateUser(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u, err := f.svc.Create(ctx, account.NewUser{Username: "  ZhangWei ", Password: "学习使我快乐每一天", Role: account.RoleLearner})
	if err != nil {
		t.Fatal(err)
	}
	if u.Username != "zhangwei" || u.DisplayName != "zhangwei" || u.Locale != "zh-CN" {
		t.Errorf("user = %+v; want the username normalised and used as display name, locale zh-CN", u)
	}
	got, err := f.st.UserByUsername(ctx, "zhangwei")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.PasswordHash, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(got.PasswordHash, "学习") {
		t.Errorf("stored hash = %q", got.PasswordHash)
	}
	if !account.CheckPassword("学习使我快乐每一天", got.PasswordHash) {
		t.Error("stored hash does not verify")
	}

	// Usernames differ only by case on SQLite too: one person, one account.
	_, err = f.svc.Create(ctx, account.NewUser{Username: "zhangWEI", Password: "another-password", Role: account.RoleTeacher})
	if keyOf(err) != "conflict/error.username_taken" {
		t.Errorf("duplicate username: err = %v", err)
	}

	u, err = f.svc.Create(ctx, account.NewUser{Username: "张伟", DisplayName: " 张伟 ", Password: "夕阳红老年大学学员", Role: account.RoleLearner, Locale: "en", BirthYear: 1955})
	if err != nil {
		t.Fatal(err)
	}
	if u.Username != "张伟" || u.DisplayName != "张伟" || u.Locale != "en" || u.BirthYear == nil || *u.BirthYear != 1955 {
		t.Errorf("user = %+v", u)
	}
	if entries, _ := f.st.AuditEntries(ctx, "user.create", 10); len(entries) != 2 {
		t.Errorf("audit entries for user.create = %d, want 2", len(entries))
	}
}

func TestCreateUserRejects(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.st.UpsertRegions(ctx, []store.Region{{Code: "510000", Name: "四川省"}}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.CreateInstitution(ctx, &store.Institution{Code: "cd-lib", Name: "成都图书馆", Kind: "library", RegionCode: "510000", CreatedAt: f.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	ok := account.NewUser{Username: "learner1", Password: "library-card-77", Role: account.RoleLearner}
	with := func(mod func(n *account.NewUser)) account.NewUser { n := ok; mod(&n); return n }
	cases := []struct {
		name string
		n    account.NewUser
		want string
	}{
		{"username too short", with(func(n *account.NewUser) { n.Username = "a" }), "invalid/error.username_invalid"},
		{"username with space", with(func(n *account.NewUser) { n.Username = "zhang wei" }), "invalid/error.username_invalid"},
		{"username with slash", with(func(n *account.NewUser) { n.Username = "a/b" }), "invalid/error.username_invalid"},
		{"unknown role", with(func(n *account.NewUser) { n.Role = "root" }), "invalid/error.role_invalid"},
		{"short password", with(func(n *account.NewUser) { n.Password = "学习学习学习学" }), "invalid/error.password_length"},
		{"long password", with(func(n *account.NewUser) { n.Password = strings.Repeat("x", 129) }), "invalid/error.password_length"},
		{"common password", with(func(n *account.NewUser) { n.Password = "Zhangwei1990" }), "invalid/error.password_common"},
		{"locale", with(func(n *account.NewUser) { n.Locale = "fr" }), "invalid/error.locale_invalid"},
		{"birth year", with(func(n *account.NewUser) { n.BirthYear = 1800 }), "invalid/error.birth_year_invalid"},
		{"display name too long", with(func(n *account.NewUser) { n.DisplayName = strings.Repeat("名", 101) }), "invalid/error.display_name_invalid"},
		{"region code format", with(func(n *account.NewUser) { n.RegionCode = "51" }), "invalid/error.region_invalid"},
		{"region admin without region", with(func(n *account.NewUser) { n.Role = account.RoleRegionAdmin }), "invalid/error.region_required"},
		{"institution admin without institution", with(func(n *account.NewUser) { n.Role = account.RoleInstitutionAdmin }), "invalid/error.institution_required"},
		{"unknown institution", with(func(n *account.NewUser) { n.InstitutionCode = "nowhere" }), "invalid/error.institution_unknown"},
		{"unknown region", with(func(n *account.NewUser) { n.Role = account.RoleRegionAdmin; n.RegionCode = "990000" }), "invalid/error.region_unknown"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.Create(ctx, tc.n)
			if got := keyOf(err); got != tc.want {
				t.Errorf("err = %v, want %s", err, tc.want)
			}
		})
	}
	// The valid forms of the same roles go through.
	if _, err := f.svc.Create(ctx, account.NewUser{Username: "sc-admin", Password: "library-card-77", Role: account.RoleRegionAdmin, RegionCode: "510000"}); err != nil {
		t.Errorf("region admin: %v", err)
	}
	u, err := f.svc.Create(ctx, account.NewUser{Username: "lib-admin", Password: "library-card-77", Role: account.RoleInstitutionAdmin, InstitutionCode: "cd-lib"})
	if err != nil {
		t.Fatalf("institution admin: %v", err)
	}
	p, inst, err := f.svc.Principal(ctx, u)
	if err != nil || inst == nil || inst.Code != "cd-lib" || p.Scope() != (account.Scope{InstitutionID: inst.ID}) || p.RegionCode != "510000" {
		t.Errorf("principal = %+v, inst = %+v, err = %v", p, inst, err)
	}
}

func TestSignIn(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pw := "我的密码是一首很长很长的诗句床前明月光疑是地上霜举头望明月低" // 30 characters
	if n := len([]rune(pw)); n != 30 {
		t.Fatalf("fixture password has %d characters", n)
	}
	u := f.user(t, "Li.Na", pw)
	res, err := f.svc.SignIn(ctx, account.Login{Username: " LI.NA", Password: pw, IP: "10.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if res.User.ID != u.ID || res.Token == "" || res.Session.UserID != u.ID || res.Session.CSRFToken == "" {
		t.Fatalf("result = %+v", res)
	}
	if res.Session.Idle != 2*time.Hour || !res.Session.ExpiresAt.Equal(f.clock.Now().Add(7*24*time.Hour)) {
		t.Errorf("session idle %v, expires %v", res.Session.Idle, res.Session.ExpiresAt)
	}
	if s, err := f.sessions.Get(ctx, res.Token); err != nil || s.UserID != u.ID {
		t.Errorf("new session not stored: %v", err)
	}
	again, err := f.svc.SignIn(ctx, account.Login{Username: "li.na", Password: pw})
	if err != nil || again.Token == res.Token {
		t.Errorf("a second sign-in must get a new token (err %v)", err)
	}
	if entries, _ := f.st.AuditEntries(ctx, "auth.login", 10); len(entries) != 2 || entries[0].IP != "" || entries[1].IP != "10.0.0.1" {
		t.Errorf("audit = %+v", entries)
	}
}

func TestSharedComputerSession(t *testing.T) {
	f := newFixture(t)
	f.user(t, "library-user", "library-card-77")
	res, err := f.svc.SignIn(context.Background(), account.Login{Username: "library-user", Password: "library-card-77", Shared: true})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Session.Shared || res.Session.Idle != 10*time.Minute || res.Session.ExpiresAt.Sub(f.clock.Now()) > 8*time.Hour {
		t.Errorf("shared session = %+v", res.Session)
	}
}

// The error for an unknown user and for a wrong password must be the same,
// so sign-in does not reveal which usernames exist.
func TestSignInFailuresGiveNoHint(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.user(t, "wangfang", "correct-password")
	attempts := []account.Login{
		{Username: "wangfang", Password: "wrong-password"},
		{Username: "nobody-here", Password: "correct-password"},
		{Username: "wangfang", Password: ""},
		{Username: "", Password: "correct-password"},
		{Username: "wangfang", Password: strings.Repeat("x", 129)},
	}
	var first string
	for i, l := range attempts {
		_, err := f.svc.SignIn(ctx, l)
		got := keyOf(err)
		if got != "unauthorized/error.bad_credentials" {
			t.Errorf("%+v: err = %v", l, err)
		}
		if i == 0 {
			first = err.Error()
		} else if err.Error() != first {
			t.Errorf("error text differs: %q vs %q", err.Error(), first)
		}
	}
}

func TestDisabledUserCannotSignIn(t *testing.T) {
	f := newFixture(t)
	hash, _ := account.HashPassword("library-card-77", fast)
	now := f.clock.Now()
	if err := f.st.CreateUser(context.Background(), &store.User{Username: "gone", DisplayName: "gone", PasswordHash: hash,
		Role: account.RoleLearner, Locale: "zh-CN", Disabled: true, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.SignIn(context.Background(), account.Login{Username: "gone", Password: "library-card-77"})
	if keyOf(err) != "unauthorized/error.bad_credentials" {
		t.Errorf("err = %v", err)
	}
}

// On a public terminal every sign-in is a shared-computer one, even when the
// form did not ask, and the server ends it after the shared idle timeout.
func TestPublicTerminalForcesSharedSession(t *testing.T) {
	ctx := context.Background()
	clk := storetest.NewClock()
	st := storetest.OpenSQLite(t, clk.Now)
	sessions := session.NewSQL(st, clk.Now)
	for _, public := range []bool{false, true} {
		svc := account.NewService(st, sessions, session.NewSQLThrottle(st), account.Config{
			Params: fast, SessionIdle: 2 * time.Hour, SessionMaxAge: 7 * 24 * time.Hour,
			SharedSessionIdle: 10 * time.Minute, Now: clk.Now, PublicTerminal: public,
		})
		if p, idle := svc.Terminal(); p != public || idle != 10*time.Minute {
			t.Errorf("Terminal() = %v %v", p, idle)
		}
		name := fmt.Sprintf("kiosk-%v", public)
		if _, err := svc.Create(ctx, account.NewUser{Username: name, Password: "library-card-77", Role: account.RoleLearner}); err != nil {
			t.Fatal(err)
		}
		res, err := svc.SignIn(ctx, account.Login{Username: name, Password: "library-card-77"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Session.Shared != public {
			t.Errorf("public terminal %v: session shared = %v", public, res.Session.Shared)
		}
		clk.Add(9 * time.Minute)
		if _, err := sessions.Get(ctx, res.Token); err != nil {
			t.Errorf("public terminal %v: session ended while in use: %v", public, err)
		}
		clk.Add(11 * time.Minute)
		_, err = sessions.Get(ctx, res.Token)
		if public && err == nil {
			t.Error("a public terminal's session outlived the shared idle timeout")
		}
		if !public && err != nil {
			t.Errorf("an ordinary session ended after 11 idle minutes: %v", err)
		}
	}
}
