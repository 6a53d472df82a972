package session_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/session"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// The server sweeps the SQL store every few minutes (cmd/xuetang). Rows are
// checked in the table itself: Get deletes an expired session on its own,
// so reading through the store would hide a sweep that did nothing.
func TestSQLSweep(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clk := storetest.NewClock()
		st := b.Open(t, clk.Now)
		s := session.NewSQL(st, clk.Now)
		u := &store.User{Username: "sweeper", DisplayName: "用户", PasswordHash: "x",
			Role: "learner", Locale: "zh-CN", CreatedAt: clk.Now(), UpdatedAt: clk.Now()}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		create := func(o session.Options) string {
			t.Helper()
			token, _, err := s.Create(ctx, u.ID, o)
			if err != nil {
				t.Fatal(err)
			}
			return token
		}
		const at = 61 * time.Minute // when the sweep runs, after the sessions were made
		day := 24 * time.Hour
		gone := map[string]string{
			create(session.Options{Idle: 10 * time.Hour, MaxAge: time.Hour}): "past its absolute expiry",
			create(session.Options{Idle: 10 * time.Hour, MaxAge: at}):        "at its absolute expiry",
			create(session.Options{Idle: 30 * time.Minute, MaxAge: day}):     "idle for 61 of its 30 minutes",
			create(session.Options{Idle: at, MaxAge: day, Shared: true}):     "idle for exactly its idle timeout",
		}
		kept := map[string]string{
			create(session.Options{Idle: at + time.Minute, MaxAge: day}):         "a minute short of its idle timeout",
			create(session.Options{Idle: 10 * time.Hour, MaxAge: 2 * time.Hour}): "an hour short of its expiry",
		}
		active := create(session.Options{Idle: 30 * time.Minute, MaxAge: day})
		kept[active] = "created past its idle timeout but used since"
		clk.Add(20 * time.Minute)
		mustGet(t, s, active)
		clk.Add(25 * time.Minute)
		mustGet(t, s, active)
		clk.Add(at - 45*time.Minute)

		n, err := s.Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != int64(len(gone)) {
			t.Errorf("Sweep removed %d sessions, want %d", n, len(gone))
		}
		for token, why := range gone {
			if _, err := st.SessionByID(ctx, session.HashToken(token)); !errors.Is(err, errs.ErrNotFound) {
				t.Errorf("session %s: still in the table after the sweep (%v)", why, err)
			}
		}
		for token, why := range kept {
			if _, err := st.SessionByID(ctx, session.HashToken(token)); err != nil {
				t.Errorf("session %s: swept (%v)", why, err)
			}
		}
		if n, err := s.Sweep(ctx); err != nil || n != 0 {
			t.Errorf("second sweep = %d, %v; want nothing left to remove", n, err)
		}
		for token, why := range kept {
			if _, err := s.Get(ctx, token); err != nil {
				t.Errorf("session %s: Get after the sweep: %v", why, err)
			}
		}
	})
}

// The Redis store has no sweep: each session key carries a TTL, the sooner
// of its idle timeout and absolute expiry, renewed when the session is used,
// and the per-user set lives as long as the longest session could, so Redis
// drops both by itself.
func TestRedisKeysExpireByThemselves(t *testing.T) {
	t.Parallel()
	if os.Getenv("XUETANG_TEST_REDIS_URL") == "" {
		t.Skip("XUETANG_TEST_REDIS_URL is not set")
	}
	ctx := context.Background()
	rdb, prefix := testRedis(t)
	clk := storetest.NewClock()
	s := session.NewRedis(rdb, prefix, clk.Now)
	ttl := func(key string) time.Duration {
		t.Helper()
		d, err := rdb.PTTL(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	near := func(what string, got, want time.Duration) {
		t.Helper()
		// The fake clock stands still, so only the time the calls take is lost.
		if got > want || got < want-5*time.Second {
			t.Errorf("%s: TTL %v, want %v", what, got, want)
		}
	}
	userKey := session.RedisUserKey(prefix, 7)
	create := func(uid int64, o session.Options) string {
		t.Helper()
		token, _, err := s.Create(ctx, uid, o)
		if err != nil {
			t.Fatal(err)
		}
		return token
	}

	idle := create(7, session.Options{Idle: 30 * time.Minute, MaxAge: 24 * time.Hour})
	short := create(7, session.Options{Idle: 10 * time.Hour, MaxAge: time.Hour})
	near("session bounded by its idle timeout", ttl(session.RedisSessionKey(prefix, idle)), 30*time.Minute)
	near("session bounded by its absolute expiry", ttl(session.RedisSessionKey(prefix, short)), time.Hour)
	near("user's set of sessions", ttl(userKey), 24*time.Hour)

	clk.Add(20 * time.Minute)
	mustGet(t, s, idle)
	near("session used 20 minutes later", ttl(session.RedisSessionKey(prefix, idle)), 30*time.Minute)
	mustGet(t, s, short)
	near("session used 20 minutes later, 40 left", ttl(session.RedisSessionKey(prefix, short)), 40*time.Minute)

	// And Redis really drops them: a session of a second, and its user's set.
	brief := create(8, session.Options{Idle: 500 * time.Millisecond, MaxAge: time.Second})
	keys := []string{session.RedisSessionKey(prefix, brief), session.RedisUserKey(prefix, 8)}
	if n, err := rdb.Exists(ctx, keys...).Result(); err != nil || n != 2 {
		t.Fatalf("EXISTS of a new session and its set = %d, %v; want 2", n, err)
	}
	time.Sleep(1100 * time.Millisecond)
	if n, err := rdb.Exists(ctx, keys...).Result(); err != nil || n != 0 {
		t.Errorf("EXISTS of a session and its set a second after their expiry = %d, %v; want 0", n, err)
	}
}
