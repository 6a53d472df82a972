// Package redistest starts real Redis servers for tests on free loopback
// ports: a Redis Cluster of several primaries, and a Sentinel group (a
// primary, a replica and sentinels) that can be failed over. Every server
// is the Debian redis-server binary, writes only into the directory it is
// given, and is killed by Close; tests skip when redis-server is missing.
package redistest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Skip skips t unless redis-server is installed.
func Skip(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed")
	}
}

// Server is one redis-server (or sentinel) process.
type Server struct {
	Addr string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	log  string
}

// Kill stops the process at once (SIGKILL: no shutdown save, no goodbye to
// replicas, like a crashed machine) and waits for it.
func (s *Server) Kill() {
	if s == nil || s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
}

// freePorts asks the kernel for n unused ports, holding each until all are
// chosen so they differ. Another process may still take one before the
// server binds it; start retries then.
func freePorts(n int) ([]int, error) {
	ports := make([]int, n)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer ln.Close()
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}

// start runs redis-server with the arguments args returns for a port and
// a second free port (a cluster's bus), retrying with fresh ports when the
// server exits before it answers (a port taken meanwhile).
func start(dir, name string, args func(port, spare int) []string) (*Server, error) {
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		ports, err := freePorts(2)
		if err != nil {
			return nil, err
		}
		s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])), done: make(chan struct{}),
			log: filepath.Join(dir, fmt.Sprintf("%s-%d.log", name, attempt))}
		a := append(args(ports[0], ports[1]), "--logfile", s.log)
		s.cmd = exec.Command("redis-server", a...)
		s.cmd.Dir = dir
		setDeathSignal(s.cmd)
		if err := s.cmd.Start(); err != nil {
			return nil, err
		}
		go func() { _ = s.cmd.Wait(); close(s.done) }()
		if lastErr = s.awaitPing(10 * time.Second); lastErr == nil {
			return s, nil
		}
		s.Kill()
	}
	return nil, fmt.Errorf("%s did not start: %w", name, lastErr)
}

func (s *Server) awaitPing(limit time.Duration) error {
	c := redis.NewClient(&redis.Options{Addr: s.Addr, DialTimeout: time.Second, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(limit)
	for {
		select {
		case <-s.done:
			return fmt.Errorf("exited: %s", s.logTail())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer in %v (%v): %s", limit, err, s.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(s.log)
	b = bytes.TrimSpace(b)
	if len(b) > 600 {
		b = b[len(b)-600:]
	}
	return string(b)
}

// common keeps test servers off the disk except for what a mode needs.
func common(port int) []string {
	return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}
}

// until polls check until it returns nil or limit passes.
func until(limit time.Duration, check func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := check()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// info reads one field of INFO from addr.
func info(addr, section, field string) (string, error) {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s, err := c.Info(ctx, section).Result()
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(s, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v, nil
		}
	}
	return "", errors.New(field + " not in INFO " + section)
}

// DeadAddr is a loopback address nothing listens on (a port the kernel
// just handed out and took back), for seed lists with a missing node.
func DeadAddr() (string, error) {
	ports, err := freePorts(1)
	if err != nil {
		return "", err
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])), nil
}
