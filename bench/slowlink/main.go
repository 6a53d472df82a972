// Command slowlink measures what a learner on a slow link waits for: the
// time from navigation until the lesson text (or the catalogue's list) is on
// the page, in headless Chromium throttled to a rural connection, on a
// first visit (empty cache) and a repeat visit (same browser profile). It
// signs in as an existing learner and enrols in a course itself; bench/
// slowlink.sh starts the server and creates the learner.
//
//	slowlink -base http://127.0.0.1:PORT -user NAME -password-file FILE [-course SLUG]
//	         [-runs 3] [-latency 400ms] [-kbps 400] [-chromium /usr/bin/chromium]
//
// Each figure is the median of -runs fresh browser profiles. Requests
// counts what went to the network (downloads and revalidations; answers
// from the browser's cache are not requests); static counts those for
// /css, /js, /i18n and /img alone.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	base, user, passwordFile, course, chromium string
	runs, kbps                                 int
	latency                                    time.Duration
	verbose                                    bool
}

func run(args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("slowlink", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.base, "base", "", "the server's URL")
	fs.StringVar(&o.user, "user", "", "a learner's username")
	fs.StringVar(&o.passwordFile, "password-file", "", "a file holding the learner's password")
	fs.StringVar(&o.course, "course", "internet-safety", "the course whose first lesson is measured")
	fs.StringVar(&o.chromium, "chromium", "/usr/bin/chromium", "the Chromium to drive")
	fs.IntVar(&o.runs, "runs", 3, "fresh browser profiles per page (the median is shown)")
	fs.IntVar(&o.kbps, "kbps", 400, "throughput each way, kbit/s")
	fs.DurationVar(&o.latency, "latency", 400*time.Millisecond, "latency added to every request")
	fs.BoolVar(&o.verbose, "v", false, "list every request that went to the network, with its timing")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.base == "" || o.user == "" || o.passwordFile == "" || o.runs < 1 || o.kbps < 1 {
		fmt.Fprintln(stderr, "slowlink: -base, -user and -password-file are required; -runs and -kbps at least 1")
		return 2
	}
	if err := measure(o, stdout); err != nil {
		fmt.Fprintln(stderr, "slowlink:", err)
		return 1
	}
	return 0
}

// target is one page measured and the element whose text means "readable".
type target struct {
	name, path, ready string
}

// visit is one page load's figures.
type visit struct {
	ms              float64
	requests, stats int
	bytes           float64
}

func measure(o options, stdout io.Writer) error {
	pw, err := os.ReadFile(o.passwordFile)
	if err != nil {
		return err
	}
	cookies, lessonID, err := signIn(o, strings.TrimSpace(string(pw)))
	if err != nil {
		return err
	}
	targets := []target{
		{"lesson", fmt.Sprintf("/lessons/%d", lessonID), "#lesson-body"},
		{"catalogue", "/courses", "#results li"},
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(o.chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-sync", true))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	if err := chromedp.Do(browserCtx); err != nil {
		return fmt.Errorf("start chromium: %w", err)
	}

	fmt.Fprintf(stdout, "slow link: %d kbit/s each way, %s latency per request; median of %d fresh profiles\n",
		o.kbps, o.latency, o.runs)
	fmt.Fprintf(stdout, "%-10s %-7s %10s %9s %7s %9s\n", "page", "visit", "readable", "requests", "static", "received")
	for _, tg := range targets {
		var first, repeat []visit
		for i := 0; i < o.runs; i++ {
			f, r, err := measureProfile(browserCtx, o, tg, cookies)
			if err != nil {
				return fmt.Errorf("%s: %w", tg.name, err)
			}
			first, repeat = append(first, f), append(repeat, r)
		}
		for _, row := range []struct {
			name string
			v    []visit
		}{{"first", first}, {"repeat", repeat}} {
			m := median(row.v)
			fmt.Fprintf(stdout, "%-10s %-7s %7.0f ms %9d %7d %6.1f kB\n", tg.name, row.name, m.ms, m.requests, m.stats, m.bytes/1000)
		}
	}
	return nil
}

// median takes each figure's median on its own.
func median(vs []visit) visit {
	pick := func(f func(visit) float64) float64 {
		xs := make([]float64, len(vs))
		for i, v := range vs {
			xs[i] = f(v)
		}
		sort.Float64s(xs)
		return xs[len(xs)/2]
	}
	return visit{
		ms:       pick(func(v visit) float64 { return v.ms }),
		requests: int(pick(func(v visit) float64 { return float64(v.requests) })),
		stats:    int(pick(func(v visit) float64 { return float64(v.stats) })),
		bytes:    pick(func(v visit) float64 { return v.bytes }),
	}
}

// readyScript records, in the page's own clock (0 = navigation start), the
// first frame in which the element matching the selector has text.
const readyScript = `(() => {
  const sel = %q;
  const mo = new MutationObserver(() => {
    const el = document.querySelector(sel);
    if (!el || !el.textContent.trim()) return;
    mo.disconnect();
    requestAnimationFrame(() => { window.__xtReady = performance.now(); });
  });
  mo.observe(document, { childList: true, subtree: true, characterData: true });
})();`

// netLog counts one visit's network traffic.
type netLog struct {
	verbose         io.Writer // nil: no listing
	mu              sync.Mutex
	sent            map[network.RequestID]float64 // ms after t0
	t0              float64
	cached          map[network.RequestID]bool
	static          map[network.RequestID]bool
	requests, stats int
	bytes           float64
}

func (n *netLog) reset() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cached, n.static = map[network.RequestID]bool{}, map[network.RequestID]bool{}
	n.sent, n.t0 = map[network.RequestID]float64{}, 0
	n.requests, n.stats, n.bytes = 0, 0, 0
}

func (n *netLog) listen(ev any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		ms := float64(e.Timestamp) * 1000
		if n.t0 == 0 {
			n.t0 = ms
		}
		n.sent[e.RequestID] = ms - n.t0
	case *network.EventRequestServedFromCache:
		n.cached[e.RequestID] = true
	case *network.EventResponseReceived:
		r := e.Response
		if n.cached[e.RequestID] || r.FromDiskCache || r.FromPrefetchCache || r.FromServiceWorker || !strings.HasPrefix(r.URL, "http") {
			return
		}
		n.requests++
		if n.verbose != nil {
			at := float64(e.Timestamp)*1000 - n.t0
			fmt.Fprintf(n.verbose, "  %4d %s  sent %.0f  headers after %.0f ms\n", r.Status, r.URL, n.sent[e.RequestID], at-n.sent[e.RequestID])
		}
		if u, err := url.Parse(r.URL); err == nil && isStatic(u.Path) {
			n.stats++
		}
	case *network.EventLoadingFinished:
		n.bytes += e.EncodedDataLength
	}
}

func isStatic(p string) bool {
	for _, d := range []string{"/css/", "/js/", "/i18n/", "/img/"} {
		if strings.HasPrefix(p, d) {
			return true
		}
	}
	return false
}

// measureProfile loads the page twice in a fresh browser profile: first with
// an empty cache, then again as a learner coming back.
func measureProfile(browserCtx context.Context, o options, tg target, cookies []*http.Cookie) (first, repeat visit, err error) {
	log := &netLog{}
	if o.verbose {
		log.verbose = os.Stderr
	}
	log.reset()
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext(), chromedp.WithListener(log.listen))
	defer cancel()
	u, _ := url.Parse(o.base)
	bps := float64(o.kbps) * 1000 / 8
	err = chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{
				Latency: float64(o.latency.Milliseconds()), DownloadThroughput: bps, UploadThroughput: bps,
			}},
		}); err != nil {
			return fmt.Errorf("emulate network conditions: %w", err)
		}
		for _, c := range cookies {
			if _, err := cdp.Call(ctx, t, network.SetCookie, network.SetCookieParams{
				Name: c.Name, Value: c.Value, URL: u.String(), Path: "/",
			}); err != nil {
				return err
			}
		}
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: fmt.Sprintf(readyScript, tg.ready)})
		return err
	}))
	if err != nil {
		return first, repeat, err
	}
	if first, err = loadOnce(ctx, log, o.base+tg.path); err != nil {
		return first, repeat, fmt.Errorf("first visit: %w", err)
	}
	if err = chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		return first, repeat, err
	}
	if repeat, err = loadOnce(ctx, log, o.base+tg.path); err != nil {
		return first, repeat, fmt.Errorf("repeat visit: %w", err)
	}
	return first, repeat, nil
}

// loadOnce navigates, waits for the text and for the traffic to settle
// (what the page fetches after its text counts too: it uses the link).
func loadOnce(ctx context.Context, log *netLog, u string) (visit, error) {
	log.reset()
	var v visit
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		return v, err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		ms, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`window.__xtReady || 0`))
		if err != nil {
			return v, err
		}
		if ms > 0 {
			v.ms = ms
			break
		}
		if time.Now().After(deadline) {
			return v, errors.New("the page's text did not appear within 60 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(3 * time.Second)
	log.mu.Lock()
	v.requests, v.stats, v.bytes = log.requests, log.stats, log.bytes
	log.mu.Unlock()
	return v, nil
}

// signIn signs the learner in, enrols them in the course and returns the
// session's cookies and the course's first lesson.
func signIn(o options, password string) ([]*http.Cookie, int64, error) {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	var tok struct {
		CSRF string `json:"csrf_token"`
	}
	if err := call(hc, "GET", o.base+"/api/v1/auth/csrf", "", nil, &tok); err != nil {
		return nil, 0, err
	}
	body, _ := json.Marshal(map[string]string{"username": o.user, "password": password})
	if err := call(hc, "POST", o.base+"/api/v1/auth/login", tok.CSRF, body, &tok); err != nil {
		return nil, 0, fmt.Errorf("sign in: %w", err)
	}
	enrol := o.base + "/api/v1/courses/" + url.PathEscape(o.course) + "/enroll"
	if err := call(hc, "POST", enrol, tok.CSRF, nil, nil); err != nil {
		return nil, 0, fmt.Errorf("enrol: %w", err)
	}
	var c struct {
		Lessons []struct {
			ID int64 `json:"id"`
		} `json:"lessons"`
	}
	if err := call(hc, "GET", o.base+"/api/v1/courses/"+url.PathEscape(o.course), "", nil, &c); err != nil {
		return nil, 0, err
	}
	if len(c.Lessons) == 0 {
		return nil, 0, fmt.Errorf("course %s has no lessons", o.course)
	}
	u, _ := url.Parse(o.base)
	return jar.Cookies(u), c.Lessons[0].ID, nil
}

func call(hc *http.Client, method, u, csrf string, body []byte, out any) error {
	var r io.Reader
	if body != nil {
		r = strings.NewReader(string(body))
	}
	req, err := http.NewRequest(method, u, r)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, u, res.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}
