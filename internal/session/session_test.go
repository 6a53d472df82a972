package session_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/session"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// backend is one session store under test. SQL stores run on SQLite always
// and on MySQL when XUETANG_TEST_MYSQL_URL is set; Redis runs when
// XUETANG_TEST_REDIS_URL is set, and a three-primary Redis Cluster of the
// test's own whenever redis-server is installed.
type backend struct {
	name string
	// fakeTime is false when expiry is enforced by the server's own clock
	// (Redis TTLs on throttle counters), so tests must really wait.
	fakeTime bool
	open     func(t *testing.T, clk *storetest.Clock) (session.Store, session.Throttle, func() int64)
}

func backends(t *testing.T) []backend {
	var out []backend
	for _, b := range storetest.Backends(t) {
		out = append(out, backend{name: "sql-" + b.Name, fakeTime: true,
			open: func(t *testing.T, clk *storetest.Clock) (session.Store, session.Throttle, func() int64) {
				st := b.Open(t, clk.Now)
				n := 0
				newUser := func() int64 {
					n++
					u := &store.User{Username: fmt.Sprintf("user%d", n), DisplayName: "用户", PasswordHash: "x",
						Role: "learner", Locale: "zh-CN", CreatedAt: clk.Now(), UpdatedAt: clk.Now()}
					if err := st.CreateUser(context.Background(), u); err != nil {
						t.Fatal(err)
					}
					return u.ID
				}
				return session.NewSQL(st, clk.Now), session.NewSQLThrottle(st), newUser
			}})
	}
	if os.Getenv("XUETANG_TEST_REDIS_URL") != "" {
		out = append(out, backend{name: "redis",
			open: func(t *testing.T, clk *storetest.Clock) (session.Store, session.Throttle, func() int64) {
				rdb, prefix := testRedis(t)
				n := int64(1000)
				return session.NewRedis(rdb, prefix, clk.Now), session.NewRedisThrottle(rdb, prefix), func() int64 { n++; return n }
			}})
	}
	if c := sharedCluster(t); c != nil {
		out = append(out, backend{name: "redis-cluster",
			open: func(t *testing.T, clk *storetest.Clock) (session.Store, session.Throttle, func() int64) {
				rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs})
				t.Cleanup(func() { rdb.Close() })
				prefix := randomPrefix()
				n := int64(1000)
				return session.NewRedis(rdb, prefix, clk.Now), session.NewRedisThrottle(rdb, prefix), func() int64 { n++; return n }
			}})
	}
	return out
}

func randomPrefix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "xttest:" + hex.EncodeToString(b[:]) + ":"
}

// testRedis connects to XUETANG_TEST_REDIS_URL and returns a random key
// prefix; every key under it is deleted when the test ends.
func testRedis(t *testing.T) (*redis.Client, string) {
	t.Helper()
	opt, err := redis.ParseURL(os.Getenv("XUETANG_TEST_REDIS_URL"))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	prefix := randomPrefix()
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := rdb.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
		rdb.Close()
	})
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis: %v", err)
	}
	return rdb, prefix
}

func run(t *testing.T, f func(t *testing.T, b backend)) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { f(t, b) })
	}
}

var opts = session.Options{Idle: 30 * time.Minute, MaxAge: 24 * time.Hour}

func mustGet(t *testing.T, s session.Store, token string) session.Session {
	t.Helper()
	sess, err := s.Get(context.Background(), token)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return sess
}

func mustBeGone(t *testing.T, s session.Store, token, why string) {
	t.Helper()
	_, err := s.Get(context.Background(), token)
	if !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("%s: Get = %v, want not found", why, err)
	}
}

func TestCreateAndGet(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		clk := storetest.NewClock()
		s, _, newUser := b.open(t, clk)
		uid := newUser()
		token, created, err := s.Create(ctx, uid, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(token) != 43 || created.ID != session.HashToken(token) || created.ID == token {
			t.Errorf("token %q, id %q: the stored id must be the token's hash", token, created.ID)
		}
		got := mustGet(t, s, token)
		if got.UserID != uid || got.CSRFToken == "" || got.CSRFToken != created.CSRFToken || got.Shared || got.Idle != opts.Idle {
			t.Errorf("got %+v, created %+v", got, created)
		}
		if !got.ExpiresAt.Equal(clk.Now().Add(opts.MaxAge)) || !got.CreatedAt.Equal(clk.Now()) {
			t.Errorf("created %v expires %v, clock %v", got.CreatedAt, got.ExpiresAt, clk.Now())
		}
		token2, other, err := s.Create(ctx, uid, session.Options{Idle: 10 * time.Minute, MaxAge: 8 * time.Hour, Shared: true})
		if err != nil {
			t.Fatal(err)
		}
		if token2 == token || other.CSRFToken == created.CSRFToken {
			t.Error("two sessions share a token or CSRF token")
		}
		if g := mustGet(t, s, token2); !g.Shared || g.Idle != 10*time.Minute {
			t.Errorf("shared session read back as %+v", g)
		}
		if err := s.Ping(ctx); err != nil {
			t.Errorf("Ping: %v", err)
		}
	})
}

// Many requests reading sessions at once (Redis batches them into one
// round trip) each get their own session, and unknown tokens stay unknown.
func TestConcurrentGets(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		clk := storetest.NewClock()
		s, _, newUser := b.open(t, clk)
		const n = 40
		tokens := make([]string, n)
		users := make([]int64, n)
		for i := range tokens {
			users[i] = newUser()
			var err error
			if tokens[i], _, err = s.Create(context.Background(), users[i], opts); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		for round := 0; round < 3; round++ {
			for i := range tokens {
				wg.Add(2)
				go func() {
					defer wg.Done()
					sess, err := s.Get(context.Background(), tokens[i])
					if err != nil || sess.UserID != users[i] {
						t.Errorf("session %d: user %d, %v; want user %d", i, sess.UserID, err, users[i])
					}
				}()
				go func() {
					defer wg.Done()
					if _, err := s.Get(context.Background(), session.NewToken()); !errors.Is(err, errs.ErrNotFound) {
						t.Errorf("unknown token: %v, want not found", err)
					}
				}()
			}
		}
		wg.Wait()
	})
}

func TestUnknownTokens(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		s, _, newUser := b.open(t, storetest.NewClock())
		token, sess, err := s.Create(context.Background(), newUser(), opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"", "short", session.NewToken(), token[:42], token + "x", sess.ID} {
			mustBeGone(t, s, bad, fmt.Sprintf("token %q", bad))
		}
	})
}

func TestIdleTimeout(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		clk := storetest.NewClock()
		s, _, newUser := b.open(t, clk)
		token, _, err := s.Create(context.Background(), newUser(), opts)
		if err != nil {
			t.Fatal(err)
		}
		// Activity keeps the session alive well past one idle period.
		for i := 0; i < 3; i++ {
			clk.Add(29 * time.Minute)
			mustGet(t, s, token)
		}
		clk.Add(30 * time.Minute)
		mustBeGone(t, s, token, "after 30 idle minutes")
		// It is deleted, not just hidden: turning the clock back does not revive it.
		clk.Add(-20 * time.Minute)
		mustBeGone(t, s, token, "expired session read again earlier")
	})
}

// Sessions idle for at most two touch intervals are refreshed on every
// request, or a shared-computer session would lapse while in use.
func TestShortIdleIsRefreshedEveryRequest(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		clk := storetest.NewClock()
		s, _, newUser := b.open(t, clk)
		token, _, err := s.Create(context.Background(), newUser(), session.Options{Idle: 2 * time.Minute, MaxAge: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			clk.Add(90 * time.Second)
			mustGet(t, s, token)
		}
		clk.Add(2 * time.Minute)
		mustBeGone(t, s, token, "after 2 idle minutes")
	})
}

func TestAbsoluteLifetime(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		clk := storetest.NewClock()
		s, _, newUser := b.open(t, clk)
		token, _, err := s.Create(context.Background(), newUser(), session.Options{Idle: 30 * time.Minute, MaxAge: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range []time.Duration{20 * time.Minute, 20 * time.Minute, 19 * time.Minute} {
			clk.Add(step)
			mustGet(t, s, token)
		}
		clk.Add(time.Minute)
		mustBeGone(t, s, token, "at the absolute lifetime, however active")
	})
}

func TestLogoutDeletesServerSide(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s, _, newUser := b.open(t, storetest.NewClock())
		uid := newUser()
		token, _, _ := s.Create(ctx, uid, opts)
		other, _, _ := s.Create(ctx, uid, opts)
		if err := s.Delete(ctx, token); err != nil {
			t.Fatal(err)
		}
		// A copied cookie replayed after sign-out is worthless.
		mustBeGone(t, s, token, "after logout")
		mustBeGone(t, s, token, "replayed after logout")
		mustGet(t, s, other)
		if err := s.Delete(ctx, token); err != nil {
			t.Errorf("deleting twice: %v", err)
		}
		if err := s.Delete(ctx, "not-a-token"); err != nil {
			t.Errorf("deleting garbage: %v", err)
		}
	})
}

func TestRevokeAll(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s, _, newUser := b.open(t, storetest.NewClock())
		victim, bystander := newUser(), newUser()
		var tokens []string
		for i := 0; i < 3; i++ {
			tok, _, err := s.Create(ctx, victim, opts)
			if err != nil {
				t.Fatal(err)
			}
			tokens = append(tokens, tok)
		}
		keep, _, _ := s.Create(ctx, bystander, opts)
		if err := s.DeleteUser(ctx, victim); err != nil {
			t.Fatal(err)
		}
		for i, tok := range tokens {
			mustBeGone(t, s, tok, fmt.Sprintf("victim session %d after revoke-all", i))
		}
		mustGet(t, s, keep)
		fresh, _, err := s.Create(ctx, victim, opts)
		if err != nil {
			t.Fatal(err)
		}
		mustGet(t, s, fresh)
		if err := s.DeleteUser(ctx, 987654); err != nil {
			t.Errorf("revoking a user with no sessions: %v", err)
		}
	})
}

// A request that read the session just before sign-out must not write it
// back afterwards: sign-out has to stick even under concurrent requests.
func TestLogoutIsNotUndoneByAConcurrentRequest(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s, _, newUser := b.open(t, storetest.NewClock())
		uid := newUser()
		// Idle of one minute makes every Get write the session back.
		o := session.Options{Idle: time.Minute, MaxAge: time.Hour}
		rounds := 30
		if b.fakeTime {
			rounds = 8 // SQL stores never wrote back; keep them quick
		}
		for i := 0; i < rounds; i++ {
			token, _, err := s.Create(ctx, uid, o)
			if err != nil {
				t.Fatal(err)
			}
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for g := 0; g < 4; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
							_, _ = s.Get(ctx, token)
						}
					}
				}()
			}
			time.Sleep(2 * time.Millisecond)
			var err2 error
			if i%2 == 0 {
				err2 = s.Delete(ctx, token)
			} else {
				err2 = s.DeleteUser(ctx, uid)
			}
			if err2 != nil {
				t.Fatal(err2)
			}
			time.Sleep(2 * time.Millisecond)
			close(stop)
			wg.Wait()
			mustBeGone(t, s, token, fmt.Sprintf("round %d: session written back after sign-out", i))
		}
	})
}

func TestThrottleCounts(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		_, th, _ := b.open(t, storetest.NewClock())
		for want := 1; want <= 3; want++ {
			got, err := th.Hit(ctx, "login:u:zhangwei", time.Hour)
			if err != nil || got != want {
				t.Fatalf("hit %d: got %d, %v", want, got, err)
			}
		}
		if n, err := th.Count(ctx, "login:u:zhangwei"); err != nil || n != 3 {
			t.Errorf("Count = %d, %v; want 3", n, err)
		}
		if n, err := th.Count(ctx, "login:u:lina"); err != nil || n != 0 {
			t.Errorf("untouched key Count = %d, %v; want 0", n, err)
		}
		if n, _ := th.Hit(ctx, "login:ip:203.0.113.9", time.Hour); n != 1 {
			t.Errorf("keys are not independent: %d", n)
		}
		if err := th.Reset(ctx, "login:u:zhangwei"); err != nil {
			t.Fatal(err)
		}
		if n, err := th.Count(ctx, "login:u:zhangwei"); err != nil || n != 0 {
			t.Errorf("after Reset Count = %d, %v", n, err)
		}
		if n, _ := th.Hit(ctx, "login:u:zhangwei", time.Hour); n != 1 {
			t.Errorf("first hit after Reset = %d, want 1", n)
		}
		if err := th.Reset(ctx, "never-used"); err != nil {
			t.Errorf("Reset of an unknown key: %v", err)
		}
	})
}

func TestThrottleWindowResets(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		clk := storetest.NewClock()
		_, th, _ := b.open(t, clk)
		window := 15 * time.Minute
		wait := func(d time.Duration) { clk.Add(d) }
		if !b.fakeTime {
			// Redis expires keys on its own clock; one second is the
			// smallest window it keeps exactly.
			window = time.Second
			wait = func(d time.Duration) { time.Sleep(d + 100*time.Millisecond) }
		}
		for i := 0; i < 3; i++ {
			if _, err := th.Hit(ctx, "k", window); err != nil {
				t.Fatal(err)
			}
		}
		// Hits inside the window do not extend it: a slow, steady guesser
		// is still cut off at the limit within one window.
		if b.fakeTime {
			wait(window / 2)
			if n, _ := th.Hit(ctx, "k", window); n != 4 {
				t.Errorf("hit inside the window = %d, want 4", n)
			}
			wait(window / 2)
		} else {
			wait(window)
		}
		if n, err := th.Count(ctx, "k"); err != nil || n != 0 {
			t.Errorf("Count after the window = %d, %v; want 0", n, err)
		}
		if n, err := th.Hit(ctx, "k", window); err != nil || n != 1 {
			t.Errorf("first hit of a new window = %d, %v; want 1", n, err)
		}
		if n, _ := th.Hit(ctx, "k", window); n != 2 {
			t.Errorf("second hit of the new window = %d, want 2", n)
		}
	})
}
