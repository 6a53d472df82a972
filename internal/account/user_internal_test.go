package account

import (
	"testing"

	"github.com/xuetang-edu/xuetang/internal/store"
)

// The view keeps what the pages show and drops what they must never see.
func TestUserOf(t *testing.T) {
	inst, region := int64(7), "510104"
	u := userOf(&store.User{ID: 3, Username: "li", DisplayName: "李", PasswordHash: "secret", Role: RoleLearner,
		Locale: "zh-CN", InstitutionID: &inst, RegionCode: &region, MustChangePassword: true})
	want := User{ID: 3, Username: "li", DisplayName: "李", Role: RoleLearner, Locale: "zh-CN",
		InstitutionID: 7, RegionCode: "510104", MustChangePassword: true}
	if *u != want {
		t.Errorf("userOf = %+v, want %+v", *u, want)
	}
	if u := userOf(&store.User{ID: 4, Disabled: true}); u.InstitutionID != 0 || u.RegionCode != "" || !u.Disabled {
		t.Errorf("userOf without institution or region = %+v", *u)
	}
	if institutionOf(nil) != nil {
		t.Error("no institution became one")
	}
}
