package teach

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Member is a learner in a class.
type Member struct {
	ID          int64     `json:"id"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Disabled    bool      `json:"disabled"`
	JoinedAt    time.Time `json:"joined_at"`
	// Outside: a learner of another institution who joined by code. Their
	// account is their own institution's: the class's staff do not reset it.
	Outside bool `json:"outside"`
}

func memberOf(r *store.ClassMemberRow, c *store.Class) Member {
	return Member{ID: r.UserID, Username: r.Username, DisplayName: r.DisplayName, Disabled: r.Disabled, JoinedAt: r.JoinedAt,
		Outside: r.InstitutionID == nil || *r.InstitutionID != c.InstitutionID}
}

// Members lists a class's members by username.
func (s *Service) Members(ctx context.Context, a account.Principal, id int64) ([]Member, error) {
	c, _, err := s.classFor(ctx, a, id, false)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.ClassMembers(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	out := make([]Member, len(rows))
	for i := range rows {
		out[i] = memberOf(&rows[i], c)
	}
	return out, nil
}

// MaxAddAtOnce bounds one list of usernames; a whole roster goes through
// the import.
const MaxAddAtOnce = 200

// AddMembers puts existing learners of the class's institution in it by
// username: all or none, audited once as class.members_add. It returns how
// many were not members yet.
func (s *Service) AddMembers(ctx context.Context, a Actor, id int64, usernames []string) (int, error) {
	defer s.grids.classChanged(id)
	c, in, err := s.work(ctx, a.Principal, id)
	if err != nil {
		return 0, err
	}
	if len(usernames) == 0 || len(usernames) > MaxAddAtOnce {
		return 0, errs.New(errs.Invalid, "error.class_members_count").With("max", MaxAddAtOnce).With("field", "usernames")
	}
	seen := map[int64]bool{}
	var ids []int64
	for _, name := range usernames {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		u, err := s.db.UserByUsername(ctx, name)
		if errors.Is(err, errs.ErrNotFound) || err == nil && (u.Role != account.RoleLearner || u.InstitutionID == nil || *u.InstitutionID != c.InstitutionID) {
			// Learners elsewhere are reported like unknown names: they
			// join by code, and names of other places are not for probing.
			return 0, errs.New(errs.Invalid, "error.class_member_unknown").With("username", name).With("field", "usernames")
		}
		if err != nil {
			return 0, err
		}
		if !seen[u.ID] {
			seen[u.ID] = true
			ids = append(ids, u.ID)
		}
	}
	if len(ids) == 0 {
		return 0, errs.New(errs.Invalid, "error.class_members_count").With("max", MaxAddAtOnce).With("field", "usernames")
	}
	return s.db.AddClassMembers(ctx, c.ID, ids, a.UserID, audit(a, "class.members_add", c, in, joinIDs(ids)))
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = "user:" + itoa(id)
	}
	return strings.Join(parts, " ")
}

// RemoveMember takes a learner out of a class, audited as
// class.member_remove; their enrolments and progress stay theirs.
func (s *Service) RemoveMember(ctx context.Context, a Actor, id, userID int64) error {
	defer s.grids.classChanged(id)
	c, in, err := s.work(ctx, a.Principal, id)
	if err != nil {
		return err
	}
	err = s.db.RemoveClassMember(ctx, c.ID, userID, audit(a, "class.member_remove", c, in, account.UserTarget(userID)))
	if errors.Is(err, errs.ErrNotFound) {
		return errs.New(errs.NotFound, "error.class_member_not_found")
	}
	return err
}

// member loads a member of a class the actor changes.
func (s *Service) member(ctx context.Context, a account.Principal, id, userID int64) (*store.Class, *store.ClassMemberRow, error) {
	c, _, err := s.classFor(ctx, a, id, true)
	if err != nil {
		return nil, nil, err
	}
	m, err := s.db.ClassMemberOf(ctx, c.ID, userID)
	if errors.Is(err, errs.ErrNotFound) {
		return nil, nil, errs.New(errs.NotFound, "error.class_member_not_found")
	}
	return c, m, err
}

// Slip is one member's sign-in details to print.
type Slip struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Password    string `json:"one_time_password,omitempty"`
}

// ResetPassword gives a member a one-time password (account.ResetPassword:
// audited, sessions ended, sign-in delays lifted, a new password required
// at next sign-in). Only members of the class's own institution: an
// outside learner's account belongs to their institution.
func (s *Service) ResetPassword(ctx context.Context, a Actor, id, userID int64) (Slip, error) {
	c, m, err := s.member(ctx, a.Principal, id, userID)
	if err != nil {
		return Slip{}, err
	}
	if memberOf(m, c).Outside {
		return Slip{}, errs.New(errs.Forbidden, "error.class_member_outside")
	}
	pw, err := s.accounts.ResetPassword(ctx, a.Principal, userID, a.IP)
	if err != nil {
		return Slip{}, err
	}
	return Slip{Username: m.Username, DisplayName: m.DisplayName, Password: pw}, nil
}

// Unlock lifts the sign-in delays on a member's account
// (account.Unlock, audited as user.unlock).
func (s *Service) Unlock(ctx context.Context, a Actor, id, userID int64) error {
	c, m, err := s.member(ctx, a.Principal, id, userID)
	if err != nil {
		return err
	}
	if memberOf(m, c).Outside {
		return errs.New(errs.Forbidden, "error.class_member_outside")
	}
	_, err = s.accounts.Unlock(ctx, a.Principal, userID, a.IP)
	return err
}

// Slips lists every member's sign-in name for printed slips; passwords
// are never stored readable, so a slip says where to sign in and whom to
// ask, and a forgotten password is a reset.
func (s *Service) Slips(ctx context.Context, a account.Principal, id int64) (Class, []Slip, error) {
	c, in, err := s.classFor(ctx, a, id, false)
	if err != nil {
		return Class{}, nil, err
	}
	rows, err := s.db.ClassMembers(ctx, c.ID)
	if err != nil {
		return Class{}, nil, err
	}
	out := make([]Slip, len(rows))
	for i, r := range rows {
		out[i] = Slip{Username: r.Username, DisplayName: r.DisplayName}
	}
	return classOf(c, in, a), out, nil
}

// ImportInto checks that the actor may add people to a class by the bulk
// import (internal/roster, with the class as the request's ClassID) and
// returns the class's id.
func (s *Service) ImportInto(ctx context.Context, a account.Principal, id int64) (int64, error) {
	c, _, err := s.work(ctx, a, id)
	if err != nil {
		return 0, err
	}
	return c.ID, nil
}
