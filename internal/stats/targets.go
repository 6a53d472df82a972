package stats

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Target is a yearly study-hour target (学时) for a scope: "default",
// "role:ROLE", "kind:KIND" or "institution:CODE"; year 0 applies to every
// year without its own row. A learner's target is the most specific one
// (institution, then kind, then role, then default), as on "my learning".
type Target struct {
	Scope string
	Year  int
	Hours float64
}

// MaxTargetHours bounds a target.
const MaxTargetHours = 1000

// institutionKinds mirrors org.Kinds (org imports nothing of ours, but
// stats must not depend on the institution service for one list).
var institutionKinds = []string{"school", "library", "culture_station", "cadre_centre", "community_centre", "other"}

// targetScope checks a scope's form and whether the caller may set or see
// it: admins any; region admins the institutions of their region;
// institution admins their own institution. National scopes (default,
// role, kind) are read by every staff scope, set by admins only.
func (s *Service) targetScope(ctx context.Context, p account.Principal, scope string) (national bool, err error) {
	prefix, instID, all, ok := root(p)
	if !ok {
		return false, errForbidden
	}
	bad := errs.New(errs.Invalid, "stats.error.target_scope").With("field", "scope")
	kind, val, _ := strings.Cut(scope, ":")
	switch {
	case scope == "default":
		return true, nil
	case kind == "role" && account.ValidRole(val):
		return true, nil
	case kind == "kind" && contains(institutionKinds, val):
		return true, nil
	case kind == "institution" && val != "":
		in, err := s.db.InstitutionByCode(ctx, val)
		if errors.Is(err, errs.ErrNotFound) {
			return false, errNoInst
		} else if err != nil {
			return false, err
		}
		if !all && in.ID != instID && (instID != 0 || !strings.HasPrefix(in.RegionCode, prefix)) {
			return false, errNoInst
		}
		return false, nil
	}
	return false, bad
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// Targets lists the targets the caller may see.
func (s *Service) Targets(ctx context.Context, p account.Principal) ([]Target, error) {
	if _, _, _, ok := root(p); !ok {
		return nil, errForbidden
	}
	rows, err := s.db.StudyHourTargets(ctx)
	if err != nil {
		return nil, err
	}
	out := []Target{}
	for _, r := range rows {
		if _, err := s.targetScope(ctx, p, r.Scope); err != nil {
			if errors.Is(err, errs.ErrInvalid) || errors.Is(err, errs.ErrNotFound) {
				continue
			}
			return nil, err
		}
		out = append(out, Target{Scope: r.Scope, Year: r.Year, Hours: r.Hours})
	}
	return out, nil
}

// SetTarget creates or replaces a target, audited. The statistics' share
// of learners who reached their target follows on the upkeep's next pass.
func (s *Service) SetTarget(ctx context.Context, p account.Principal, ip string, t Target) (*Target, error) {
	national, err := s.targetScope(ctx, p, t.Scope)
	if err != nil {
		return nil, err
	}
	if national && !p.Is(account.RoleAdmin) {
		return nil, errForbidden
	}
	if t.Year != 0 && (t.Year < 2000 || t.Year > 2100) {
		return nil, errs.New(errs.Invalid, "stats.error.target_year").With("field", "year")
	}
	if math.IsNaN(t.Hours) || t.Hours < 0 || t.Hours > MaxTargetHours {
		return nil, errs.New(errs.Invalid, "stats.error.target_hours").With("field", "hours").With("max", MaxTargetHours)
	}
	t.Hours = math.Round(t.Hours*100) / 100
	e := p.AuditEntry("stats.target.set", "target:"+t.Scope+":"+strconv.Itoa(t.Year), ip, fmt.Sprintf("hours=%.2f", t.Hours))
	if code, ok := strings.CutPrefix(t.Scope, "institution:"); ok {
		if in, err := s.db.InstitutionByCode(ctx, code); err == nil {
			id, rc := in.ID, in.RegionCode
			e.TargetInstitutionID, e.TargetRegionCode = &id, &rc
		}
	}
	if err := s.db.SetTargetAudited(ctx, store.StudyHourTarget{Year: t.Year, Scope: t.Scope, Hours: t.Hours}, e); err != nil {
		return nil, err
	}
	return &t, nil
}
