package account_test

import (
	"testing"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/store"
)

func TestRegionPrefix(t *testing.T) {
	cases := map[string]string{
		"510000": "51",     // province
		"510100": "5101",   // city
		"510104": "510104", // county
		"110000": "11",
		"000000": "", // the country: everything
	}
	for code, want := range cases {
		if got := account.RegionPrefix(code); got != want {
			t.Errorf("RegionPrefix(%q) = %q, want %q", code, got, want)
		}
	}
}

func TestScope(t *testing.T) {
	cases := []struct {
		name string
		p    account.Principal
		want account.Scope
	}{
		{"admin sees all", account.Principal{UserID: 1, Role: account.RoleAdmin}, account.Scope{All: true}},
		{"province admin", account.Principal{UserID: 2, Role: account.RoleRegionAdmin, RegionCode: "510000"}, account.Scope{RegionPrefix: "51"}},
		{"city admin", account.Principal{UserID: 3, Role: account.RoleRegionAdmin, RegionCode: "510100"}, account.Scope{RegionPrefix: "5101"}},
		{"county admin", account.Principal{UserID: 4, Role: account.RoleRegionAdmin, RegionCode: "510104"}, account.Scope{RegionPrefix: "510104"}},
		{"national region admin", account.Principal{UserID: 5, Role: account.RoleRegionAdmin, RegionCode: "000000"}, account.Scope{All: true}},
		{"region admin without region sees only self", account.Principal{UserID: 6, Role: account.RoleRegionAdmin}, account.Scope{UserID: 6}},
		{"institution admin", account.Principal{UserID: 7, Role: account.RoleInstitutionAdmin, InstitutionID: 42, RegionCode: "510104"}, account.Scope{InstitutionID: 42}},
		{"institution admin without institution", account.Principal{UserID: 8, Role: account.RoleInstitutionAdmin}, account.Scope{UserID: 8}},
		{"teacher sees the institution", account.Principal{UserID: 9, Role: account.RoleTeacher, InstitutionID: 42}, account.Scope{InstitutionID: 42}},
		{"learner sees own", account.Principal{UserID: 10, Role: account.RoleLearner, InstitutionID: 42, RegionCode: "510104"}, account.Scope{UserID: 10}},
		{"unknown role sees own", account.Principal{UserID: 11, Role: "superuser"}, account.Scope{UserID: 11}},
	}
	for _, tc := range cases {
		if got := tc.p.Scope(); got != tc.want {
			t.Errorf("%s: Scope() = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestScopeCovers(t *testing.T) {
	type rec struct {
		user, inst int64
		region     string
	}
	own := rec{10, 42, "510104"}
	sameInst := rec{11, 42, "510104"}
	sameCity := rec{12, 43, "510105"}
	otherCity := rec{13, 44, "510400"}
	otherProvince := rec{14, 45, "110101"}
	all := []rec{own, sameInst, sameCity, otherCity, otherProvince}
	cases := []struct {
		name  string
		scope account.Scope
		want  []rec
	}{
		{"all", account.Scope{All: true}, all},
		{"province", account.Scope{RegionPrefix: "51"}, []rec{own, sameInst, sameCity, otherCity}},
		{"city", account.Scope{RegionPrefix: "5101"}, []rec{own, sameInst, sameCity}},
		{"institution", account.Scope{InstitutionID: 42}, []rec{own, sameInst}},
		{"own", account.Scope{UserID: 10}, []rec{own}},
	}
	for _, tc := range cases {
		for _, r := range all {
			want := false
			for _, w := range tc.want {
				want = want || w == r
			}
			if got := tc.scope.Covers(r.user, r.inst, r.region); got != want {
				t.Errorf("%s: Covers(%+v) = %v, want %v", tc.name, r, got, want)
			}
		}
	}
}

func TestPrincipalOf(t *testing.T) {
	instID := int64(42)
	inst := &store.Institution{ID: 42, RegionCode: "510104"}
	p := account.PrincipalOf(&store.User{ID: 7, Role: account.RoleTeacher, InstitutionID: &instID}, inst)
	if p.UserID != 7 || p.InstitutionID != 42 || p.RegionCode != "510104" {
		t.Errorf("teacher principal = %+v", p)
	}
	// A region admin's own region wins over their institution's.
	rc := "510000"
	p = account.PrincipalOf(&store.User{ID: 8, Role: account.RoleRegionAdmin, InstitutionID: &instID, RegionCode: &rc}, inst)
	if p.RegionCode != "510000" || p.Scope() != (account.Scope{RegionPrefix: "51"}) {
		t.Errorf("region admin principal = %+v, scope %+v", p, p.Scope())
	}
}

func TestRoles(t *testing.T) {
	for _, r := range []string{"learner", "teacher", "institution_admin", "region_admin", "admin"} {
		if !account.ValidRole(r) {
			t.Errorf("%q should be a role", r)
		}
	}
	for _, r := range []string{"", "Admin", "root", "superuser"} {
		if account.ValidRole(r) {
			t.Errorf("%q should not be a role", r)
		}
	}
	p := account.Principal{Role: account.RoleTeacher}
	if !p.Is(account.RoleAdmin, account.RoleTeacher) || p.Is(account.RoleAdmin) {
		t.Error("Principal.Is is wrong")
	}
}
