package redistest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster is a Redis Cluster of primaries without replicas.
type Cluster struct {
	Addrs []string
	Nodes []*Server
}

// StartCluster starts n cluster-mode servers in dir and joins them into
// one cluster covering all 16384 slots.
func StartCluster(dir string, n int) (*Cluster, error) {
	c := &Cluster{}
	for i := 0; i < n; i++ {
		nodeDir := filepath.Join(dir, fmt.Sprintf("node%d", i))
		if err := os.MkdirAll(nodeDir, 0o755); err != nil {
			c.Close()
			return nil, err
		}
		s, err := start(nodeDir, "cluster-node", func(port, bus int) []string {
			return append(common(port), "--cluster-enabled", "yes", "--cluster-port", strconv.Itoa(bus),
				"--cluster-config-file", "nodes.conf", "--dir", nodeDir)
		})
		if err != nil {
			c.Close()
			return nil, err
		}
		c.Nodes = append(c.Nodes, s)
		c.Addrs = append(c.Addrs, s.Addr)
	}
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		c.Close()
		return nil, fmt.Errorf("redis-cli --cluster create: %v: %s", err, out)
	}
	// redis-cli returns once the nodes agree on the configuration; each
	// node reports ok only when it sees every slot served.
	err := until(20*time.Second, func() error {
		for _, a := range c.Addrs {
			if st, err := clusterState(a); err != nil || st != "ok" {
				return fmt.Errorf("%s: cluster_state %q, %v", a, st, err)
			}
		}
		return nil
	})
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func clusterState(addr string) (string, error) {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	out, err := c.ClusterInfo(ctx).Result()
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(out, "\r\n") {
		if v, ok := strings.CutPrefix(line, "cluster_state:"); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("no cluster_state in %q", out)
}

// Close kills every node.
func (c *Cluster) Close() {
	for _, s := range c.Nodes {
		s.Kill()
	}
}
