// Package teach is what teachers do with their classes: create them, let
// learners join by code, assign courses with due dates, follow progress in
// a grid, find the quiz questions a class gets wrong, and help members who
// cannot sign in.
//
// Who may do what to a class:
//   - teacher: their own classes at their institution (read and change);
//   - institution admin: every class at their institution (read and change);
//   - region admin: classes at institutions in their region (read only);
//   - admin: every class (read only): classes are the institutions' work,
//     and the people above them follow them without changing them.
//
// A class outside the caller's reach is "not found", so ids cannot be
// probed; one they may read but not change answers "forbidden".
package teach

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Store is what classes need from the database (internal/store/class.go,
// enrollment.go, course.go).
type Store interface {
	InstitutionByID(ctx context.Context, id int64) (*store.Institution, error)
	UserByID(ctx context.Context, id int64) (*store.User, error)
	UserByUsername(ctx context.Context, username string) (*store.User, error)
	CourseBySlug(ctx context.Context, slug string) (*store.Course, *store.CourseVersion, error)
	LessonByID(ctx context.Context, id int64) (*store.Lesson, error)
	VersionByID(ctx context.Context, id int64) (*store.CourseVersion, error)

	CreateClassAudited(ctx context.Context, c *store.Class, e *store.AuditEntry) error
	ClassByID(ctx context.Context, id int64) (*store.Class, error)
	ClassByJoinCode(ctx context.Context, code string) (*store.Class, error)
	SaveClass(ctx context.Context, c *store.Class, e *store.AuditEntry) error
	ListClasses(ctx context.Context, q store.ClassQuery) ([]store.ClassRow, error)
	JoinClass(ctx context.Context, classID, userID int64) (bool, error)
	AddClassMembers(ctx context.Context, classID int64, userIDs []int64, addedBy int64, e *store.AuditEntry) (int, error)
	RemoveClassMember(ctx context.Context, classID, userID int64, e *store.AuditEntry) error
	ClassMembers(ctx context.Context, classID int64) ([]store.ClassMemberRow, error)
	ClassMemberOf(ctx context.Context, classID, userID int64) (*store.ClassMemberRow, error)
	AssignAudited(ctx context.Context, a *store.Assignment, audit func(created bool) *store.AuditEntry) (bool, error)
	Unassign(ctx context.Context, classID, courseID int64, e *store.AuditEntry) error
	ClassAssignments(ctx context.Context, classID int64) ([]store.ClassAssignment, error)
	LessonsOfVersions(ctx context.Context, versionIDs []int64) ([]store.VersionLesson, error)
	MembersEnrollments(ctx context.Context, userIDs, courseIDs []int64) ([]store.Enrollment, error)
	MembersProgress(ctx context.Context, userIDs, courseIDs []int64) ([]store.LessonProgress, error)
	MembersAttempts(ctx context.Context, userIDs []int64, courseID int64, lessonSlug string) ([]store.QuizAttempt, error)
	LearnerAttempts(ctx context.Context, userID int64, courseIDs []int64) ([]store.QuizAttempt, error)
	QuestionsOfLessons(ctx context.Context, lessonIDs []int64) ([]store.Question, error)
	ScopeAttempts(ctx context.Context, sc store.ClassScope, courseID int64, lessonSlug string, limit int) ([]store.QuizAttempt, error)
}

// Accounts are the account functions teacher tools reuse
// (internal/account): each checks its own rules and audits itself.
type Accounts interface {
	ResetPassword(ctx context.Context, actor account.Principal, id int64, ip string) (string, error)
	Unlock(ctx context.Context, actor account.Principal, userID int64, ip string) (*store.User, error)
}

// Config for the service.
type Config struct {
	Now func() time.Time
	// Location gives "today" for term dates and the dates of exports.
	Location *time.Location
	// GridMaxAge keeps a class's grid for repeated views at most this long
	// (gridcache.go); 0 reads it afresh every time.
	GridMaxAge time.Duration
	// GridFresh is how long a kept grid is still shown after one of its
	// learners' rows changed.
	GridFresh time.Duration
}

// Service runs classes.
type Service struct {
	db       Store
	accounts Accounts
	cfg      Config
	grids    gridCache
}

// New builds the service.
func New(db Store, accounts Accounts, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	return &Service{db: db, accounts: accounts, cfg: cfg}
}

// Actor is who acts and from where, for scope checks and the audit log.
type Actor struct {
	account.Principal
	IP string
}

var (
	errForbidden     = errs.New(errs.Forbidden, "error.forbidden")
	errClassNotFound = errs.New(errs.NotFound, "error.class_not_found")
	errReadOnly      = errs.New(errs.Forbidden, "error.class_read_only")
	errArchived      = errs.New(errs.Invalid, "error.class_archived")
)

// staff may open the teaching pages at all.
func staff(p account.Principal) bool {
	return p.Is(account.RoleTeacher, account.RoleInstitutionAdmin, account.RoleRegionAdmin, account.RoleAdmin)
}

// changes reports whether p runs classes (rather than only follows them).
func changes(p account.Principal) bool {
	return p.Is(account.RoleTeacher, account.RoleInstitutionAdmin) && p.InstitutionID != 0
}

// scope is which classes p sees.
func scope(p account.Principal) store.ClassScope {
	switch p.Role {
	case account.RoleAdmin:
		return store.ClassScope{All: true}
	case account.RoleRegionAdmin:
		if p.RegionCode == "" {
			return store.ClassScope{}
		}
		if prefix := account.RegionPrefix(p.RegionCode); prefix != "" {
			return store.ClassScope{RegionPrefix: prefix}
		}
		return store.ClassScope{All: true}
	case account.RoleInstitutionAdmin:
		return store.ClassScope{InstitutionID: p.InstitutionID}
	case account.RoleTeacher:
		if p.InstitutionID == 0 {
			return store.ClassScope{}
		}
		return store.ClassScope{InstitutionID: p.InstitutionID, TeacherID: p.UserID}
	}
	return store.ClassScope{}
}

// classFor loads a class the actor may read (write: also change); anything
// else is not found (or, readable but not theirs to change, forbidden).
func (s *Service) classFor(ctx context.Context, a account.Principal, id int64, write bool) (*store.Class, *store.Institution, error) {
	if !staff(a) {
		return nil, nil, errForbidden
	}
	c, err := s.db.ClassByID(ctx, id)
	if errors.Is(err, errs.ErrNotFound) {
		return nil, nil, errClassNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	in, err := s.db.InstitutionByID(ctx, c.InstitutionID)
	if err != nil {
		return nil, nil, err
	}
	if err := allowed(a, c, in, write); err != nil {
		return nil, nil, err
	}
	return c, in, nil
}

// allowed is classFor's rule for a class and its institution at hand.
func allowed(a account.Principal, c *store.Class, in *store.Institution, write bool) error {
	if !staff(a) {
		return errForbidden
	}
	sc := scope(a)
	var sees bool
	switch {
	case sc.All:
		sees = true
	case sc.RegionPrefix != "":
		sees = len(in.RegionCode) >= len(sc.RegionPrefix) && in.RegionCode[:len(sc.RegionPrefix)] == sc.RegionPrefix
	case sc.InstitutionID != 0 && sc.TeacherID != 0:
		sees = c.InstitutionID == sc.InstitutionID && c.TeacherID != nil && *c.TeacherID == sc.TeacherID
	case sc.InstitutionID != 0:
		sees = c.InstitutionID == sc.InstitutionID
	}
	if !sees {
		return errClassNotFound
	}
	if write && !changes(a) {
		return errReadOnly
	}
	return nil
}

// work is classFor for a change to a class still in use.
func (s *Service) work(ctx context.Context, a account.Principal, id int64) (*store.Class, *store.Institution, error) {
	c, in, err := s.classFor(ctx, a, id, true)
	if err == nil && c.ArchivedAt != nil {
		return nil, nil, errArchived
	}
	return c, in, err
}

// audit is an entry by the actor about a class, filed under the class's
// institution and region so institution and region admins find it.
func audit(a Actor, action string, c *store.Class, in *store.Institution, detail string) *store.AuditEntry {
	e := a.AuditEntry(action, store.ClassTarget(c.ID), a.IP, detail)
	if in != nil {
		id, rc := in.ID, in.RegionCode
		e.TargetInstitutionID, e.TargetRegionCode = &id, &rc
	}
	return e
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (s *Service) today() string {
	return s.cfg.Now().In(s.cfg.Location).Format(time.DateOnly)
}
