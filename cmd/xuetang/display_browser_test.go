package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Age-friendly mode, the phone header, read aloud and the start-here path in
// a real browser, in both languages: the 大字 / 高对比 switch is on every page,
// survives a reload and follows the account to a new device (a fresh browser
// context); axe finds nothing on the learner pages in either mode, and in
// high contrast every text reaches 7:1 (axe's AAA contrast rule).
func TestBrowserAgeFriendly(t *testing.T) {
	exe := needChromium(t)
	cases := []browserLearner{
		{lang: "zh-CN", username: "elder-zh", displayName: "李奶奶", slug: "smartphone-basics"},
		{lang: "en", username: "elder-en", displayName: "Grandma Li", slug: "smartphone-basics-en"},
	}
	env := map[string]string{"XUETANG_ADDR": "127.0.0.1:0", "XUETANG_DATA_DIR": t.TempDir(), "XUETANG_LOG_LEVEL": "warn"}
	getenv := func(k string) string { return env[k] }
	for _, c := range cases {
		createUser(t, getenv, c.username, "learner", c.displayName, c.lang)
	}
	base := startBrowserServer(t, getenv, time.Now)
	browserCtx := startBrowser(t, exe)
	for _, c := range cases {
		t.Run(c.lang, func(t *testing.T) {
			b := newBrowserSession(t, browserCtx, base, c)
			b.do("phone viewport", chromedp.EmulateViewport(360, 740))
			b.do("home signed out", chromedp.Navigate(base+"/?lang="+c.lang), chromedp.WaitVisible(chromedp.CSS("#toggle-large-text")))
			b.phoneHeader("signed out")
			b.signInReady(c.username)
			b.learnerPages("normal", false)
			b.do("large text on", jsClick("#toggle-large-text"))
			b.do("high contrast on", jsClick("#toggle-high-contrast"))
			b.waitJS("saved with the account", `fetch('/api/v1/me').then(r => r.json()).then(m => m.display.large_text && m.display.high_contrast)`)
			b.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#toggle-large-text")))
			b.modes("after reload", true)
			if got := b.attr("pressed after reload", "#toggle-large-text", "aria-pressed"); got != "true" {
				t.Errorf("after reload the large-text switch says aria-pressed=%s", got)
			}
			b.phoneHeader("large text")
			b.learnerPages("age-friendly", true)

			// A new device: a fresh browser context signs in and gets the
			// account's choice.
			nd := newBrowserSession(t, browserCtx, base, c)
			nd.signInReady(c.username)
			nd.modes("new device", true)
			nd.do("large text off", jsClick("#toggle-large-text"))
			nd.do("high contrast off", jsClick("#toggle-high-contrast"))
			nd.waitJS("switched off for the account", `fetch('/api/v1/me').then(r => r.json()).then(m => !m.display.large_text && !m.display.high_contrast)`)
			nd.modes("switched off", false)
		})
	}
}

// signInReady signs in once the sign-in page's script is listening (the
// header is drawn and the CSRF cookie set), not merely when the form shows.
func (b *browserSession) signInReady(username string) {
	b.t.Helper()
	b.do("open sign-in page", chromedp.Navigate(b.base+"/login?lang="+b.l.lang), chromedp.WaitVisible(chromedp.CSS("#toggle-large-text")))
	b.waitJS("sign-in ready", `document.cookie.includes('xuetang_csrf=')`)
	b.do("sign in",
		chromedp.SendKeys(chromedp.CSS("#username"), username),
		chromedp.SendKeys(chromedp.CSS("#password"), browserPassword),
		jsClick("#login-form button[type=submit]"),
		chromedp.WaitVisible(chromedp.CSS("#greeting")),
	)
}

// modes checks the <html> classes of the age-friendly mode.
func (b *browserSession) modes(step string, on bool) {
	b.t.Helper()
	want := fmt.Sprintf("%v,%v", on, on)
	got := b.eval(step, `(() => { const c = document.documentElement.classList; return c.contains('large-text') + ',' + c.contains('high-contrast'); })()`)
	if got != want {
		b.t.Errorf("%s: large-text,high-contrast = %s, want %s", step, got, want)
	}
}

func (b *browserSession) eval(step, js string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 25*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`Promise.resolve(`+js+`).then(String)`, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fail(step, err)
	}
	return v
}

// waitJS polls an expression (it may return a promise) until it is true.
func (b *browserSession) waitJS(step, js string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`Promise.resolve(`+js+`).then(Boolean)`, chromedp.EvalAwaitPromise))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.fail(step, fmt.Errorf("still false after 20 s (%v)", err))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// phoneHeader checks, at a 360 px wide viewport, that the header is one line
// that does not overflow, and that the menu button opens the navigation,
// moves focus into it, and Escape closes it and returns focus.
func (b *browserSession) phoneHeader(step string) {
	b.t.Helper()
	line := b.eval(step+" header line", `(() => {
	  const h = document.getElementById('site-header');
	  const items = [...h.children].filter((e) => e.offsetParent !== null && getComputedStyle(e).position !== 'absolute' && e.id !== 'privacy-banner');
	  const r = items.map((e) => e.getBoundingClientRect());
	  const top = Math.min(...r.map((x) => x.top)), bottom = Math.min(...r.map((x) => x.bottom));
	  if (r.some((x) => x.top >= bottom)) return 'wraps: ' + items.map((e, i) => (e.id || e.className) + '@' + Math.round(r[i].top) + 'w' + Math.round(r[i].width)).join(' ');
	  if (h.scrollWidth > innerWidth || r.some((x) => x.right > innerWidth)) return 'overflows: ' + h.scrollWidth + ' > ' + innerWidth;
	  if (getComputedStyle(document.getElementById('site-nav')).display !== 'none') return 'navigation not folded';
	  return 'ok ' + Math.round(top);
	})()`)
	if !strings.HasPrefix(line, "ok") {
		b.t.Errorf("%s: phone header: %s (screenshot %s)", step, line, b.screenshot(step+" header"))
	}
	b.do(step+" open menu", jsClick("#menu-button"), chromedp.WaitVisible(chromedp.CSS("#site-nav a")))
	if got := b.eval(step+" menu state", `document.getElementById('menu-button').getAttribute('aria-expanded') + ',' + !!document.activeElement.closest('#site-nav')`); got != "true,true" {
		b.t.Errorf("%s: after opening the menu aria-expanded,focus-in-nav = %s", step, got)
	}
	b.focusContrast(step + " menu link")
	b.eval(step+" escape", `document.activeElement.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }))`)
	if got := b.eval(step+" menu closed", `document.getElementById('menu-button').getAttribute('aria-expanded') + ',' + (document.activeElement.id) + ',' + getComputedStyle(document.getElementById('site-nav')).display`); got != "false,menu-button,none" {
		b.t.Errorf("%s: after Escape aria-expanded,focus,nav display = %s", step, got)
	}
}

// focusContrast measures the focused element's outline against the colour
// it sits on (the nearest opaque background of its parents): at least 3:1.
func (b *browserSession) focusContrast(step string) {
	b.t.Helper()
	got := b.eval(step+" focus contrast", `(() => {
	  const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
	  const lum = ([r, g, bl]) => { const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(bl); };
	  const e = document.activeElement;
	  const cs = getComputedStyle(e);
	  if (cs.outlineStyle === 'none' || parseFloat(cs.outlineWidth) < 2) return 'no outline on ' + e.outerHTML.slice(0, 60);
	  let p = e.parentElement, bg = null;
	  while (p) { const c = rgb(getComputedStyle(p).backgroundColor); if (c.length === 3 || c[3] > 0.99) { bg = c; break; } p = p.parentElement; }
	  bg = bg || [255, 255, 255];
	  const a = lum(rgb(cs.outlineColor)), b = lum(bg);
	  return ((Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)).toFixed(2);
	})()`)
	var ratio float64
	if _, err := fmt.Sscanf(got, "%f", &ratio); err != nil || ratio < 3 {
		b.t.Errorf("%s: focus outline contrast %s, want at least 3:1", step, got)
	}
}

// learnerPages runs axe on the home, catalogue, course, lesson and
// my-learning pages; in high contrast also the AAA contrast rule (7:1).
func (b *browserSession) learnerPages(mode string, highContrast bool) {
	b.t.Helper()
	check := func(page string) {
		b.accessible(mode + " " + page)
		if highContrast {
			b.enhancedContrast(mode + " " + page)
		}
	}
	b.do(mode+" home", chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(chromedp.CSS("#greeting")))
	check("home")
	b.eval(mode+" focus a link", `(document.querySelector('main a, main button').focus(), true)`)
	b.focusContrast(mode + " main")

	b.do(mode+" catalogue", chromedp.Navigate(b.base+"/courses?audience=senior"), chromedp.WaitVisible(chromedp.CSS("#start-path li")))
	if got := b.attr(mode+" start here", "#start-path li", "data-slug"); got != b.l.slug {
		b.t.Errorf("%s: the senior path starts with %s, want %s", mode, got, b.l.slug)
	}
	check("catalogue")
	b.do(mode+" catalogue, no audience", chromedp.Navigate(b.base+"/courses"), chromedp.WaitVisible(chromedp.CSS(".audience-choice a")))
	b.do(mode+" choose seniors", jsClick(`.audience-choice a[data-audience=senior]`), chromedp.WaitVisible(chromedp.CSS("#start-path li")))

	b.do(mode+" course", chromedp.Navigate(b.base+"/courses/"+b.l.slug), chromedp.WaitVisible(chromedp.CSS("main h1")))
	b.waitJS(mode+" course loaded", `document.querySelector('#enroll, #continue')`)
	check("course")

	id := b.eval(mode+" lesson id", `fetch('/api/v1/courses/`+b.l.slug+`').then(r => r.json()).then(c => c.lessons[0].id)`)
	b.do(mode+" lesson", chromedp.Navigate(b.base+"/lessons/"+id), chromedp.WaitVisible(chromedp.CSS("#lesson-title")))
	b.readAloud(mode)
	check("lesson")

	b.do(mode+" my learning", chromedp.Navigate(b.base+"/me"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	b.waitJS(mode+" my learning loaded", `!document.querySelector('main [aria-busy=true]') && !document.querySelector('main .muted[data-i18n="common.loading"]')`)
	check("my learning")
}

// readAloud checks the 朗读 controls are shown exactly when the browser has a
// voice for the lesson's language (headless Chromium usually has none), and
// drives the reader with a stand-in synthesiser: each block is highlighted
// in turn, pause and resume keep the place, stop clears it.
func (b *browserSession) readAloud(mode string) {
	b.t.Helper()
	state := b.eval(mode+" read-aloud shown", `(async () => {
	  const { pickVoice } = await import('/js/readaloud.js');
	  const voice = pickVoice(speechSynthesis.getVoices(), `+jsString(b.l.lang)+`);
	  return (!!voice) + ',' + !document.getElementById('read-aloud').hidden;
	})()`)
	// Voices may load a moment after the page: then the box appears.
	if state == "true,false" {
		b.waitJS(mode+" read-aloud appears", `!document.getElementById('read-aloud').hidden`)
	} else if state != "false,false" && state != "true,true" {
		b.t.Errorf("%s: voice available,read-aloud shown = %s", mode, state)
	}
	ctx, cancel := context.WithTimeout(b.ctx, 25*time.Second)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
	  const { Reader, blocks, pickVoice } = await import('/js/readaloud.js');
	  const root = document.createElement('div');
	  root.innerHTML = '<h2>One</h2><p>Two</p><ul><li><p>Three</p></li><li>Four</li></ul><p> </p>';
	  const spoken = [];
	  let current = null;
	  const synth = { speak(u) { spoken.push(u.text + '/' + u.lang); current = u; }, pause() {}, resume() {}, cancel() { const u = current; current = null; u && u.onerror && u.onerror({ error: 'interrupted' }); } };
	  const log = [];
	  const items = blocks(root);
	  const r = new Reader({ synth, items, lang: 'en', voice: null, makeUtterance: (text) => ({ text }),
	    onChange: (s, i) => log.push(s + i + ':' + items.map((e) => e.classList.contains('reading') ? 'R' + (e.getAttribute('aria-current') || '') : '-').join('')) });
	  r.play(); current.onend(); r.pause(); r.play(); current.onend(); r.stop();
	  r.play(); for (let i = 0; i < 4; i++) current.onend();
	  const voices = [{ lang: 'zh-HK' }, { lang: 'en-GB' }, { lang: 'zh_TW' }, { lang: 'en-US', localService: true }];
	  return [items.map((e) => e.textContent).join('|'), spoken.join(' '), log.join(' '),
	    pickVoice(voices, 'zh-CN')?.lang, pickVoice(voices, 'en')?.lang, String(pickVoice([{ lang: 'zh-HK' }], 'zh-CN'))].join('\n');
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fail(mode+" reader", err)
	}
	want := strings.Join([]string{
		"One|Two|Three|Four",
		"One/en Two/en Three/en One/en Two/en Three/en Four/en",
		"playing0:Rtrue--- playing1:-Rtrue-- paused1:-Rtrue-- playing1:-Rtrue-- playing2:--Rtrue- idle-1:---- " +
			"playing0:Rtrue--- playing1:-Rtrue-- playing2:--Rtrue- playing3:---Rtrue finished-1:----",
		"zh_TW", "en-GB", "null",
	}, "\n")
	if got != want {
		b.t.Errorf("%s: reader:\n got %s\nwant %s", mode, got, want)
	}
}

// enhancedContrast runs axe's AAA contrast rule (7:1, 4.5:1 for large text).
func (b *browserSession) enhancedContrast(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 25*time.Second)
	defer cancel()
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](`(async () => {
	  const r = await axe.run(document, { runOnly: { type: 'rule', values: ['color-contrast-enhanced'] }, resultTypes: ['violations'] });
	  return r.violations.map((v) => ({ id: v.id, impact: v.impact || '', help: v.help,
	    nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: (n.failureSummary || '').split('\n').slice(0, 2).join(' ') })) }));
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fail(name+" (axe AAA)", err)
	}
	for _, v := range vs {
		for _, n := range v.Nodes {
			b.t.Errorf("%s: %s: %s %s", name, v.ID, n.Target, n.Summary)
		}
	}
}
