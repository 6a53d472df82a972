package account

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Staff actions on accounts. Who sees whom (lists, look-ups by id):
//   - admin: everyone;
//   - region admin: users whose region (their own, else their
//     institution's) is under theirs, except region admins of their own
//     region (peers);
//   - institution admin: users of their institution;
//   - teacher: learners of their institution.
//
// Who manages whom: those they see of a lower role; region admins also
// manage the region admins they see (below them); admins manage everyone.
// Anyone not seen is "not found", so ids cannot be probed; someone seen but
// not managed is "forbidden".

var (
	errForbidden = errs.New(errs.Forbidden, "error.forbidden")
	errSelf      = errs.New(errs.Forbidden, "error.self_action")
)

var rank = map[string]int{RoleLearner: 0, RoleTeacher: 1, RoleInstitutionAdmin: 2, RoleRegionAdmin: 3, RoleAdmin: 4}

// staff are the roles that create and change accounts.
var staff = []string{RoleAdmin, RoleRegionAdmin, RoleInstitutionAdmin}

// visibleScope is who p sees, in the store's terms; nobody for learners.
func visibleScope(p Principal) store.UserScope {
	switch p.Role {
	case RoleAdmin:
		return store.UserScope{All: true}
	case RoleRegionAdmin:
		if p.RegionCode == "" {
			return store.UserScope{}
		}
		if prefix := RegionPrefix(p.RegionCode); prefix != "" {
			return store.UserScope{RegionPrefix: prefix, HideRegionAdminsAt: p.RegionCode}
		}
		return store.UserScope{All: true, HideRegionAdminsAt: p.RegionCode}
	case RoleInstitutionAdmin:
		if p.InstitutionID != 0 {
			return store.UserScope{InstitutionID: p.InstitutionID}
		}
	case RoleTeacher:
		// A teacher's people are the learners of their institution in
		// their own classes.
		if p.InstitutionID != 0 {
			return store.UserScope{InstitutionID: p.InstitutionID, Roles: []string{RoleLearner}, TeacherID: p.UserID}
		}
	}
	return store.UserScope{}
}

func sees(p, t Principal) bool {
	return visibleScope(p).Covers(t.Role, t.InstitutionID, t.RegionCode)
}

// teaches applies the class half of a teacher's scope to one user (the
// institution half is in sees); for other roles it is always true.
func (s *Service) teaches(ctx context.Context, actor Principal, userID int64) (bool, error) {
	if actor.Role != RoleTeacher {
		return true, nil
	}
	return s.db.TeachesLearner(ctx, actor.UserID, userID)
}

// errOr is err when there is one, else fallback.
func errOr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

func manages(p, t Principal) bool {
	if !sees(p, t) {
		return false
	}
	if p.Role == RoleAdmin || p.Role == RoleRegionAdmin && t.Role == RoleRegionAdmin {
		return true
	}
	return rank[t.Role] < rank[p.Role]
}

// institutionInScope reports whether p may place people at in.
func institutionInScope(p Principal, in *store.Institution) bool {
	switch p.Role {
	case RoleAdmin:
		return true
	case RoleRegionAdmin:
		return p.RegionCode != "" && strings.HasPrefix(in.RegionCode, RegionPrefix(p.RegionCode))
	case RoleInstitutionAdmin:
		return p.InstitutionID != 0 && in.ID == p.InstitutionID
	}
	return false
}

// mayGrant reports whether p may give role to someone at institution in
// (nil: none) or, for region admins, responsible for region. Institution
// admins make teachers and learners of their institution; region admins
// anyone below them under their region; only admins make admins.
func mayGrant(p Principal, role string, in *store.Institution, region string) bool {
	switch p.Role {
	case RoleAdmin:
		return true
	case RoleRegionAdmin:
		if p.RegionCode == "" {
			return false
		}
		switch role {
		case RoleLearner, RoleTeacher, RoleInstitutionAdmin:
			return in != nil && institutionInScope(p, in)
		case RoleRegionAdmin:
			return region != "" && region != p.RegionCode && strings.HasPrefix(region, RegionPrefix(p.RegionCode))
		}
	case RoleInstitutionAdmin:
		return (role == RoleLearner || role == RoleTeacher) && in != nil && institutionInScope(p, in)
	}
	return false
}

func requireRole(p Principal, roles ...string) error {
	if !p.Is(roles...) {
		return errForbidden
	}
	return nil
}

// UserTarget names a user in the audit log.
func UserTarget(id int64) string { return "user:" + strconv.FormatInt(id, 10) }

// auditEntry records an action by actor on target, with where each stood,
// so region and institution admins find the entries of their scope.
func auditEntry(actor Principal, action string, target Principal, ip, detail string) *store.AuditEntry {
	e := actor.AuditEntry(action, UserTarget(target.UserID), ip, detail)
	e.TargetInstitutionID, e.TargetRegionCode = placeOf(target)
	return e
}

// AuditEntry starts an audit entry of an action by p, carrying where p
// stood (institution and region) so region and institution admins find it
// in their audit view; where the target stands is the caller's to add.
func (p Principal) AuditEntry(action, target, ip, detail string) *store.AuditEntry {
	e := &store.AuditEntry{Action: action, Target: target, IP: ip, Detail: detail}
	if p.UserID != 0 {
		id := p.UserID
		e.ActorID = &id
	}
	e.ActorInstitutionID, e.ActorRegionCode = placeOf(p)
	return e
}

func placeOf(p Principal) (*int64, *string) {
	var inst *int64
	var region *string
	if p.InstitutionID != 0 {
		id := p.InstitutionID
		inst = &id
	}
	if p.RegionCode != "" {
		r := p.RegionCode
		region = &r
	}
	return inst, region
}

// target loads a user actor may see; anyone else is not found.
func (s *Service) target(ctx context.Context, actor Principal, id int64) (*store.User, Principal, *store.Institution, error) {
	u, err := s.db.UserByID(ctx, id)
	if errors.Is(err, errs.ErrNotFound) {
		return nil, Principal{}, nil, errUserNotFound
	}
	if err != nil {
		return nil, Principal{}, nil, err
	}
	tp, inst, err := s.Principal(ctx, u)
	if err != nil {
		return nil, Principal{}, nil, err
	}
	if !sees(actor, tp) {
		return nil, Principal{}, nil, errUserNotFound
	}
	if ok, err := s.teaches(ctx, actor, u.ID); err != nil || !ok {
		return nil, Principal{}, nil, errOr(err, errUserNotFound)
	}
	return u, tp, inst, nil
}

// managed is target for a user actor may also change.
func (s *Service) managed(ctx context.Context, actor Principal, id int64) (*store.User, Principal, *store.Institution, error) {
	u, tp, inst, err := s.target(ctx, actor, id)
	if err != nil {
		return nil, Principal{}, nil, err
	}
	if !manages(actor, tp) {
		return nil, Principal{}, nil, errForbidden
	}
	return u, tp, inst, nil
}

// UserListing is an account as staff lists and forms show it.
type UserListing struct {
	ID                 int64
	Username           string
	DisplayName        string
	Role               string
	InstitutionCode    string // "": none
	InstitutionName    string
	Region             string // the user's own region, else their institution's
	Disabled           bool
	MustChangePassword bool
	CreatedAt          time.Time
}

// listing is a user as staff lists show them.
func listing(u *store.User, inst *store.Institution, p Principal) UserListing {
	l := UserListing{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Role: u.Role, Region: p.RegionCode,
		Disabled: u.Disabled, MustChangePassword: u.MustChangePassword, CreatedAt: u.CreatedAt}
	if inst != nil {
		l.InstitutionCode, l.InstitutionName = inst.Code, inst.Name
	}
	return l
}

// listingOf maps a row of the store's user list.
func listingOf(r *store.UserListing) UserListing {
	return UserListing{ID: r.ID, Username: r.Username, DisplayName: r.DisplayName, Role: r.Role,
		InstitutionCode: r.InstitutionCode, InstitutionName: r.InstitutionName, Region: r.Region,
		Disabled: r.Disabled, MustChangePassword: r.MustChangePassword, CreatedAt: r.CreatedAt}
}

// Page limits for staff lists.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

func pageSize(n int) int {
	if n <= 0 {
		return DefaultPageSize
	}
	return min(n, MaxPageSize)
}

// Cursors are opaque to clients: a letter for the list they belong to and
// the last id seen.
// keysetPage cuts rows, read with one more than limit, to limit, and gives
// the cursor of the page after them ("" when the extra row was not there).
func keysetPage[T any](rows []T, limit int, kind byte, id func(*T) int64) ([]T, string) {
	if len(rows) <= limit {
		return rows, ""
	}
	rows = rows[:limit]
	return rows, encodeCursor(kind, id(&rows[limit-1]))
}

// listingPage is keysetPage for lists of users.
func listingPage(rows []store.UserListing, limit int, kind byte) ([]UserListing, string) {
	rows, next := keysetPage(rows, limit, kind, func(u *store.UserListing) int64 { return u.ID })
	out := make([]UserListing, len(rows))
	for i := range rows {
		out[i] = listingOf(&rows[i])
	}
	return out, next
}

func encodeCursor(kind byte, id int64) string {
	return base64.RawURLEncoding.EncodeToString(append([]byte{kind}, strconv.FormatInt(id, 10)...))
}

func decodeCursor(kind byte, c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil && len(b) > 1 && b[0] == kind {
		if id, err := strconv.ParseInt(string(b[1:]), 10, 64); err == nil && id > 0 {
			return id, nil
		}
	}
	return 0, errs.New(errs.Invalid, "error.cursor_invalid").With("field", "cursor")
}

// UserQuery is a search of the users the caller sees.
type UserQuery struct {
	Text, Role, Cursor string
	Limit              int
}

// ListUsers returns a page of the users actor sees, by id, and the cursor
// of the next page ("" at the end). Teachers see their institution's
// learners; learners see nobody.
func (s *Service) ListUsers(ctx context.Context, actor Principal, q UserQuery) ([]UserListing, string, error) {
	if err := requireRole(actor, RoleAdmin, RoleRegionAdmin, RoleInstitutionAdmin, RoleTeacher); err != nil {
		return nil, "", err
	}
	after, err := decodeCursor('u', q.Cursor)
	if err != nil {
		return nil, "", err
	}
	if q.Role != "" && !ValidRole(q.Role) {
		return nil, "", errs.New(errs.Invalid, "error.role_invalid").With("roles", strings.Join(Roles, ", ")).With("field", "role")
	}
	text := strings.TrimSpace(q.Text)
	if utf8.RuneCountInString(text) > 100 {
		text = string([]rune(text)[:100])
	}
	limit := pageSize(q.Limit)
	rows, err := s.db.ListUsers(ctx, store.UserQuery{Scope: visibleScope(actor), Text: text, Role: q.Role, AfterID: after, Limit: limit + 1})
	if err != nil {
		return nil, "", err
	}
	out, next := listingPage(rows, limit, 'u')
	return out, next, nil
}

// Created is an account made by staff. OneTimePassword is the generated
// password to hand over once; "" when the caller chose the password.
type Created struct {
	User            UserListing
	OneTimePassword string
}

// RowError is a problem with one of the accounts given to CreateMany;
// Index counts from 0 in the slice given.
type RowError struct {
	Index int
	Err   error
}

func (e *RowError) Error() string { return fmt.Sprintf("row %d: %v", e.Index, e.Err) }
func (e *RowError) Unwrap() error { return e.Err }

// prepared is a checked new account whose password is not yet hashed.
type prepared struct {
	user     *store.User
	inst     *store.Institution
	place    Principal
	password string
	oneTime  string
}

// institutions caches look-ups by code across the rows of one import.
type institutions map[string]*store.Institution

func (s *Service) institution(ctx context.Context, cache institutions, code string) (*store.Institution, error) {
	if in, ok := cache[code]; ok {
		return in, nil
	}
	in, err := s.db.InstitutionByCode(ctx, code)
	if errors.Is(err, errs.ErrNotFound) {
		in, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	cache[code] = in
	return in, nil
}

// prepare checks one new account against the rules and what actor may
// grant. An empty password is replaced by a generated one.
func (s *Service) prepare(ctx context.Context, actor Principal, n *NewUser, cache institutions) (prepared, error) {
	var p prepared
	if err := requireRole(actor, staff...); err != nil {
		return p, err
	}
	if n.Password == "" {
		p.oneTime = OneTimePassword()
		n.Password = p.oneTime
	}
	if n.InstitutionCode == "" && actor.Role == RoleInstitutionAdmin && n.Role != RoleRegionAdmin {
		in, err := s.db.InstitutionByID(ctx, actor.InstitutionID)
		if err != nil {
			return p, err
		}
		n.InstitutionCode = in.Code
		cache[in.Code] = in
	}
	if err := n.Validate(); err != nil {
		return p, err
	}
	if n.RegionCode != "" && n.Role != RoleRegionAdmin {
		return p, errs.New(errs.Invalid, "error.region_not_allowed").With("field", "region")
	}
	if n.Role == RoleRegionAdmin && n.RegionCode == "" {
		return p, errs.New(errs.Invalid, "error.region_required").With("field", "region")
	}
	if n.InstitutionCode != "" {
		in, err := s.institution(ctx, cache, n.InstitutionCode)
		if err != nil {
			return p, err
		}
		// An institution outside the caller's scope is reported like an
		// unknown one: codes of other regions are not for probing.
		if in == nil || !institutionInScope(actor, in) {
			return p, errs.New(errs.Invalid, "error.institution_unknown").With("code", n.InstitutionCode).With("field", "institution")
		}
		if in.ClosedAt != nil {
			return p, errClosed(in)
		}
		p.inst = in
	}
	if n.Role == RoleInstitutionAdmin && p.inst == nil {
		return p, errs.New(errs.Invalid, "error.institution_required").With("field", "institution")
	}
	if n.RegionCode != "" {
		if err := s.regionExists(ctx, n.RegionCode); err != nil {
			return p, err
		}
	}
	if !mayGrant(actor, n.Role, p.inst, n.RegionCode) {
		return p, errs.New(errs.Forbidden, "error.role_not_grantable").With("role", n.Role).With("field", "role")
	}
	consent, err := n.checkGuardian(s.now().In(s.loc))
	if err != nil {
		return p, err
	}
	now := s.now().UTC()
	u := &store.User{Username: n.Username, DisplayName: n.DisplayName, Role: n.Role, Locale: n.Locale,
		MustChangePassword: true, GuardianConsentDate: consent, CreatedAt: now, UpdatedAt: now}
	if n.GuardianName != "" {
		g := n.GuardianName
		u.GuardianName = &g
	}
	if n.BirthYear != 0 {
		by := n.BirthYear
		u.BirthYear = &by
	}
	if p.inst != nil {
		id := p.inst.ID
		u.InstitutionID = &id
	}
	if n.RegionCode != "" {
		rc := n.RegionCode
		u.RegionCode = &rc
	}
	p.user, p.password = u, n.Password
	p.place = PrincipalOf(u, p.inst)
	return p, nil
}

// errClosed: a closed institution keeps its people but takes nobody new.
func errClosed(in *store.Institution) error {
	return errs.New(errs.Invalid, "error.institution_closed").With("code", in.Code).With("field", "institution")
}

func (s *Service) regionExists(ctx context.Context, code string) error {
	_, err := s.db.RegionByCode(ctx, code)
	if errors.Is(err, errs.ErrNotFound) {
		return errs.New(errs.Invalid, "error.region_unknown").With("code", code).With("field", "region")
	}
	return err
}

// CheckNew applies every rule CreateMany applies to one account, without
// creating it or hashing anything: for previews of an import. It does not
// see other rows, so duplicates within a file are the caller's to find;
// a username already taken is reported.
func (s *Service) CheckNew(ctx context.Context, actor Principal, n NewUser) error {
	p, err := s.prepare(ctx, actor, &n, institutions{})
	if err != nil {
		return err
	}
	taken, err := s.db.UsernamesInUse(ctx, []string{p.user.Username})
	if err != nil {
		return err
	}
	if len(taken) > 0 {
		return errs.New(errs.Conflict, "error.username_taken").With("field", "username")
	}
	return nil
}

// CreateUser creates one account for staff: a generated one-time password
// when n.Password is empty; either way the user must choose their own at
// first sign-in.
func (s *Service) CreateUser(ctx context.Context, actor Principal, n NewUser, ip string) (Created, error) {
	out, err := s.CreateMany(ctx, actor, []NewUser{n}, ip)
	var re *RowError
	if errors.As(err, &re) {
		return Created{}, re.Err
	}
	if err != nil {
		return Created{}, err
	}
	return out[0], nil
}

// CreateMany creates every account or none, each audited as user.create
// in the same transaction. Passwords (given, or generated when empty) are
// hashed before the transaction opens, on every core, since argon2id is
// slow on purpose. A problem with a row is a *RowError naming it.
func (s *Service) CreateMany(ctx context.Context, actor Principal, ns []NewUser, ip string) ([]Created, error) {
	if err := requireRole(actor, staff...); err != nil {
		return nil, err
	}
	cache := institutions{}
	ps := make([]prepared, len(ns))
	seen := make(map[string]int, len(ns))
	names := make([]string, len(ns))
	for i := range ns {
		n := ns[i]
		p, err := s.prepare(ctx, actor, &n, cache)
		if err != nil {
			return nil, &RowError{Index: i, Err: err}
		}
		if _, dup := seen[p.user.Username]; dup {
			return nil, &RowError{Index: i, Err: errs.New(errs.Conflict, "error.username_taken").With("field", "username")}
		}
		seen[p.user.Username] = i
		ps[i], names[i] = p, p.user.Username
	}
	taken, err := s.db.UsernamesInUse(ctx, names)
	if err != nil {
		return nil, err
	}
	if len(taken) > 0 {
		return nil, &RowError{Index: seen[taken[0]], Err: errs.New(errs.Conflict, "error.username_taken").With("field", "username")}
	}
	if err := s.hashAll(ps); err != nil {
		return nil, err
	}
	users := make([]*store.User, len(ps))
	place := make(map[*store.User]Principal, len(ps))
	for i, p := range ps {
		users[i] = p.user
		place[p.user] = p.place
	}
	err = s.db.CreateUsers(ctx, users, func(u *store.User) *store.AuditEntry {
		t := place[u]
		t.UserID = u.ID
		return auditEntry(actor, "user.create", t, ip, u.Role)
	})
	if errors.Is(err, errs.ErrConflict) {
		// Taken between the check and the insert.
		return nil, errs.New(errs.Conflict, "error.username_taken").With("field", "username")
	}
	if err != nil {
		return nil, err
	}
	out := make([]Created, len(ps))
	for i, p := range ps {
		pl := p.place
		pl.UserID = p.user.ID
		out[i] = Created{User: listing(p.user, p.inst, pl), OneTimePassword: p.oneTime}
	}
	return out, nil
}

func (s *Service) hashAll(ps []prepared) error {
	workers := min(runtime.GOMAXPROCS(0), len(ps))
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				h, err := HashPassword(ps[i].password, s.params)
				if err != nil {
					mu.Lock()
					first = errors.Join(first, err)
					mu.Unlock()
					continue
				}
				ps[i].user.PasswordHash = h
			}
		}()
	}
	for i := range ps {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return first
}

// Edit is a change to an account's name or role; nil fields stay.
// RegionCode is the region a region admin is responsible for.
type Edit struct {
	DisplayName *string
	Role        *string
	RegionCode  *string
}

// UpdateUser changes a display name or role within what actor may grant.
// A role other than region admin carries no region of its own.
func (s *Service) UpdateUser(ctx context.Context, actor Principal, id int64, ed Edit, ip string) (UserListing, error) {
	if err := requireRole(actor, staff...); err != nil {
		return UserListing{}, err
	}
	u, tp, inst, err := s.managed(ctx, actor, id)
	if err != nil {
		return UserListing{}, err
	}
	var ch store.UserChange
	var detail []string
	if ed.DisplayName != nil {
		name := strings.TrimSpace(*ed.DisplayName)
		if name == "" || utf8.RuneCountInString(name) > 100 {
			return UserListing{}, errs.New(errs.Invalid, "error.display_name_invalid").With("field", "display_name")
		}
		if name != u.DisplayName {
			ch.DisplayName = &name
			detail = append(detail, "display_name")
		}
	}
	if ed.Role != nil || ed.RegionCode != nil {
		if err := s.changeRole(ctx, actor, u, inst, ed, &ch, &detail); err != nil {
			return UserListing{}, err
		}
	}
	if len(detail) == 0 {
		return listing(u, inst, tp), nil
	}
	nu, err := s.db.ChangeUser(ctx, id, ch, auditEntry(actor, "user.update", tp, ip, strings.Join(detail, "; ")))
	if err != nil {
		return UserListing{}, err
	}
	s.Forget(id)
	return listing(nu, inst, PrincipalOf(nu, inst)), nil
}

// changeRole adds a role or region change to ch when actor may make it.
func (s *Service) changeRole(ctx context.Context, actor Principal, u *store.User, inst *store.Institution, ed Edit, ch *store.UserChange, detail *[]string) error {
	role := u.Role
	if ed.Role != nil {
		role = *ed.Role
		if !ValidRole(role) {
			return errs.New(errs.Invalid, "error.role_invalid").With("roles", strings.Join(Roles, ", ")).With("field", "role")
		}
	}
	region := ""
	if u.RegionCode != nil {
		region = *u.RegionCode
	}
	if ed.RegionCode != nil {
		region = *ed.RegionCode
	}
	if role != RoleRegionAdmin {
		if ed.RegionCode != nil && *ed.RegionCode != "" {
			return errs.New(errs.Invalid, "error.region_not_allowed").With("field", "region")
		}
		region = ""
	}
	oldRegion := ""
	if u.RegionCode != nil {
		oldRegion = *u.RegionCode
	}
	if role != u.Role || region != oldRegion {
		if u.ID == actor.UserID {
			return errSelf
		}
		switch {
		case role == RoleRegionAdmin && region == "":
			return errs.New(errs.Invalid, "error.region_required").With("field", "region")
		case role == RoleInstitutionAdmin && inst == nil:
			return errs.New(errs.Invalid, "error.institution_required").With("field", "institution")
		}
		if region != "" && region != oldRegion {
			if err := s.regionExists(ctx, region); err != nil {
				return err
			}
		}
		if !mayGrant(actor, role, inst, region) {
			return errs.New(errs.Forbidden, "error.role_not_grantable").With("role", role).With("field", "role")
		}
		ch.Role, ch.RegionCode = &role, &region
		*detail = append(*detail, fmt.Sprintf("role %s -> %s", u.Role, role))
		if region != oldRegion {
			*detail = append(*detail, fmt.Sprintf("region %q -> %q", oldRegion, region))
		}
	}
	return nil
}

// SetDisabled disables or enables an account. Disabling ends every
// session of the user at once.
func (s *Service) SetDisabled(ctx context.Context, actor Principal, id int64, disabled bool, ip string) (UserListing, error) {
	if err := requireRole(actor, staff...); err != nil {
		return UserListing{}, err
	}
	u, tp, inst, err := s.managed(ctx, actor, id)
	if err != nil {
		return UserListing{}, err
	}
	if u.ID == actor.UserID {
		return UserListing{}, errSelf
	}
	action := "user.enable"
	if disabled {
		action = "user.disable"
	}
	nu, err := s.db.ChangeUser(ctx, id, store.UserChange{Disabled: &disabled}, auditEntry(actor, action, tp, ip, ""))
	if err != nil {
		return UserListing{}, err
	}
	s.Forget(id)
	if disabled {
		if err := s.sessions.DeleteUser(ctx, id); err != nil {
			return UserListing{}, err
		}
	}
	return listing(nu, inst, tp), nil
}

// ResetPassword gives a user a generated one-time password, returned to
// show once: their sessions end, sign-in delays on the account are lifted
// (they were probably locked out), and they must choose a new password
// at next sign-in. Teachers may reset the learners of their institution.
func (s *Service) ResetPassword(ctx context.Context, actor Principal, id int64, ip string) (string, error) {
	if err := requireRole(actor, RoleAdmin, RoleRegionAdmin, RoleInstitutionAdmin, RoleTeacher); err != nil {
		return "", err
	}
	u, tp, _, err := s.managed(ctx, actor, id)
	if err != nil {
		return "", err
	}
	if u.ID == actor.UserID {
		return "", errSelf
	}
	pw := OneTimePassword()
	hash, err := HashPassword(pw, s.params)
	if err != nil {
		return "", err
	}
	must := true
	if _, err := s.db.ChangeUser(ctx, id, store.UserChange{PasswordHash: &hash, MustChangePassword: &must},
		auditEntry(actor, "user.password_reset", tp, ip, "")); err != nil {
		return "", err
	}
	s.Forget(id)
	if err := s.sessions.DeleteUser(ctx, id); err != nil {
		return "", err
	}
	_ = s.unlockThrottle(ctx, u.Username)
	return pw, nil
}

// MoveLearner moves a learner to another institution in actor's scope.
// Their enrolments, progress and certificates belong to them, not to the
// institution, so their history moves with them.
func (s *Service) MoveLearner(ctx context.Context, actor Principal, id int64, institutionCode, ip string) (UserListing, error) {
	if err := requireRole(actor, staff...); err != nil {
		return UserListing{}, err
	}
	u, tp, from, err := s.managed(ctx, actor, id)
	if err != nil {
		return UserListing{}, err
	}
	if u.Role != RoleLearner {
		return UserListing{}, errs.New(errs.Invalid, "error.move_learners_only")
	}
	to, err := s.institution(ctx, institutions{}, strings.TrimSpace(institutionCode))
	if err != nil {
		return UserListing{}, err
	}
	if to == nil || !institutionInScope(actor, to) {
		return UserListing{}, errs.New(errs.Invalid, "error.institution_unknown").With("code", institutionCode).With("field", "institution")
	}
	if from != nil && from.ID == to.ID {
		return listing(u, from, tp), nil
	}
	if to.ClosedAt != nil {
		return UserListing{}, errClosed(to)
	}
	fromCode := ""
	if from != nil {
		fromCode = from.Code
	}
	// One entry filed under the destination (the learner's place now) and,
	// when they had one, one under the origin, so the admins of the place
	// the learner left also see where they went.
	moved := *u
	moved.InstitutionID = &to.ID
	np := PrincipalOf(&moved, to)
	detail := fmt.Sprintf("institution %q -> %q", fromCode, to.Code)
	entries := []*store.AuditEntry{auditEntry(actor, "user.move", np, ip, detail)}
	if from != nil {
		entries = append(entries, auditEntry(actor, "user.move_out", tp, ip, detail))
	}
	nu, err := s.db.ChangeUser(ctx, id, store.UserChange{InstitutionID: &to.ID}, entries...)
	if err != nil {
		return UserListing{}, err
	}
	s.Forget(id)
	return listing(nu, to, np), nil
}

// oneTimeAlphabet leaves out characters read alike (0/o, 1/l/i) on a
// printed slip.
const oneTimeAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// OneTimePassword returns a random password of 10 characters (about 50
// bits) to hand to a user once.
func OneTimePassword() string {
	for {
		b := make([]byte, 10)
		for i := range b {
			n, err := rand.Int(rand.Reader, big.NewInt(int64(len(oneTimeAlphabet))))
			if err != nil {
				panic(err) // the OS random source does not fail on supported systems
			}
			b[i] = oneTimeAlphabet[n.Int64()]
		}
		if ValidatePassword(string(b)) == nil {
			return string(b)
		}
	}
}
