package account

import "github.com/xuetang-edu/xuetang/internal/store"

// User is an account as the layers above the domain see it: who is signed
// in, without the password hash and bookkeeping the store keeps.
type User struct {
	ID            int64
	Username      string
	DisplayName   string
	Role          string
	Locale        string
	InstitutionID int64  // 0: none
	RegionCode    string // "": none
	// MustChangePassword: the password was chosen by someone else; every
	// other action waits until the user chooses one.
	MustChangePassword bool
	Disabled           bool
	// PrivacyVersion is the privacy notice the user accepted ("": none).
	PrivacyVersion string
	// LargeText and HighContrast: the age-friendly display chosen.
	LargeText, HighContrast bool
}

// Institution is a user's institution as pages name it.
type Institution struct {
	ID         int64
	Code       string
	Name       string
	Kind       string
	RegionCode string
}

func userOf(u *store.User) *User {
	v := &User{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Role: u.Role, Locale: u.Locale,
		MustChangePassword: u.MustChangePassword, Disabled: u.Disabled,
		LargeText: u.LargeText, HighContrast: u.HighContrast}
	if u.InstitutionID != nil {
		v.InstitutionID = *u.InstitutionID
	}
	if u.RegionCode != nil {
		v.RegionCode = *u.RegionCode
	}
	if u.PrivacyVersion != nil {
		v.PrivacyVersion = *u.PrivacyVersion
	}
	return v
}

// institutionOf is nil for no institution.
func institutionOf(i *store.Institution) *Institution {
	if i == nil {
		return nil
	}
	return &Institution{ID: i.ID, Code: i.Code, Name: i.Name, Kind: i.Kind, RegionCode: i.RegionCode}
}
