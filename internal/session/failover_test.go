package session_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/redistest"
	"github.com/xuetang-edu/xuetang/internal/session"
)

var errUnavailable = &errs.Error{Code: errs.Unavailable}

// A Sentinel group loses its primary to kill -9. Until the sentinels have
// promoted the replica the store answers "unavailable" (which the web
// layer turns into 503, /readyz included); then it carries on against the
// new primary, and every session and counter acknowledged by a replica
// (WAIT 1) before the crash is still there.
func TestSentinelFailover(t *testing.T) {
	redistest.Skip(t)
	t.Parallel()
	// Failing over 3 s after the sentinels' last ping (up to a second
	// before the kill) leaves the checks below, each of which the client
	// retries for up to a second or so, inside the outage.
	g, err := redistest.StartSentinel(t.TempDir(), "xt-main", 3, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	// One connection, so WAIT below runs on the connection that wrote and
	// waits for those writes.
	rdb := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: g.Master, SentinelAddrs: g.Addrs, Protocol: 2,
		PoolSize: 1, DialTimeout: 500 * time.Millisecond, ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	s := session.NewRedis(rdb, randomPrefix(), nil)
	th := session.NewRedisThrottle(rdb, randomPrefix())
	ctx := context.Background()

	type written struct {
		token string
		uid   int64
	}
	var before []written
	for i := 0; i < 60; i++ {
		uid := int64(100 + i%12)
		token, _, err := s.Create(ctx, uid, opts)
		if err != nil {
			t.Fatal(err)
		}
		before = append(before, written{token, uid})
	}
	for i := 0; i < 4; i++ {
		if _, err := th.Hit(ctx, "login:u:zhangwei", time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := rdb.Do(ctx, "WAIT", 1, 5000).Int(); err != nil || n != 1 {
		t.Fatalf("WAIT 1 = %d, %v: the replica did not acknowledge the writes", n, err)
	}

	g.Primary.Kill()
	killed := time.Now()
	if _, err := s.Get(ctx, before[0].token); !errors.Is(err, errUnavailable) {
		t.Errorf("Get with the primary down = %v, want unavailable", err)
	}
	if err := s.Ping(ctx); !errors.Is(err, errUnavailable) {
		t.Errorf("Ping with the primary down = %v, want unavailable (/readyz answers 503)", err)
	}
	// Nothing else is unavailable: an unknown token while Redis is down is
	// not "signed out" but "cannot tell".
	if _, err := s.Get(ctx, session.NewToken()); errors.Is(err, errs.ErrNotFound) {
		t.Error("Get of an unknown token with the primary down = not found, want unavailable")
	}

	deadline := killed.Add(30 * time.Second)
	for {
		_, err := s.Get(ctx, before[0].token)
		if err == nil {
			break
		}
		if !errors.Is(err, errUnavailable) {
			t.Fatalf("Get during the failover = %v, want unavailable until it is over", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no failover 30 s after the primary died: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("the store answered again %v after the primary was killed", time.Since(killed).Round(10*time.Millisecond))

	sc := redis.NewSentinelClient(&redis.Options{Addr: g.Addrs[0]})
	defer sc.Close()
	addr, err := sc.GetMasterAddrByName(ctx, g.Master).Result()
	if err != nil || len(addr) != 2 || addr[0]+":"+addr[1] != g.Replica.Addr {
		t.Errorf("primary after the failover %v (%v), want the old replica %s", addr, err, g.Replica.Addr)
	}
	for i, w := range before {
		sess, err := s.Get(ctx, w.token)
		if err != nil || sess.UserID != w.uid {
			t.Errorf("session %d after the failover: user %d, %v; want user %d", i, sess.UserID, err, w.uid)
		}
	}
	if n, err := th.Count(ctx, "login:u:zhangwei"); err != nil || n != 4 {
		t.Errorf("sign-in counter after the failover = %d, %v; want 4", n, err)
	}
	// The promoted replica takes writes: new sessions, revocation.
	token, _, err := s.Create(ctx, 100, opts)
	if err != nil {
		t.Fatalf("Create on the new primary: %v", err)
	}
	mustGet(t, s, token)
	if err := s.DeleteUser(ctx, 100); err != nil {
		t.Fatal(err)
	}
	for i, w := range append(before, written{token, 100}) {
		if w.uid == 100 {
			mustBeGone(t, s, w.token, fmt.Sprintf("session %d of the revoked user", i))
		}
	}
}
