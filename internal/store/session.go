package store

import (
	"context"
	"time"
)

// SessionRow is a signed-in browser. ID is the SHA-256 of the cookie token,
// so a copy of the table does not let anyone sign in.
type SessionRow struct {
	ID          string `gorm:"primaryKey;size:64"`
	UserID      int64
	CSRFToken   string `gorm:"column:csrf_token;size:43"`
	Shared      bool
	IdleSeconds int
	CreatedAt   time.Time
	LastSeenAt  time.Time
	ExpiresAt   time.Time
}

func (SessionRow) TableName() string { return "sessions" }

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, row *SessionRow) error {
	return classify(s.w.WithContext(ctx).Create(row).Error)
}

// SessionByID finds a session by its hashed id.
func (s *Store) SessionByID(ctx context.Context, id string) (*SessionRow, error) {
	var row SessionRow
	if err := s.r.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, classify(err)
	}
	return &row, nil
}

// TouchSession records activity for the idle timeout.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	return classify(s.w.WithContext(ctx).Model(&SessionRow{}).Where("id = ?", id).
		Update("last_seen_at", at).Error)
}

// DeleteSession removes one session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	return classify(s.w.WithContext(ctx).Where("id = ?", id).Delete(&SessionRow{}).Error)
}

// DeleteUserSessions removes every session of a user.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64) error {
	return classify(s.w.WithContext(ctx).Where("user_id = ?", userID).Delete(&SessionRow{}).Error)
}

// DeleteExpiredSessions removes sessions past their absolute expiry or idle
// timeout. Idle timeouts are per session but take few values (shared
// computers get a shorter one), so the idle part is one delete per value:
// a column compared with a parameter, the same in every dialect, instead of
// date arithmetic that each dialect spells differently.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res := s.w.WithContext(ctx).Where("expires_at <= ?", now).Delete(&SessionRow{})
	if res.Error != nil {
		return 0, classify(res.Error)
	}
	n := res.RowsAffected
	var idles []int
	if err := s.w.WithContext(ctx).Model(&SessionRow{}).Distinct().Pluck("idle_seconds", &idles).Error; err != nil {
		return n, classify(err)
	}
	for _, idle := range idles {
		res := s.w.WithContext(ctx).Where("idle_seconds = ? AND last_seen_at <= ?", idle,
			now.Add(-time.Duration(idle)*time.Second)).Delete(&SessionRow{})
		if res.Error != nil {
			return n, classify(res.Error)
		}
		n += res.RowsAffected
	}
	return n, nil
}
