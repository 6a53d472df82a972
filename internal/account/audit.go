package account

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// AuditQuery searches the audit log. Actor and Target are usernames or
// user ids; Target may also be a raw target such as "institution:7".
// From is inclusive, To exclusive; zero times are open.
type AuditQuery struct {
	Actor, Target string
	From, To      time.Time
	Cursor        string
	Limit         int
}

// AuditEntry is an audit log entry as its readers see it; where actor and
// target stood is for scoping the search and is left out.
type AuditEntry struct {
	ID      int64
	At      time.Time
	ActorID *int64 // nil: the system
	// ActorUsername is "" when the actor's account is gone.
	ActorUsername string
	Action        string
	Target        string
	Detail        string
	IP            string
	Outcome       string
}

// auditScope is which entries p may read: admins all; region and
// institution admins those whose actor or target stood in their scope.
func auditScope(p Principal) (store.AuditScope, error) {
	switch p.Role {
	case RoleAdmin:
		return store.AuditScope{All: true}, nil
	case RoleRegionAdmin:
		if p.RegionCode != "" {
			if prefix := RegionPrefix(p.RegionCode); prefix != "" {
				return store.AuditScope{RegionPrefix: prefix}, nil
			}
			return store.AuditScope{All: true}, nil
		}
	case RoleInstitutionAdmin:
		if p.InstitutionID != 0 {
			return store.AuditScope{InstitutionID: p.InstitutionID}, nil
		}
	}
	return store.AuditScope{}, errForbidden
}

// AuditLog returns a page of the entries actor may read, newest first,
// and the cursor of the next page ("" at the end).
func (s *Service) AuditLog(ctx context.Context, actor Principal, q AuditQuery) ([]AuditEntry, string, error) {
	sc, err := auditScope(actor)
	if err != nil {
		return nil, "", err
	}
	before, err := decodeCursor('a', q.Cursor)
	if err != nil {
		return nil, "", err
	}
	sq := store.AuditQuery{Scope: sc, From: q.From, To: q.To, BeforeID: before}
	if a := strings.TrimSpace(q.Actor); a != "" {
		id, err := s.userRef(ctx, a)
		if err != nil || id == 0 {
			return nil, "", err
		}
		sq.ActorID = id
	}
	if t := strings.TrimSpace(q.Target); t != "" {
		if strings.Contains(t, ":") {
			sq.Target = t
		} else {
			id, err := s.userRef(ctx, t)
			if err != nil || id == 0 {
				return nil, "", err
			}
			sq.Target = UserTarget(id)
		}
	}
	limit := pageSize(q.Limit)
	sq.Limit = limit + 1
	rows, err := s.db.ListAudit(ctx, sq)
	if err != nil {
		return nil, "", err
	}
	rows, next := keysetPage(rows, limit, 'a', func(e *store.AuditListing) int64 { return e.ID })
	out := make([]AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = AuditEntry{ID: r.ID, At: r.At, ActorID: r.ActorID, ActorUsername: r.ActorUsername, Action: r.Action,
			Target: r.Target, Detail: r.Detail, IP: r.IP, Outcome: r.Outcome}
	}
	return out, next, nil
}

// userRef resolves a username, else a numeric id, to an id; 0 when it
// names nobody (the search then finds nothing). Usernames come first:
// student numbers are usernames made of digits.
func (s *Service) userRef(ctx context.Context, ref string) (int64, error) {
	u, err := s.db.UserByUsername(ctx, NormalizeUsername(ref))
	if err == nil {
		return u.ID, nil
	}
	if !errors.Is(err, errs.ErrNotFound) {
		return 0, err
	}
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil && id > 0 {
		return id, nil
	}
	return 0, nil
}
