package redistest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Sentinel is a primary, one replica and sentinels watching them under
// the name Master.
type Sentinel struct {
	Master    string
	Primary   *Server
	Replica   *Server
	Sentinels []*Server
	Addrs     []string // the sentinels'
}

// failoverTimeout is short for a test: a stalled failover is retried soon.
const failoverTimeout = 3000 * time.Millisecond

// StartSentinel starts the group in dir with n sentinels, a quorum of a
// majority of them, which fail the primary over once it has been silent
// for downAfter. It returns once the replica is in sync and every
// sentinel knows the replica and the other sentinels, so a failover can
// happen.
func StartSentinel(dir, master string, n int, downAfter time.Duration) (*Sentinel, error) {
	g := &Sentinel{Master: master}
	var err error
	g.Primary, err = start(dir, "primary", func(port, _ int) []string {
		// Redis waits 5 s for more replicas before a diskless full sync;
		// there is one, and the test waits for it.
		return append(common(port), "--dir", dir, "--repl-diskless-sync-delay", "0")
	})
	if err != nil {
		return nil, err
	}
	host, port, _ := strings.Cut(g.Primary.Addr, ":")
	g.Replica, err = start(dir, "replica", func(p, _ int) []string {
		return append(common(p), "--dir", dir, "--replicaof", host, port)
	})
	if err != nil {
		g.Close()
		return nil, err
	}
	// A sentinel learns of replicas from the primary's INFO, which it reads
	// at once and then every ten seconds: the replica must be attached first.
	err = until(10*time.Second, func() error {
		if st, err := info(g.Replica.Addr, "replication", "master_link_status"); err != nil || st != "up" {
			return fmt.Errorf("replica link %q, %v", st, err)
		}
		return nil
	})
	if err != nil {
		g.Close()
		return nil, err
	}
	quorum := n/2 + 1
	for i := 0; i < n; i++ {
		sdir := filepath.Join(dir, fmt.Sprintf("sentinel%d", i))
		if err := os.MkdirAll(sdir, 0o755); err != nil {
			g.Close()
			return nil, err
		}
		s, err := start(sdir, "sentinel", func(p, _ int) []string {
			// Sentinel rewrites its configuration file as it learns, so
			// each gets its own, written afresh for every port tried.
			conf := filepath.Join(sdir, "sentinel.conf")
			_ = os.WriteFile(conf, []byte(fmt.Sprintf(
				"port %d\nbind 127.0.0.1\ndir %s\n"+
					"sentinel monitor %s %s %s %d\n"+
					"sentinel down-after-milliseconds %s %d\n"+
					"sentinel failover-timeout %s %d\n",
				p, sdir, master, host, port, quorum,
				master, downAfter.Milliseconds(), master, failoverTimeout.Milliseconds())), 0o644)
			return []string{conf, "--sentinel"}
		})
		if err != nil {
			g.Close()
			return nil, err
		}
		g.Sentinels = append(g.Sentinels, s)
		g.Addrs = append(g.Addrs, s.Addr)
	}
	err = until(15*time.Second, func() error {
		for _, a := range g.Addrs {
			c := redis.NewSentinelClient(&redis.Options{Addr: a, MaxRetries: -1})
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			m, err := c.Master(ctx, master).Result()
			cancel()
			c.Close()
			if err != nil {
				return fmt.Errorf("sentinel %s: %v", a, err)
			}
			if m["num-slaves"] != "1" || m["num-other-sentinels"] != strconv.Itoa(n-1) {
				return fmt.Errorf("sentinel %s knows %s replicas and %s other sentinels", a, m["num-slaves"], m["num-other-sentinels"])
			}
		}
		return nil
	})
	if err != nil {
		g.Close()
		return nil, err
	}
	return g, nil
}

// Close kills every process of the group.
func (g *Sentinel) Close() {
	for _, s := range g.Sentinels {
		s.Kill()
	}
	g.Replica.Kill()
	g.Primary.Kill()
}
