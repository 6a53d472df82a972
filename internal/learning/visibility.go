package learning

import (
	"context"
	"strings"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Viewer is who looks at or enrols in courses: a learner (or any signed-in
// user) with their institution and region, or nobody (UserID 0). Staff who
// manage courses see the courses they may edit as well.
type Viewer struct {
	UserID        int64
	InstitutionID int64
	RegionCode    string // their institution's region (a region admin's own)
	// All: an admin, who sees every course.
	All bool
	// ManagesRegion: a region admin's GB/T 2260 prefix; they see every
	// course owned by an institution under it.
	ManagesRegion string
}

// Learner is the viewer who enrols: their institution and region are
// recorded on the enrolment for statistics.
type Learner = Viewer

// ViewerOf is the viewer a principal is.
func ViewerOf(p account.Principal) Viewer {
	v := Viewer{UserID: p.UserID, InstitutionID: p.InstitutionID, RegionCode: p.RegionCode}
	sc := p.Scope()
	switch {
	case p.Role == account.RoleAdmin:
		v.All = true
	case p.Role == account.RoleRegionAdmin && sc.All:
		v.All = true
	case p.Role == account.RoleRegionAdmin:
		v.ManagesRegion = sc.RegionPrefix
	}
	return v
}

// audience is who may see a course without an enrolment or assignment.
type audience = store.CourseAudience

func audienceOf(e store.CatalogueEntry) audience {
	a := audience{CourseID: e.Course.ID, Visibility: e.Course.Visibility, OwnerRegion: e.OwnerRegion}
	if e.Course.OwnerInstitutionID != nil {
		a.OwnerInstitutionID = *e.Course.OwnerInstitutionID
	}
	return a
}

// admits reports whether the course is open to the viewer by who they are;
// enrolments and assignments are checked separately, as they cost a query.
func admits(a audience, v Viewer) bool {
	if a.Withdrawn {
		// Enrolled learners keep reading (sees); nobody else but admins.
		return v.All
	}
	if a.OwnerInstitutionID == 0 || a.Visibility == store.VisibilityPublic || a.Visibility == "" {
		return true
	}
	if v.All || (v.InstitutionID != 0 && v.InstitutionID == a.OwnerInstitutionID) {
		return true
	}
	if v.ManagesRegion != "" && strings.HasPrefix(a.OwnerRegion, v.ManagesRegion) {
		return true
	}
	if a.Visibility == store.VisibilityRegion && a.OwnerRegion != "" && v.RegionCode != "" {
		return strings.HasPrefix(v.RegionCode, account.RegionPrefix(a.OwnerRegion))
	}
	return false
}

// maxAudiences bounds the cached audiences, a few dozen bytes each.
const maxAudiences = 10000

// audience returns a course's audience, cached until the next Invalidate:
// the lesson reader asks on every view.
func (s *Service) audience(ctx context.Context, courseID int64) (audience, error) {
	if a, ok := s.audiences.get(courseID); ok {
		return a, nil
	}
	a, err := s.courses.AudienceOf(ctx, courseID)
	if err != nil {
		return a, err
	}
	s.audiences.put(courseID, a)
	return a, nil
}

// sees reports whether a viewer may see a course: by who they are, or
// because they are enrolled (a learner keeps what they started) or one of
// their classes has it assigned.
func (s *Service) sees(ctx context.Context, v Viewer, a audience) (bool, error) {
	if admits(a, v) {
		return true, nil
	}
	if v.UserID == 0 {
		return false, nil
	}
	if _, err := s.enrolledAt(ctx, v.UserID, a.CourseID); err == nil {
		return true, nil
	}
	if a.Withdrawn {
		// An assignment made before the withdrawal opens nothing new.
		return false, nil
	}
	as, err := s.enrolments.AssignmentsFor(ctx, v.UserID)
	if err != nil {
		return false, err
	}
	for _, x := range as {
		if x.CourseID == a.CourseID {
			return true, nil
		}
	}
	return false, nil
}
