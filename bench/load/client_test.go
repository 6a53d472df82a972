package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// loadServer starts a loopback test server for h; conns counts the TCP
// connections it accepted.
func loadServer(t *testing.T, h http.HandlerFunc) (srv *httptest.Server, conns *atomic.Int64) {
	t.Helper()
	conns = new(atomic.Int64)
	srv = httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("test server on %s, not 127.0.0.1", srv.URL)
	}
	return srv, conns
}

// attackArgs parses args and runs one attack on a fresh client.
func attackArgs(t *testing.T, args ...string) Result {
	t.Helper()
	opt, err := parseFlags(args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cl := newClient(opt)
	defer cl.close()
	return attack(cl, opt)
}

// A chunked body, flushed in several pieces with a trailer, is counted to
// the byte, after de-chunking, and the connection is kept.
func TestChunkedBody(t *testing.T) {
	pieces := []int{1000, 1, 5000, 17}
	want := 0
	for _, n := range pieces {
		want += n
	}
	srv, conns := loadServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		for _, n := range pieces {
			_, _ = w.Write(bytes.Repeat([]byte("x"), n))
			w.(http.Flusher).Flush()
		}
		w.Header().Set("X-Sum", "done")
	})
	res := attackArgs(t, "-url", srv.URL+"/chunks", "-c", "2", "-n", "40")
	if res.OK != 40 || res.Errors != 0 || res.BodyBytes != float64(want) {
		t.Fatalf("ok %d, errors %d (%s), body %.1f bytes; want 40, 0, %d", res.OK, res.Errors, res.FirstError, res.BodyBytes, want)
	}
	// At most one kept-alive connection per worker (a worker may find the
	// -n requests all taken before it dials).
	if n := conns.Load(); n < 1 || n > 2 {
		t.Fatalf("%d TCP connections, want 1 or 2", n)
	}
}

// A Content-Length body is counted as sent, compressed when it is: a gzip
// body counts its compressed bytes and the response as gzipped.
func TestContentLengthBody(t *testing.T) {
	plain := bytes.Repeat([]byte(`{"k":"value"}`), 300)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(plain)
	_ = zw.Close()
	var sawAE atomic.Value
	srv, conns := loadServer(t, func(w http.ResponseWriter, r *http.Request) {
		sawAE.Store(r.Header.Get("Accept-Encoding"))
		body := plain
		if r.Header.Get("Accept-Encoding") == "gzip" {
			body = gz.Bytes()
			w.Header().Set("Content-Encoding", "gzip")
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		_, _ = w.Write(body)
	})

	res := attackArgs(t, "-url", srv.URL+"/plain", "-c", "3", "-n", "30")
	if res.OK != 30 || res.Errors != 0 || res.BodyBytes != float64(len(plain)) || res.Gzipped != 0 {
		t.Fatalf("plain: %+v", res)
	}
	if ae := sawAE.Load(); ae != "" {
		t.Fatalf("Accept-Encoding %q sent without -header", ae)
	}
	res = attackArgs(t, "-url", srv.URL+"/gz", "-c", "3", "-n", "30", "-header", "Accept-Encoding: gzip")
	if res.OK != 30 || res.Errors != 0 || res.BodyBytes != float64(gz.Len()) || res.Gzipped != 30 {
		t.Fatalf("gzip: %+v (compressed size %d)", res, gz.Len())
	}
	// At most one kept-alive connection per worker and run.
	if n := conns.Load(); n < 2 || n > 6 {
		t.Fatalf("%d TCP connections over two runs of 3 workers, want 2 to 6", n)
	}
}

// Connection: close from the server makes the next request redial, and
// every request succeeds.
func TestServerConnectionClose(t *testing.T) {
	var n atomic.Int64
	srv, conns := loadServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%2 == 0 {
			w.Header().Set("Connection", "close")
		}
		_, _ = io.WriteString(w, "ok")
	})
	res := attackArgs(t, "-url", srv.URL+"/", "-c", "1", "-n", "20")
	if res.OK != 20 || res.Errors != 0 || res.BodyBytes != 2 {
		t.Fatalf("%+v", res)
	}
	if c := conns.Load(); c != 10 {
		t.Fatalf("%d TCP connections, want 10 (one close every second response)", c)
	}
}

// hijackServer answers "ok" but handles request number bad (1-based) with
// misbehave on the raw connection, which it then closes.
func hijackServer(t *testing.T, bad int64, misbehave func(c net.Conn)) (srv *httptest.Server, requests, conns *atomic.Int64) {
	var n atomic.Int64
	srv, conns = loadServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if n.Add(1) == bad {
			c, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			misbehave(c)
			c.Close()
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	return srv, &n, conns
}

// A connection closed in the middle of a response is a failure; the next
// request redials and the run goes on.
func TestServerClosesMidResponse(t *testing.T) {
	srv, n, conns := hijackServer(t, 3, func(c net.Conn) {
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")
	})
	res := attackArgs(t, "-url", srv.URL+"/", "-c", "1", "-n", "10")
	if res.Requests != 10 || res.OK != 9 || res.Errors != 1 || !strings.Contains(res.FirstError, "unexpected EOF") {
		t.Fatalf("%+v", res)
	}
	if n.Load() != 10 || conns.Load() != 2 {
		t.Fatalf("server saw %d requests on %d connections, want 10 on 2", n.Load(), conns.Load())
	}

	// The same in a chunked body.
	srv, _, _ = hijackServer(t, 2, func(c net.Conn) {
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabc")
	})
	res = attackArgs(t, "-url", srv.URL+"/", "-c", "1", "-n", "5")
	if res.Requests != 5 || res.OK != 4 || res.Errors != 1 {
		t.Fatalf("chunked: %+v", res)
	}
}

// A kept-alive connection the server closes without answering is tried
// again on a fresh one for a GET, as net/http did; a POST counts a failure.
func TestServerClosesIdleConnection(t *testing.T) {
	srv, n, conns := hijackServer(t, 3, func(net.Conn) {})
	res := attackArgs(t, "-url", srv.URL+"/", "-c", "1", "-n", "10")
	if res.OK != 10 || res.Errors != 0 || n.Load() != 11 || conns.Load() != 2 {
		t.Fatalf("GET: %+v; server saw %d requests, want 11", res, n.Load())
	}
	srv, n, _ = hijackServer(t, 3, func(net.Conn) {})
	res = attackArgs(t, "-url", srv.URL+"/", "-c", "1", "-n", "10", "-method", "POST", "-body", "{}")
	if res.OK != 9 || res.Errors != 1 || n.Load() != 10 {
		t.Fatalf("POST: %+v; server saw %d requests, want 10", res, n.Load())
	}
}

// 204, 304 and HEAD responses have no body, whatever their headers say,
// and the connection carries on.
func TestNoBodyResponses(t *testing.T) {
	srv, conns := loadServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/204":
			w.WriteHeader(http.StatusNoContent)
		case "/304":
			w.WriteHeader(http.StatusNotModified)
		default:
			w.Header().Set("Content-Length", "1000")
			_, _ = w.Write(make([]byte, 1000))
		}
	})
	res := attackArgs(t, "-url", srv.URL+"/204", "-c", "1", "-n", "20")
	if res.OK != 20 || res.Errors != 0 || res.BodyBytes != 0 || res.Status["204"] != 20 {
		t.Fatalf("204: %+v", res)
	}
	res = attackArgs(t, "-url", srv.URL+"/304", "-c", "1", "-n", "5")
	if res.OK != 0 || res.Errors != 5 || res.Status["304"] != 5 || res.FirstError != "HTTP 304 Not Modified" {
		t.Fatalf("304: %+v", res)
	}
	res = attackArgs(t, "-url", srv.URL+"/head", "-c", "1", "-n", "5", "-method", "HEAD")
	if res.OK != 5 || res.Errors != 0 || res.BodyBytes != 0 {
		t.Fatalf("HEAD: %+v", res)
	}
	if c := conns.Load(); c != 3 {
		t.Fatalf("%d TCP connections, want one per run", c)
	}
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// {{uuid}} and {{seq}} make every body distinct and valid, each announced
// with its own length.
func TestBodySubstitution(t *testing.T) {
	var mu sync.Mutex
	ids := map[string]bool{}
	seqs := map[int]bool{}
	var problems []string
	srv, _ := loadServer(t, func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		var ev struct {
			EventID string `json:"event_id"`
			Again   string `json:"again"`
			Seq     int    `json:"seq"`
		}
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil:
			problems = append(problems, err.Error())
		case int64(len(body)) != r.ContentLength:
			problems = append(problems, fmt.Sprintf("body %d bytes, Content-Length %d", len(body), r.ContentLength))
		case r.Header.Get("Content-Type") != "application/json":
			problems = append(problems, "Content-Type "+r.Header.Get("Content-Type"))
		case json.Unmarshal(body, &ev) != nil:
			problems = append(problems, "not JSON: "+string(body))
		case !uuidRE.MatchString(ev.EventID) || ev.Again != ev.EventID || ids[ev.EventID] || seqs[ev.Seq]:
			problems = append(problems, "bad or repeated: "+string(body))
		}
		ids[ev.EventID], seqs[ev.Seq] = true, true
		w.WriteHeader(http.StatusCreated)
	})
	const n = 90
	res := attackArgs(t, "-url", srv.URL+"/api/v1/progress", "-c", "3", "-n", fmt.Sprint(n), "-method", "post",
		"-body", `{"event_id":"{{uuid}}","seq":{{seq}},"again":"{{uuid}}","note":"{{other}} {{seq"}`)
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Fatalf("%d bad requests, first: %s", len(problems), problems[0])
	}
	if res.OK != n || res.Errors != 0 || len(ids) != n || len(seqs) != n {
		t.Fatalf("%+v: %d ids, %d seqs", res, len(ids), len(seqs))
	}
	for i := 1; i <= n; i++ {
		if !seqs[i] {
			t.Fatalf("seq %d missing: %v", i, seqs)
		}
	}
}

// parseBody splits a body exactly where strings.NewReplacer replaces.
func TestParseBody(t *testing.T) {
	r := strings.NewReplacer("{{uuid}}", "U", "{{seq}}", "S")
	for _, s := range []string{"", "plain", "{{uuid}}", "{{seq}}{{uuid}}", "{{{uuid}}}", "{{{{seq}}",
		"{{uuid}", "{{seq}} and {{x}} {{uuid}}{{", "{{uu{{seq}}id}}", "é{{seq}}ü"} {
		tmpl := parseBody(s)
		var b strings.Builder
		for _, p := range tmpl.parts {
			switch p.kind {
			case 'u':
				b.WriteString("U")
			case 's':
				b.WriteString("S")
			default:
				b.WriteString(p.lit)
			}
		}
		if got, want := b.String(), r.Replace(s); got != want {
			t.Errorf("parseBody(%q) renders %q, want %q", s, got, want)
		}
	}
	var seq atomic.Int64
	tmpl := parseBody("a{{uuid}}b")
	if got := tmpl.appendBody(nil, &seq); !uuidRE.Match(got[1:37]) || len(got) != 38 || seq.Load() != 0 {
		t.Fatalf("appendBody = %q (seq %d)", got, seq.Load())
	}
}

// The request bytes are what net/http would send: canonical headers, one
// Host, Content-Length only when there is (or should be) a body.
func TestRequestBytes(t *testing.T) {
	var got [][]byte
	var mu sync.Mutex
	srv, _ := loadServer(t, func(w http.ResponseWriter, r *http.Request) {})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-header", "x-custom: a b", "-header", "X-Custom: c"},
			"GET /p?q=1 HTTP/1.1\r\nHost: HOST\r\nUser-Agent: Go-http-client/1.1\r\nX-Custom: a b\r\nX-Custom: c\r\n\r\n"},
		{[]string{"-method", "POST", "-header", "User-Agent: me", "-header", "Host: elsewhere", "-header", "Content-Length: 5"},
			"POST /p?q=1 HTTP/1.1\r\nHost: HOST\r\nUser-Agent: me\r\nContent-Length: 0\r\n\r\n"},
		{[]string{"-method", "PUT", "-body", "[1]", "-cookie", "a=1"},
			"PUT /p?q=1 HTTP/1.1\r\nHost: HOST\r\nUser-Agent: Go-http-client/1.1\r\nContent-Type: application/json\r\nCookie: a=1\r\nContent-Length: 3\r\n\r\n[1]"},
	} {
		got = nil
		opt, err := parseFlags(append([]string{"-url", srv.URL + "/p?q=1#frag", "-c", "1", "-n", "1"}, tc.args...), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		opt.beforeSend = func(_ int, req []byte) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, bytes.Clone(req))
		}
		cl := newClient(opt)
		res := attack(cl, opt)
		cl.close()
		want := strings.Replace(tc.want, "HOST", strings.TrimPrefix(srv.URL, "http://"), 1)
		if res.OK != 1 || len(got) != 1 || string(got[0]) != want {
			t.Errorf("%q: ok %d (%s), sent %q, want %q", tc.args, res.OK, res.FirstError, got, want)
		}
	}
}

// readResponse on hand-made responses.
func TestReadResponse(t *testing.T) {
	for _, tc := range []struct {
		name, in, method string
		code             int
		body             int64
		close, gzip      bool
		err              string
	}{
		{name: "length", in: "HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabc", code: 200, body: 3},
		{name: "chunked", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\nContent-Length: 99\r\n\r\n" +
			"3;ext=1\r\nabc\r\nA \r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n", code: 200, body: 13},
		{name: "gzip close", in: "HTTP/1.1 201 Created\r\nContent-Encoding: gzip\r\nConnection: keep-alive, Close\r\nContent-Length: 0\r\n\r\n",
			code: 201, gzip: true, close: true},
		{name: "http/1.0", in: "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", code: 200, body: 1, close: true},
		{name: "http/1.0 keep-alive", in: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx", code: 200, body: 1},
		{name: "to EOF", in: "HTTP/1.1 200 OK\r\n\r\nabcdef", code: 200, body: 6, close: true},
		{name: "100 continue", in: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", code: 200, body: 2},
		{name: "HEAD", method: "HEAD", in: "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", code: 200},
		{name: "no reason", in: "HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n", code: 404},
		{name: "long header", in: "HTTP/1.1 200 OK\r\nSet-Cookie: " + strings.Repeat("c", 3*readBufferSize) + "\r\nContent-Length: 1\r\n\r\nx", code: 200, body: 1},
		{name: "empty", in: "", err: "closed the connection before responding"},
		{name: "garbage", in: "SSH-2.0-OpenSSH\r\n", err: "malformed status line"},
		{name: "bad length", in: "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", err: "bad Content-Length"},
		{name: "two lengths", in: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx", err: "conflicting"},
		{name: "gzip transfer", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", err: "unsupported Transfer-Encoding"},
		{name: "bad chunk", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", err: "bad chunk size"},
		{name: "short chunk", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", err: "unexpected EOF"},
		{name: "short headers", in: "HTTP/1.1 200 OK\r\nContent-Le", err: "unexpected EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = "GET"
			}
			resp, err := readResponse(bufio.NewReaderSize(strings.NewReader(tc.in), readBufferSize), method)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil || resp.code != tc.code || resp.bodyBytes != tc.body || resp.close != tc.close || resp.gzip != tc.gzip {
				t.Fatalf("got %+v, %v; want code %d, body %d, close %v, gzip %v", resp, err, tc.code, tc.body, tc.close, tc.gzip)
			}
		})
	}
}

// The dialer refuses a non-loopback address before connecting, whatever
// the flags said.
func TestDialRefusesNonLoopback(t *testing.T) {
	opt, err := parseFlags([]string{"-url", "http://127.0.0.1:1/x", "-timeout", "2s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cl := newClient(opt)
	cl.addr = "192.0.2.1:80" // TEST-NET-1: never reached
	_, err = cl.roundTrip(0, []byte("GET / HTTP/1.1\r\n\r\n"), "GET", time.Now().Add(2*time.Second))
	if !errors.Is(err, errNotLoopback) {
		t.Fatalf("dial error %v, want errNotLoopback", err)
	}
}

// Flags the client cannot honour are refused with exit 2.
func TestParseFlagsRefusals(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-url", "https://127.0.0.1:8443/x"}, "https is not supported"},
		{[]string{"-url", "ftp://127.0.0.1/x"}, "want http://"},
		{[]string{"-url", "http://192.0.2.1/x"}, "non-loopback"},
		{[]string{"-url", "http://127.0.0.1:1/a", "-url", "http://127.0.0.1:2/b"}, "same server"},
		{[]string{"-url", "http://127.0.0.1/a", "-url", "http://localhost/b"}, "same server"},
		{[]string{"-url", "http://u:p@127.0.0.1/a"}, "user information"},
		{[]string{"-url", "http://127.0.0.1/a?x y"}, "space or control"},
		{[]string{"-url", "http://127.0.0.1/a", "-header", "Bad Name: x"}, "invalid header"},
		{[]string{"-url", "http://127.0.0.1/a", "-header", "X: a\rb"}, "invalid header"},
		{[]string{"-url", "http://127.0.0.1/a", "-method", "GET /evil"}, "not a valid HTTP method"},
		{[]string{"-url", "http://127.0.0.1/a", "-c", "1025"}, "-c 1025"},
		{[]string{"-url", "http://127.0.0.1/a", "-d", "11m"}, "-d 11m"},
	} {
		var stderr bytes.Buffer
		if code := run(tc.args, io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("run(%q) = %d, %q; want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
	// The same server under one Host spelling, default port or not, is fine.
	opt, err := parseFlags([]string{"-url", "http://127.0.0.1/a", "-url", "http://127.0.0.1:80/b"}, io.Discard)
	if err != nil || len(opt.targets) != 2 {
		t.Fatalf("same server twice: %v", err)
	}
}

// -timeout bounds each request: a slow response is a failure, its
// connection is dropped, and the next request succeeds on a fresh one.
func TestRequestTimeout(t *testing.T) {
	var n atomic.Int64
	release := make(chan struct{})
	srv, conns := loadServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 2 {
			select {
			case <-release:
			case <-time.After(5 * time.Second):
			}
		}
		_, _ = io.WriteString(w, "ok")
	})
	defer close(release)
	start := time.Now()
	res := attackArgs(t, "-url", srv.URL+"/", "-c", "1", "-n", "4", "-timeout", "200ms")
	if res.OK != 3 || res.Errors != 1 || !strings.Contains(res.FirstError, "timeout") || conns.Load() != 2 {
		t.Fatalf("%+v on %d connections", res, conns.Load())
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("took %s: the timeout did not cut the slow request", took)
	}
}
