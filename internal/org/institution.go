// Package org manages institutions: the schools, libraries, culture
// stations and training centres that learners and staff belong to.
package org

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/xuetang-edu/xuetang/internal/errs"
)

// Kinds of institution, as stored and as the API and CLI spell them.
const (
	KindSchool          = "school"
	KindLibrary         = "library"
	KindCultureStation  = "culture_station"
	KindCadreCentre     = "cadre_centre"
	KindCommunityCentre = "community_centre"
	KindOther           = "other"
)

// Kinds lists every kind.
var Kinds = []string{KindSchool, KindLibrary, KindCultureStation, KindCadreCentre, KindCommunityCentre, KindOther}

// ValidKind reports whether k is a known kind.
func ValidKind(k string) bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

var codeRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// Draft is a new institution as an administrator describes it.
type Draft struct {
	Code, Name, Kind, RegionCode string
}

// Validate checks the rules that need no database and tidies the fields.
func (d *Draft) Validate() error {
	d.Code = strings.TrimSpace(d.Code)
	if !codeRe.MatchString(d.Code) {
		return errs.New(errs.Invalid, "error.institution_code_invalid").With("field", "code")
	}
	return validateFields(&d.Name, &d.Kind, &d.RegionCode)
}

func validateFields(name, kind, region *string) error {
	*name = strings.TrimSpace(*name)
	if *name == "" || utf8.RuneCountInString(*name) > 200 {
		return errs.New(errs.Invalid, "error.institution_name_invalid").With("field", "name")
	}
	if !ValidKind(*kind) {
		return errs.New(errs.Invalid, "error.institution_kind_invalid").With("kinds", strings.Join(Kinds, ", ")).With("field", "kind")
	}
	*region = strings.TrimSpace(*region)
	if len(*region) != 6 || strings.Trim(*region, "0123456789") != "" {
		return errs.New(errs.Invalid, "error.region_invalid").With("field", "region_code")
	}
	return nil
}

// Patch changes some fields of an institution; nil fields stay as they are.
type Patch struct {
	Name, Kind, RegionCode *string
	SelfRegistration       *bool
}

// fields names the fields the patch sets, for permission checks and the audit log.
func (p Patch) fields() []string {
	var out []string
	if p.Name != nil {
		out = append(out, "name")
	}
	if p.Kind != nil {
		out = append(out, "kind")
	}
	if p.RegionCode != nil {
		out = append(out, "region_code")
	}
	if p.SelfRegistration != nil {
		out = append(out, "self_registration")
	}
	return out
}
