package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/config"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// lockedBuffer is a goroutine-safe writer: the server logs from request
// goroutines while the test reads what it wrote.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// mapEnv is the getenv run receives: only what the test sets, never the
// real environment (which may hold XUETANG_TEST_* or a developer's settings).
func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func serveEnv(t *testing.T) map[string]string {
	return map[string]string{"XUETANG_ADDR": "127.0.0.1:0", "XUETANG_DATA_DIR": t.TempDir()}
}

// logLine finds the first JSON log line with the given msg.
func logLine(out, msg string) map[string]any {
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == msg {
			return m
		}
	}
	return nil
}

// startRun runs the whole program in-process and waits for its
// "listening" log line, which carries the bound address.
func startRun(t *testing.T, env map[string]string) (addr string, code <-chan int, stdout, stderr *lockedBuffer) {
	t.Helper()
	stdout, stderr = &lockedBuffer{}, &lockedBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(nil, strings.NewReader(""), stdout, stderr, mapEnv(env)) }()
	deadline := time.After(60 * time.Second)
	for {
		if l := logLine(stdout.String(), "listening"); l != nil {
			a, _ := l["addr"].(string)
			if a == "" {
				t.Fatalf("listening line without addr: %v", l)
			}
			return a, done, stdout, stderr
		}
		select {
		case c := <-done:
			t.Fatalf("run exited %d before listening\nstdout:\n%s\nstderr:\n%s", c, stdout, stderr)
		case <-deadline:
			t.Fatalf("no listening line after 60 s\nstdout:\n%s", stdout)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// sigterm delivers SIGTERM to this test process. Only call it while a
// signal.NotifyContext for SIGTERM is active, or the process dies.
func sigterm(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
}

func TestRunServesAndStopsOnSIGTERM(t *testing.T) {
	env := serveEnv(t)
	const token = "metrics-token-for-the-test"
	env["XUETANG_METRICS_TOKEN"] = token
	// The drain itself is TestSIGTERMDrainsBeforeShutdown's.
	env["XUETANG_DRAIN_TIMEOUT"] = "100ms"
	addr, code, stdout, stderr := startRun(t, env)
	if p, _ := logLine(stdout.String(), "listening")["procs"].(float64); int(p) != 2*defaultProcs {
		t.Errorf("serving with %v Ps, want %d (serveProcs)", p, 2*defaultProcs)
	}
	if status, body := get(t, "http://"+addr+"/healthz"); status != 200 || strings.TrimSpace(body) != `{"status":"ok"}` {
		t.Errorf("/healthz = %d %s", status, body)
	}
	if status, body := get(t, "http://"+addr+"/readyz"); status != 200 {
		t.Errorf("/readyz = %d %s", status, body)
	}
	if status, _ := get(t, "http://"+addr+"/metrics"); status != 401 {
		t.Errorf("/metrics without the token = %d", status)
	}
	req, _ := http.NewRequest("GET", "http://"+addr+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	status, metrics := resp.StatusCode, string(b)
	for _, want := range []string{`xuetang_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
		`go_sql_open_connections{db_name="xuetang"}`, "process_resident_memory_bytes"} {
		if status != 200 || !strings.Contains(metrics, want) {
			t.Errorf("/metrics (%d) lacks %s", status, want)
		}
	}
	// A fresh database has no admin; the log says how to make one.
	if l := logLine(stdout.String(), "no administrator account yet; create one with: "+
		"echo 'a-long-password' | xuetang user create --username admin --role admin"); l == nil {
		t.Errorf("no first-admin hint in the log:\n%s", stdout)
	}
	sigterm(t)
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("run returned %d after SIGTERM; stderr: %s", c, stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return 30 s after SIGTERM")
	}
	if logLine(stdout.String(), "stopped") == nil {
		t.Errorf("no \"stopped\" line:\n%s", stdout)
	}
	// Every line on stdout is one JSON object, so log shippers can parse it.
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("stdout line is not JSON: %q", line)
		}
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Error("still answering after run returned")
	}
}

// A request in flight when SIGTERM arrives finishes with 200 before serve
// returns; a rolling deploy must not cut off a learner's answer.
func TestServeFinishesInFlightRequestOnSIGTERM(t *testing.T) {
	cfg, err := config.FromEnv(mapEnv(serveEnv(t)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	entered := make(chan struct{})
	var once sync.Once
	sawShutdown := make(chan bool, 1)
	hooks := serveHooks{
		routes: func(e *echo.Echo) {
			e.GET("/test/slow", func(c echo.Context) error {
				once.Do(func() { close(entered) })
				time.Sleep(time.Second)
				sawShutdown <- ctx.Err() != nil
				return c.String(http.StatusOK, "finished")
			})
		},
	}
	addrc := make(chan string, 1)
	hooks.started = func(a string) { addrc <- a }
	type result struct {
		err error
		at  time.Time
	}
	served := make(chan result, 1)
	go func() {
		err := serve(ctx, cfg, newLogger(&lockedBuffer{}, "info"), hooks)
		served <- result{err, time.Now()}
	}()
	var addr string
	select {
	case addr = <-addrc:
	case r := <-served:
		t.Fatalf("serve: %v", r.err)
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not start")
	}

	type response struct {
		status int
		body   string
		err    error
		at     time.Time
	}
	responded := make(chan response, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/test/slow")
		if err != nil {
			responded <- response{err: err, at: time.Now()}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		responded <- response{status: resp.StatusCode, body: string(b), err: err, at: time.Now()}
	}()
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the slow request never reached its handler")
	}
	sigterm(t)

	r := <-responded
	if r.err != nil || r.status != 200 || r.body != "finished" {
		t.Fatalf("in-flight request: %d %q %v", r.status, r.body, r.err)
	}
	if !<-sawShutdown {
		t.Error("the signal had not arrived when the handler finished; the test proved nothing")
	}
	select {
	case s := <-served:
		if s.err != nil {
			t.Errorf("serve: %v", s.err)
		}
		if s.at.Before(r.at) {
			t.Error("serve returned before the in-flight response was complete")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not return after SIGTERM")
	}
}

func TestBadEnvironmentExits2(t *testing.T) {
	cases := []struct{ name, value string }{
		{"XUETANG_ADDR", "nonsense"},
		{"XUETANG_ADDR", "127.0.0.1:99999"},
		{"XUETANG_DATABASE_URL", "postgres://x"},
		{"XUETANG_REDIS_URL", "memcached://cache:11211"},
		{"XUETANG_BASE_URL", "learn.example.cn"},
		{"XUETANG_SESSION_IDLE_TIMEOUT", "-5m"},
		{"XUETANG_SESSION_MAX_AGE", "forever"},
		{"XUETANG_SHUTDOWN_TIMEOUT", "0"},
		{"XUETANG_TRUST_PROXY", "maybe"},
		{"XUETANG_LOG_LEVEL", "chatty"},
	}
	for _, tc := range cases {
		for _, args := range [][]string{nil, {"serve"}, {"migrate"}} {
			t.Run(fmt.Sprintf("%s=%s/%v", tc.name, tc.value, args), func(t *testing.T) {
				env := serveEnv(t)
				env[tc.name] = tc.value
				var stdout, stderr bytes.Buffer
				code := run(args, strings.NewReader(""), &stdout, &stderr, mapEnv(env))
				if code != 2 {
					t.Errorf("exit %d, want 2; stderr %q", code, stderr.String())
				}
				msg := strings.TrimRight(stderr.String(), "\n")
				if !strings.Contains(msg, tc.name) {
					t.Errorf("stderr %q does not name %s", msg, tc.name)
				}
				if strings.Contains(msg, "\n") {
					t.Errorf("want a one-line reason, got %q", msg)
				}
				if strings.Contains(msg, "goroutine") || strings.Contains(msg, "panic") {
					t.Errorf("stack trace on stderr: %q", msg)
				}
			})
		}
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	cases := [][]string{
		{"frobnicate"},
		{"serve", "now"},
		{"migrate", "--all"},
		{"user"},
		{"user", "delete"},
		{"user", "create", "--role", "learner"},
		{"user", "create", "--username", "zhangwei"},
		{"user", "create", "--username", "zhangwei", "--role", "superuser"},
		{"user", "create", "--username", "zhangwei", "--role", "learner", "--bogus"},
		{"user", "create", "--username", "zhangwei", "--role", "learner", "extra"},
	}
	for _, args := range cases {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(args, strings.NewReader("a-good-password\n"), &stdout, &stderr, mapEnv(serveEnv(t)))
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr %q", code, stderr.String())
			}
			if !strings.HasPrefix(stderr.String(), "xuetang: ") || !strings.Contains(stderr.String(), "usage:") {
				t.Errorf("stderr = %q; want the reason, then usage", stderr.String())
			}
		})
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"user", "create", "--username", "x1", "--role", "superuser"}, strings.NewReader("pw\n"), &stdout, &stderr, mapEnv(serveEnv(t))); code != 2 ||
		!strings.Contains(stderr.String(), "superuser") || !strings.Contains(stderr.String(), "region_admin") {
		t.Errorf("bad role: exit %d, stderr %q; want 2 naming the role and the valid ones", code, stderr.String())
	}
}

func TestVersion(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"version"}, strings.NewReader(""), &stdout, &stderr, mapEnv(nil)); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	if stdout.String() != "xuetang "+Version+"\n" {
		t.Errorf("stdout = %q", stdout.String())
	}
	// version needs no configuration: it must work even with a broken one.
	stdout.Reset()
	if code := run([]string{"version"}, strings.NewReader(""), &stdout, &stderr, mapEnv(map[string]string{"XUETANG_ADDR": "bad"})); code != 0 {
		t.Errorf("version with a bad environment: exit %d", code)
	}
}

func TestHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"help"}, strings.NewReader(""), &stdout, &stderr, mapEnv(nil)); code != 0 || !strings.Contains(stdout.String(), "user create") {
		t.Errorf("help: exit %d, stdout %q", code, stdout.String())
	}
}

func TestMigrateCommand(t *testing.T) {
	env := serveEnv(t)
	names, _ := fs.Glob(store.MigrationsFS(store.SQLite), "*.sql")
	for i := 0; i < 2; i++ { // a second run finds nothing to do
		var stdout, stderr bytes.Buffer
		if code := run([]string{"migrate"}, strings.NewReader(""), &stdout, &stderr, mapEnv(env)); code != 0 {
			t.Fatalf("migrate: exit %d, stderr %q", code, stderr.String())
		}
		if want := fmt.Sprintf("schema version %d\n", len(names)); !strings.HasSuffix(stdout.String(), want) {
			t.Errorf("stdout %q, want it to end with %q", stdout.String(), want)
		}
	}
}

func TestUserCreate(t *testing.T) {
	env := serveEnv(t)
	create := func(stdin string, args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"user", "create"}, args...), strings.NewReader(stdin), &stdout, &stderr, mapEnv(env))
		return code, stdout.String(), stderr.String()
	}
	// Spaces around a passphrase are part of it; only the line ending goes.
	const pw = "  一个足够长的管理员密码  "
	code, out, errOut := create(pw+"\r\n", "--username", "Admin", "--role", "admin", "--display-name", "系统管理员")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(out, "created user admin") {
		t.Errorf("stdout = %q", out)
	}
	st, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(env["XUETANG_DATA_DIR"], "xuetang.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.UserByUsername(context.Background(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	if u.Role != "admin" || u.DisplayName != "系统管理员" {
		t.Errorf("user = %+v", u)
	}
	if !account.CheckPassword(pw, u.PasswordHash) || account.CheckPassword(strings.TrimSpace(pw), u.PasswordHash) {
		t.Error("the stored password is not exactly the line read from stdin")
	}
	// Accounts made on the command line get the production cost.
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash parameters: %q", u.PasswordHash)
	}

	code, _, errOut = create("another-long-password\n", "--username", "admin", "--role", "learner")
	if code != 1 || !strings.Contains(errOut, "already taken") {
		t.Errorf("duplicate: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = create("short\n", "--username", "shorty", "--role", "learner")
	if code == 0 || !strings.Contains(errOut, "8 to 128") {
		t.Errorf("short password: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = create("", "--username", "nopass", "--role", "learner")
	if code != 2 || !strings.Contains(errOut, "password") {
		t.Errorf("no password on stdin: exit %d, stderr %q", code, errOut)
	}
	// 510000 exists (the divisions ship with the binary); 519999 does not.
	code, _, errOut = create("a-long-password\n", "--username", "regional", "--role", "region_admin", "--region", "519999")
	if code != 1 || !strings.Contains(errOut, "519999") {
		t.Errorf("unknown region: exit %d, stderr %q", code, errOut)
	}
	for _, line := range strings.Split(strings.TrimSpace(errOut), "\n") {
		if strings.Contains(line, "goroutine") {
			t.Errorf("stack trace: %q", errOut)
		}
	}
}
