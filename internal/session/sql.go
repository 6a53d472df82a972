package session

import (
	"context"
	"errors"
	"time"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// SQLStore keeps sessions in the application database.
type SQLStore struct {
	db  *store.Store
	now func() time.Time
}

// NewSQL returns a store backed by the application database.
func NewSQL(db *store.Store, now func() time.Time) *SQLStore {
	if now == nil {
		now = time.Now
	}
	return &SQLStore{db: db, now: now}
}

func (s *SQLStore) Create(ctx context.Context, userID int64, o Options) (string, Session, error) {
	now := s.now().UTC()
	token := NewToken()
	row := &store.SessionRow{
		ID: HashToken(token), UserID: userID, CSRFToken: NewToken(), Shared: o.Shared,
		IdleSeconds: int(o.Idle / time.Second), CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(o.MaxAge),
	}
	if err := s.db.CreateSession(ctx, row); err != nil {
		return "", Session{}, err
	}
	return token, fromRow(row), nil
}

func (s *SQLStore) Get(ctx context.Context, token string) (Session, error) {
	if !validToken(token) {
		return Session{}, errNoSession
	}
	row, err := s.db.SessionByID(ctx, HashToken(token))
	if errors.Is(err, errs.ErrNotFound) {
		return Session{}, errNoSession
	}
	if err != nil {
		return Session{}, err
	}
	sess := fromRow(row)
	now := s.now().UTC()
	if expired(sess, now) {
		_ = s.db.DeleteSession(ctx, row.ID)
		return Session{}, errNoSession
	}
	if now.Sub(sess.LastSeen) >= touchEvery || sess.Idle <= 2*touchEvery {
		if err := s.db.TouchSession(ctx, row.ID, now); err != nil {
			return Session{}, err
		}
		sess.LastSeen = now
	}
	return sess, nil
}

func (s *SQLStore) Delete(ctx context.Context, token string) error {
	return s.db.DeleteSession(ctx, HashToken(token))
}

func (s *SQLStore) DeleteUser(ctx context.Context, userID int64) error {
	return s.db.DeleteUserSessions(ctx, userID)
}

func (s *SQLStore) Ping(ctx context.Context) error { return s.db.Ping(ctx) }

// Sweep removes expired rows; the server runs it periodically.
func (s *SQLStore) Sweep(ctx context.Context) (int64, error) {
	return s.db.DeleteExpiredSessions(ctx, s.now().UTC())
}

func fromRow(r *store.SessionRow) Session {
	return Session{
		ID: r.ID, UserID: r.UserID, CSRFToken: r.CSRFToken, Shared: r.Shared,
		Idle: time.Duration(r.IdleSeconds) * time.Second, CreatedAt: r.CreatedAt.UTC(),
		LastSeen: r.LastSeenAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(),
	}
}

// SQLThrottle counts in the application database.
type SQLThrottle struct{ db *store.Store }

// NewSQLThrottle returns a throttle backed by the application database.
func NewSQLThrottle(db *store.Store) *SQLThrottle { return &SQLThrottle{db: db} }

func (t *SQLThrottle) Hit(ctx context.Context, key string, window time.Duration) (int, error) {
	return t.db.HitCounter(ctx, key, window)
}

func (t *SQLThrottle) Count(ctx context.Context, key string) (int, error) {
	return t.db.CounterValue(ctx, key)
}

func (t *SQLThrottle) Reset(ctx context.Context, key string) error {
	return t.db.ResetCounter(ctx, key)
}

func (t *SQLThrottle) HitWindow(ctx context.Context, key string, window time.Duration) (int, time.Duration, error) {
	return t.db.HitCounterWindow(ctx, key, window)
}

func (t *SQLThrottle) Peek(ctx context.Context, key string) (int, time.Duration, error) {
	return t.db.CounterState(ctx, key)
}
