package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A library terminal (XUETANG_PUBLIC_TERMINAL=true) in the browser, in both
// languages: the sign-in box is fixed to "shared computer"; near the end of
// the idle time the page warns, "continue" renews the session, and when the
// time runs out the page signs out and returns home. axe checks the sign-in
// page and the warning.
func TestBrowserPublicTerminal(t *testing.T) {
	exe := needChromium(t)
	env := map[string]string{
		"XUETANG_ADDR":            "127.0.0.1:0",
		"XUETANG_DATA_DIR":        t.TempDir(),
		"XUETANG_LOG_LEVEL":       "warn",
		"XUETANG_PUBLIC_TERMINAL": "true",
	}
	getenv := func(k string) string { return env[k] }
	learners := []browserLearner{
		{lang: "zh-CN", username: "kiosk-zh", displayName: "李阿姨"},
		{lang: "en", username: "kiosk-en", displayName: "Mary Lee"},
	}
	for _, l := range learners {
		createUser(t, getenv, l.username, "learner", l.displayName, l.lang)
	}
	clock := &testClock{}
	base := startBrowserServer(t, getenv, clock.now)
	browserCtx := startBrowser(t, exe)
	for _, l := range learners {
		t.Run(l.lang, func(t *testing.T) {
			b := newBrowserSession(t, browserCtx, base, l)
			b.clock = clock
			sel := func(s string) chromedp.CSS { return chromedp.CSS(s) }
			b.do("open sign-in page", chromedp.Navigate(base+"/login?lang="+l.lang), chromedp.WaitVisible(sel("#public-terminal-note")))
			// The tab's Date.now catches up with the server's clock, which
			// the earlier language's run moved on.
			b.advance(0)
			fixed, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.getElementById('shared').checked && document.getElementById('shared').disabled`))
			if err != nil || !fixed {
				t.Errorf("shared-computer box not ticked and fixed (%v)", err)
			}
			if got, want := b.text("note", "#public-terminal-note"), strings.ReplaceAll(b.msg("login.public_terminal"), "{n}", "10"); got != want {
				t.Errorf("note %q, want %q", got, want)
			}
			b.accessible("public terminal sign-in")
			b.do("sign in",
				chromedp.SendKeys(sel("#username"), l.username),
				chromedp.SendKeys(sel("#password"), browserPassword),
				jsClick("#login-form button[type=submit]"),
				chromedp.WaitVisible(sel("#greeting")),
			)

			// Thirty seconds before the idle timeout the page warns.
			b.advance(9*time.Minute + 30*time.Second)
			b.do("idle warning", chromedp.WaitVisible(sel("#idle-warning.active")))
			prefix := strings.SplitN(b.msg("idle.warning"), "{n}", 2)[0]
			if got := b.text("warning", "#idle-warning p"); !strings.HasPrefix(got, prefix) {
				t.Errorf("warning %q, want it to start with %q", got, prefix)
			}
			if got := b.text("live region", "#site-header [role=status]"); !strings.HasPrefix(got, prefix) {
				t.Errorf("live region %q, want it to start with %q", got, prefix)
			}
			b.accessible("idle warning")
			b.do("continue", jsClick("#idle-warning button"), chromedp.WaitNotVisible(sel("#idle-warning")))
			// The session was renewed on the server too: still signed in.
			// On a phone the header's links sit behind the menu button: present,
			// not visible.
			b.do("still signed in", chromedp.Navigate(base+"/"), chromedp.WaitReady(sel("#sign-out")))

			// Left alone past the timeout, the page signs out and goes home.
			b.advance(10*time.Minute + 5*time.Second)
			b.do("signed out", chromedp.WaitReady(sel(`#site-header a[href="/login"]`)))
			if loc := b.location(); loc != base+"/" {
				b.fail("signed out", fmt.Errorf("at %s, want the home page", loc))
			}
		})
	}
}
