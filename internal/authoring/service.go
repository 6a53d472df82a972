// Package authoring is what teachers and administrators do with courses:
// publish a package for their audience, list the courses they may edit and
// download any version back as a package.
package authoring

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/course"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Store is what authoring needs from the database (internal/store/course.go).
type Store interface {
	course.ImportStore
	DraftStore
	CourseByID(ctx context.Context, id int64) (*store.Course, error)
	AudienceOf(ctx context.Context, courseID int64) (store.CourseAudience, error)
	EditableCourses(ctx context.Context, f store.EditableFilter) ([]store.EditableCourse, error)
	InstitutionByCode(ctx context.Context, code string) (*store.Institution, error)
	InstitutionByID(ctx context.Context, id int64) (*store.Institution, error)
	VersionHistory(ctx context.Context, courseID int64) ([]store.VersionSummary, error)
	SetCoursePublished(ctx context.Context, courseID int64, published bool, audit *store.AuditEntry) error
	SetCourseVisibility(ctx context.Context, courseID int64, visibility string, by int64, audit *store.AuditEntry) error
	RequestReview(ctx context.Context, r *store.CourseReview, audit *store.AuditEntry) error
	ReviewByID(ctx context.Context, id int64) (*store.CourseReview, error)
	ListReviews(ctx context.Context, q store.ReviewQuery) ([]store.ReviewListing, error)
	DecideReview(ctx context.Context, id int64, approve bool, by int64, comment string, audit *store.AuditEntry) (*store.CourseReview, error)
	ListLessonReports(ctx context.Context, q store.ReportQuery) ([]store.ReportListing, error)
	LessonReportByID(ctx context.Context, id int64) (*store.LessonReport, error)
	ResolveLessonReport(ctx context.Context, id, by int64, audit *store.AuditEntry) error
}

// Service publishes and exports course packages for staff.
type Service struct {
	st Store
	// changed is called after a course was stored, so the learner side
	// drops its cached catalogue and audiences.
	changed func()
}

// New builds the service; changed may be nil.
func New(st Store, changed func()) *Service {
	if changed == nil {
		changed = func() {}
	}
	return &Service{st: st, changed: changed}
}

// MaxPackageBytes caps an uploaded package zip: the importer's own limit
// on what it decompresses is 64 MiB, and compressed images shrink little.
const MaxPackageBytes = 64 << 20

// Publish is an upload of one package.
type Publish struct {
	Actor      account.Principal
	Zip        []byte
	Visibility string // "" means institution
	// Institution is an institution code a region admin or admin publishes
	// for; "" means the actor's own institution.
	Institution string
	IP          string
}

// Published is what an upload stored.
type Published struct {
	Slug    string `json:"slug"`
	Version int    `json:"version"`
	// Review is the request filed for wider visibility, if one was.
	Review *ReviewRef `json:"review,omitempty"`
}

// ReviewRef names a review request.
type ReviewRef struct {
	ID         int64  `json:"id"`
	Visibility string `json:"visibility"`
	Status     string `json:"status"`
}

// ProblemsError is a package that does not validate: every problem with
// its file and line. Nothing was stored.
type ProblemsError struct {
	Problems []course.Problem
}

func (e *ProblemsError) Error() string {
	return fmt.Sprintf("course package has %d problems", len(e.Problems))
}

// canAuthor reports whether a role writes courses at all.
func canAuthor(p account.Principal) bool {
	return p.Is(account.RoleTeacher, account.RoleInstitutionAdmin, account.RoleRegionAdmin, account.RoleAdmin)
}

// widest is the widest visibility a role may grant alone: teachers and
// institution admins their institution; region admins their region;
// admins everyone. Asking for more files a review request (review.go).
func widest(p account.Principal) string {
	switch p.Role {
	case account.RoleAdmin:
		return store.VisibilityPublic
	case account.RoleRegionAdmin:
		return store.VisibilityRegion
	default:
		return store.VisibilityInstitution
	}
}

var visibilityRank = map[string]int{store.VisibilityInstitution: 1, store.VisibilityRegion: 2, store.VisibilityPublic: 3}

// Import validates and stores one package for the actor's audience. A
// visibility wider than the actor may grant stores the course at what they
// may grant (an existing course keeps its own) and files a review request
// for the rest, in the same transaction.
func (s *Service) Import(ctx context.Context, in Publish) (*Published, error) {
	if !canAuthor(in.Actor) {
		return nil, errs.New(errs.Forbidden, "error.forbidden")
	}
	vis := in.Visibility
	if vis != "" && visibilityRank[vis] == 0 {
		return nil, errs.New(errs.Invalid, "author.error.visibility_invalid").With("field", "visibility")
	}
	owner, err := s.owner(ctx, in.Actor, in.Institution)
	if err != nil {
		return nil, err
	}
	if owner == nil && vis != "" && vis != store.VisibilityPublic {
		// Only an admin gets here: a course without an owner is seen by all.
		return nil, errs.New(errs.Invalid, "author.error.owner_required").With("field", "institution")
	}
	pkgs, err := loadOne(in.Zip)
	if err != nil {
		return nil, err
	}
	if vis == "" {
		// A new version without a visibility keeps the course's audience
		// (one approved after review stays approved); a new course starts
		// at its institution, or public for an admin without one.
		if _, _, err := s.st.CourseBySlug(ctx, pkgs[0].Slug); errors.Is(err, errs.ErrNotFound) {
			vis = store.VisibilityInstitution
			if owner == nil {
				vis = store.VisibilityPublic
			}
		} else if err != nil {
			return nil, err
		}
	}
	return s.store(ctx, in.Actor, pkgs, owner, vis, in.IP, "course.import", "")
}

// loadOne reads a zip holding exactly one valid package.
func loadOne(zip []byte) ([]*course.Package, error) {
	pkgs, err := course.LoadZip(bytes.NewReader(zip), int64(len(zip)))
	var ve *course.ValidationError
	switch {
	case errors.As(err, &ve):
		return nil, &ProblemsError{Problems: ve.Problems}
	case err != nil:
		return nil, &ProblemsError{Problems: []course.Problem{{Message: err.Error()}}}
	case len(pkgs) != 1:
		return nil, &ProblemsError{Problems: []course.Problem{{Message: fmt.Sprintf("the zip holds %d course packages; upload one at a time", len(pkgs))}}}
	}
	return pkgs, nil
}

// store imports a loaded package for owner asking for visibility vis ("":
// keep the course's), filing a review when vis is more than the actor may
// grant, audited as action.
func (s *Service) store(ctx context.Context, actor account.Principal, pkgs []*course.Package, owner *store.Institution,
	vis, ip, action, note string) (*Published, error) {
	p := pkgs[0]
	granted, review := vis, (*store.CourseReview)(nil)
	if vis != "" && visibilityRank[vis] > visibilityRank[widest(actor)] {
		// An existing course keeps what it has if that is already as wide
		// (approved before); otherwise the actor's widest stands until a
		// reviewer approves.
		granted = widest(actor)
		if c, _, err := s.st.CourseBySlug(ctx, p.Slug); err == nil {
			if visibilityRank[c.Visibility] >= visibilityRank[vis] {
				granted = vis
			} else {
				granted = ""
			}
		} else if !errors.Is(err, errs.ErrNotFound) {
			return nil, err
		}
		if granted != vis {
			review = &store.CourseReview{Visibility: vis, RequestedBy: actor.UserID}
		}
	}
	detail := fmt.Sprintf("version %d, visibility %s", p.Version, vis)
	if vis == "" {
		detail = fmt.Sprintf("version %d", p.Version)
	}
	if note != "" {
		detail += ", " + note
	}
	if review != nil {
		detail += ", review requested"
	}
	entry := actor.AuditEntry(action, "course:"+p.Slug, ip, detail)
	var ownerID *int64
	if owner != nil {
		id := owner.ID
		ownerID = &id
		entry.TargetInstitutionID = &id
		rc := owner.RegionCode
		entry.TargetRegionCode = &rc
		if review != nil {
			review.OwnerInstitutionID, review.OwnerRegionCode = &id, owner.RegionCode
		}
	}
	ins, err := course.ImportReviewed(ctx, s.st, pkgs, ownerID, granted, entry, review)
	if err != nil {
		return nil, err
	}
	s.changed()
	out := &Published{Slug: ins[0].Slug, Version: ins[0].Version}
	if review != nil {
		out.Review = &ReviewRef{ID: review.ID, Visibility: review.Visibility, Status: review.Status}
	}
	return out, nil
}

// owner is the institution a course is published for: the one named (a
// region admin's must be in their region; an admin's any), else the
// actor's own; nil for an admin without one.
func (s *Service) owner(ctx context.Context, p account.Principal, code string) (*store.Institution, error) {
	if code != "" && p.Is(account.RoleRegionAdmin, account.RoleAdmin) {
		inst, err := s.st.InstitutionByCode(ctx, code)
		if errors.Is(err, errs.ErrNotFound) || (err == nil && !p.Scope().Covers(0, inst.ID, inst.RegionCode)) {
			return nil, errs.New(errs.Invalid, "error.institution_not_found").With("field", "institution")
		}
		return inst, err
	}
	if p.InstitutionID == 0 {
		if p.Role == account.RoleAdmin {
			return nil, nil
		}
		return nil, errs.New(errs.Invalid, "author.error.owner_required").With("field", "institution")
	}
	return s.st.InstitutionByID(ctx, p.InstitutionID)
}

// edits reports whether p may edit (and export) a course with audience a:
// its institution's teachers and admins, its region's admins, admins.
// Courses without an owner are the operator's: admins only.
func edits(p account.Principal, a store.CourseAudience) bool {
	if p.Role == account.RoleAdmin {
		return true
	}
	if a.OwnerInstitutionID == 0 {
		return false
	}
	sc := p.Scope()
	switch {
	case sc.All:
		return true
	case p.Role == account.RoleRegionAdmin && sc.RegionPrefix != "":
		return strings.HasPrefix(a.OwnerRegion, sc.RegionPrefix)
	case p.Is(account.RoleTeacher, account.RoleInstitutionAdmin) && sc.InstitutionID != 0:
		return sc.InstitutionID == a.OwnerInstitutionID
	}
	return false
}

// Export writes one version (0: the current one) of a course the actor
// may edit as a package zip; a course out of scope is not found.
func (s *Service) Export(ctx context.Context, actor account.Principal, slug string, version int) (*bytes.Buffer, error) {
	if !canAuthor(actor) {
		return nil, errs.New(errs.Forbidden, "error.forbidden")
	}
	notFound := errs.New(errs.NotFound, "error.course_not_found")
	c, _, err := s.st.CourseBySlug(ctx, slug)
	if errors.Is(err, errs.ErrNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	a, err := s.st.AudienceOf(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if !edits(actor, a) {
		return nil, notFound
	}
	p, err := course.ExportVersion(ctx, s.st, slug, version)
	if errors.Is(err, errs.ErrNotFound) {
		return nil, errs.New(errs.NotFound, "author.error.version_not_found").With("version", version)
	}
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := p.WriteZip(&buf); err != nil {
		return nil, err
	}
	return &buf, nil
}

// EditableCourse is a course in the authoring list.
type EditableCourse struct {
	Slug       string    `json:"slug"`
	Title      string    `json:"title"`
	Language   string    `json:"language"`
	Visibility string    `json:"visibility"`
	Versions   []int     `json:"versions"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// PageSize is how many courses one page of the authoring list holds.
const PageSize = 50

// Courses lists the courses the actor may edit, by slug, after the cursor
// (the last slug of the previous page); next is "" on the last page.
func (s *Service) Courses(ctx context.Context, actor account.Principal, after string) ([]EditableCourse, string, error) {
	if !canAuthor(actor) {
		return nil, "", errs.New(errs.Forbidden, "error.forbidden")
	}
	f := store.EditableFilter{After: after, Limit: PageSize + 1}
	sc := actor.Scope()
	switch {
	case actor.Role == account.RoleAdmin || sc.All:
		f.All = true
	case sc.RegionPrefix != "":
		f.RegionPrefix = sc.RegionPrefix
	case sc.InstitutionID != 0:
		f.InstitutionID = sc.InstitutionID
	default:
		return []EditableCourse{}, "", nil
	}
	rows, err := s.st.EditableCourses(ctx, f)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > PageSize {
		rows = rows[:PageSize]
		next = rows[PageSize-1].Course.Slug
	}
	out := make([]EditableCourse, 0, len(rows))
	for _, r := range rows {
		out = append(out, EditableCourse{Slug: r.Course.Slug, Title: r.Title, Language: r.Course.Language,
			Visibility: r.Course.Visibility, Versions: r.Versions, UpdatedAt: r.Course.UpdatedAt})
	}
	return out, next, nil
}
