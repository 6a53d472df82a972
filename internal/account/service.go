package account

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/session"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Store is what accounts need from the database.
type Store interface {
	CreateUser(ctx context.Context, u *store.User) error
	UserByUsername(ctx context.Context, username string) (*store.User, error)
	UserByID(ctx context.Context, id int64) (*store.User, error)
	InstitutionByCode(ctx context.Context, code string) (*store.Institution, error)
	InstitutionByID(ctx context.Context, id int64) (*store.Institution, error)
	Audit(ctx context.Context, e *store.AuditEntry) error
	RegionByCode(ctx context.Context, code string) (*store.Region, error)
	ListUsers(ctx context.Context, q store.UserQuery) ([]store.UserListing, error)
	ChangeUser(ctx context.Context, id int64, ch store.UserChange, es ...*store.AuditEntry) (*store.User, error)
	CreateUsers(ctx context.Context, us []*store.User, audit func(*store.User) *store.AuditEntry) error
	UsernamesInUse(ctx context.Context, names []string) ([]string, error)
	ListAudit(ctx context.Context, q store.AuditQuery) ([]store.AuditListing, error)
	PrivacyStore
	TeachesLearner(ctx context.Context, teacherID, userID int64) (bool, error)
}

// Service signs people in and manages accounts.
type Service struct {
	db        Store
	sessions  session.Store
	throttle  session.Throttle
	params    Params
	idle      time.Duration
	maxAge    time.Duration
	shared    time.Duration
	now       func() time.Time
	dummy     string
	cache     userCache
	retention time.Duration
	loc       *time.Location
	// publicTerminal: every session is a shared-computer session.
	publicTerminal bool
}

// Config for the service.
type Config struct {
	Params            Params
	SessionIdle       time.Duration
	SessionMaxAge     time.Duration
	SharedSessionIdle time.Duration
	Now               func() time.Time
	// Retention: learner accounts inactive this long may be anonymised
	// (0: the rule is off).
	Retention time.Duration
	// Location is the deployment's time zone: the day a child's guardian
	// consented is a date there.
	Location *time.Location
	// PublicTerminal makes every sign-in a shared-computer one, whatever
	// the form sent: on library and kiosk terminals the next person must
	// never find the last one still signed in.
	PublicTerminal bool
}

// NewService wires the service.
func NewService(db Store, sessions session.Store, throttle session.Throttle, c Config) *Service {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Params.Memory == 0 {
		c.Params = DefaultParams
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	// Checking a password against this when the username is unknown keeps
	// the response time the same, so timing does not reveal which usernames exist.
	dummy, _ := HashPassword("xuetang-dummy-password", c.Params)
	return &Service{db: db, sessions: sessions, throttle: throttle, params: c.Params,
		idle: c.SessionIdle, maxAge: c.SessionMaxAge, shared: c.SharedSessionIdle, now: c.Now, dummy: dummy,
		retention: c.Retention, loc: c.Location, publicTerminal: c.PublicTerminal}
}

// Terminal reports whether this deployment is a public terminal and the
// idle timeout of shared-computer sessions, for the sign-in page.
func (s *Service) Terminal() (public bool, sharedIdle time.Duration) {
	return s.publicTerminal, s.shared
}

var usernameRe = regexp.MustCompile(`^[\p{L}\p{N}._@-]{2,64}$`)

// NormalizeUsername trims and lower-cases, so "ZhangWei" and "zhangwei" are
// one account on SQLite and MySQL alike.
func NormalizeUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// NewUser describes an account to create.
type NewUser struct {
	Username, Password, Role, DisplayName, InstitutionCode, RegionCode, Locale string
	BirthYear                                                                  int
	// The guardian who consented to a child's account, and on which day
	// (YYYY-MM-DD): required when NeedsGuardian.
	GuardianName, GuardianConsentDate string
}

// GuardianAge: a person who may be younger than this on any day of this
// year needs a guardian's consent for an account. Only the birth year is
// known (never a birth date), so someone born in (this year - 14) counts
// as under 14.
const GuardianAge = 14

// NeedsGuardian reports whether an account for someone born in birthYear
// needs a guardian's consent, today.
func NeedsGuardian(birthYear int, today time.Time) bool {
	return birthYear != 0 && today.Year()-birthYear <= GuardianAge
}

// checkGuardian applies the consent rule at creation: the guardian's name
// and a consent date that is neither in the future nor before the birth year.
func (n *NewUser) checkGuardian(today time.Time) (*time.Time, error) {
	n.GuardianName = strings.TrimSpace(n.GuardianName)
	if utf8.RuneCountInString(n.GuardianName) > 100 {
		return nil, errs.New(errs.Invalid, "error.guardian_name_invalid").With("field", "guardian_name")
	}
	var consent *time.Time
	if s := strings.TrimSpace(n.GuardianConsentDate); s != "" {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil || d.After(today) || (n.BirthYear != 0 && d.Year() < n.BirthYear) {
			return nil, errs.New(errs.Invalid, "error.guardian_date_invalid").With("field", "guardian_consent_date")
		}
		consent = &d
	}
	if NeedsGuardian(n.BirthYear, today) {
		if n.GuardianName == "" {
			return nil, errs.New(errs.Invalid, "error.guardian_required").With("age", GuardianAge).With("field", "guardian_name")
		}
		if consent == nil {
			return nil, errs.New(errs.Invalid, "error.guardian_required").With("age", GuardianAge).With("field", "guardian_consent_date")
		}
	}
	return consent, nil
}

// Validate checks the pure rules.
func (n *NewUser) Validate() error {
	n.Username = NormalizeUsername(n.Username)
	if !usernameRe.MatchString(n.Username) {
		return errs.New(errs.Invalid, "error.username_invalid").With("field", "username")
	}
	if !ValidRole(n.Role) {
		return errs.New(errs.Invalid, "error.role_invalid").With("roles", strings.Join(Roles, ", ")).With("field", "role")
	}
	n.DisplayName = strings.TrimSpace(n.DisplayName)
	if n.DisplayName == "" {
		n.DisplayName = n.Username
	}
	if utf8.RuneCountInString(n.DisplayName) > 100 {
		return errs.New(errs.Invalid, "error.display_name_invalid").With("field", "display_name")
	}
	if n.Locale == "" {
		n.Locale = "zh-CN"
	}
	if n.Locale != "zh-CN" && n.Locale != "en" {
		return errs.New(errs.Invalid, "error.locale_invalid").With("field", "locale")
	}
	if n.BirthYear != 0 && (n.BirthYear < 1900 || n.BirthYear > 2100) {
		return errs.New(errs.Invalid, "error.birth_year_invalid").With("field", "birth_year")
	}
	if n.RegionCode != "" && !regexp.MustCompile(`^\d{6}$`).MatchString(n.RegionCode) {
		return errs.New(errs.Invalid, "error.region_invalid").With("field", "region")
	}
	return ValidatePassword(n.Password)
}

// Create validates and stores a new account.
func (s *Service) Create(ctx context.Context, n NewUser) (*store.User, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	hash, err := HashPassword(n.Password, s.params)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	u := &store.User{Username: n.Username, DisplayName: n.DisplayName, PasswordHash: hash, Role: n.Role,
		Locale: n.Locale, CreatedAt: now, UpdatedAt: now}
	if n.BirthYear != 0 {
		by := n.BirthYear
		u.BirthYear = &by
	}
	if n.InstitutionCode != "" {
		inst, err := s.db.InstitutionByCode(ctx, n.InstitutionCode)
		if errors.Is(err, errs.ErrNotFound) {
			return nil, errs.New(errs.Invalid, "error.institution_unknown").With("code", n.InstitutionCode)
		}
		if err != nil {
			return nil, err
		}
		if inst.ClosedAt != nil {
			// A closed institution keeps its people but takes nobody new.
			return nil, errs.New(errs.Invalid, "error.institution_closed").With("code", inst.Code)
		}
		u.InstitutionID = &inst.ID
	}
	if n.RegionCode != "" {
		rc := n.RegionCode
		u.RegionCode = &rc
	}
	if n.Role == RoleRegionAdmin && u.RegionCode == nil {
		return nil, errs.New(errs.Invalid, "error.region_required")
	}
	if n.Role == RoleInstitutionAdmin && u.InstitutionID == nil {
		return nil, errs.New(errs.Invalid, "error.institution_required")
	}
	if err := s.db.CreateUser(ctx, u); err != nil {
		if errors.Is(err, errs.ErrConflict) {
			return nil, errs.New(errs.Conflict, "error.username_taken")
		}
		if errs.CodeOf(err) == errs.Internal && u.RegionCode != nil {
			// The only other constraint that can fail is the region foreign key.
			return nil, errs.Wrap(errs.Invalid, "error.region_unknown", err).With("code", *u.RegionCode)
		}
		return nil, err
	}
	_ = s.db.Audit(ctx, &store.AuditEntry{Action: "user.create", Target: fmt.Sprintf("user:%d", u.ID), Detail: u.Role})
	return u, nil
}

// Register is Create for the layers above the domain (the walk-in sign-up):
// the new account as they see it, without the stored row.
func (s *Service) Register(ctx context.Context, n NewUser) (*User, error) {
	u, err := s.Create(ctx, n)
	if err != nil {
		return nil, err
	}
	return userOf(u), nil
}

// Login is a sign-in attempt.
type Login struct {
	Username, Password string
	Shared             bool
	IP                 string
}

// Result of a sign-in.
type Result struct {
	Token       string
	Session     session.Session
	User        *User
	Principal   Principal
	Institution *Institution // nil when none
}

var errBadCredentials = errs.New(errs.Unauthorized, "error.bad_credentials")

// sharedMaxAge caps a session on a shared computer at a working day.
const sharedMaxAge = 8 * time.Hour

// maxUsernameRunes matches usernameRe: no account has a longer name.
const maxUsernameRunes = 64

// SignIn checks credentials and starts a fresh session. The old session, if
// any, is the caller's to delete: rotation means the id a browser had before
// sign-in is never the id after it.
func (s *Service) SignIn(ctx context.Context, l Login) (Result, error) {
	// Refused before any work, so a huge username costs neither a
	// lower-casing pass nor a throttle key. Saying so reveals nothing:
	// no account has such a name.
	if len(l.Username) > 4*maxUsernameRunes+64 || utf8.RuneCountInString(strings.TrimSpace(l.Username)) > maxUsernameRunes {
		return Result{}, errs.New(errs.Invalid, "error.username_too_long").With("max", maxUsernameRunes).With("field", "username")
	}
	name := NormalizeUsername(l.Username)
	keys, err := s.loginKeys(ctx, name, l.IP)
	if err != nil {
		return Result{}, err
	}
	if err := s.admit(ctx, keys, l.IP); err != nil {
		return Result{}, err
	}
	fail := func() (Result, error) { return Result{}, s.failed(ctx, keys) }
	if name == "" || l.Password == "" || utf8.RuneCountInString(l.Password) > maxPasswordRunes {
		return fail()
	}
	u, err := s.db.UserByUsername(ctx, name)
	if errors.Is(err, errs.ErrNotFound) {
		CheckPassword(l.Password, s.dummy)
		return fail()
	}
	if err != nil {
		return Result{}, err
	}
	if !CheckPassword(l.Password, u.PasswordHash) || u.Disabled {
		return fail()
	}
	s.succeeded(ctx, keys)
	o := s.sessionOptions(l.Shared)
	p, inst, err := s.Principal(ctx, u)
	if err != nil {
		return Result{}, err
	}
	token, sess, err := s.sessions.Create(ctx, u.ID, o)
	if err != nil {
		return Result{}, err
	}
	_ = s.db.Audit(ctx, auditEntry(p, "auth.login", p, l.IP, ""))
	// Best effort: a missed stamp only makes the account look older to
	// the retention rule, which asks an admin before it acts.
	_ = s.db.RecordSignIn(ctx, u.ID)
	return Result{Token: token, Session: sess, User: userOf(u), Principal: p, Institution: institutionOf(inst)}, nil
}

var errUserNotFound = errs.New(errs.NotFound, "error.user_not_found")

// Unlock lifts every sign-in delay on a user's account. Admins may unlock
// anyone, region admins users in their region, institution admins users of
// their institution, teachers the learners of their institution; learners
// never. A user outside the caller's scope
// is reported as not found, so ids cannot be probed.
func (s *Service) Unlock(ctx context.Context, actor Principal, userID int64, ip string) (*store.User, error) {
	if !actor.Is(RoleAdmin, RoleRegionAdmin, RoleInstitutionAdmin, RoleTeacher) {
		return nil, errs.New(errs.Forbidden, "error.forbidden")
	}
	u, err := s.db.UserByID(ctx, userID)
	if errors.Is(err, errs.ErrNotFound) {
		return nil, errUserNotFound
	}
	if err != nil {
		return nil, err
	}
	target, _, err := s.Principal(ctx, u)
	if err != nil {
		return nil, err
	}
	covered := actor.Scope().Covers(target.UserID, target.InstitutionID, target.RegionCode)
	if actor.Role == RoleTeacher {
		// Teachers help the learners of their institution in their
		// classes, as with resets.
		covered = sees(actor, target)
		if covered {
			if covered, err = s.teaches(ctx, actor, u.ID); err != nil {
				return nil, err
			}
		}
	}
	if !covered {
		return nil, errUserNotFound
	}
	if err := s.unlockThrottle(ctx, u.Username); err != nil {
		return nil, err
	}
	if err := s.db.Audit(ctx, auditEntry(actor, "user.unlock", target, ip, "")); err != nil {
		return nil, err
	}
	return u, nil
}

// Principal loads what the authorization layer needs about a user.
func (s *Service) Principal(ctx context.Context, u *store.User) (Principal, *store.Institution, error) {
	var inst *store.Institution
	if u.InstitutionID != nil {
		in, err := s.db.InstitutionByID(ctx, *u.InstitutionID)
		if err != nil {
			return Principal{}, nil, err
		}
		inst = in
	}
	return PrincipalOf(u, inst), inst, nil
}
