package learning

import (
	"testing"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/store"
)

func TestAdmits(t *testing.T) {
	// Owned by institution 7 in Chengdu (510100).
	own := func(vis string) audience {
		return audience{CourseID: 1, OwnerInstitutionID: 7, OwnerRegion: "510100", Visibility: vis}
	}
	learner := func(inst int64, region string) Viewer {
		return ViewerOf(account.Principal{UserID: 9, Role: account.RoleLearner, InstitutionID: inst, RegionCode: region})
	}
	regionAdmin := func(code string) Viewer {
		return ViewerOf(account.Principal{UserID: 9, Role: account.RoleRegionAdmin, RegionCode: code})
	}
	cases := []struct {
		name string
		a    audience
		v    Viewer
		want bool
	}{
		{"shipped, signed out", audience{CourseID: 1, Visibility: store.VisibilityPublic}, Viewer{}, true},
		{"unowned is public whatever it says", audience{CourseID: 1, Visibility: store.VisibilityInstitution}, Viewer{}, true},
		{"public, signed out", own(store.VisibilityPublic), Viewer{}, true},
		{"institution, its learner", own(store.VisibilityInstitution), learner(7, "510100"), true},
		{"institution, learner next door", own(store.VisibilityInstitution), learner(8, "510104"), false},
		{"institution, signed out", own(store.VisibilityInstitution), Viewer{}, false},
		{"region, learner in a county under it", own(store.VisibilityRegion), learner(8, "510104"), true},
		{"region, learner in another city", own(store.VisibilityRegion), learner(8, "510700"), false},
		{"region, learner in another province", own(store.VisibilityRegion), learner(8, "440100"), false},
		{"region, learner without institution", own(store.VisibilityRegion), learner(0, ""), false},
		{"institution, admin", own(store.VisibilityInstitution), ViewerOf(account.Principal{Role: account.RoleAdmin}), true},
		{"institution, region admin above", own(store.VisibilityInstitution), regionAdmin("510000"), true},
		{"institution, region admin elsewhere", own(store.VisibilityInstitution), regionAdmin("440000"), false},
		{"institution, country-wide region admin", own(store.VisibilityInstitution), regionAdmin("000000"), true},
		{"institution, teacher elsewhere", own(store.VisibilityInstitution),
			ViewerOf(account.Principal{Role: account.RoleTeacher, InstitutionID: 8, RegionCode: "510100"}), false},
	}
	for _, tc := range cases {
		if got := admits(tc.a, tc.v); got != tc.want {
			t.Errorf("%s: admits = %v, want %v", tc.name, got, tc.want)
		}
	}
}
