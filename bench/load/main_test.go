package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// writeSessions writes content to a file in a fresh temporary directory.
func writeSessions(t *testing.T, content string) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "sessions.tsv")
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

const twoSessions = "xuetang_session=s1; xuetang_csrf=c1\tc1\n" +
	"\n" +
	"xuetang_session=s2; xuetang_csrf=c2\tc2\r\n"

func TestParseSessions(t *testing.T) {
	got, err := parseSessions(strings.NewReader(twoSessions))
	if err != nil {
		t.Fatal(err)
	}
	want := []sessionLine{
		{cookie: "xuetang_session=s1; xuetang_csrf=c1", csrf: "c1"},
		{cookie: "xuetang_session=s2; xuetang_csrf=c2", csrf: "c2"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("parseSessions = %v, want %v", got, want)
	}

	// An empty token is allowed: no X-CSRF-Token is sent then.
	got, err = parseSessions(strings.NewReader("a=1\t\n"))
	if err != nil || len(got) != 1 || got[0].cookie != "a=1" || got[0].csrf != "" {
		t.Fatalf("a line with an empty token: %v, %v", got, err)
	}

	tooMany := strings.Repeat("a=1\tt\n", maxSessions+1)
	if got, err := parseSessions(strings.NewReader(strings.Repeat("a=1\tt\n", maxSessions))); err != nil || len(got) != maxSessions {
		t.Fatalf("%d lines: %d sessions, %v", maxSessions, len(got), err)
	}
	for _, tc := range []struct{ name, in, want string }{
		{"no tab", "a=1\tt\n\nb=2 t\n", "line 3: no tab"},
		{"empty cookie", "a=1\tt\n\tt\n", "line 2: empty cookie"},
		{"blank cookie", "  \tt\n", "line 1: empty cookie"},
		{"second tab", "a=1\tt\tu\n", "line 1: control character"},
		{"control in cookie", "a=1\x01\tt\n", "line 1: control character"},
		{"control in token", "a=1\tt\x7f\n", "line 1: control character"},
		{"bare CR inside", "a=1\rb=2\tt\n", "line 1: control character"},
		{"not a cookie", "no equals sign\tt\n", "line 1: cookie"},
		{"empty file", "", "no sessions"},
		{"blank lines only", "\n \n\r\n", "no sessions"},
		{"too many", tooMany, fmt.Sprintf("more than %d sessions", maxSessions)},
		{"long line", "a=" + strings.Repeat("x", maxSessionLine) + "\tt\n", "longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseSessions(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("parseSessions = %v, %v; want an error containing %q", got, err, tc.want)
			}
		})
	}
}

func TestParseFlagsSessions(t *testing.T) {
	file := writeSessions(t, twoSessions)
	base := []string{"-url", "http://127.0.0.1:1/x", "-sessions", file}

	opt, err := parseFlags(base, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(opt.sessions) != 2 || opt.sessions[1].csrf != "c2" {
		t.Fatalf("sessions = %v", opt.sessions)
	}
	if opt.headers.Get("Cookie") != "" || opt.headers.Get(csrfHeader) != "" {
		t.Fatalf("common headers carry a session: %v", opt.headers)
	}

	for _, tc := range []struct {
		name  string
		extra []string
		want  string
	}{
		{"cookie", []string{"-cookie", "xuetang_session=x"}, "-cookie cannot be combined with -sessions"},
		{"csrf header", []string{"-header", "X-CSRF-Token: x"}, "-header X-CSRF-Token cannot be combined"},
		{"csrf header, lower case", []string{"-header", "x-csrf-token: x"}, "-header X-CSRF-Token cannot be combined"},
		{"empty csrf header", []string{"-header", "X-CSRF-Token:"}, "-header X-CSRF-Token cannot be combined"},
		{"cookie header", []string{"-header", "Cookie: a=1"}, "-header Cookie cannot be combined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{}, base...), tc.extra...)
			if _, err := parseFlags(args, io.Discard); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("parseFlags(%q) = %v; want an error containing %q", args, err, tc.want)
			}
			var stderr bytes.Buffer
			if code := run(args, io.Discard, &stderr); code != 2 {
				t.Fatalf("run(%q) = %d, want 2 (stderr %q)", args, code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("stderr %q does not say %q", stderr.String(), tc.want)
			}
		})
	}

	// Other headers still combine with -sessions.
	opt, err = parseFlags(append(append([]string{}, base...), "-header", "Accept-Encoding: gzip"), io.Discard)
	if err != nil || opt.headers.Get("Accept-Encoding") != "gzip" {
		t.Fatalf("-sessions with -header Accept-Encoding: %v, %v", opt.headers, err)
	}

	// A bad file names its line; a missing one is an error; both exit 2.
	bad := writeSessions(t, "a=1\tt\nb=2\n")
	for _, args := range [][]string{
		{"-url", "http://127.0.0.1:1/x", "-sessions", bad},
		{"-url", "http://127.0.0.1:1/x", "-sessions", filepath.Join(t.TempDir(), "missing")},
	} {
		var stderr bytes.Buffer
		if code := run(args, io.Discard, &stderr); code != 2 {
			t.Fatalf("run(%q) = %d, want 2", args, code)
		}
		if args[3] == bad && !strings.Contains(stderr.String(), "line 2: no tab") {
			t.Fatalf("stderr %q does not name line 2", stderr.String())
		}
	}

	// The loopback check still applies with -sessions.
	if _, err := parseFlags([]string{"-url", "http://192.0.2.1/x", "-sessions", file}, io.Discard); err == nil {
		t.Fatal("a non-loopback URL was accepted with -sessions")
	}
}

func TestConnHeaders(t *testing.T) {
	file := writeSessions(t, twoSessions)
	for _, tc := range []struct {
		method   string
		wantCSRF bool
	}{
		{"GET", false}, {"HEAD", false}, {"POST", true}, {"PUT", true}, {"DELETE", true},
	} {
		opt, err := parseFlags([]string{"-url", "http://127.0.0.1:1/x", "-c", "5", "-method", tc.method,
			"-header", "Accept-Encoding: gzip", "-sessions", file}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		for conn := range 5 {
			h := connHeaders(opt, conn)
			line := conn%2 + 1
			if got, want := h.Get("Cookie"), fmt.Sprintf("xuetang_session=s%d; xuetang_csrf=c%d", line, line); got != want {
				t.Errorf("%s conn %d: Cookie %q, want %q", tc.method, conn, got, want)
			}
			wantCSRF := ""
			if tc.wantCSRF {
				wantCSRF = fmt.Sprintf("c%d", line)
			}
			if got := h.Get(csrfHeader); got != wantCSRF {
				t.Errorf("%s conn %d: %s %q, want %q", tc.method, conn, csrfHeader, got, wantCSRF)
			}
			if h.Get("Accept-Encoding") != "gzip" {
				t.Errorf("%s conn %d: lost the common headers: %v", tc.method, conn, h)
			}
		}
		if opt.headers.Get("Cookie") != "" {
			t.Fatalf("connHeaders changed the common headers: %v", opt.headers)
		}
	}

	// Without -sessions every connection gets the common headers, -cookie included.
	opt, err := parseFlags([]string{"-url", "http://127.0.0.1:1/x", "-cookie", "a=1", "-header", "X-CSRF-Token: t"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for conn := range 3 {
		h := connHeaders(opt, conn)
		if h.Get("Cookie") != "a=1" || h.Get(csrfHeader) != "t" {
			t.Fatalf("conn %d without -sessions: %v", conn, h)
		}
	}
}

// recorder is a loopback test server that notes what each request carried.
type recorder struct {
	mu     sync.Mutex
	byConn map[string]map[string]int // TCP connection (remote address) -> "cookie|csrf" -> requests
	pairs  map[string]int            // "cookie|csrf" -> requests
	total  int
}

func newRecorder(t *testing.T) (*recorder, *httptest.Server) {
	rec := &recorder{byConn: map[string]map[string]int{}, pairs: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		k := r.Header.Get("Cookie") + "|" + r.Header.Get(csrfHeader)
		rec.mu.Lock()
		if rec.byConn[r.RemoteAddr] == nil {
			rec.byConn[r.RemoteAddr] = map[string]int{}
		}
		rec.byConn[r.RemoteAddr][k]++
		rec.pairs[k]++
		rec.total++
		rec.mu.Unlock()
		// A little work per request, so every worker is running before the
		// -n requests are all taken, however slowly goroutines start.
		time.Sleep(200 * time.Microsecond)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"recorded"}`)
	}))
	t.Cleanup(srv.Close)
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("test server on %s, not 127.0.0.1", srv.URL)
	}
	return rec, srv
}

// Each connection keeps one session for the whole run, warm-up included,
// connection i taking line i mod n, and each request's token is its cookie's.
// Each connection is one TCP connection, kept from the warm-up on.
func TestAttackSessionPerConnection(t *testing.T) {
	rec, srv := newRecorder(t)
	file := writeSessions(t, twoSessions)
	opt, err := parseFlags([]string{"-url", srv.URL + "/api/v1/progress", "-c", "4", "-d", "5s", "-n", "400",
		"-method", "POST", "-body", `{"event_id":"{{uuid}}"}`, "-sessions", file}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	sent := map[int]map[string]int{} // connection -> "cookie|csrf" -> requests
	var bad []string
	opt.beforeSend = func(conn int, raw []byte) {
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			bad = append(bad, err.Error())
			return
		}
		if sent[conn] == nil {
			sent[conn] = map[string]int{}
		}
		sent[conn][req.Header.Get("Cookie")+"|"+req.Header.Get(csrfHeader)]++
	}
	client := newClient(opt)
	t.Cleanup(client.close)

	// As run does: a warm-up on the same connections, then the measurement.
	warm := opt
	warm.maxRequests = 100
	wres := attack(client, warm)
	res := attack(client, opt)
	if wres.OK != 100 || res.OK != 400 || res.Errors != 0 || res.Sessions != 2 {
		t.Fatalf("warm-up %d ok, run %d ok, %d errors (%s), sessions %d", wres.OK, res.OK, res.Errors, res.FirstError, res.Sessions)
	}

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.total != 500 {
		t.Fatalf("server saw %d requests, want 500", rec.total)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 {
		t.Fatalf("unparsable requests: %v", bad[0])
	}
	if len(sent) != 4 {
		t.Fatalf("requests from %d connections, want 4: %v", len(sent), sent)
	}
	for conn := range 4 {
		seen := sent[conn]
		line := conn%2 + 1
		want := fmt.Sprintf("xuetang_session=s%d; xuetang_csrf=c%d|c%d", line, line, line)
		if len(seen) != 1 || seen[want] == 0 {
			t.Errorf("connection %d sent %v, want only %q", conn, seen, want)
		}
	}
	// The server saw four TCP connections, warm-up and run alike, each
	// with one session throughout, two connections per session.
	if len(rec.byConn) != 4 {
		t.Fatalf("requests over %d TCP connections, want 4: %v", len(rec.byConn), rec.byConn)
	}
	perPair := map[string]int{}
	for addr, seen := range rec.byConn {
		if len(seen) != 1 {
			t.Errorf("TCP connection %s carried %v, want one session", addr, seen)
		}
		for k := range seen {
			perPair[k]++
		}
	}
	if len(perPair) != 2 || perPair["xuetang_session=s1; xuetang_csrf=c1|c1"] != 2 {
		t.Errorf("sessions per TCP connection %v, want two each", perPair)
	}
	if len(rec.pairs) != 2 {
		t.Fatalf("distinct cookie|token pairs %v, want 2", rec.pairs)
	}
}

// Through run, with its JSON output: two learners' sessions reach the
// server, in about equal shares, and the output says how many there were.
func TestRunSessions(t *testing.T) {
	rec, srv := newRecorder(t)
	file := writeSessions(t, twoSessions)
	var stdout, stderr bytes.Buffer
	code := run([]string{"-url", srv.URL + "/api/v1/me", "-c", "4", "-d", "5s", "-n", "200", "-sessions", file},
		&stdout, &stderr)
	if code != 0 {
		t.Fatalf("run = %d: %s", code, stderr.String())
	}
	var res Result
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if res.OK != 200 || res.Sessions != 2 {
		t.Fatalf("ok %d, sessions %d; want 200 and 2", res.OK, res.Sessions)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	// A GET carries the cookie but no token, as a browser sends it.
	s1 := rec.pairs["xuetang_session=s1; xuetang_csrf=c1|"]
	s2 := rec.pairs["xuetang_session=s2; xuetang_csrf=c2|"]
	if len(rec.pairs) != 2 || s1+s2 != 200 || s1 < 20 || s2 < 20 {
		t.Fatalf("server saw %v; want both sessions, 200 requests in all", rec.pairs)
	}
}

// Without -sessions, every connection sends the one -cookie and -header.
func TestRunSingleCookie(t *testing.T) {
	rec, srv := newRecorder(t)
	var stdout, stderr bytes.Buffer
	code := run([]string{"-url", srv.URL + "/", "-c", "4", "-d", "5s", "-n", "50", "-method", "POST",
		"-cookie", "xuetang_session=one", "-header", "X-CSRF-Token: tok"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("run = %d: %s", code, stderr.String())
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.pairs) != 1 || rec.pairs["xuetang_session=one|tok"] != 50 {
		t.Fatalf("server saw %v", rec.pairs)
	}
	if strings.Contains(stdout.String(), `"sessions"`) {
		t.Fatalf("output names sessions without -sessions: %s", stdout.String())
	}
}
