// Command baseline is the yardstick for bench/run.sh: a bare Echo server with
// no middleware, answering every GET with a small JSON object shaped like
// GET /api/v1/me.
//
//	-mode=static         encode a fixed user; no I/O at all
//	-mode=redis-session  read the xuetang_session cookie, GET the session key
//	                     from Redis (the key Xuetang's Redis session store
//	                     uses, or -key) and answer with its user id: the least
//	                     work any signed-in request can do
//
// It listens and connects only on loopback addresses.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"github.com/xuetang-edu/xuetang/internal/session"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// me mirrors the fields of Xuetang's /api/v1/me so both sides encode a
// similar amount of JSON.
type me struct {
	ID          int64   `json:"id"`
	Username    string  `json:"username"`
	DisplayName string  `json:"display_name"`
	Role        string  `json:"role"`
	Locale      string  `json:"locale"`
	Shared      bool    `json:"shared"`
	RegionCode  string  `json:"region_code"`
	Institution *string `json:"institution"`
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("baseline", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:18182", "listen address (loopback only)")
	mode := fs.String("mode", "static", "static or redis-session")
	redisURL := fs.String("redis", "redis://127.0.0.1:6379/0", "Redis for -mode=redis-session (loopback only)")
	prefix := fs.String("prefix", "xt:", "key prefix Xuetang's session store uses")
	key := fs.String("key", "", "GET this fixed key instead of the session cookie's key")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := loopbackAddr(*addr); err != nil {
		fmt.Fprintln(stderr, "baseline: -addr:", err)
		return 2
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	// bench/run.sh polls this before measuring.
	e.GET("/healthz", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "ok"}) })
	switch *mode {
	case "static":
		e.GET("/*", func(c echo.Context) error {
			return c.JSON(http.StatusOK, me{ID: 1, Username: "bench", DisplayName: "压测学员", Role: "learner", Locale: "zh-CN"})
		})
	case "redis-session":
		u, err := url.Parse(*redisURL)
		if err == nil {
			err = loopbackHost(u.Hostname())
		}
		if err != nil {
			fmt.Fprintln(stderr, "baseline: -redis:", err)
			return 2
		}
		opt, err := redis.ParseURL(*redisURL)
		if err != nil {
			fmt.Fprintln(stderr, "baseline: -redis:", err)
			return 2
		}
		rdb := redis.NewClient(opt)
		defer rdb.Close()
		e.GET("/*", redisSession(rdb, *prefix, *key))
	default:
		fmt.Fprintf(stderr, "baseline: -mode %q: want static or redis-session\n", *mode)
		return 2
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(stderr, "baseline:", err)
		return 1
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(stderr, "baseline: mode %s listening on %s\n", *mode, ln.Addr())
	select {
	case err := <-errc:
		fmt.Fprintln(stderr, "baseline:", err)
		return 1
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		fmt.Fprintln(stderr, "baseline: shutdown:", err)
		return 1
	}
	return 0
}

func redisSession(rdb *redis.Client, prefix, fixedKey string) echo.HandlerFunc {
	unauthorized := map[string]any{"error": map[string]string{"code": "unauthorized", "message": "no session"}}
	return func(c echo.Context) error {
		k := fixedKey
		if k == "" {
			ck, err := c.Cookie("xuetang_session")
			if err != nil || ck.Value == "" {
				return c.JSON(http.StatusUnauthorized, unauthorized)
			}
			k = prefix + "sess:" + session.HashToken(ck.Value)
		}
		b, err := rdb.Get(c.Request().Context(), k).Bytes()
		if errors.Is(err, redis.Nil) {
			return c.JSON(http.StatusUnauthorized, unauthorized)
		}
		if err != nil {
			return c.JSON(http.StatusServiceUnavailable, map[string]any{"error": map[string]string{"code": "unavailable", "message": err.Error()}})
		}
		// Only the user id is needed; "u" is the field Xuetang stores it in.
		var s struct {
			UserID int64 `json:"u"`
		}
		_ = json.Unmarshal(b, &s)
		return c.JSON(http.StatusOK, me{ID: s.UserID, Username: "bench", DisplayName: "压测学员", Role: "learner", Locale: "zh-CN"})
	}
}

func loopbackAddr(hostport string) error {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return err
	}
	return loopbackHost(host)
}

func loopbackHost(host string) error {
	if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && !strings.EqualFold(host, "localhost") {
		return fmt.Errorf("%q is not a loopback address", host)
	}
	return nil
}
