package store

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Outcomes of an audited action.
const (
	OutcomeOK     = "ok"
	OutcomeDenied = "denied"
)

// AuditEntry records who did what, for administrators and incident review.
// The actor's and target's institution and region are copied in when the
// entry is written, so scoped readers find it even after people move.
type AuditEntry struct {
	ID                  int64
	At                  time.Time
	ActorID             *int64
	Action              string `gorm:"size:64"`
	Target              string `gorm:"size:128"`
	Detail              string
	IP                  string `gorm:"column:ip;size:45"`
	Outcome             string `gorm:"size:16;default:ok"`
	ActorInstitutionID  *int64
	ActorRegionCode     *string `gorm:"size:6"`
	TargetInstitutionID *int64
	TargetRegionCode    *string `gorm:"size:6"`
}

func (AuditEntry) TableName() string { return "audit_log" }

// Audit appends an entry.
func (s *Store) Audit(ctx context.Context, e *AuditEntry) error {
	return classify(s.auditIn(s.w.WithContext(ctx), e, s.now()))
}

// auditIn appends e inside the caller's transaction; nil e writes nothing.
func (s *Store) auditIn(tx *gorm.DB, e *AuditEntry, now time.Time) error {
	if e == nil {
		return nil
	}
	if e.At.IsZero() {
		e.At = now
	}
	if e.Outcome == "" {
		e.Outcome = OutcomeOK
	}
	return tx.Create(e).Error
}

// AuditEntries lists the newest entries for an action ("" for all).
func (s *Store) AuditEntries(ctx context.Context, action string, limit int) ([]AuditEntry, error) {
	var out []AuditEntry
	q := s.r.WithContext(ctx).Order("id DESC").Limit(limit)
	if action != "" {
		q = q.Where("action = ?", action)
	}
	return out, classify(q.Find(&out).Error)
}

// AuditScope is which entries a reader may see: those whose actor or
// target stood in the scope when written. The zero value sees nothing.
type AuditScope struct {
	All           bool
	RegionPrefix  string
	InstitutionID int64
}

// AuditQuery selects a page of entries, newest first.
type AuditQuery struct {
	Scope    AuditScope
	ActorID  int64  // 0: any
	Target   string // "": any
	From, To time.Time
	BeforeID int64 // 0: from the newest
	Limit    int
}

// AuditListing is an entry with its actor's username.
type AuditListing struct {
	AuditEntry
	ActorUsername string
}

// ListAudit returns a keyset page of entries by descending id.
func (s *Store) ListAudit(ctx context.Context, q AuditQuery) ([]AuditListing, error) {
	sc := q.Scope
	db := s.r.WithContext(ctx).Table("audit_log AS a").
		Select("a.*, COALESCE(u.username, '') AS actor_username").
		Joins("LEFT JOIN users u ON u.id = a.actor_id")
	switch {
	case sc.All:
	case sc.RegionPrefix != "":
		p := likeEscape(sc.RegionPrefix) + "%"
		db = db.Where("(a.actor_region_code LIKE ? ESCAPE '!' OR a.target_region_code LIKE ? ESCAPE '!')", p, p)
	case sc.InstitutionID != 0:
		db = db.Where("(a.actor_institution_id = ? OR a.target_institution_id = ?)", sc.InstitutionID, sc.InstitutionID)
	default:
		return nil, nil
	}
	if q.BeforeID > 0 {
		db = db.Where("a.id < ?", q.BeforeID)
	}
	if q.ActorID != 0 {
		db = db.Where("a.actor_id = ?", q.ActorID)
	}
	if t := strings.TrimSpace(q.Target); t != "" {
		db = db.Where("a.target = ?", t)
	}
	if !q.From.IsZero() {
		db = db.Where("a.at >= ?", q.From.UTC())
	}
	if !q.To.IsZero() {
		db = db.Where("a.at < ?", q.To.UTC())
	}
	var out []AuditListing
	err := db.Order("a.id DESC").Limit(q.Limit).Scan(&out).Error
	return out, classify(err)
}
