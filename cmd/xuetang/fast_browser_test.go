package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The lesson page with fingerprinted files in a real browser: it loads with
// no failed request and nothing blocked (the import map passes the CSP by
// its hash), and a repeat visit takes every static file from the cache
// without asking the server again, not even a revalidation.
func TestBrowserRepeatVisitFromCache(t *testing.T) {
	exe := needChromium(t)
	env := map[string]string{"XUETANG_ADDR": "127.0.0.1:0", "XUETANG_DATA_DIR": t.TempDir(), "XUETANG_LOG_LEVEL": "warn"}
	getenv := func(k string) string { return env[k] }
	createUser(t, getenv, "fast-zh", "learner", "快学员", "zh-CN")
	base := startBrowserServer(t, getenv, time.Now)
	browserCtx := startBrowser(t, exe)

	w := &trafficLog{}
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext(), chromedp.WithListener(w.listen))
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, cdplog.Enable, cdp.Empty{})
		return err
	})); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	step := func(name string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, scancel := context.WithTimeout(ctx, 25*time.Second)
		defer scancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	step("sign in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS("#username")),
		pollTrue(`document.cookie.includes('xuetang_csrf=')`),
		chromedp.SendKeys(chromedp.CSS("#username"), "fast-zh"),
		chromedp.SendKeys(chromedp.CSS("#password"), browserPassword),
		jsClick("#login-form button[type=submit]"),
		chromedp.WaitVisible(chromedp.CSS("#greeting")))
	lctx, lcancel := context.WithTimeout(ctx, 25*time.Second)
	lesson, err := chromedp.Run(lctx, chromedp.Evaluate[float64](`(async () => {
	  const csrf = decodeURIComponent(document.cookie.match(/(?:^|; )xuetang_csrf=([^;]*)/)[1]);
	  const r = await fetch('/api/v1/courses/internet-safety/enroll', { method: 'POST', headers: { 'X-CSRF-Token': csrf } });
	  if (!r.ok) throw new Error('enrol: ' + r.status);
	  const c = await (await fetch('/api/v1/courses/internet-safety')).json();
	  return c.lessons[0].id;
	})()`, chromedp.EvalAwaitPromise))
	lcancel()
	if err != nil {
		t.Fatalf("enrol: %v", err)
	}
	page := fmt.Sprintf("%s/lessons/%d", base, int64(lesson))

	visit := func(name string) []string {
		t.Helper()
		w.reset()
		step(name, chromedp.Navigate(page),
			// The text arrives in the page; #lesson-end is drawn by lesson.js
			// once its modules have run.
			pollTrue(`!!document.querySelector('#lesson-body')?.textContent.trim() && !!document.querySelector('#lesson-end')`),
			chromedp.Sleep(500*time.Millisecond))
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, p := range w.problems {
			t.Errorf("%s: %s", name, p)
		}
		return w.static
	}
	// The service worker installed on the previous page may already hold
	// the lesson's files, so the first visit need not fetch any: the log
	// must simply have seen it.
	visit("first visit")
	w.mu.Lock()
	seen := w.seen
	w.mu.Unlock()
	if seen == 0 {
		t.Error("the first visit left no response in the network log: is it working?")
	}
	step("leave", chromedp.Navigate("about:blank"))
	if again := visit("repeat visit"); len(again) > 0 {
		t.Errorf("the repeat visit asked the server for static files: %v", again)
	}
}

// pollTrue waits until the expression is true in the page.
func pollTrue(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[bool](expr)(ctx, t)
		return err
	})
}

// trafficLog keeps what one page visit sent to the network.
type trafficLog struct {
	mu       sync.Mutex
	cached   map[network.RequestID]bool
	urls     map[network.RequestID]string
	static   []string // static files fetched or revalidated over the network
	seen     int      // responses of any kind, wherever they came from
	problems []string // failed requests, error answers, exceptions, console errors
}

func (w *trafficLog) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cached, w.urls, w.static, w.problems, w.seen = map[network.RequestID]bool{}, map[network.RequestID]string{}, nil, nil, 0
}

func (w *trafficLog) listen(ev any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cached == nil {
		return
	}
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		w.urls[e.RequestID] = e.Request.URL
	case *network.EventRequestServedFromCache:
		w.cached[e.RequestID] = true
	case *network.EventResponseReceived:
		r := e.Response
		u, err := url.Parse(r.URL)
		if err != nil || !strings.HasPrefix(r.URL, "http") {
			return
		}
		w.seen++
		if r.Status >= 400 {
			w.problems = append(w.problems, fmt.Sprintf("HTTP %d for %s", r.Status, r.URL))
		}
		if w.cached[e.RequestID] || r.FromDiskCache || r.FromServiceWorker || r.FromPrefetchCache {
			return
		}
		for _, d := range []string{"/css/", "/js/", "/i18n/", "/img/"} {
			if strings.HasPrefix(u.Path, d) {
				w.static = append(w.static, fmt.Sprintf("%s (%d)", u.Path, r.Status))
			}
		}
	case *network.EventLoadingFailed:
		w.problems = append(w.problems, fmt.Sprintf("request failed: %s %s %s", w.urls[e.RequestID], e.ErrorText, e.BlockedReason))
	case *runtime.EventExceptionThrown:
		w.problems = append(w.problems, "uncaught exception: "+e.ExceptionDetails.Text)
	case *cdplog.EventEntryAdded:
		if e.Entry.Level == cdplog.EntryLevelError {
			w.problems = append(w.problems, fmt.Sprintf("%s error: %s (%s)", e.Entry.Source, e.Entry.Text, e.Entry.URL))
		}
	}
}
