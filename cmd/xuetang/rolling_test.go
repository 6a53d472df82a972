package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// The rolling-restart drill: two instances of the built binary share one
// MariaDB and one Redis behind a real nginx configured as deploy/nginx
// recommends. Learners sign in, enrol, read lessons and send progress
// events through nginx while each instance in turn gets SIGTERM, exits and
// starts again. No learner request may fail, and every progress event an
// instance acknowledged must be in the database afterwards.

// Drain and nginx's idle timeout for upstream connections: the latter is
// shorter, so nginx has let go of every idle connection to an instance
// before that instance's shutdown closes them (closing one under a request
// being sent on it would fail that request).
const (
	drillDrain        = 2 * time.Second
	drillUpstreamIdle = time.Second
	drillFailTimeout  = 2 * time.Second
	drillLearners     = 6
)

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func findNginx() string {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	// Debian puts it in /usr/sbin, which a test's PATH may lack.
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx"
	}
	return ""
}

// drillNode is one app instance: a child process on a fixed address, so
// nginx's upstream list stays valid across its restarts.
type drillNode struct {
	t      *testing.T
	name   string
	bin    string
	addr   string
	env    []string
	log    *lockedBuffer
	cmd    *exec.Cmd
	exited chan error
}

func (n *drillNode) start() {
	n.t.Helper()
	cmd := exec.Command(n.bin, "serve")
	cmd.Env = n.env
	cmd.Stdout, cmd.Stderr = n.log, n.log
	if err := cmd.Start(); err != nil {
		n.t.Fatalf("start %s: %v", n.name, err)
	}
	n.cmd, n.exited = cmd, make(chan error, 1)
	go func() { n.exited <- cmd.Wait() }()
	client := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		select {
		case err := <-n.exited:
			n.t.Fatalf("%s exited while starting (%v):\n%s", n.name, err, n.log)
		default:
		}
		if resp, err := client.Get("http://" + n.addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("%s not ready after 60 s:\n%s", n.name, n.log)
		}
	}
}

// stop sends SIGTERM, as an orchestrator does, and waits for a clean exit.
func (n *drillNode) stop() {
	n.t.Helper()
	if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		n.t.Fatalf("SIGTERM %s: %v", n.name, err)
	}
	select {
	case err := <-n.exited:
		if err != nil {
			n.t.Fatalf("%s exited with %v after SIGTERM:\n%s", n.name, err, n.log)
		}
	case <-time.After(drillDrain + 30*time.Second):
		_ = n.cmd.Process.Kill()
		n.t.Fatalf("%s did not exit after SIGTERM:\n%s", n.name, n.log)
	}
	n.cmd = nil
}

// nginxConf mirrors deploy/nginx/xuetang.conf's upstream and proxy
// settings, with the paths and ports of the test.
func nginxConf(dir, listen string, upstreams []string) string {
	var servers strings.Builder
	for _, u := range upstreams {
		fmt.Fprintf(&servers, "    server %s max_fails=1 fail_timeout=%ds;\n", u, int(drillFailTimeout.Seconds()))
	}
	user := ""
	if os.Geteuid() == 0 {
		// Workers would otherwise run as nobody, who cannot enter the
		// test's private temporary directory.
		user = "user root;"
	}
	proxy := `
      proxy_pass http://xuetang;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_connect_timeout 2s;
      proxy_next_upstream_tries 2;
      proxy_next_upstream_timeout 10s;`
	return fmt.Sprintf(`%[1]s
worker_processes 1;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log warn;
events { worker_connections 512; }
http {
  log_format drill '$status $upstream_addr $upstream_status "$request"';
  access_log %[2]s/access.log drill;
  client_body_temp_path %[2]s/body;
  proxy_temp_path %[2]s/proxy;
  fastcgi_temp_path %[2]s/fastcgi;
  uwsgi_temp_path %[2]s/uwsgi;
  scgi_temp_path %[2]s/scgi;
  upstream xuetang {
%[3]s    keepalive 16;
    keepalive_timeout %[4]dms;
  }
  server {
    listen %[5]s;
    location / {%[6]s
      proxy_next_upstream error timeout http_502 http_503;
    }
    location = /api/v1/progress {%[6]s
      proxy_next_upstream error timeout http_502 http_503 non_idempotent;
    }
  }
}
`, user, dir, servers.String(), drillUpstreamIdle.Milliseconds(), listen, proxy)
}

func startNginx(t *testing.T, bin, dir, conf string) {
	t.Helper()
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	out := &lockedBuffer{}
	// -e: the start-up error log too stays out of /var/log.
	cmd := exec.Command(bin, "-p", dir+"/", "-e", filepath.Join(dir, "error.log"), "-c", path, "-g", "daemon off;")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
		if t.Failed() {
			errLog, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx output:\n%s\nnginx error log:\n%s", out, errLog)
		}
	})
	select {
	case err := <-exited:
		errLog, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		t.Fatalf("nginx exited (%v): %s\n%s", err, out, errLog)
	case <-time.After(300 * time.Millisecond):
	}
}

func newEventID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// drillTally counts what the learners saw.
type drillTally struct {
	mu       sync.Mutex
	requests int
	failures []string
	acked    map[string][]string // username -> acknowledged event ids
}

func (d *drillTally) record(what string, status int, err error, okStatus ...int) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.requests++
	for _, s := range okStatus {
		if err == nil && status == s {
			return true
		}
	}
	d.failures = append(d.failures, fmt.Sprintf("%s: %d %v", what, status, err))
	return false
}

// drillLearner is one learner's browser: cookies, CSRF header, keep-alive.
type drillLearner struct {
	base, username string
	http           *http.Client
	tally          *drillTally
}

func (l *drillLearner) do(method, path string, body any, into any, ok ...int) bool {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, l.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	u, _ := url.Parse(l.base)
	for _, ck := range l.http.Jar.Cookies(u) {
		if ck.Name == "xuetang_csrf" {
			req.Header.Set("X-CSRF-Token", ck.Value)
		}
	}
	resp, err := l.http.Do(req)
	status := 0
	var b []byte
	if err == nil {
		status = resp.StatusCode
		b, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if !l.tally.record(l.username+" "+method+" "+path+" "+strings.TrimSpace(string(b)), status, err, ok...) {
		return false
	}
	if into != nil && json.Unmarshal(b, into) != nil {
		l.tally.record(l.username+" "+method+" "+path+": bad JSON "+string(b), status, nil)
		return false
	}
	return true
}

// learn signs in, enrols and studies until stop closes, sending a progress
// event after each lesson read.
func (l *drillLearner) learn(slug string, stop <-chan struct{}) {
	if !l.do("GET", "/api/v1/auth/csrf", nil, nil, 200, 204) ||
		!l.do("POST", "/api/v1/auth/login", map[string]string{"username": l.username, "password": "drill-password"}, nil, 200) ||
		!l.do("POST", "/api/v1/courses/"+slug+"/enroll", nil, nil, 200, 201) {
		return
	}
	var c struct {
		Lessons []struct{ ID int64 } `json:"lessons"`
	}
	if !l.do("GET", "/api/v1/courses/"+slug, nil, &c, 200) || len(c.Lessons) == 0 {
		return
	}
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		lesson := c.Lessons[i%len(c.Lessons)].ID
		if !l.do("GET", fmt.Sprintf("/api/v1/lessons/%d", lesson), nil, nil, 200) {
			continue
		}
		typ := "heartbeat"
		if i < len(c.Lessons) {
			typ = "open"
		}
		id := newEventID()
		if l.do("POST", "/api/v1/progress", map[string]any{"event_id": id, "lesson_id": lesson, "type": typ, "seconds": 1}, nil, 200) {
			l.tally.mu.Lock()
			l.tally.acked[l.username] = append(l.tally.acked[l.username], id)
			l.tally.mu.Unlock()
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRollingRestartBehindNginx(t *testing.T) {
	mysqlBase, redisURL := os.Getenv("XUETANG_TEST_MYSQL_URL"), os.Getenv("XUETANG_TEST_REDIS_URL")
	if mysqlBase == "" || redisURL == "" {
		t.Skip("XUETANG_TEST_MYSQL_URL and XUETANG_TEST_REDIS_URL not both set")
	}
	nginx := findNginx()
	if nginx == "" {
		t.Skip("nginx not installed (Debian package nginx; .ci/run installs it)")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the binary with")
	}
	ctx := context.Background()
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "xuetang")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	dbURL := storetest.FreshMySQLURL(t, mysqlBase)
	st, err := store.Open(ctx, store.Options{DatabaseURL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Migrated once here, so the two instances never race to migrate.
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	usernames := make([]string, drillLearners)
	for i := range usernames {
		usernames[i] = fmt.Sprintf("drill%02d", i)
		makeUser(t, st, usernames[i], "drill-password")
	}

	var pb [6]byte
	_, _ = rand.Read(pb[:])
	prefix := "xttest:" + hex.EncodeToString(pb[:]) + ":"
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() {
		if keys, _ := rdb.Keys(ctx, prefix+"*").Result(); len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
		rdb.Close()
	})

	front := freePort(t)
	shared := t.TempDir()
	nodes := make([]*drillNode, 2)
	for i := range nodes {
		addr := freePort(t)
		nodes[i] = &drillNode{t: t, name: fmt.Sprintf("instance %d (%s)", i+1, addr), bin: bin, addr: addr, log: &lockedBuffer{},
			env: []string{
				"XUETANG_ADDR=" + addr,
				"XUETANG_DATA_DIR=" + t.TempDir(),
				"XUETANG_SHARED_DIR=" + shared,
				"XUETANG_DATABASE_URL=" + dbURL,
				"XUETANG_REDIS_URL=" + redisURL,
				"XUETANG_REDIS_PREFIX=" + prefix,
				"XUETANG_BASE_URL=http://" + front,
				"XUETANG_TRUST_PROXY=true",
				"XUETANG_DRAIN_TIMEOUT=" + drillDrain.String(),
				"XUETANG_LOG_LEVEL=warn",
			}}
		// One at a time: the first start loads the shipped courses.
		nodes[i].start()
	}
	t.Cleanup(func() {
		for _, n := range nodes {
			if n.cmd != nil {
				_ = n.cmd.Process.Kill()
				<-n.exited
			}
			if t.Failed() {
				t.Logf("%s log:\n%s", n.name, n.log)
			}
		}
	})
	ngDir := t.TempDir()
	startNginx(t, nginx, ngDir, nginxConf(ngDir, front, []string{nodes[0].addr, nodes[1].addr}))

	base := "http://" + front
	var courses struct {
		Courses []struct{ Slug string } `json:"courses"`
	}
	if status, body := get(t, base+"/api/v1/courses"); status != 200 || json.Unmarshal([]byte(body), &courses) != nil || len(courses.Courses) == 0 {
		t.Fatalf("courses through nginx: %d %.300s", status, body)
	}

	tally := &drillTally{acked: map[string][]string{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, u := range usernames {
		jar, _ := cookiejar.New(nil)
		l := &drillLearner{base: base, username: u, tally: tally,
			http: &http.Client{Jar: jar, Timeout: 20 * time.Second}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.learn(courses.Courses[0].Slug, stop)
		}()
	}
	started := time.Now()
	time.Sleep(2 * time.Second)
	for _, n := range nodes {
		n.stop()
		n.start()
		// nginx took the instance for failed while it was down; it tries
		// it again after fail_timeout, and the other one must not go down
		// before that.
		time.Sleep(drillFailTimeout + time.Second)
	}
	close(stop)
	wg.Wait()
	load := time.Since(started)
	// Stopping flushes each instance's progress queue.
	for _, n := range nodes {
		n.stop()
	}

	tally.mu.Lock()
	defer tally.mu.Unlock()
	for _, f := range tally.failures {
		t.Errorf("failed request: %.400s", f)
	}
	acked, missing := 0, 0
	for username, ids := range tally.acked {
		for _, id := range ids {
			acked++
			var n int
			err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM progress_events e JOIN users u ON u.id = e.user_id
				WHERE u.username = ? AND e.event_key = UNHEX(?)`, username, strings.ReplaceAll(id, "-", "")).Scan(&n)
			if err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				missing++
				if missing <= 10 {
					t.Errorf("acknowledged event %s of %s: %d rows in progress_events", id, username, n)
				}
			}
		}
	}
	if acked < drillLearners*10 {
		t.Errorf("only %d events acknowledged: the drill did not drive enough traffic", acked)
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged events lost", missing, acked)
	}

	// nginx's access log says how often a request was passed on to the
	// other instance, and proves both instances served traffic.
	f, err := os.Open(filepath.Join(ngDir, "access.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	retried, served := 0, make([]int, len(nodes))
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if fields := strings.Fields(line); len(fields) > 1 && strings.HasSuffix(fields[1], ",") {
			retried++
		}
		for i, n := range nodes {
			if strings.Contains(line, n.addr) {
				served[i]++
			}
		}
	}
	for i, n := range served {
		if n == 0 {
			t.Errorf("%s served nothing through nginx", nodes[i].name)
		}
	}
	t.Logf("%d requests in %v through nginx, %d failed, %d passed on to the other instance after an error; %d events acknowledged, %d lost",
		tally.requests, load.Round(100*time.Millisecond), len(tally.failures), retried, acked, missing)
}
