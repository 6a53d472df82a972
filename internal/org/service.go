package org

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Store is what institution management needs from the database.
type Store interface {
	RegionByCode(ctx context.Context, code string) (*store.Region, error)
	InstitutionByID(ctx context.Context, id int64) (*store.Institution, error)
	InstitutionByCode(ctx context.Context, code string) (*store.Institution, error)
	CreateInstitutionAudited(ctx context.Context, in *store.Institution, e store.AuditEntry) error
	SaveInstitution(ctx context.Context, in *store.Institution, e store.AuditEntry) error
	ListInstitutions(ctx context.Context, f store.InstitutionFilter) ([]store.InstitutionRow, error)
}

// Service creates, edits, lists and closes institutions, each action within
// the actor's scope and audited in the same transaction as the change.
type Service struct {
	db  Store
	now func() time.Time
}

// New wires the service; now may be nil for the real clock.
func New(db Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, now: now}
}

// Actor is who acts and from where, for scope checks and the audit log.
type Actor struct {
	account.Principal
	IP string
}

// System acts for the command line: an administrator with no account.
var System = Actor{Principal: account.Principal{Role: account.RoleAdmin}}

// audit is an entry by the actor about an institution, carrying both
// places so region and institution admins find it in their audit view.
func (a Actor) audit(action, detail string, in *store.Institution) store.AuditEntry {
	e := *a.AuditEntry(action, "", a.IP, detail)
	if in.ID != 0 {
		id := in.ID
		e.TargetInstitutionID = &id
	}
	rc := in.RegionCode
	e.TargetRegionCode = &rc
	return e
}

var (
	errForbidden   = errs.New(errs.Forbidden, "error.forbidden")
	errNotFound    = errs.New(errs.NotFound, "error.institution_not_found")
	errOutOfRegion = errs.New(errs.Forbidden, "error.region_out_of_scope").With("field", "region_code")
)

// manages reports whether the actor creates, moves and closes institutions.
func (a Actor) manages() bool { return a.Is(account.RoleAdmin, account.RoleRegionAdmin) }

// views reports whether the actor sees institutions at all.
func (a Actor) views() bool { return a.manages() || a.Is(account.RoleInstitutionAdmin) }

// regionPrefix is the code prefix a region admin is limited to: "" with ok
// for all of the country, ok false for a region admin without a region.
func (a Actor) regionPrefix() (string, bool) {
	switch {
	case a.Is(account.RoleAdmin):
		return "", true
	case a.Is(account.RoleRegionAdmin) && a.RegionCode != "":
		return account.RegionPrefix(a.RegionCode), true
	}
	return "", false
}

// covers reports whether the institution is in the actor's scope.
func (a Actor) covers(in *store.Institution) bool {
	if a.Is(account.RoleInstitutionAdmin) {
		return a.InstitutionID != 0 && a.InstitutionID == in.ID
	}
	p, ok := a.regionPrefix()
	return ok && strings.HasPrefix(in.RegionCode, p)
}

// checkRegion makes sure a region exists and lies inside the actor's region.
func (s *Service) checkRegion(ctx context.Context, a Actor, code string) error {
	if p, ok := a.regionPrefix(); !ok || !strings.HasPrefix(code, p) {
		return errOutOfRegion
	}
	if _, err := s.db.RegionByCode(ctx, code); errors.Is(err, errs.ErrNotFound) {
		return errs.New(errs.Invalid, "error.region_unknown").With("code", code).With("field", "region_code")
	} else if err != nil {
		return err
	}
	return nil
}

// Create adds an institution. Admins create anywhere, region admins inside
// their region; other roles may not.
func (s *Service) Create(ctx context.Context, a Actor, d Draft) (*Institution, error) {
	return s.row(ctx)(s.create(ctx, a, d))
}

func (s *Service) create(ctx context.Context, a Actor, d Draft) (*store.Institution, error) {
	if !a.manages() {
		return nil, errForbidden
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if err := s.checkRegion(ctx, a, d.RegionCode); err != nil {
		return nil, err
	}
	in := &store.Institution{Code: d.Code, Name: d.Name, Kind: d.Kind, RegionCode: d.RegionCode, CreatedAt: s.now().UTC()}
	err := s.db.CreateInstitutionAudited(ctx, in, a.audit("institution.create",
		fmt.Sprintf("code=%s kind=%s region=%s", in.Code, in.Kind, in.RegionCode), in))
	if errors.Is(err, errs.ErrConflict) {
		return nil, errs.New(errs.Conflict, "error.institution_code_taken").With("code", d.Code).With("field", "code")
	}
	return in, err
}

// Get returns an institution in the actor's scope; others are not found,
// so ids cannot be probed.
func (s *Service) Get(ctx context.Context, a Actor, id int64) (*Institution, error) {
	return s.row(ctx)(s.get(ctx, a, id))
}

// Institution is an institution with its region's name, as the layers
// above the domain show it.
type Institution struct {
	ID               int64
	Code             string
	Name             string
	Kind             string
	RegionCode       string
	RegionName       string // "": the region is not in the division tree
	SelfRegistration bool
	// ClosedAt set: the institution takes no new learners; its history stays.
	ClosedAt  *time.Time
	CreatedAt time.Time
}

func institutionOf(r *store.InstitutionRow) Institution {
	return Institution{ID: r.ID, Code: r.Code, Name: r.Name, Kind: r.Kind, RegionCode: r.RegionCode, RegionName: r.RegionName,
		SelfRegistration: r.SelfRegistration, ClosedAt: r.ClosedAt, CreatedAt: r.CreatedAt}
}

// row adds the region's name to an institution, as the API shows it.
func (s *Service) row(ctx context.Context) func(*store.Institution, error) (*Institution, error) {
	return func(in *store.Institution, err error) (*Institution, error) {
		if err != nil {
			return nil, err
		}
		r := &store.InstitutionRow{Institution: *in}
		if reg, err := s.db.RegionByCode(ctx, in.RegionCode); err == nil {
			r.RegionName = reg.Name
		} else if !errors.Is(err, errs.ErrNotFound) {
			return nil, err
		}
		v := institutionOf(r)
		return &v, nil
	}
}

func (s *Service) get(ctx context.Context, a Actor, id int64) (*store.Institution, error) {
	if !a.views() {
		return nil, errForbidden
	}
	in, err := s.db.InstitutionByID(ctx, id)
	if errors.Is(err, errs.ErrNotFound) || (err == nil && !a.covers(in)) {
		return nil, errNotFound
	}
	return in, err
}

// Editable lists the fields the actor may change on an institution in scope:
// institution admins only its name.
func (a Actor) Editable() []string {
	switch {
	case a.manages():
		return []string{"name", "kind", "region_code", "self_registration"}
	case a.Is(account.RoleInstitutionAdmin):
		return []string{"name"}
	}
	return nil
}

// CanClose reports whether the actor may close and reopen institutions in scope.
func (a Actor) CanClose() bool { return a.manages() }

// Update applies a patch. A field the actor may not change is refused
// whole, before anything is written.
func (s *Service) Update(ctx context.Context, a Actor, id int64, p Patch) (*Institution, error) {
	return s.row(ctx)(s.update(ctx, a, id, p))
}

func (s *Service) update(ctx context.Context, a Actor, id int64, p Patch) (*store.Institution, error) {
	in, err := s.get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	changed := p.fields()
	if len(changed) == 0 {
		return nil, errs.New(errs.Invalid, "error.nothing_to_change")
	}
	for _, f := range changed {
		if !slices.Contains(a.Editable(), f) {
			return nil, errs.New(errs.Forbidden, "error.field_not_editable").With("field", f)
		}
	}
	next := *in
	if p.Name != nil {
		next.Name = *p.Name
	}
	if p.Kind != nil {
		next.Kind = *p.Kind
	}
	if p.RegionCode != nil {
		next.RegionCode = *p.RegionCode
	}
	if p.SelfRegistration != nil {
		next.SelfRegistration = *p.SelfRegistration
	}
	if err := validateFields(&next.Name, &next.Kind, &next.RegionCode); err != nil {
		return nil, err
	}
	if next.RegionCode != in.RegionCode {
		if err := s.checkRegion(ctx, a, next.RegionCode); err != nil {
			return nil, err
		}
	}
	var detail []string
	if next.Name != in.Name {
		detail = append(detail, fmt.Sprintf("name: %s -> %s", in.Name, next.Name))
	}
	if next.Kind != in.Kind {
		detail = append(detail, fmt.Sprintf("kind: %s -> %s", in.Kind, next.Kind))
	}
	if next.RegionCode != in.RegionCode {
		detail = append(detail, fmt.Sprintf("region: %s -> %s", in.RegionCode, next.RegionCode))
	}
	if next.SelfRegistration != in.SelfRegistration {
		detail = append(detail, fmt.Sprintf("self_registration: %t -> %t", in.SelfRegistration, next.SelfRegistration))
	}
	if len(detail) == 0 {
		return in, nil // nothing changes, nothing to audit
	}
	err = s.db.SaveInstitution(ctx, &next, a.audit("institution.update", strings.Join(detail, "; "), &next))
	return &next, err
}

// Close stops an institution taking new learners and sign-ups; its people
// and their history stay. Closing a closed institution changes nothing.
func (s *Service) Close(ctx context.Context, a Actor, id int64) (*Institution, error) {
	return s.row(ctx)(s.setClosed(ctx, a, id, true))
}

// Reopen undoes Close.
func (s *Service) Reopen(ctx context.Context, a Actor, id int64) (*Institution, error) {
	return s.row(ctx)(s.setClosed(ctx, a, id, false))
}

func (s *Service) setClosed(ctx context.Context, a Actor, id int64, closed bool) (*store.Institution, error) {
	in, err := s.get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if !a.CanClose() {
		return nil, errForbidden
	}
	if (in.ClosedAt != nil) == closed {
		return in, nil
	}
	next, action := *in, "institution.reopen"
	next.ClosedAt = nil
	if closed {
		now := s.now().UTC()
		next.ClosedAt, action = &now, "institution.close"
	}
	return &next, s.db.SaveInstitution(ctx, &next, a.audit(action, "", &next))
}

// Query selects institutions for a list.
type Query struct {
	Q, Region, Kind, Cursor string
	Limit                   int
}

// Page is one page of a list; Next is the cursor of the following page,
// "" at the end.
type Page struct {
	Institutions []Institution
	Next         string
}

// MaxPage caps a page.
const MaxPage = 200

// List returns the institutions in the actor's scope that match q, by id.
func (s *Service) List(ctx context.Context, a Actor, q Query) (Page, error) {
	if !a.views() {
		return Page{}, errForbidden
	}
	f := store.InstitutionFilter{Kind: strings.TrimSpace(q.Kind), Query: strings.TrimSpace(q.Q), Limit: q.Limit}
	if f.Limit <= 0 || f.Limit > MaxPage {
		f.Limit = 50
	}
	if f.Kind != "" && !ValidKind(f.Kind) {
		return Page{}, errs.New(errs.Invalid, "error.institution_kind_invalid").With("kinds", strings.Join(Kinds, ", ")).With("field", "kind")
	}
	if len([]rune(f.Query)) > 100 {
		return Page{}, errs.New(errs.Invalid, "error.query_too_long").With("field", "q")
	}
	if q.Region != "" {
		if len(q.Region) != 6 || strings.Trim(q.Region, "0123456789") != "" {
			return Page{}, errs.New(errs.Invalid, "error.region_invalid").With("field", "region")
		}
		if p := account.RegionPrefix(q.Region); p != "" {
			f.RegionPrefixes = append(f.RegionPrefixes, p)
		}
	}
	if a.Is(account.RoleInstitutionAdmin) {
		if a.InstitutionID == 0 {
			return Page{}, nil
		}
		f.InstitutionID = a.InstitutionID
	} else if p, ok := a.regionPrefix(); !ok {
		return Page{}, nil
	} else if p != "" {
		f.RegionPrefixes = append(f.RegionPrefixes, p)
	}
	if q.Cursor != "" {
		id, err := decodeCursor(q.Cursor)
		if err != nil {
			return Page{}, err
		}
		f.AfterID = id
	}
	want := f.Limit
	f.Limit++ // one more tells whether another page follows
	rows, err := s.db.ListInstitutions(ctx, f)
	if err != nil {
		return Page{}, err
	}
	var page Page
	if len(rows) > want {
		rows = rows[:want]
		page.Next = encodeCursor(rows[want-1].ID)
	}
	page.Institutions = make([]Institution, len(rows))
	for i := range rows {
		page.Institutions[i] = institutionOf(&rows[i])
	}
	return page, nil
}

// A cursor is opaque to clients: the last id of the page, encoded so that
// nobody builds one by hand and expects it to keep working.
func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("i" + strconv.FormatInt(id, 10)))
}

func decodeCursor(c string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	bad := errs.New(errs.Invalid, "error.institutions_cursor_invalid").With("field", "cursor")
	if err != nil || len(b) < 2 || b[0] != 'i' {
		return 0, bad
	}
	id, err := strconv.ParseInt(string(b[1:]), 10, 64)
	if err != nil || id < 0 {
		return 0, bad
	}
	return id, nil
}

// JoinTarget returns the institution a walk-in visitor may sign up at: it
// exists, is open and allows self-registration. Anything else is not found,
// so a poster's address tells nothing about institutions that allow none.
func (s *Service) JoinTarget(ctx context.Context, code string) (*Institution, error) {
	in, err := s.db.InstitutionByCode(ctx, code)
	if errors.Is(err, errs.ErrNotFound) || (err == nil && (in.ClosedAt != nil || !in.SelfRegistration)) {
		return nil, errs.New(errs.NotFound, "error.join_unavailable")
	}
	return s.row(ctx)(in, err)
}
