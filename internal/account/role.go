package account

import (
	"errors"
	"strings"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Role names as stored and as given to `xuetang user create --role`.
const (
	RoleLearner          = "learner"
	RoleTeacher          = "teacher"
	RoleInstitutionAdmin = "institution_admin"
	RoleRegionAdmin      = "region_admin"
	RoleAdmin            = "admin"
)

// Roles lists every valid role.
var Roles = []string{RoleLearner, RoleTeacher, RoleInstitutionAdmin, RoleRegionAdmin, RoleAdmin}

// ValidRole reports whether r is a known role.
func ValidRole(r string) bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Principal is the signed-in user as the authorization layer sees it.
type Principal struct {
	UserID        int64
	Role          string
	InstitutionID int64  // 0 when none
	RegionCode    string // the user's own region (region admins) or their institution's
}

// PrincipalOf builds a principal from a user and, when known, their institution.
func PrincipalOf(u *store.User, inst *store.Institution) Principal {
	p := Principal{UserID: u.ID, Role: u.Role}
	if u.InstitutionID != nil {
		p.InstitutionID = *u.InstitutionID
	}
	if inst != nil {
		p.RegionCode = inst.RegionCode
	}
	if u.RegionCode != nil && *u.RegionCode != "" {
		p.RegionCode = *u.RegionCode
	}
	return p
}

// Scope is the data a principal may read in reports and user lists. Exactly
// one of the fields is the effective limit; All wins.
type Scope struct {
	All           bool
	RegionPrefix  string // GB/T 2260 prefix: "51" province, "5101" city, "510104" county
	InstitutionID int64
	UserID        int64 // own data only
}

// Scope returns what p may see. Unknown roles see only themselves.
func (p Principal) Scope() Scope {
	switch p.Role {
	case RoleAdmin:
		return Scope{All: true}
	case RoleRegionAdmin:
		if p.RegionCode == "" {
			return Scope{UserID: p.UserID}
		}
		prefix := RegionPrefix(p.RegionCode)
		if prefix == "" {
			return Scope{All: true}
		}
		return Scope{RegionPrefix: prefix}
	case RoleInstitutionAdmin, RoleTeacher:
		if p.InstitutionID == 0 {
			return Scope{UserID: p.UserID}
		}
		return Scope{InstitutionID: p.InstitutionID}
	default:
		return Scope{UserID: p.UserID}
	}
}

// Covers reports whether the scope includes a record owned by userID at an
// institution in regionCode.
func (s Scope) Covers(userID, institutionID int64, regionCode string) bool {
	switch {
	case s.All:
		return true
	case s.RegionPrefix != "":
		return strings.HasPrefix(regionCode, s.RegionPrefix)
	case s.InstitutionID != 0:
		return institutionID == s.InstitutionID
	default:
		return userID == s.UserID
	}
}

// RegionPrefix strips the trailing zero pairs of a six-digit code: a province
// (510000) covers every code starting 51, a city (510100) every 5101xx. The
// country root 000000 covers everything.
func RegionPrefix(code string) string { return store.RegionPrefix(code) }

// Is reports whether the principal has one of the given roles.
func (p Principal) Is(roles ...string) bool {
	for _, r := range roles {
		if p.Role == r {
			return true
		}
	}
	return false
}

// VisibleInstitution takes the result of looking up the institution named
// code and gives it back if p's scope covers it. One that does not exist
// and one outside the scope are the same not-found error, so codes cannot
// be probed.
func (p Principal) VisibleInstitution(code string, in *store.Institution, err error) (*store.Institution, error) {
	if err == nil && !p.Scope().Covers(0, in.ID, in.RegionCode) {
		err = errs.ErrNotFound
	}
	if errors.Is(err, errs.ErrNotFound) {
		return nil, errs.New(errs.NotFound, "error.institution_unknown").With("code", code).With("field", "institution")
	}
	return in, err
}
