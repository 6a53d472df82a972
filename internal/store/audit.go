package store

import (
	"context"
	"time"
)

// AuditEntry records who did what, for administrators and incident review.
type AuditEntry struct {
	ID      int64
	At      time.Time
	ActorID *int64
	Action  string `gorm:"size:64"`
	Target  string `gorm:"size:128"`
	Detail  string
	IP      string `gorm:"column:ip;size:45"`
}

func (AuditEntry) TableName() string { return "audit_log" }

// Audit appends an entry.
func (s *Store) Audit(ctx context.Context, e *AuditEntry) error {
	if e.At.IsZero() {
		e.At = s.now()
	}
	return classify(s.w.WithContext(ctx).Create(e).Error)
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
