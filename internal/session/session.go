// Package session keeps signed-in sessions server-side, in Redis for
// production or in the SQL database for the embedded default. Both stores
// implement Store and pass the same test suite.
package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"

	"github.com/xuetang-edu/xuetang/internal/errs"
)

// Session is what the web layer learns about a signed-in browser.
type Session struct {
	ID        string // SHA-256 of the cookie token, hex; never sent to the browser
	UserID    int64
	CSRFToken string
	Shared    bool // signed in on a shared computer: short idle timeout
	Idle      time.Duration
	CreatedAt time.Time
	LastSeen  time.Time
	ExpiresAt time.Time // absolute end
}

// Options for a new session.
type Options struct {
	Idle   time.Duration
	MaxAge time.Duration
	Shared bool
}

// Store holds sessions. Get returns errs.ErrNotFound for unknown or expired
// tokens and refreshes the idle timer.
type Store interface {
	Create(ctx context.Context, userID int64, o Options) (token string, s Session, err error)
	Get(ctx context.Context, token string) (Session, error)
	Delete(ctx context.Context, token string) error
	DeleteUser(ctx context.Context, userID int64) error
	Ping(ctx context.Context) error
}

// Throttle counts events in fixed windows, shared by every app instance.
// A window starts at a key's first hit and is not extended by later ones.
type Throttle interface {
	Hit(ctx context.Context, key string, window time.Duration) (int, error)
	Count(ctx context.Context, key string) (int, error)
	Reset(ctx context.Context, key string) error
	// HitWindow is Hit that also returns how long until the window lapses.
	// A count of 1 means this call opened the window, which makes a key a
	// lock that only one of several racing callers takes.
	HitWindow(ctx context.Context, key string, window time.Duration) (int, time.Duration, error)
	// Peek is Count that also returns how long until the window lapses
	// (0 and 0 for an unknown or lapsed key).
	Peek(ctx context.Context, key string) (int, time.Duration, error)
}

// touchEvery limits idle-timer writes: a session seen a few seconds ago does
// not need another write on every request.
const touchEvery = time.Minute

// NewToken returns a random 256-bit URL-safe token.
func NewToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // the OS random source does not fail on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// HashToken derives the stored id from a cookie token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func expired(s Session, now time.Time) bool {
	return !now.Before(s.ExpiresAt) || !now.Before(s.LastSeen.Add(s.Idle))
}

func validToken(t string) bool { return len(t) == 43 }

var errNoSession = errs.New(errs.NotFound, "error.session_not_found")
