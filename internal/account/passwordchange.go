package account

import (
	"context"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/session"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// PasswordChange is a signed-in user choosing a new password.
type PasswordChange struct {
	UserID       int64
	Current, New string
	IP           string
	Shared       bool // the current session is on a shared computer
}

// ChangePassword replaces the user's password after checking the current
// one. Wrong guesses count against the same delays as sign-in, so a
// borrowed session cannot be used to guess the password. Every session of
// the user ends, and a fresh one is returned for the browser that asked:
// whoever else held a session learns nothing new. Clears must-change.
func (s *Service) ChangePassword(ctx context.Context, c PasswordChange) (Result, error) {
	u, err := s.db.UserByID(ctx, c.UserID)
	if err != nil {
		return Result{}, err
	}
	p, inst, err := s.Principal(ctx, u)
	if err != nil {
		return Result{}, err
	}
	keys, err := s.loginKeys(ctx, u.Username, c.IP)
	if err != nil {
		return Result{}, err
	}
	if err := s.admit(ctx, keys, c.IP); err != nil {
		return Result{}, err
	}
	if !CheckPassword(c.Current, u.PasswordHash) {
		_, _ = s.throttle.Hit(ctx, keys.account, AccountWindow)
		e := auditEntry(p, "user.password_change", p, c.IP, "current password wrong")
		e.Outcome = store.OutcomeDenied
		_ = s.db.Audit(ctx, e)
		return Result{}, errs.New(errs.Invalid, "error.password_current_wrong").With("field", "current")
	}
	if err := ValidatePassword(c.New); err != nil {
		return Result{}, errs.As(err).With("field", "new")
	}
	if c.New == c.Current {
		return Result{}, errs.New(errs.Invalid, "error.password_unchanged").With("field", "new")
	}
	hash, err := HashPassword(c.New, s.params)
	if err != nil {
		return Result{}, err
	}
	must := false
	nu, err := s.db.ChangeUser(ctx, u.ID, store.UserChange{PasswordHash: &hash, MustChangePassword: &must},
		auditEntry(p, "user.password_change", p, c.IP, ""))
	if err != nil {
		return Result{}, err
	}
	s.succeeded(ctx, keys)
	s.Forget(u.ID)
	if err := s.sessions.DeleteUser(ctx, u.ID); err != nil {
		return Result{}, err
	}
	token, sess, err := s.sessions.Create(ctx, u.ID, s.sessionOptions(c.Shared))
	if err != nil {
		return Result{}, err
	}
	return Result{Token: token, Session: sess, User: userOf(nu), Principal: p, Institution: institutionOf(inst)}, nil
}

// sessionOptions are the limits of a new session; a shared computer's idle
// out sooner and last a working day at most.
func (s *Service) sessionOptions(shared bool) session.Options {
	shared = shared || s.publicTerminal
	o := session.Options{Idle: s.idle, MaxAge: s.maxAge, Shared: shared}
	if shared {
		o.Idle = s.shared
		if o.MaxAge > sharedMaxAge {
			o.MaxAge = sharedMaxAge
		}
	}
	return o
}
