package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/config"
	"github.com/xuetang-edu/xuetang/internal/session"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// tcpProxy sits between the app and a database so a test can pull the plug:
// down() closes every live connection (the app's pool holds some) and stops
// listening, so new connections are refused; up() listens again on the same
// address.
type tcpProxy struct {
	t      *testing.T
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func startProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	p := &tcpProxy{t: t, target: target, addr: "127.0.0.1:0", conns: map[net.Conn]struct{}{}}
	p.up()
	t.Cleanup(func() {
		p.down()
		p.wg.Wait()
	})
	return p
}

func (p *tcpProxy) up() {
	p.t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy listen %s: %v", p.addr, err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.pipe(ln, c)
			}()
		}
	}()
}

func (p *tcpProxy) pipe(ln net.Listener, client net.Conn) {
	server, err := net.DialTimeout("tcp", p.target, 2*time.Second)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	if p.ln != ln { // went down while this connection was being set up
		p.mu.Unlock()
		client.Close()
		server.Close()
		return
	}
	p.conns[client], p.conns[server] = struct{}{}, struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go cp(server, client)
	go cp(client, server)
	<-done
	client.Close()
	server.Close()
	<-done
	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, server)
	p.mu.Unlock()
}

func (p *tcpProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
}

// hostPort adds the default port when a URL has none.
func hostPort(u *url.URL, port string) string {
	if u.Port() == "" {
		return net.JoinHostPort(u.Hostname(), port)
	}
	return u.Host
}

// appClient is a browser-like client with a cookie jar that echoes the
// CSRF cookie, as the frontend does.
type appClient struct {
	t    *testing.T
	base string
	http *http.Client
}

func newAppClient(t *testing.T, base string) *appClient {
	jar, _ := cookiejar.New(nil)
	return &appClient{t: t, base: base, http: &http.Client{Jar: jar, Timeout: 20 * time.Second}}
}

func (c *appClient) do(method, path, body string) (int, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	req.Header.Set("Accept-Language", "en")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	u, _ := url.Parse(c.base)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == "xuetang_csrf" {
			req.Header.Set("X-CSRF-Token", ck.Value)
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (c *appClient) login(username, password string) (int, []byte) {
	c.t.Helper()
	c.do("GET", "/api/v1/auth/csrf", "")
	b, _ := json.Marshal(map[string]string{"username": username, "password": password})
	return c.do("POST", "/api/v1/auth/login", string(b))
}

func wantUnavailable(t *testing.T, what string, status int, body []byte) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if status != http.StatusServiceUnavailable || json.Unmarshal(body, &e) != nil || e.Error.Code != "unavailable" || e.Error.Message == "" {
		t.Errorf("%s: %d %s; want 503 {\"error\":{\"code\":\"unavailable\",...}}", what, status, body)
	}
}

// startServe runs serve in-process until the test ends.
func startServe(t *testing.T, cfg config.Config, hooks serveHooks) (base string, logs *lockedBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs = &lockedBuffer{}
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	hooks.started = func(a string) { addrc <- a }
	go func() { done <- serve(ctx, cfg, newLogger(logs, "info"), hooks) }()
	select {
	case a := <-addrc:
		t.Cleanup(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("serve: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("serve did not stop")
			}
			if t.Failed() {
				t.Logf("server log:\n%s", logs)
			}
		})
		return "http://" + a, logs
	case err := <-done:
		cancel()
		t.Fatalf("serve: %v\n%s", err, logs)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatalf("serve did not start\n%s", logs)
	}
	return "", nil
}

// outageDrill signs in, pulls the plug, checks /readyz and the API answer
// 503 in the error shape, restores the dependency and checks both recover
// with the same session, without a restart.
func outageDrill(t *testing.T, base string, p *tcpProxy, username, password string) {
	t.Helper()
	c := newAppClient(t, base)
	if status, body := c.login(username, password); status != 200 {
		t.Fatalf("login: %d %s", status, body)
	}
	if status, body := c.do("GET", "/readyz", ""); status != 200 {
		t.Fatalf("/readyz before the outage: %d %s", status, body)
	}
	if status, body := c.do("GET", "/api/v1/me", ""); status != 200 {
		t.Fatalf("/api/v1/me before the outage: %d %s", status, body)
	}

	p.down()
	if status, body := c.do("GET", "/readyz", ""); status != 503 || !strings.Contains(string(body), `"unavailable"`) {
		t.Errorf("/readyz while down: %d %s", status, body)
	}
	status, body := c.do("GET", "/api/v1/me", "")
	wantUnavailable(t, "GET /api/v1/me while down", status, body)
	other := newAppClient(t, base)
	status, body = other.login(username, password)
	wantUnavailable(t, "POST /api/v1/auth/login while down", status, body)
	if status, _ := c.do("GET", "/healthz", ""); status != 200 {
		t.Errorf("/healthz while down: %d; liveness must not depend on the database", status)
	}

	p.up()
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, body := c.do("GET", "/readyz", "")
		if status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz did not recover: %d %s", status, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if status, body := c.do("GET", "/api/v1/me", ""); status != 200 || !strings.Contains(string(body), `"username":"`+username+`"`) {
		t.Errorf("/api/v1/me after recovery: %d %s; the session should have survived", status, body)
	}
	if status, body := other.login(username, password); status != 200 {
		t.Errorf("login after recovery: %d %s", status, body)
	}
}

// makeUser creates an account directly in the database, with cheap hashing.
func makeUser(t *testing.T, st *store.Store, username, password string) {
	t.Helper()
	svc := account.NewService(st, session.NewSQL(st, nil), session.NewSQLThrottle(st),
		account.Config{Params: account.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32}})
	if _, err := svc.Create(context.Background(), account.NewUser{Username: username, Password: password, Role: account.RoleLearner}); err != nil {
		t.Fatal(err)
	}
}

func TestReadyzMySQLOutage(t *testing.T) {
	base := os.Getenv("XUETANG_TEST_MYSQL_URL")
	if base == "" {
		t.Skip("XUETANG_TEST_MYSQL_URL not set")
	}
	fresh := storetest.FreshMySQLURL(t, base)
	st, err := store.Open(context.Background(), store.Options{DatabaseURL: fresh})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	makeUser(t, st, "wangfang", "outage-password")

	u, err := url.Parse(fresh)
	if err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, hostPort(u, "3306"))
	u.Host = p.addr
	env := serveEnv(t)
	env["XUETANG_DATABASE_URL"] = u.String()
	cfg, err := config.FromEnv(mapEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	base2, _ := startServe(t, cfg, serveHooks{})
	outageDrill(t, base2, p, "wangfang", "outage-password")
}

func TestReadyzRedisOutage(t *testing.T) {
	raw := os.Getenv("XUETANG_TEST_REDIS_URL")
	if raw == "" {
		t.Skip("XUETANG_TEST_REDIS_URL not set")
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "xttest:" + hex.EncodeToString(b[:]) + ":"
	opt, err := redis.ParseURL(raw)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() {
		ctx := context.Background()
		if keys, _ := rdb.Keys(ctx, prefix+"*").Result(); len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
		rdb.Close()
	})

	env := serveEnv(t)
	st, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(env["XUETANG_DATA_DIR"], "xuetang.db")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	makeUser(t, st, "lina", "outage-password")
	st.Close()

	p := startProxy(t, hostPort(u, "6379"))
	u.Host = p.addr
	env["XUETANG_REDIS_URL"] = u.String()
	cfg, err := config.FromEnv(mapEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	base, _ := startServe(t, cfg, serveHooks{redisPrefix: prefix})
	outageDrill(t, base, p, "lina", "outage-password")
	if n, err := rdb.Keys(context.Background(), prefix+"sess:*").Result(); err != nil || len(n) == 0 {
		t.Errorf("no session keys under the test prefix (%v): the app did not use Redis", err)
	}
}
