package account_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// withPlaces adds Sichuan (a county library) and Guangdong (a city
// library) and returns an institution admin at the Sichuan one.
func (f *fixture) withPlaces(t *testing.T) account.Principal {
	t.Helper()
	ctx := context.Background()
	sc, cd, gd := "510000", "510100", "440000"
	if err := f.st.UpsertRegions(ctx, []store.Region{{Code: sc, Name: "四川省"}, {Code: cd, Name: "成都市", ParentCode: &sc},
		{Code: "510104", Name: "锦江区", ParentCode: &cd}, {Code: gd, Name: "广东省"}, {Code: "440100", Name: "广州市", ParentCode: &gd}}); err != nil {
		t.Fatal(err)
	}
	var home int64
	for _, in := range []store.Institution{{Code: "cd-lib", Name: "成都图书馆", Kind: "library", RegionCode: "510104"},
		{Code: "gz-lib", Name: "广州图书馆", Kind: "library", RegionCode: "440100"}} {
		in.CreatedAt = time.Now()
		if err := f.st.CreateInstitution(ctx, &in); err != nil {
			t.Fatal(err)
		}
		if home == 0 {
			home = in.ID
		}
	}
	u, err := f.svc.Create(ctx, account.NewUser{Username: "inst-admin", Password: "staff-password-2026", Role: account.RoleInstitutionAdmin, InstitutionCode: "cd-lib"})
	if err != nil {
		t.Fatal(err)
	}
	return account.Principal{UserID: u.ID, Role: account.RoleInstitutionAdmin, InstitutionID: home, RegionCode: "510104"}
}

// One bad row of many: nobody is created, the row is named, and nothing
// is audited.
func TestCreateManyAllOrNone(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	actor := f.withPlaces(t)
	var rows []account.NewUser
	for i := 0; i < 20; i++ {
		rows = append(rows, account.NewUser{Username: fmt.Sprintf("Pupil%02d", i), Role: account.RoleLearner})
	}
	bad := map[string]account.NewUser{
		"taken":                 {Username: "inst-admin", Role: account.RoleLearner},
		"twice in the batch":    {Username: "pupil03", Role: account.RoleLearner},
		"other region":          {Username: "far", Role: account.RoleLearner, InstitutionCode: "gz-lib"},
		"role not grantable":    {Username: "boss", Role: account.RoleRegionAdmin, RegionCode: "510104"},
		"common password":       {Username: "weak", Role: account.RoleLearner, Password: "password123"},
		"birth year":            {Username: "old", Role: account.RoleLearner, BirthYear: 1800},
		"bad username":          {Username: "a b", Role: account.RoleLearner},
		"region for a learner":  {Username: "lost", Role: account.RoleLearner, RegionCode: "510104"},
		"teacher by a learner?": {Username: "t", Role: "janitor"},
	}
	for name, b := range bad {
		t.Run(name, func(t *testing.T) {
			batch := append(append([]account.NewUser{}, rows...), b)
			_, err := f.svc.CreateMany(ctx, actor, batch, "192.0.2.1")
			var re *account.RowError
			if !errors.As(err, &re) || re.Index != len(rows) {
				t.Fatalf("err = %v, want a RowError at %d", err, len(rows))
			}
			if _, err := f.st.UserByUsername(ctx, "pupil00"); err == nil {
				t.Error("a row was created")
			}
		})
	}
	created, err := f.svc.CreateMany(ctx, actor, rows, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	all, _ := f.st.AuditEntries(ctx, "user.create", 100)
	var entries []store.AuditEntry
	for _, e := range all {
		if e.ActorID != nil { // not the fixture's own, made from the command line
			entries = append(entries, e)
		}
	}
	if len(created) != 20 || len(entries) != 20 {
		t.Fatalf("%d created, %d audited", len(created), len(entries))
	}
	for _, c := range created {
		u, err := f.st.UserByUsername(ctx, c.User.Username)
		if err != nil || !u.MustChangePassword || c.OneTimePassword == "" || !account.CheckPassword(c.OneTimePassword, u.PasswordHash) ||
			c.User.InstitutionCode != "cd-lib" || !strings.HasPrefix(c.User.Username, "pupil") {
			t.Errorf("%+v: %+v %v", c, u, err)
		}
	}
	if e := entries[0]; e.ActorID == nil || *e.ActorID != actor.UserID || e.IP != "192.0.2.1" ||
		e.TargetInstitutionID == nil || *e.TargetInstitutionID != actor.InstitutionID || e.ActorInstitutionID == nil {
		t.Errorf("entry %+v", e)
	}
	// The preview check applies the same rules one row at a time.
	if err := f.svc.CheckNew(ctx, actor, account.NewUser{Username: "pupil05", Role: account.RoleLearner}); keyOf(err) != "conflict/error.username_taken" {
		t.Errorf("CheckNew taken: %v", err)
	}
	if err := f.svc.CheckNew(ctx, actor, account.NewUser{Username: "newbie", Role: account.RoleTeacher}); err != nil {
		t.Errorf("CheckNew fine: %v", err)
	}
	if err := f.svc.CheckNew(ctx, actor, account.NewUser{Username: "newbie", Role: account.RoleAdmin}); keyOf(err) != "forbidden/error.role_not_grantable" {
		t.Errorf("CheckNew admin: %v", err)
	}
	if _, err := f.st.UserByUsername(ctx, "newbie"); err == nil {
		t.Error("CheckNew created a user")
	}
	if _, err := f.svc.CreateMany(ctx, account.Principal{UserID: 99, Role: account.RoleTeacher, InstitutionID: actor.InstitutionID}, rows[:1], ""); keyOf(err) != "forbidden/error.forbidden" {
		t.Errorf("a teacher creating: %v", err)
	}
}

func TestOneTimePassword(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		pw := account.OneTimePassword()
		if len(pw) != 10 || account.ValidatePassword(pw) != nil || strings.ContainsAny(pw, "01ilo") || seen[pw] {
			t.Fatalf("one-time password %q", pw)
		}
		seen[pw] = true
	}
}
