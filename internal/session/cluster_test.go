package session_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/xuetang-edu/xuetang/internal/redistest"
	"github.com/xuetang-edu/xuetang/internal/session"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// One cluster serves every test of the package (each under its own key
// prefix): starting one takes a second or two, and the conformance suite
// runs a dozen tests against it.
var cluster struct {
	once sync.Once
	c    *redistest.Cluster
	dir  string
	err  error
}

// sharedCluster starts the package's cluster on first use; nil when
// redis-server is not installed.
func sharedCluster(t *testing.T) *redistest.Cluster {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil
	}
	cluster.once.Do(func() {
		cluster.dir, cluster.err = os.MkdirTemp("", "xuetang-redis-cluster-")
		if cluster.err == nil {
			cluster.c, cluster.err = redistest.StartCluster(cluster.dir, 3)
		}
	})
	if cluster.err != nil {
		t.Fatalf("redis cluster: %v", cluster.err)
	}
	return cluster.c
}

func TestMain(m *testing.M) {
	code := m.Run()
	if cluster.c != nil {
		cluster.c.Close()
	}
	if cluster.dir != "" {
		os.RemoveAll(cluster.dir)
	}
	os.Exit(code)
}

// The slot the batched reads compute for each key is the one the cluster
// computes, hash tags included, edge cases and all.
func TestKeySlotMatchesCluster(t *testing.T) {
	redistest.Skip(t)
	t.Parallel()
	c := sharedCluster(t)
	rdb := redis.NewClient(&redis.Options{Addr: c.Addrs[0]})
	defer rdb.Close()
	keys := []string{"", "a", "foo", "123456789", "{user1000}.following", "{}", "{}x", "a{", "a}", "}{", "{a",
		"x{}{b}", "{{a}}", "a{b}c{d}", "xt:sess:{AbC_}:f00d", "用户{张伟}", "\xff\x00{\x80}"}
	for i := 0; i < 200; i++ {
		keys = append(keys, session.RedisSessionKey(randomPrefix(), session.NewToken()), fmt.Sprintf("xt:thr:login:%d", i))
	}
	for _, k := range keys {
		want, err := rdb.ClusterKeySlot(context.Background(), k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if got := session.KeySlot(k); int64(got) != want {
			t.Errorf("slot of %q = %d, the cluster says %d", k, got, want)
		}
	}
}

// Every key of a user (the set of sessions and each session) is in one
// slot, so the transactions that write them together are not split, and
// users spread over the cluster rather than sharing one slot.
func TestUserKeysShareASlot(t *testing.T) {
	redistest.Skip(t)
	t.Parallel()
	c := sharedCluster(t)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs})
	defer rdb.Close()
	prefix := randomPrefix()
	s := session.NewRedis(rdb, prefix, storetest.NewClock().Now)
	ctx := context.Background()
	slots := map[int]bool{}
	for uid := int64(1); uid <= 20; uid++ {
		userSlot := session.KeySlot(session.RedisUserKey(prefix, uid))
		slots[userSlot] = true
		for i := 0; i < 3; i++ {
			token, _, err := s.Create(ctx, uid, opts)
			if err != nil {
				t.Fatal(err)
			}
			key := session.RedisSessionKey(prefix, token)
			if n, err := rdb.Exists(ctx, key).Result(); err != nil || n != 1 {
				t.Fatalf("session key %q: EXISTS %d, %v", key, n, err)
			}
			if got := session.KeySlot(key); got != userSlot {
				t.Errorf("user %d: session in slot %d, the user's set in %d", uid, got, userSlot)
			}
		}
		if n, err := rdb.SCard(ctx, session.RedisUserKey(prefix, uid)).Result(); err != nil || n != 3 {
			t.Errorf("user %d: set of %d sessions, %v; want 3", uid, n, err)
		}
	}
	if len(slots) < 15 {
		t.Errorf("20 users in only %d slots", len(slots))
	}
}

// A seed list whose first node is down still reaches the cluster through
// the others, as a deployment does when one node is being replaced.
func TestClusterWithAnUnreachableSeed(t *testing.T) {
	redistest.Skip(t)
	t.Parallel()
	c := sharedCluster(t)
	dead, err := redistest.DeadAddr()
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: append([]string{dead}, c.Addrs[1:]...), DialTimeout: time.Second})
	defer rdb.Close()
	s := session.NewRedis(rdb, randomPrefix(), nil)
	ctx := context.Background()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	token, _, err := s.Create(ctx, 42, opts)
	if err != nil {
		t.Fatal(err)
	}
	if sess := mustGet(t, s, token); sess.UserID != 42 {
		t.Errorf("read back user %d", sess.UserID)
	}
}
