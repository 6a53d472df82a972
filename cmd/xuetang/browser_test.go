package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/xuetang-edu/xuetang/internal/config"
	"github.com/xuetang-edu/xuetang/internal/course"
)

// The learner journey in a real headless Chromium against the real server:
// sign in, enrol from the catalogue, read every lesson, fail a quiz once,
// pass every quiz, see the course complete with its hours on "My learning",
// open the certificate, sign out and verify the serial. Once in Chinese and
// once in English.
//
// It needs Debian's chromium (apt-get install chromium). Without it the test
// skips, unless XUETANG_BROWSER_TEST=1 says the browser must be there (CI).
// When a step fails, a screenshot goes to $XUETANG_SCREENSHOT_DIR (default:
// the temporary directory's xuetang-screens folder) and its path is logged.

const browserPassword = "pass-word-123"

func chromiumPath() string {
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

type browserLearner struct {
	lang        string // UI language, and the course's
	username    string
	displayName string
	slug        string
}

func TestBrowserLearnerJourney(t *testing.T) {
	exe := needChromium(t)

	learners := []browserLearner{
		{lang: "zh-CN", username: "learner-zh", displayName: "王小明", slug: "internet-safety"},
		{lang: "en", username: "learner-en", displayName: "Alice Smith", slug: "internet-safety-en"},
	}
	env := map[string]string{
		"XUETANG_ADDR":      "127.0.0.1:0",
		"XUETANG_DATA_DIR":  t.TempDir(),
		"XUETANG_LOG_LEVEL": "warn",
		// Lessons of 10-12 minutes need 48-58 s of credited time: one
		// heartbeat's worth, spent through the test clock below.
		"XUETANG_MIN_TIME_SHARE": "0.08",
	}
	getenv := func(k string) string { return env[k] }
	for _, l := range learners {
		createUser(t, getenv, l.username, "learner", l.displayName, l.lang)
	}

	// The server's clock and the pages' Date.now run this far ahead of real
	// time; advancing both spends a lesson's time without waiting for it.
	clock := &testClock{}
	base := startBrowserServer(t, getenv, clock.now)
	browserCtx := startBrowser(t, exe)

	for _, l := range learners {
		t.Run(l.lang, func(t *testing.T) {
			pkgs, err := course.Load(filepath.Join("..", "..", "courses", l.slug))
			if err != nil || len(pkgs) != 1 {
				t.Fatalf("load course package %s: %v", l.slug, err)
			}
			b := newBrowserSession(t, browserCtx, base, l)
			b.clock = clock
			b.journey(pkgs[0])
		})
	}
}

// needChromium returns the browser's path, or skips the test when there is
// none and XUETANG_BROWSER_TEST=1 does not require it.
func needChromium(t *testing.T) string {
	t.Helper()
	exe := chromiumPath()
	required := os.Getenv("XUETANG_BROWSER_TEST") == "1"
	if exe == "" {
		if required {
			t.Fatal("XUETANG_BROWSER_TEST=1 but chromium is not installed (apt-get install chromium)")
		}
		t.Skip("chromium is not installed; set XUETANG_BROWSER_TEST=1 to make this a failure")
	}
	if testing.Short() && !required {
		t.Skip("browser test skipped in -short mode")
	}
	return exe
}

// createUser runs `xuetang user create` with browserPassword.
func createUser(t *testing.T, getenv func(string) string, username, role, displayName, locale string, more ...string) {
	t.Helper()
	var out, errOut strings.Builder
	args := append([]string{"user", "create", "--username", username, "--role", role,
		"--display-name", displayName, "--locale", locale}, more...)
	if code := run(args, strings.NewReader(browserPassword+"\n"), &out, &errOut, getenv); code != 0 {
		t.Fatalf("user create %s: exit %d: %s", username, code, errOut.String())
	}
}

// startBrowser starts headless Chromium for the whole test; tabs are opened
// by newBrowserSession.
func startBrowser(t *testing.T, exe string) context.Context {
	t.Helper()
	// One deadline for everything: a hung browser must not hang CI.
	root, cancelRoot := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancelRoot)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(root, opts...)
	t.Cleanup(cancelAlloc)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browserCtx); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	return browserCtx
}

// startBrowserServer runs the real server in-process and returns its URL.
// testClock is real time plus an offset the test moves forward.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// skewScript makes a page's Date.now run as far ahead as the server's clock:
// the reader counts active time with it and dates events by it. The skew
// is kept in sessionStorage so it survives navigation within the tab.
const skewScript = `(() => {
  const real = Date.now.bind(Date);
  let skew = Number(sessionStorage.getItem('xt-test-skew') || 0);
  Object.defineProperty(window, '__xtSkew', {
    get() { return skew; },
    set(v) { skew = v; sessionStorage.setItem('xt-test-skew', String(v)); },
  });
  Date.now = () => real() + skew;
})();`

func startBrowserServer(t *testing.T, getenv func(string) string, now func() time.Time) string {
	t.Helper()
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, newLogger(testWriter{t}, "warn"), serveHooks{started: func(a string) { addrc <- a }, now: now})
	}()
	select {
	case addr := <-addrc:
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		})
		return "http://" + addr
	case err := <-done:
		cancel()
		t.Fatalf("serve: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("server did not start in 60 s")
	}
	return ""
}

// testWriter sends the server's warnings to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

type browserSession struct {
	t       *testing.T
	ctx     context.Context
	base    string
	l       browserLearner
	catalog map[string]string
	clock   *testClock

	mu       sync.Mutex
	problems []string // uncaught exceptions, console errors, CSP violations

	axePages int           // pages checked with axe
	axeTime  time.Duration // spent checking them
}

func newBrowserSession(t *testing.T, browserCtx context.Context, base string, l browserLearner) *browserSession {
	b := &browserSession{t: t, base: base, l: l}
	raw, err := os.ReadFile(filepath.Join("..", "..", "frontend", "i18n", l.lang+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &b.catalog); err != nil {
		t.Fatal(err)
	}
	// A fresh browser context: its own cookies and storage, like a new person.
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext(), chromedp.WithListener(b.listen))
	t.Cleanup(cancel)
	b.ctx = ctx
	// The first Run binds the tab's life to its context, so it gets no
	// per-step deadline (the root context still bounds it).
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, cdplog.Enable, cdp.Empty{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: skewScript})
		return err
	}), chromedp.EmulateViewport(375, 812)); err != nil { // a small phone
		t.Fatalf("open a tab: %v", err)
	}
	t.Cleanup(func() {
		if b.axePages > 0 {
			t.Logf("axe checked %d pages in %s", b.axePages, b.axeTime.Round(time.Millisecond))
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, p := range b.problems {
			t.Errorf("browser reported: %s", p)
		}
	})
	return b
}

// advance moves the server's clock and the open page's Date.now forward.
func (b *browserSession) advance(d time.Duration) {
	b.t.Helper()
	total := b.clock.offset.Add(int64(d))
	ctx, cancel := context.WithTimeout(b.ctx, 25*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(window.__xtSkew = %d, true)`, total/int64(time.Millisecond)))); err != nil {
		b.fail("advance the clock", err)
	}
}

func (b *browserSession) listen(ev any) {
	var msg string
	switch e := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		msg = "uncaught exception: " + d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
		msg += fmt.Sprintf(" at %s:%d", d.URL, d.LineNumber+1)
	case *cdplog.EventEntryAdded:
		if e.Entry.Level != cdplog.EntryLevelError {
			return
		}
		// Failed requests the journey makes on purpose (401 from /me while
		// signed out, 404 for an unknown serial) are expected.
		if e.Entry.Source == cdplog.EntrySourceNetwork {
			return
		}
		msg = fmt.Sprintf("%s error: %s (%s)", e.Entry.Source, e.Entry.Text, e.Entry.URL)
	default:
		return
	}
	b.mu.Lock()
	b.problems = append(b.problems, msg)
	b.mu.Unlock()
}

// do runs steps with a per-step deadline generous enough for a busy
// two-core CI machine; on failure it saves a screenshot and stops the test.
func (b *browserSession) do(name string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 25*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.fail(name, err)
	}
}

func (b *browserSession) text(name, sel string) string {
	b.t.Helper()
	b.do(name, chromedp.WaitVisible(chromedp.CSS(sel)))
	ctx, cancel := context.WithTimeout(b.ctx, 25*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.fail(name, err)
	}
	return strings.TrimSpace(s)
}

func (b *browserSession) attr(name, sel, attr string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 25*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(
		`(document.querySelector(%s) || {getAttribute(){return ''}}).getAttribute(%s) || ''`, jsString(sel), jsString(attr))))
	if err != nil {
		b.fail(name, err)
	}
	if v == "" {
		b.fail(name, fmt.Errorf("no %s on %s", attr, sel))
	}
	return v
}

func (b *browserSession) fail(name string, err error) {
	b.t.Helper()
	where := ""
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	if loc, lerr := chromedp.Run(ctx, chromedp.Location()); lerr == nil {
		where = " at " + loc
	}
	b.t.Fatalf("%s%s: %v (screenshot: %s)", name, where, err, b.screenshot(name))
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func (b *browserSession) screenshot(name string) string {
	dir := os.Getenv("XUETANG_SCREENSHOT_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "xuetang-screens")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "not saved: " + err.Error()
	}
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 means PNG
	if err != nil {
		return "not saved: " + err.Error()
	}
	file := filepath.Join(dir, unsafeFileChars.ReplaceAllString(
		fmt.Sprintf("%s-%s-%s.png", b.t.Name(), name, time.Now().Format("150405.000")), "_"))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		return "not saved: " + err.Error()
	}
	return file
}

// shot saves a screenshot of a step that went well, when
// XUETANG_SCREENSHOT_STEPS=1 asks for them (to review the pages by eye).
func (b *browserSession) shot(name string) {
	if os.Getenv("XUETANG_SCREENSHOT_STEPS") == "1" {
		b.t.Logf("screenshot %s: %s", name, b.screenshot(name))
	}
}

func (b *browserSession) location() string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		b.fail("location", err)
	}
	return loc
}

func (b *browserSession) msg(key string) string {
	b.t.Helper()
	s, ok := b.catalog[key]
	if !ok {
		b.t.Fatalf("no %s in the %s catalog", key, b.l.lang)
	}
	return s
}

func (b *browserSession) journey(pkg *course.Package) {
	t := b.t
	sel := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	// Sign in.
	// A crafted next= that a browser would resolve to another site is
	// ignored: after signing in the learner stays here.
	b.do("open sign-in page", chromedp.Navigate(b.base+"/login?next=/%5Cexample.org/phish"))
	b.do("sign-in page", chromedp.WaitVisible(sel("#username")))
	b.accessible("sign-in page")
	b.do("sign in",
		chromedp.SendKeys(sel("#username"), b.l.username),
		chromedp.SendKeys(sel("#password"), browserPassword),
		jsClick("#login-form button[type=submit]"),
		chromedp.WaitVisible(sel("#greeting")),
	)
	if loc := b.location(); !strings.HasPrefix(loc, b.base+"/") {
		b.fail("sign in", fmt.Errorf("sent to %s, off this site", loc))
	}
	if got := b.text("greeting", "#greeting"); !strings.Contains(got, b.l.displayName) {
		t.Errorf("greeting %q does not name %q", got, b.l.displayName)
	}
	b.accessible("home")

	// The catalogue lists courses in the learner's language; enrol from the course page.
	card := fmt.Sprintf(`.course-card[data-slug=%q] h3 a`, pkg.Slug)
	b.do("catalogue", chromedp.Navigate(b.base+"/courses"), chromedp.WaitVisible(sel(card)))
	b.shot("catalogue")
	b.accessible("catalogue")
	b.do("open course",
		jsClick(card),
		chromedp.WaitVisible(sel("#enroll")),
	)
	if got := b.text("course title", "main h1"); got != pkg.Title {
		t.Errorf("course page title %q, want %q", got, pkg.Title)
	}
	// The page says when the course's facts were last checked, if it says.
	if want := reviewedMonth(pkg.Reviewed, b.l.lang); want != "" {
		if got := b.text("reviewed", "#course-reviewed"); got != want {
			t.Errorf("course page says facts checked %q, want %q", got, want)
		}
	} else if n := b.count("#course-reviewed"); n != 0 {
		t.Errorf("course %s has no reviewed month, but its page shows one", pkg.Slug)
	}
	b.accessible("course")
	b.do("enrol", jsClick("#enroll"), chromedp.WaitVisible(sel("#continue")))
	b.shot("enrolled")
	b.do("start learning",
		jsClick("#continue"),
		chromedp.WaitVisible(sel("#lesson-title")),
	)

	// Read every lesson and pass every quiz; fail the first quiz once.
	var serial string
	for i, lesson := range pkg.Lessons {
		step := fmt.Sprintf("lesson %d", i+1)
		if got := b.text(step+" title", "#lesson-title"); got != lesson.Title {
			b.fail(step, fmt.Errorf("title %q, want %q", got, lesson.Title))
		}
		switch i {
		case 0:
			// Reaching the end at once is too soon: the reader says how
			// much longer, and the lesson completes once the time is spent.
			b.do(step+" read too soon", chromedp.ScrollIntoView(sel("#lesson-end")), chromedp.WaitVisible(sel("#time-needed")))
			if got, want := b.text(step+" time needed", "#time-needed"), strings.SplitN(b.msg("lesson.time_needed"), "{n}", 2)[0]; !strings.HasPrefix(got, want) {
				t.Errorf("%s: time-needed message %q, want it to start with %q", step, got, want)
			}
			b.shot(step + " time needed")
			b.accessible(step + " time needed")
			b.advance(61 * time.Second)
			b.do(step+" mark done after the time", jsClick("#mark-done"), chromedp.WaitVisible(sel("#lesson-done")))
		case 1:
			// One lesson is finished with the button, the others by reaching the end.
			b.advance(61 * time.Second)
			b.do(step+" mark done", jsClick("#mark-done"), chromedp.WaitVisible(sel("#lesson-done")))
		default:
			b.advance(61 * time.Second)
			b.do(step+" read to the end", chromedp.ScrollIntoView(sel("#lesson-end")), chromedp.WaitVisible(sel("#lesson-done")))
		}
		if len(lesson.Questions) > 0 {
			if i == 0 {
				b.answer(step+" wrong answers", lesson.Questions, false)
				b.do(step+" submit wrong answers",
					jsClick("#quiz-submit"),
					chromedp.WaitVisible(sel(`#quiz-result[data-passed="false"]`)),
					chromedp.WaitVisible(sel(`.question.incorrect`)),
				)
				if got, want := b.text(step+" verdict", "#quiz-verdict"), strings.SplitN(b.msg("quiz.failed"), "{n}", 2)[0]; !strings.HasPrefix(got, want) {
					t.Errorf("%s: failed verdict %q, want it to start with %q", step, got, want)
				}
				b.shot(step + " failed")
				b.accessible(step + " quiz failed")
				b.do(step+" retry", jsClick("#quiz-retry"), chromedp.WaitVisible(sel("#quiz-submit")))
			}
			b.answer(step+" right answers", lesson.Questions, true)
			b.do(step+" submit right answers",
				jsClick("#quiz-submit"),
				chromedp.WaitVisible(sel(`#quiz-result[data-passed="true"]`)),
			)
			if n := b.count(".question.incorrect"); n != 0 {
				b.fail(step, fmt.Errorf("%d questions marked wrong after the right answers", n))
			}
		}
		if i < len(pkg.Lessons)-1 {
			next := b.attr(step+" next link", "#next-lesson", "href")
			b.do(step+" next lesson", chromedp.Navigate(b.base+next), chromedp.WaitVisible(sel("#lesson-title")))
			continue
		}
		b.do("course complete", chromedp.WaitVisible(sel("#course-complete")))
		b.shot("course complete")
		b.accessible("course complete")
		href := b.attr("certificate link", "#certificate-link", "href")
		serial = strings.TrimPrefix(href, "/certificates/")
		if serial == "" || serial == href {
			b.fail("certificate link", fmt.Errorf("unexpected href %q", href))
		}
	}

	// My learning credits the course's study hours.
	hours := strconv.FormatFloat(pkg.StudyHours, 'f', -1, 64)
	b.do("my learning", chromedp.Navigate(b.base+"/me"), chromedp.WaitVisible(sel(fmt.Sprintf(`.course-card[data-slug=%q] .completed`, pkg.Slug))))
	if got := b.text("hours earned", "#hours-earned"); !strings.HasPrefix(got, hours+" ") {
		b.fail("hours earned", fmt.Errorf("%q does not start with %s study hours", got, hours))
	}
	b.do("certificates list", chromedp.WaitVisible(sel(fmt.Sprintf(`#certificates a[href="/certificates/%s"]`, serial))))
	b.shot("my learning")
	b.accessible("my learning")

	// The yearly study-hour statement opens from My learning and lists the course.
	b.do("statement", jsClick("#statement-open"), chromedp.WaitVisible(sel("#statement-serial")))
	stmt := b.text("statement serial", "#statement-serial")
	if !strings.HasPrefix(stmt, "XS-") {
		t.Errorf("statement serial %q", stmt)
	}
	if got := b.text("statement total", "#statement-total"); got != hours {
		t.Errorf("statement total %q, want %s", got, hours)
	}
	if got := b.text("statement items", "#statement-items"); !strings.Contains(got, pkg.Title) {
		t.Errorf("statement items %q lack %q", got, pkg.Title)
	}
	b.shot("statement")
	b.accessible("statement")

	// The certificate.
	b.do("certificate", chromedp.Navigate(b.base+"/certificates/"+url.PathEscape(serial)), chromedp.WaitVisible(sel("#cert-name")))
	b.shot("certificate")
	for _, c := range []struct{ sel, want string }{
		{"#cert-name", b.l.displayName}, {"#cert-course", pkg.Title}, {"#cert-hours", hours}, {"#cert-serial", serial},
	} {
		if got := b.text("certificate "+c.sel, c.sel); got != c.want {
			t.Errorf("certificate %s = %q, want %q", c.sel, got, c.want)
		}
	}
	if got := b.text("certificate verify url", "#cert-verify-url"); !strings.HasSuffix(got, "/verify/"+serial) {
		t.Errorf("verify URL %q does not end in /verify/%s", got, serial)
	}
	// The QR code of the verification address is drawn by the server.
	qrCtx, cancelQR := context.WithTimeout(b.ctx, 25*time.Second)
	if _, err := chromedp.Run(qrCtx, chromedp.Poll[bool](`(() => { const i = document.getElementById('cert-qr'); return !!i && i.complete && i.naturalWidth > 100; })()`)); err != nil {
		cancelQR()
		b.fail("certificate QR code", err)
	}
	cancelQR()
	b.accessible("certificate")

	// Sign out, then verify the serial as anyone can.
	// On a phone the navigation, with sign-out, is behind the menu button.
	b.do("sign out", jsClick("#menu-button"), jsClick("#sign-out"), chromedp.WaitVisible(sel("#login-form")))
	b.do("verify", chromedp.Navigate(b.base+"/verify/"+url.PathEscape(serial)+"?lang="+b.l.lang),
		chromedp.WaitVisible(sel(`#verify-result[data-valid="true"]`)))
	b.shot("verified")
	b.accessible("verified")
	if got := b.text("verify result", "#verify-result"); !strings.Contains(got, b.msg("verify.valid")) || !strings.Contains(got, b.l.displayName) {
		t.Errorf("verify result %q lacks %q or the learner's name", got, b.msg("verify.valid"))
	}
	b.do("verify statement", chromedp.Navigate(b.base+"/verify/"+url.PathEscape(stmt)+"?lang="+b.l.lang),
		chromedp.WaitVisible(sel(`#verified-statement #statement-serial`)))
	if got := b.text("verified statement", "#verify-result"); !strings.Contains(got, b.l.displayName) || !strings.Contains(got, pkg.Title) {
		t.Errorf("verified statement %q lacks the learner's name or the course", got)
	}
	b.shot("verified statement")
	b.accessible("verified statement")
	b.do("verify unknown", chromedp.Navigate(b.base+"/verify/NO-SUCH-SERIAL?lang="+b.l.lang),
		chromedp.WaitVisible(sel(`#verify-result[data-valid="false"]`)))
	b.shot("not verified")
	b.accessible("not verified")
}

// answer fills in the quiz: the right answers from the course package (the
// API never reveals them), or answers that are certainly wrong. Options are
// chosen by their text: the server shows them in an order of its own.
func (b *browserSession) answer(step string, qs []course.Question, right bool) {
	var steps []chromedp.Action[chromedp.Void]
	click := func(q course.Question, value string) {
		steps = append(steps, jsClick(fmt.Sprintf(`[data-qid=%q] input[value=%q]`, q.ID, value)))
	}
	option := func(q course.Question, i int) {
		steps = append(steps, jsClickOption(q.ID, q.Options[i]))
	}
	for _, q := range qs {
		switch q.Type {
		case course.Single:
			i := q.Answer.Index
			if !right {
				i = (i + 1) % len(q.Options)
			}
			option(q, i)
		case course.Multiple:
			want := map[int]bool{}
			for _, i := range q.Answer.Indexes {
				want[i] = true
			}
			var pick []int
			for i := range q.Options {
				if want[i] == right {
					pick = append(pick, i)
				}
			}
			if len(pick) == 0 { // every option is right: one alone is wrong
				pick = []int{0}
			}
			for _, i := range pick {
				option(q, i)
			}
		case course.TrueFalse:
			click(q, strconv.FormatBool(q.Answer.Bool == right))
		case course.FillBlank:
			text := "xyzzy"
			if right {
				text = q.Answer.Texts[0]
			}
			steps = append(steps, chromedp.SendKeys(chromedp.CSS(fmt.Sprintf(`[data-qid=%q] input`, q.ID)), text))
		default:
			b.fail(step, errors.New("unknown question type "+q.Type))
		}
	}
	b.do(step, steps...)
}

func (b *browserSession) count(sel string) int {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%s).length`, jsString(sel))))
	if err != nil {
		b.fail("count "+sel, err)
	}
	return n
}

func jsString(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// jsClick clicks through the DOM rather than with synthetic mouse events at
// the element's centre: on a loaded CI machine the page can still be laying
// out when the coordinates are taken, and the click then lands elsewhere.
// jsClickOption clicks the choice of question qid whose text is text.
func jsClickOption(qid, text string) chromedp.Action[chromedp.Void] {
	css := fmt.Sprintf(`[data-qid=%q] label.choice`, qid)
	wait := chromedp.WaitVisible(chromedp.CSS(css))
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		if _, err := wait(ctx, t); err != nil {
			return chromedp.Void{}, err
		}
		found, err := chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
			for (const l of document.querySelectorAll(%s)) {
				if (l.textContent === %s) { l.querySelector('input').click(); return true; }
			}
			return false;
		})()`, jsString(css), jsString(text)))(ctx, t)
		if err == nil && !found {
			err = fmt.Errorf("question %s has no option %q", qid, text)
		}
		return chromedp.Void{}, err
	}
}

func jsClick(css string) chromedp.Action[chromedp.Void] {
	wait := chromedp.WaitVisible(chromedp.CSS(css))
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		if _, err := wait(ctx, t); err != nil {
			return chromedp.Void{}, err
		}
		_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(document.querySelector(%s).click(), true)`, jsString(css)))(ctx, t)
		return chromedp.Void{}, err
	}
}

// reviewedMonth is how the course page words a course.yaml "reviewed" month.
func reviewedMonth(ym, lang string) string {
	t, err := time.Parse("2006-01", ym)
	if err != nil {
		return ""
	}
	if lang == "zh-CN" {
		return fmt.Sprintf("%d年%d月", t.Year(), int(t.Month()))
	}
	return t.Format("January 2006")
}
