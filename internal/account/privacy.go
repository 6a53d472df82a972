package account

import (
	"context"
	"strconv"
	"time"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// PrivacyVersion names the privacy notice in force (its text is the
// privacy.notice.* keys of the catalogue). Changing the text means a new
// version, which everyone is shown again at their next visit.
const PrivacyVersion = "2026-11"

// PrivacyStore is what the personal-information rules need from the database.
type PrivacyStore interface {
	AcceptPrivacy(ctx context.Context, userID int64, version string) error
	RecordSignIn(ctx context.Context, userID int64) error
	AnonymiseUsers(ctx context.Context, ids []int64, audit func(id int64) *store.AuditEntry) (int, error)
	InactiveUsers(ctx context.Context, q store.InactiveQuery) ([]store.UserListing, error)
	PersonalDataOf(ctx context.Context, userID int64) (*store.PersonalData, error)
}

// AcceptPrivacy records that the signed-in user accepted the notice they
// were shown; a stale version (the notice changed while it was open) is
// refused so that acceptance always names the text read.
func (s *Service) AcceptPrivacy(ctx context.Context, userID int64, version string) error {
	if version != PrivacyVersion {
		return errs.New(errs.Conflict, "error.privacy_version").With("version", PrivacyVersion)
	}
	if err := s.db.AcceptPrivacy(ctx, userID, version); err != nil {
		return err
	}
	s.Forget(userID)
	return nil
}

// DeleteUser erases an account's personal fields and keeps its learning
// records anonymised (see store.AnonymiseUsers). Only admins above a
// learner may do it, teachers never; nobody deletes themselves here.
func (s *Service) DeleteUser(ctx context.Context, actor Principal, id int64, ip string) error {
	if err := requireRole(actor, staff...); err != nil {
		return err
	}
	u, tp, _, err := s.managed(ctx, actor, id)
	if err != nil {
		return err
	}
	if u.ID == actor.UserID {
		return errSelf
	}
	if u.DeletedAt != nil {
		return errUserNotFound
	}
	if _, err := s.db.AnonymiseUsers(ctx, []int64{id}, func(int64) *store.AuditEntry {
		return auditEntry(actor, "user.delete", tp, ip, "")
	}); err != nil {
		return err
	}
	return s.ended(ctx, id)
}

// ended forgets a removed account everywhere it may still be remembered.
func (s *Service) ended(ctx context.Context, id int64) error {
	s.Forget(id)
	return s.sessions.DeleteUser(ctx, id)
}

var errRetentionOff = errs.New(errs.Invalid, "error.retention_off")

// Retention reports the rule: learner accounts inactive for this long may
// be anonymised; 0 when it is off.
func (s *Service) Retention() time.Duration { return s.retention }

// InactiveLearners lists, a keyset page at a time, the learners in actor's
// scope that the retention rule covers.
func (s *Service) InactiveLearners(ctx context.Context, actor Principal, cursor string, limit int) ([]UserListing, string, error) {
	if err := requireRole(actor, staff...); err != nil {
		return nil, "", err
	}
	if s.retention <= 0 {
		return nil, "", errRetentionOff
	}
	after, err := decodeCursor('r', cursor)
	if err != nil {
		return nil, "", err
	}
	n := pageSize(limit)
	rows, err := s.db.InactiveUsers(ctx, store.InactiveQuery{Scope: visibleScope(actor),
		Before: s.now().Add(-s.retention), AfterID: after, Limit: n + 1})
	if err != nil {
		return nil, "", err
	}
	out, next := listingPage(rows, n, 'r')
	return out, next, nil
}

// MaxAnonymiseBatch bounds one retention run, so one transaction stays short.
const MaxAnonymiseBatch = 500

// AnonymiseInactive applies the retention rule to the accounts named, each
// checked again: only learners in actor's scope that are still inactive
// are anonymised (one sign-in since the list was shown saves an account).
// It returns how many were.
func (s *Service) AnonymiseInactive(ctx context.Context, actor Principal, ids []int64, ip string) (int, error) {
	if err := requireRole(actor, staff...); err != nil {
		return 0, err
	}
	if s.retention <= 0 {
		return 0, errRetentionOff
	}
	if len(ids) == 0 || len(ids) > MaxAnonymiseBatch {
		return 0, errs.New(errs.Invalid, "error.anonymise_batch").With("max", MaxAnonymiseBatch).With("field", "ids")
	}
	before := s.now().Add(-s.retention)
	// One query re-checks every chosen id against the rule and the scope.
	rows, err := s.db.InactiveUsers(ctx, store.InactiveQuery{Scope: visibleScope(actor), Before: before, IDs: ids, Limit: len(ids)})
	if err != nil {
		return 0, err
	}
	due := make([]int64, len(rows))
	place := make(map[int64]Principal, len(rows))
	for i, r := range rows {
		due[i] = r.ID
		tp := Principal{UserID: r.ID, Role: r.Role, RegionCode: r.Region}
		if r.InstitutionID != nil {
			tp.InstitutionID = *r.InstitutionID
		}
		place[r.ID] = tp
	}
	n, err := s.db.AnonymiseUsers(ctx, due, func(id int64) *store.AuditEntry {
		return auditEntry(actor, "user.retention_anonymise", place[id], ip, "inactive since before "+before.UTC().Format(time.DateOnly)+
			", rule "+strconv.Itoa(int(s.retention/(24*time.Hour)))+" days")
	})
	if err != nil {
		return 0, err
	}
	for _, id := range due {
		if err := s.ended(ctx, id); err != nil {
			return n, err
		}
	}
	return n, nil
}
