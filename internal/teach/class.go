package teach

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Class is a class as the teaching pages and API show it.
type Class struct {
	ID              int64      `json:"id"`
	Name            string     `json:"name"`
	JoinCode        string     `json:"join_code"` // "" when none was made
	JoinCodeEnabled bool       `json:"join_code_enabled"`
	AllowOutside    bool       `json:"allow_outside"`
	StartsOn        string     `json:"starts_on"` // YYYY-MM-DD or ""
	EndsOn          string     `json:"ends_on"`
	ArchivedAt      *time.Time `json:"archived_at"`
	CreatedAt       time.Time  `json:"created_at"`
	Institution     struct {
		Code string `json:"code"`
		Name string `json:"name"`
	} `json:"institution"`
	TeacherName string `json:"teacher_name"`
	Members     int    `json:"members"`
	Assignments int    `json:"assignments"`
	// CanChange says whether the caller may change the class (teachers and
	// institution admins), so pages hide what would be refused.
	CanChange bool `json:"can_change"`
}

func classOf(c *store.Class, in *store.Institution, p account.Principal) Class {
	out := Class{ID: c.ID, Name: c.Name, JoinCodeEnabled: c.JoinCodeEnabled, AllowOutside: c.AllowOutside,
		ArchivedAt: c.ArchivedAt, CreatedAt: c.CreatedAt, CanChange: changes(p)}
	if c.JoinCode != nil {
		out.JoinCode = *c.JoinCode
	}
	if c.StartsOn != nil {
		out.StartsOn = *c.StartsOn
	}
	if c.EndsOn != nil {
		out.EndsOn = *c.EndsOn
	}
	if in != nil {
		out.Institution.Code, out.Institution.Name = in.Code, in.Name
	}
	return out
}

// joinAlphabet leaves out what reads alike on a poster or a blackboard
// (0/O, 1/I/L) and lower case, which people type as upper case anyway.
const joinAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// JoinCodeLength: 31^6 is about 890 million codes, so a guess is hopeless
// while a code is still easy to read out to a room.
const JoinCodeLength = 6

func newJoinCode() string {
	b := make([]byte, JoinCodeLength)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(joinAlphabet))))
		if err != nil {
			panic(err) // the OS random source does not fail on supported systems
		}
		b[i] = joinAlphabet[n.Int64()]
	}
	return string(b)
}

// NormalizeJoinCode reads a code as typed: any case, full-width letters,
// spaces and dashes ignored. It returns "" when the result cannot be a code.
func NormalizeJoinCode(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch r {
		case ' ', '-', '\t':
			continue
		}
		if r >= 'Ａ' && r <= 'Ｚ' {
			r = 'A' + (r - 'Ａ')
		}
		b.WriteRune(r)
	}
	code := b.String()
	if len(code) != JoinCodeLength {
		return ""
	}
	for _, r := range code {
		if !strings.ContainsRune(joinAlphabet, r) {
			return ""
		}
	}
	return code
}

// NewClass is what a teacher fills in.
type NewClass struct {
	Name         string `json:"name"`
	StartsOn     string `json:"starts_on"`
	EndsOn       string `json:"ends_on"`
	AllowOutside bool   `json:"allow_outside"`
}

func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return "", errs.New(errs.Invalid, "error.class_name_invalid").With("field", "name")
	}
	return name, nil
}

// checkTerm reads optional term dates; the last day may not come first.
func checkTerm(starts, ends string) (*string, *string, error) {
	var out [2]*string
	for i, v := range []string{strings.TrimSpace(starts), strings.TrimSpace(ends)} {
		if v == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			field := "starts_on"
			if i == 1 {
				field = "ends_on"
			}
			return nil, nil, errs.New(errs.Invalid, "error.date_invalid").With("field", field)
		}
		out[i] = &v
	}
	if out[0] != nil && out[1] != nil && *out[1] < *out[0] {
		return nil, nil, errs.New(errs.Invalid, "error.class_term_order").With("field", "ends_on")
	}
	return out[0], out[1], nil
}

// codeAttempts bounds retries on a code already taken, which at a few
// thousand classes out of 890 million codes practically never happens.
const codeAttempts = 5

// Create makes a class at the actor's institution with them as its teacher
// and a fresh join code, audited as class.create.
func (s *Service) Create(ctx context.Context, a Actor, n NewClass) (Class, error) {
	if !staff(a.Principal) {
		return Class{}, errForbidden
	}
	if !changes(a.Principal) {
		return Class{}, errs.New(errs.Forbidden, "error.class_create_forbidden")
	}
	name, err := checkName(n.Name)
	if err != nil {
		return Class{}, err
	}
	starts, ends, err := checkTerm(n.StartsOn, n.EndsOn)
	if err != nil {
		return Class{}, err
	}
	in, err := s.db.InstitutionByID(ctx, a.InstitutionID)
	if err != nil {
		return Class{}, err
	}
	if in.ClosedAt != nil {
		return Class{}, errs.New(errs.Invalid, "error.institution_closed").With("code", in.Code)
	}
	teacher := a.UserID
	for attempt := 0; ; attempt++ {
		code := newJoinCode()
		c := &store.Class{InstitutionID: in.ID, Name: name, TeacherID: &teacher, JoinCode: &code, JoinCodeEnabled: true,
			AllowOutside: n.AllowOutside, StartsOn: starts, EndsOn: ends}
		err = s.db.CreateClassAudited(ctx, c, audit(a, "class.create", c, in, name))
		if errors.Is(err, errs.ErrConflict) && attempt < codeAttempts {
			continue
		}
		if err != nil {
			return Class{}, err
		}
		out := classOf(c, in, a.Principal)
		return out, nil
	}
}

// Page limits for the list of classes.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// List returns a keyset page of the classes the actor sees (archived ones
// instead when asked) and the cursor of the next page ("" at the end).
func (s *Service) List(ctx context.Context, a account.Principal, archived bool, cursor string, limit int) ([]Class, string, error) {
	if !staff(a) {
		return nil, "", errForbidden
	}
	after, err := decodeCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	if limit <= 0 {
		limit = DefaultPageSize
	}
	limit = min(limit, MaxPageSize)
	rows, err := s.db.ListClasses(ctx, store.ClassQuery{Scope: scope(a), Archived: archived, AfterID: after, Limit: limit + 1})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = encodeCursor(rows[limit-1].ID)
	}
	out := make([]Class, len(rows))
	for i := range rows {
		r := &rows[i]
		out[i] = classOf(&r.Class, &store.Institution{Code: r.InstitutionCode, Name: r.InstitutionName}, a)
		out[i].TeacherName, out[i].Members, out[i].Assignments = r.TeacherName, r.Members, r.Assignments
	}
	return out, next, nil
}

func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("c" + itoa(id)))
}

func decodeCursor(c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil && len(b) > 1 && b[0] == 'c' {
		var id int64
		for _, d := range b[1:] {
			if d < '0' || d > '9' || id > 1e15 {
				id = 0
				break
			}
			id = id*10 + int64(d-'0')
		}
		if id > 0 {
			return id, nil
		}
	}
	return 0, errs.New(errs.Invalid, "error.cursor_invalid").With("field", "cursor")
}

// Get returns one class the actor may read.
func (s *Service) Get(ctx context.Context, a account.Principal, id int64) (Class, error) {
	c, in, err := s.classFor(ctx, a, id, false)
	if err != nil {
		return Class{}, err
	}
	out := classOf(c, in, a)
	if c.TeacherID != nil {
		if u, err := s.db.UserByID(ctx, *c.TeacherID); err == nil {
			out.TeacherName = u.DisplayName
		}
	}
	return out, nil
}

// Change is an edit of a class; nil fields stay.
type Change struct {
	Name            *string `json:"name"`
	StartsOn        *string `json:"starts_on"`
	EndsOn          *string `json:"ends_on"`
	AllowOutside    *bool   `json:"allow_outside"`
	JoinCodeEnabled *bool   `json:"join_code_enabled"`
}

// Update changes a class's name, term, openness or join code switch,
// audited as class.update with the fields changed.
func (s *Service) Update(ctx context.Context, a Actor, id int64, ch Change) (Class, error) {
	defer s.grids.classChanged(id)
	c, in, err := s.work(ctx, a.Principal, id)
	if err != nil {
		return Class{}, err
	}
	var changed []string
	if ch.Name != nil {
		name, err := checkName(*ch.Name)
		if err != nil {
			return Class{}, err
		}
		if name != c.Name {
			c.Name, changed = name, append(changed, "name")
		}
	}
	if ch.StartsOn != nil || ch.EndsOn != nil {
		starts, ends := deref(c.StartsOn), deref(c.EndsOn)
		if ch.StartsOn != nil {
			starts = *ch.StartsOn
		}
		if ch.EndsOn != nil {
			ends = *ch.EndsOn
		}
		c.StartsOn, c.EndsOn, err = checkTerm(starts, ends)
		if err != nil {
			return Class{}, err
		}
		changed = append(changed, "term")
	}
	if ch.AllowOutside != nil && *ch.AllowOutside != c.AllowOutside {
		c.AllowOutside, changed = *ch.AllowOutside, append(changed, "allow_outside")
	}
	if ch.JoinCodeEnabled != nil && *ch.JoinCodeEnabled != c.JoinCodeEnabled {
		c.JoinCodeEnabled, changed = *ch.JoinCodeEnabled, append(changed, "join_code_enabled")
		if c.JoinCodeEnabled && c.JoinCode == nil {
			code := newJoinCode()
			c.JoinCode = &code
		}
	}
	if len(changed) == 0 {
		return classOf(c, in, a.Principal), nil
	}
	if err := s.db.SaveClass(ctx, c, audit(a, "class.update", c, in, strings.Join(changed, ", "))); err != nil {
		return Class{}, err
	}
	return classOf(c, in, a.Principal), nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// NewJoinCode replaces a class's join code (the old one stops working at
// once) and switches it on, audited as class.join_code.
func (s *Service) NewJoinCode(ctx context.Context, a Actor, id int64) (Class, error) {
	defer s.grids.classChanged(id)
	c, in, err := s.work(ctx, a.Principal, id)
	if err != nil {
		return Class{}, err
	}
	for attempt := 0; ; attempt++ {
		code := newJoinCode()
		c.JoinCode, c.JoinCodeEnabled = &code, true
		err = s.db.SaveClass(ctx, c, audit(a, "class.join_code", c, in, ""))
		if errors.Is(err, errs.ErrConflict) && attempt < codeAttempts {
			continue
		}
		if err != nil {
			return Class{}, err
		}
		return classOf(c, in, a.Principal), nil
	}
}

// SetArchived archives a class (kept with its members and assignments for
// statistics; its assignments leave the members' courses and its code
// stops working) or brings it back, audited as class.archive/unarchive.
func (s *Service) SetArchived(ctx context.Context, a Actor, id int64, archived bool) (Class, error) {
	defer s.grids.classChanged(id)
	c, in, err := s.classFor(ctx, a.Principal, id, true)
	if err != nil {
		return Class{}, err
	}
	if (c.ArchivedAt != nil) == archived {
		return classOf(c, in, a.Principal), nil
	}
	action := "class.unarchive"
	c.ArchivedAt = nil
	if archived {
		now := s.cfg.Now().UTC()
		c.ArchivedAt, action = &now, "class.archive"
	}
	if err := s.db.SaveClass(ctx, c, audit(a, action, c, in, "")); err != nil {
		return Class{}, err
	}
	return classOf(c, in, a.Principal), nil
}

// Joined is the class a learner joined.
type Joined struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// New is false when the learner was already a member.
	New bool `json:"-"`
}

// Join puts a signed-in learner in the class with this code. A wrong,
// switched-off or expired code (past the term's last day, or the class
// archived) says which; a class of another institution takes them only
// when it allows outside learners; joining twice changes nothing.
func (s *Service) Join(ctx context.Context, a account.Principal, code string) (Joined, error) {
	if !a.Is(account.RoleLearner) {
		return Joined{}, errs.New(errs.Forbidden, "error.class_join_learners_only")
	}
	norm := NormalizeJoinCode(code)
	unknown := errs.New(errs.NotFound, "error.class_code_unknown").With("field", "code")
	if norm == "" {
		return Joined{}, unknown
	}
	c, err := s.db.ClassByJoinCode(ctx, norm)
	if errors.Is(err, errs.ErrNotFound) {
		return Joined{}, unknown
	}
	if err != nil {
		return Joined{}, err
	}
	switch {
	case !c.JoinCodeEnabled:
		return Joined{}, errs.New(errs.Invalid, "error.class_code_off").With("field", "code")
	case c.ArchivedAt != nil || c.EndsOn != nil && *c.EndsOn < s.today():
		return Joined{}, errs.New(errs.Invalid, "error.class_code_expired").With("field", "code")
	case !c.AllowOutside && a.InstitutionID != c.InstitutionID:
		return Joined{}, errs.New(errs.Forbidden, "error.class_other_institution").With("field", "code")
	}
	created, err := s.db.JoinClass(ctx, c.ID, a.UserID)
	s.grids.classChanged(c.ID)
	if err != nil {
		return Joined{}, err
	}
	return Joined{ID: c.ID, Name: c.Name, New: created}, nil
}

// ClassByCode is what a join page shows before the learner confirms: the
// class's name and institution, or why the code does not work.
func (s *Service) ClassByCode(ctx context.Context, code string) (name, institution string, err error) {
	norm := NormalizeJoinCode(code)
	if norm == "" {
		return "", "", errs.New(errs.NotFound, "error.class_code_unknown").With("field", "code")
	}
	c, err := s.db.ClassByJoinCode(ctx, norm)
	if errors.Is(err, errs.ErrNotFound) {
		return "", "", errs.New(errs.NotFound, "error.class_code_unknown").With("field", "code")
	}
	if err != nil {
		return "", "", err
	}
	if !c.JoinCodeEnabled || c.ArchivedAt != nil || c.EndsOn != nil && *c.EndsOn < s.today() {
		return "", "", errs.New(errs.NotFound, "error.class_code_unknown").With("field", "code")
	}
	in, err := s.db.InstitutionByID(ctx, c.InstitutionID)
	if err != nil {
		return "", "", err
	}
	return c.Name, in.Name, nil
}

// JoinCodeOf returns a class's working join code, for its poster and QR
// code; a class without one is not found.
func (s *Service) JoinCodeOf(ctx context.Context, a account.Principal, id int64) (string, Class, error) {
	c, in, err := s.classFor(ctx, a, id, false)
	if err != nil {
		return "", Class{}, err
	}
	if c.JoinCode == nil || !c.JoinCodeEnabled || c.ArchivedAt != nil {
		return "", Class{}, errs.New(errs.NotFound, "error.class_code_off")
	}
	return *c.JoinCode, classOf(c, in, a), nil
}
