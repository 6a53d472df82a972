// Command load is the closed-loop HTTP load generator behind bench/run.sh.
//
// Each of -c connections sends one request, reads the whole response and
// sends the next, for -d (and at most -n requests). With -url given several
// times the requests take the URLs in turn. It prints one JSON object:
// request counts, successful requests per second, latency percentiles of
// the successful (2xx) responses, and their mean body size as received.
//
// It speaks HTTP/1.1 itself rather than through net/http, whose client
// costs tens of microseconds of CPU per request that the server under test,
// on the same machine, would lose: each connection is one keep-alive TCP
// connection (redialled after an error or a Connection: close), each request
// is built from a template prepared once per connection and sent with one
// write, and each response body is read only to count its bytes (chunked or
// with a Content-Length). Only http:// is spoken, and all -url flags must
// name the same host:port.
//
// Accept-Encoding is sent only when given: an explicit -header
// "Accept-Encoding: gzip" is sent as given and the body is counted as it
// arrives, compressed (what a browser receives). Without it none is sent
// and the server answers uncompressed (net/http, used before, asked for gzip
// itself and decompressed, which cost the generator CPU; the body sizes
// counted are the same). Nothing is ever decompressed.
//
// With -sessions FILE the connections sign in as different users: each
// non-empty line of FILE is "COOKIE<TAB>CSRF", a Cookie header value and the
// token that goes with it, and connection i (0-based) sends line i mod n with
// every request, warm-up included, for the whole run. The token is sent as
// X-CSRF-Token on state-changing requests only (not GET, HEAD, OPTIONS or
// TRACE), as the web front end does; an empty token sends none. -sessions
// cannot be combined with -cookie, a -header Cookie or a -header
// X-CSRF-Token. A "connection" is one of the -c closed loops, and it carries
// its requests over its own TCP connection, a fresh one after a redial.
//
// It only ever talks to loopback addresses: the URL must name localhost or a
// loopback IP, every dialled address is checked again after name resolution,
// no proxy is ever used and redirects are not followed (a 3xx is counted as
// its status).
// Run time, connections and request count are capped, so a typo cannot turn
// it into an open-ended flood.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Hard limits; flags beyond them are refused rather than silently clamped.
const (
	maxConnections = 1024
	maxDuration    = 10 * time.Minute
	maxWarmup      = time.Minute
	maxRequests    = 10_000_000
	maxTimeout     = time.Minute
	maxURLs        = 1000
	maxSessions    = 10_000
	// maxSessionsFile caps the bytes read from -sessions, and
	// maxSessionLine one line of it.
	maxSessionsFile = 16 << 20
	maxSessionLine  = 64 << 10
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ", ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

type options struct {
	name        string
	targets     []*url.URL
	method      string
	body        string
	headers     http.Header
	connections int
	duration    time.Duration
	warmup      time.Duration
	maxRequests int64
	timeout     time.Duration
	// sessions, when not empty, are the signed-in users the connections
	// take in turn (see connHeaders).
	sessions []sessionLine

	// beforeSend, when set (only by tests), sees the bytes of every request
	// of connection conn just before they are sent; it must not keep or
	// change them.
	beforeSend func(conn int, req []byte)
}

// sessionLine is one line of a -sessions file.
type sessionLine struct {
	cookie string // a Cookie header value
	csrf   string // sent as X-CSRF-Token on state-changing requests; may be empty
}

// Result is what the tool prints. rps counts successful responses only, so
// fast error responses never inflate throughput.
type Result struct {
	Name        string         `json:"name,omitempty"`
	URL         string         `json:"url"`
	URLs        []string       `json:"urls,omitempty"` // all of them, when more than one
	Method      string         `json:"method"`
	Connections int            `json:"connections"`
	Sessions    int            `json:"sessions,omitempty"` // lines of -sessions, when given
	DurationS   float64        `json:"duration_s"`
	Requests    int64          `json:"requests"`
	OK          int64          `json:"ok"`
	Errors      int64          `json:"errors"`
	Status      map[string]int `json:"status"`
	FirstError  string         `json:"first_error,omitempty"`
	RPS         float64        `json:"rps"`
	LatencyMS   Latency        `json:"latency_ms"`
	// BodyBytes is the mean body size of the successful responses as
	// received (compressed, when the server compressed it); Gzipped counts
	// the successful responses that came with Content-Encoding: gzip.
	BodyBytes float64 `json:"body_bytes_mean"`
	Gzipped   int64   `json:"gzipped"`
}

// Latency is in milliseconds over the successful responses.
type Latency struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
}

func run(args []string, stdout, stderr io.Writer) int {
	opt, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "load:", err)
		return 2
	}
	client := newClient(opt)
	defer client.close()
	if opt.warmup > 0 {
		w := opt
		w.duration, w.maxRequests = opt.warmup, 0
		attack(client, w)
	}
	res := attack(client, opt)
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		fmt.Fprintln(stderr, "load:", err)
		return 1
	}
	if res.OK == 0 {
		fmt.Fprintln(stderr, "load: no successful responses:", res.FirstError)
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		opt               options
		rawURLs           listFlag
		headers, cookies  listFlag
		maxReq            int64
		connections       int
		duration, warmup  time.Duration
		timeout           time.Duration
		method, body, nme string
		sessionsFile      string
	)
	fs.Var(&rawURLs, "url", fmt.Sprintf("target http:// URL; the host must be localhost or a loopback IP (repeatable, at most %d, all on the same host:port: taken in turn)", maxURLs))
	fs.IntVar(&connections, "c", 64, fmt.Sprintf("concurrent connections (1-%d)", maxConnections))
	fs.DurationVar(&duration, "d", 15*time.Second, fmt.Sprintf("measured run time (at most %s)", maxDuration))
	fs.DurationVar(&warmup, "warmup", 0, fmt.Sprintf("unmeasured run before the measurement (at most %s)", maxWarmup))
	fs.Int64Var(&maxReq, "n", 0, fmt.Sprintf("stop after this many requests (0: only -d limits; at most %d)", maxRequests))
	fs.DurationVar(&timeout, "timeout", 10*time.Second, "per-request timeout")
	fs.StringVar(&method, "method", http.MethodGet, "HTTP method")
	fs.StringVar(&body, "body", "", "request body; {{uuid}} becomes a fresh UUID and {{seq}} a sequence number in each request")
	fs.Var(&headers, "header", `extra header "Name: value" (repeatable)`)
	fs.Var(&cookies, "cookie", `cookies "a=1; b=2" (repeatable)`)
	fs.StringVar(&sessionsFile, "sessions", "", fmt.Sprintf(`file of "COOKIE<TAB>CSRF" lines (at most %d): connection i sends line i mod n; excludes -cookie and -header X-CSRF-Token`, maxSessions))
	fs.StringVar(&nme, "name", "", "label copied into the output")
	if err := fs.Parse(args); err != nil {
		return opt, err
	}
	if fs.NArg() > 0 {
		return opt, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if len(rawURLs) == 0 {
		return opt, errors.New("-url is required")
	}
	if len(rawURLs) > maxURLs {
		return opt, fmt.Errorf("%d -url flags: at most %d", len(rawURLs), maxURLs)
	}
	var targets []*url.URL
	for _, raw := range rawURLs {
		u, err := loopbackURL(raw)
		if err != nil {
			return opt, err
		}
		if len(targets) > 0 && dialAddr(u) != dialAddr(targets[0]) {
			return opt, fmt.Errorf("-url %q: every -url must name the same server as the first (%s): each connection keeps one TCP connection to it",
				raw, dialAddr(targets[0]))
		}
		targets = append(targets, u)
	}
	method = strings.ToUpper(method)
	if !isToken(method) {
		return opt, fmt.Errorf("-method %q: not a valid HTTP method", method)
	}
	switch {
	case connections < 1 || connections > maxConnections:
		return opt, fmt.Errorf("-c %d: want 1 to %d", connections, maxConnections)
	case duration <= 0 || duration > maxDuration:
		return opt, fmt.Errorf("-d %s: want more than 0 and at most %s", duration, maxDuration)
	case warmup < 0 || warmup > maxWarmup:
		return opt, fmt.Errorf("-warmup %s: want 0 to %s", warmup, maxWarmup)
	case maxReq < 0 || maxReq > maxRequests:
		return opt, fmt.Errorf("-n %d: want 0 to %d", maxReq, maxRequests)
	case timeout <= 0 || timeout > maxTimeout:
		return opt, fmt.Errorf("-timeout %s: want more than 0 and at most %s", timeout, maxTimeout)
	}
	if maxReq == 0 {
		maxReq = maxRequests
	}
	h := http.Header{}
	for _, line := range headers {
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return opt, fmt.Errorf("-header %q: want \"Name: value\"", line)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !isToken(k) || !validHeaderValue(v) {
			return opt, fmt.Errorf("-header %q: invalid header name or value", line)
		}
		h.Add(k, v)
	}
	for _, c := range cookies {
		if _, err := http.ParseCookie(c); err != nil {
			return opt, fmt.Errorf("-cookie %q: %v", c, err)
		}
		if !validHeaderValue(c) {
			return opt, fmt.Errorf("-cookie %q: control character", c)
		}
		h.Add("Cookie", c)
	}
	var sessions []sessionLine
	if sessionsFile != "" {
		switch {
		case len(cookies) > 0:
			return opt, errors.New("-cookie cannot be combined with -sessions: each connection's cookies come from the file")
		case len(h.Values("Cookie")) > 0:
			return opt, errors.New("-header Cookie cannot be combined with -sessions: each connection's cookies come from the file")
		case len(h.Values(csrfHeader)) > 0:
			return opt, errors.New("-header " + csrfHeader + " cannot be combined with -sessions: each connection's token comes from the file")
		}
		var err error
		if sessions, err = readSessions(sessionsFile); err != nil {
			return opt, err
		}
	}
	if body != "" && h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	return options{
		name: nme, targets: targets, method: method, body: body, headers: h,
		connections: connections, duration: duration, warmup: warmup, maxRequests: maxReq, timeout: timeout,
		sessions: sessions,
	}, nil
}

const csrfHeader = "X-CSRF-Token"

// readSessions reads a -sessions file (see parseSessions).
func readSessions(name string) ([]sessionLine, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("-sessions: %v", err)
	}
	defer f.Close()
	s, err := parseSessions(f)
	if err != nil {
		return nil, fmt.Errorf("-sessions %s: %v", name, err)
	}
	return s, nil
}

// parseSessions reads "COOKIE<TAB>CSRF" lines, skipping blank ones. COOKIE
// must be a non-empty Cookie header value; neither part may hold control
// characters (a second tab included). A CRLF line ending is accepted.
func parseSessions(r io.Reader) ([]sessionLine, error) {
	lr := &io.LimitedReader{R: r, N: maxSessionsFile + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 0, 4096), maxSessionLine)
	var out []sessionLine
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		cookie, csrf, ok := strings.Cut(line, "\t")
		switch {
		case !ok:
			return nil, fmt.Errorf("line %d: no tab; want COOKIE<TAB>CSRF", n)
		case strings.TrimSpace(cookie) == "":
			return nil, fmt.Errorf("line %d: empty cookie", n)
		case hasControl(cookie) || hasControl(csrf):
			return nil, fmt.Errorf("line %d: control character (or a second tab) in the line", n)
		}
		if _, err := http.ParseCookie(cookie); err != nil {
			return nil, fmt.Errorf("line %d: cookie: %v", n, err)
		}
		if len(out) == maxSessions {
			return nil, fmt.Errorf("more than %d sessions", maxSessions)
		}
		out = append(out, sessionLine{cookie: cookie, csrf: csrf})
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("a line longer than %d bytes", maxSessionLine)
		}
		return nil, err
	}
	if lr.N <= 0 {
		return nil, fmt.Errorf("larger than %d bytes", maxSessionsFile)
	}
	if len(out) == 0 {
		return nil, errors.New("no sessions in the file")
	}
	return out, nil
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// connHeaders returns the headers every request of connection conn carries:
// the common ones, and with -sessions that connection's cookie and, on a
// state-changing method, its CSRF token. The map is built once per
// connection and only read afterwards.
func connHeaders(opt options, conn int) http.Header {
	if len(opt.sessions) == 0 {
		return opt.headers
	}
	s := opt.sessions[conn%len(opt.sessions)]
	h := opt.headers.Clone()
	h.Set("Cookie", s.cookie)
	if s.csrf != "" && !safeMethod(opt.method) {
		h.Set(csrfHeader, s.csrf)
	}
	return h
}

// safeMethod reports the methods a browser sends without a CSRF token.
func safeMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// loopbackURL accepts only http URLs whose host is localhost or a loopback
// IP. https is refused: the client speaks plain HTTP/1.1 only, and on
// loopback TLS would measure nothing but its own cost.
func loopbackURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("-url is required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("-url: %v", err)
	}
	switch u.Scheme {
	case "http":
	case "https":
		return nil, fmt.Errorf("-url %q: https is not supported (this client speaks plain HTTP/1.1 to loopback only); use http://", raw)
	default:
		return nil, fmt.Errorf("-url %q: want http://", raw)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && !strings.EqualFold(host, "localhost") {
		return nil, fmt.Errorf("-url %q: refusing a non-loopback host; this tool only loads 127.0.0.1, ::1 or localhost", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("-url %q: user information in the URL is not supported; use -header Authorization", raw)
	}
	if strings.ContainsFunc(u.RequestURI(), func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return nil, fmt.Errorf("-url %q: space or control character in the path or query", raw)
	}
	return u, nil
}

// worker holds one connection's tallies; merged after the run, so the hot
// loop shares nothing but two atomic counters.
type worker struct {
	conn      int    // its index, 0-based
	header    []byte // Host and connHeaders of conn, rendered
	latencies []time.Duration
	status    map[int]int
	failures  int64
	firstErr  string
	bodyBytes int64 // of the successful responses
	gzipped   int64

	req, body []byte // reused for every request
}

func attack(client *client, opt options) Result {
	var issued, seq atomic.Int64
	lines := requestLines(opt.method, opt.targets)
	body := parseBody(opt.body)
	// The first target's Host: all of them name the same server.
	host := opt.targets[0].Host
	start := time.Now()
	deadline := start.Add(opt.duration)
	workers := make([]*worker, opt.connections)
	var wg sync.WaitGroup
	for i := range workers {
		w := &worker{conn: i, header: headerBlock(host, connHeaders(opt, i)), status: map[int]int{}}
		workers[i] = w
		wg.Go(func() {
			for time.Now().Before(deadline) {
				n := issued.Add(1)
				if n > opt.maxRequests {
					break
				}
				t := (n - 1) % int64(len(opt.targets))
				w.do(client, opt, lines[t], opt.targets[t], &body, &seq)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	res := Result{
		Name: opt.name, URL: opt.targets[0].String(), Method: opt.method, Connections: opt.connections,
		Sessions: len(opt.sessions), DurationS: round(elapsed.Seconds(), 3), Status: map[string]int{},
	}
	if len(opt.targets) > 1 {
		for _, u := range opt.targets {
			res.URLs = append(res.URLs, u.String())
		}
	}
	var all []time.Duration
	var bodyBytes int64
	for _, w := range workers {
		all = append(all, w.latencies...)
		bodyBytes += w.bodyBytes
		res.Gzipped += w.gzipped
		res.Errors += w.failures
		for code, n := range w.status {
			res.Status[strconv.Itoa(code)] += n
			res.Requests += int64(n)
			if code < 200 || code > 299 {
				res.Errors += int64(n)
			}
		}
		res.Requests += w.failures
		if res.FirstError == "" {
			res.FirstError = w.firstErr
		}
	}
	res.OK = int64(len(all))
	res.RPS = round(float64(res.OK)/elapsed.Seconds(), 1)
	res.LatencyMS = summarize(all)
	if res.OK > 0 {
		res.BodyBytes = round(float64(bodyBytes)/float64(res.OK), 1)
	}
	return res
}

// do sends one request (line: its request line, for target) and tallies
// the response. The latency runs from just before the (re)dial and write
// to the end of the body.
func (w *worker) do(cl *client, opt options, line []byte, target *url.URL, body *bodyTemplate, seq *atomic.Int64) {
	w.body = body.appendBody(w.body[:0], seq)
	req := append(w.req[:0], line...)
	req = append(req, w.header...)
	if len(w.body) > 0 || needsContentLength(opt.method) {
		req = append(req, "Content-Length: "...)
		req = strconv.AppendInt(req, int64(len(w.body)), 10)
		req = append(req, "\r\n"...)
	}
	req = append(req, "\r\n"...)
	req = append(req, w.body...)
	w.req = req
	if opt.beforeSend != nil {
		opt.beforeSend(w.conn, req)
	}
	t0 := time.Now()
	resp, err := cl.roundTrip(w.conn, req, opt.method, t0.Add(opt.timeout))
	took := time.Since(t0)
	if err != nil {
		w.fail(opt.method, target, err)
		return
	}
	w.status[resp.code]++
	if resp.code >= 200 && resp.code <= 299 {
		w.latencies = append(w.latencies, took)
		w.bodyBytes += resp.bodyBytes
		if resp.gzip {
			w.gzipped++
		}
	} else if w.firstErr == "" {
		w.firstErr = "HTTP " + resp.status
	}
}

// fail counts a request that got no complete response; the first error is
// kept as net/http phrased it: Get "URL": reason.
func (w *worker) fail(method string, target *url.URL, err error) {
	w.failures++
	if w.firstErr == "" {
		op := method[:1] + strings.ToLower(method[1:])
		w.firstErr = fmt.Sprintf("%s %q: %v", op, target.String(), err)
	}
}

// summarize uses nearest-rank percentiles.
func summarize(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	slices.Sort(d)
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	pct := func(p float64) float64 {
		i := int(math.Ceil(p/100*float64(len(d)))) - 1
		return ms(d[max(i, 0)])
	}
	return Latency{
		Mean: round(float64(sum)/float64(len(d))/float64(time.Millisecond), 3),
		P50:  pct(50), P90: pct(90), P95: pct(95), P99: pct(99), Max: ms(d[len(d)-1]),
	}
}

func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 3) }

func round(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}
