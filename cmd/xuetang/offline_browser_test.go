package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/xuetang-edu/xuetang/internal/course"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Offline lessons in a real Chromium, in both languages. The learner signs
// in, enrols, saves the course for offline, and reads a lesson online. Then
// the network goes: a TCP relay between the browser and the server refuses
// every connection (so the page and its service worker alike see a dead
// network; DevTools' offline emulation does not reach a worker's fetches in
// every Chromium), and DevTools tells the page it is offline. The lesson
// reloads from the worker's caches, a lesson never opened (only saved) opens
// too, and the quiz answered offline waits with "1 change waiting" in the
// header. The same quiz waits in a second tab; when the network returns to
// both at once over a slow link, the answers go to the server once (a Web
// Lock), are marked in both tabs and stored exactly once. Answers the server
// refuses for good are reported, and a shared-computer sign-in keeps no
// worker or cache. axe checks the page with the indicator offline, online
// and with a refusal.
func TestBrowserOfflineLessons(t *testing.T) {
	exe := needChromium(t)
	dataDir := t.TempDir()
	env := map[string]string{
		"XUETANG_ADDR":      "127.0.0.1:0",
		"XUETANG_DATA_DIR":  dataDir,
		"XUETANG_LOG_LEVEL": "warn",
		// As in the learner journey: a lesson completes after a minute of
		// credited time, spent through the test clock.
		"XUETANG_MIN_TIME_SHARE": "0.08",
	}
	getenv := func(k string) string { return env[k] }
	learners := []browserLearner{
		{lang: "zh-CN", username: "offline-zh", displayName: "陈小红", slug: "internet-safety"},
		{lang: "en", username: "offline-en", displayName: "Ann Offline", slug: "internet-safety-en"},
	}
	for _, l := range learners {
		createUser(t, getenv, l.username, "learner", l.displayName, l.lang)
		createUser(t, getenv, l.username+"-next", "learner", l.displayName+" 2", l.lang)
	}
	clock := &testClock{}
	server := startBrowserServer(t, getenv, clock.now)
	relay := startRelay(t, strings.TrimPrefix(server, "http://"))
	browserCtx := startBrowser(t, exe)

	for _, l := range learners {
		t.Run(l.lang, func(t *testing.T) {
			pkgs, err := course.Load(filepath.Join("..", "..", "courses", l.slug))
			if err != nil || len(pkgs) != 1 {
				t.Fatalf("load course package %s: %v", l.slug, err)
			}
			b := newBrowserSession(t, browserCtx, relay.base, l)
			b.clock = clock
			b.offlineLessons(pkgs[0], relay, filepath.Join(dataDir, "xuetang.db"))

			// Signed in as a shared computer, nothing is kept for offline:
			// no worker, no caches, no "save for offline".
			s := newBrowserSession(t, browserCtx, relay.base, l)
			s.do("open sign-in page", chromedp.Navigate(s.base+"/login?lang="+l.lang), chromedp.WaitVisible(chromedp.CSS("#shared")))
			s.waitJS("sign-in ready", `document.cookie.includes('xuetang_csrf=')`)
			s.do("sign in on a shared computer",
				chromedp.SendKeys(chromedp.CSS("#username"), l.username),
				chromedp.SendKeys(chromedp.CSS("#password"), browserPassword),
				jsClick("#shared"),
				jsClick("#login-form button[type=submit]"),
				chromedp.WaitVisible(chromedp.CSS("#greeting")),
				chromedp.Navigate(s.base+"/courses/"+l.slug),
				chromedp.WaitVisible(chromedp.CSS("#continue")),
			)
			if n := s.count("#save-offline"); n != 0 {
				t.Error("a shared computer offers to save the course for offline")
			}
			time.Sleep(500 * time.Millisecond) // a registration would have started by now
			if got := s.eval("nothing kept", `Promise.all([navigator.serviceWorker.getRegistrations(), caches.keys()]).then(([r, c]) => r.length + ',' + c.length)`); got != "0,0" {
				t.Errorf("shared computer: %s service workers,caches", got)
			}
		})
	}
}

func (b *browserSession) offlineLessons(pkg *course.Package, relay *relay, dbPath string) {
	t := b.t
	sel := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	quiz, other := -1, -1
	for i, l := range pkg.Lessons {
		if quiz < 0 && len(l.Questions) > 0 {
			quiz = i
		} else if other < 0 && i > 0 {
			other = i
		}
	}
	if quiz < 0 || other < 0 {
		t.Fatalf("course %s needs a lesson with a quiz and another one", pkg.Slug)
	}

	b.signInReady(b.l.username)
	b.advance(0)
	b.do("course page", chromedp.Navigate(b.base+"/courses/"+pkg.Slug), chromedp.WaitVisible(sel("#enroll")))
	b.do("enrol", jsClick("#enroll"), chromedp.WaitVisible(sel("#continue")))
	b.waitJS("worker in control", `navigator.serviceWorker.ready.then(() => !!navigator.serviceWorker.controller)`)
	b.do("save for offline", jsClick("#save-offline"), chromedp.WaitVisible(sel("#offline-saved")))
	lessons := strings.Split(b.eval("lesson links", `[...document.querySelectorAll('.lesson-list a')].map((a) => a.getAttribute('href')).join(' ')`), " ")
	if len(lessons) != len(pkg.Lessons) {
		b.fail("lesson links", fmt.Errorf("%d links for %d lessons", len(lessons), len(pkg.Lessons)))
	}
	quizURL := b.base + lessons[quiz]
	var lessonID int64
	fmt.Sscanf(lessons[quiz], "/lessons/%d", &lessonID)

	// Online: the lesson is read to its end and marked done, so what waits
	// later is the quiz alone.
	b.do("open lesson online", chromedp.Navigate(quizURL), chromedp.WaitVisible(sel("#lesson-title")))
	b.advance(61 * time.Second)
	b.do("mark done online", jsClick("#mark-done"), chromedp.WaitVisible(sel("#lesson-done")))
	// The copy kept for offline learns it is done.
	b.waitJS("offline copy done", fmt.Sprintf(`caches.open('xuetang-data-1').then((c) => c.match('/api/v1/lessons/%d')).then((r) => r.json()).then((j) => j.completed === true)`, lessonID))
	b.waitJS("online indicator", `document.querySelector('#net-status[data-state="online"][data-waiting="0"]')`)

	// The network goes.
	b.offline(relay, true)
	b.do("reload offline", chromedp.Navigate(quizURL), chromedp.WaitVisible(sel("#lesson-title")), chromedp.WaitVisible(sel("#quiz-submit")))
	if got := b.text("title offline", "#lesson-title"); got != pkg.Lessons[quiz].Title {
		b.fail("reload offline", fmt.Errorf("title %q, want %q", got, pkg.Lessons[quiz].Title))
	}
	b.waitJS("offline indicator", `document.querySelector('#net-status[data-state="offline"]')`)
	b.answer("answer offline", pkg.Lessons[quiz].Questions, true)
	b.do("submit offline", jsClick("#quiz-submit"), chromedp.WaitVisible(sel(`#quiz-status[data-queued="true"]`)))
	if got, want := b.text("queued note", "#quiz-status"), b.msg("offline.quiz_queued"); got != want {
		t.Errorf("queued quiz says %q, want %q", got, want)
	}
	b.waitJS("one waiting", `document.querySelector('#net-status[data-state="offline"][data-waiting="1"]')`)
	waitingKey := "offline.waiting"
	if b.l.lang == "en" {
		waitingKey += ".one"
	}
	b.waitJS("indicator", fmt.Sprintf(`(document.querySelector('#net-status')?.textContent || '').trim() === %q`,
		b.msg("offline.offline")+" · "+strings.ReplaceAll(b.msg(waitingKey), "{n}", "1")))
	if live := b.attr("indicator live", "#net-status", "aria-live"); live != "polite" {
		t.Errorf("indicator aria-live %q", live)
	}
	b.accessible("offline, one change waiting")

	// A lesson saved but never opened reads offline too; back on the quiz,
	// the answers are still waiting (kept on the device, not in the page).
	b.do("saved lesson offline", chromedp.Navigate(b.base+lessons[other]), chromedp.WaitVisible(sel("#lesson-title")))
	if got := b.text("saved lesson title", "#lesson-title"); got != pkg.Lessons[other].Title {
		b.fail("saved lesson offline", fmt.Errorf("title %q, want %q", got, pkg.Lessons[other].Title))
	}
	// (Reading it may queue its "done" too: a change, counted.)
	b.waitJS("answers still waiting", `Number(document.querySelector('#net-status').dataset.waiting) >= 1 &&
		Object.keys(localStorage).filter((k) => k.endsWith('quiz-queue')).map((k) => JSON.parse(localStorage.getItem(k)).length).join() === '1'`)
	b.do("quiz again offline", chromedp.Navigate(quizURL), chromedp.WaitVisible(sel(`#quiz-status[data-queued="true"]`)))
	// A second tab shows the same waiting quiz.
	tabCtx, closeTab := chromedp.NewContext(b.ctx)
	defer closeTab()
	// The first Do opens the tab for the life of tabCtx (no step deadline).
	if err := chromedp.Do(tabCtx, chromedp.EmulateViewport(375, 812)); err != nil {
		t.Fatalf("open a second tab: %v", err)
	}
	tab := &browserSession{t: t, ctx: tabCtx, base: b.base, l: b.l, catalog: b.catalog, clock: b.clock}
	tab.offline(relay, true)
	tab.do("second tab offline", chromedp.Navigate(quizURL), chromedp.WaitVisible(sel(`#quiz-status[data-queued="true"]`)))
	if n := relay.served(); n != 0 {
		t.Errorf("the relay passed %d connections while offline", n)
	}
	before := relay.submissions()
	relay.mu.Lock()
	relay.slow = 2 * time.Second
	relay.mu.Unlock()

	// The network returns, for both tabs at once: the answers are sent
	// once and marked in both.
	relay.setOffline(false)
	tab.offline(relay, false)
	b.offline(relay, false)
	b.do("marked after reconnecting", chromedp.WaitVisible(sel(`#quiz-result[data-passed="true"]`)))
	tab.do("marked in the second tab", chromedp.WaitVisible(sel(`#quiz-result[data-passed="true"]`)))
	time.Sleep(3 * time.Second) // a second sender's backoff would have fired by now
	if n := relay.submissions() - before; n != 1 {
		t.Errorf("the answers went to the server %d times from two tabs, want once", n)
	}
	relay.mu.Lock()
	relay.slow = 0
	relay.mu.Unlock()
	closeTab()
	b.waitJS("nothing waiting", `document.querySelector('#net-status[data-state="online"][data-waiting="0"]')`)
	b.accessible("back online")
	b.do("reload online", chromedp.Navigate(quizURL), chromedp.WaitVisible(sel("#quiz-submit")))
	b.waitJS("nothing waiting after reload", `document.querySelector('#net-status[data-waiting="0"]')`)
	if queued := b.eval("queue", `Object.keys(localStorage).filter((k) => k.endsWith('quiz-queue')).length`); queued != "0" {
		t.Errorf("%s quiz queues left in storage", queued)
	}

	// Answers the server will never mark (here: for a lesson that no longer
	// exists, as when a newer course version dropped it) are not dropped
	// silently: the header says so until the learner dismisses it.
	b.eval("queue answers for a lost lesson", `(() => {
	  const p = Object.keys(localStorage).find((k) => /^xuetang\.u\d+\./.test(k)).match(/^xuetang\.u\d+\./)[0];
	  localStorage.setItem(p + 'quiz-queue', JSON.stringify([{ attempt_id: '0b9c7a3e-5d2f-4c1a-8e6b-7f0a1d2c3b4e', lesson_id: 999999,
	    lesson_title: 'Lost lesson', course_slug: 'x', answers: { q1: 0 }, attempt_key: '' }]));
	  return true;
	})()`)
	b.do("refused answers reported", chromedp.Navigate(b.base+"/me"), chromedp.WaitVisible(sel(`#offline-notes [data-kind="failed"]`)))
	// Read in the page, in one go: the header redraws the note as the queue
	// settles, so a node found a moment ago may be gone.
	want := strings.SplitN(b.msg("offline.not_graded"), "{title}", 2)[0] + "Lost lesson"
	b.waitJS("refused note", fmt.Sprintf(`(document.querySelector('#offline-notes [data-kind="failed"]')?.textContent || '').trim().startsWith(%q)`, want))
	b.waitJS("refused not waiting", `document.querySelector('#net-status[data-waiting="0"]')`)
	b.accessible("answers refused")
	b.do("dismiss", jsClick(`#offline-notes [data-kind="failed"] button`), chromedp.WaitNotPresent(sel(`#offline-notes [data-kind="failed"]`)))

	st, err := store.Open(context.Background(), store.Options{SQLitePath: dbPath})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var attempts, withID int
	err = st.DB().QueryRow(`SELECT COUNT(*), COUNT(attempt_id) FROM quiz_attempts a JOIN users u ON u.id = a.user_id
		WHERE u.username = ? AND a.lesson_id = ?`, b.l.username, lessonID).Scan(&attempts, &withID)
	if err != nil {
		t.Fatal(err)
	}
	if attempts != 1 || withID != 1 {
		t.Errorf("%d attempts stored (%d with a client id), want exactly 1", attempts, withID)
	}

	// Two failures online start the quiz's pause between attempts; answers
	// given offline then meet a 429 when the network returns. They wait,
	// the header says so, and they are marked once the pause is over.
	qs := pkg.Lessons[quiz].Questions
	b.do("quiz online", chromedp.Navigate(quizURL), chromedp.WaitVisible(sel("#quiz-submit")))
	for i := 1; i <= 2; i++ {
		b.answer(fmt.Sprintf("wrong answers %d", i), qs, false)
		b.do(fmt.Sprintf("fail %d", i), jsClick("#quiz-submit"), chromedp.WaitVisible(sel(`#quiz-result[data-passed="false"]`)))
		b.do(fmt.Sprintf("retry %d", i), jsClick("#quiz-retry"), chromedp.WaitVisible(sel("#quiz-submit")))
	}
	b.offline(relay, true)
	b.answer("right answers offline", qs, true)
	b.do("submit during the pause", jsClick("#quiz-submit"), chromedp.WaitVisible(sel(`#quiz-status[data-queued="true"]`)))
	b.offline(relay, false)
	b.do("pause announced", chromedp.WaitVisible(sel(`#offline-notes [data-kind="cooldown"]`)))
	prefix := strings.SplitN(b.msg("offline.cooldown"), "{title}", 2)[0] + pkg.Lessons[quiz].Title
	b.waitJS("pause note", fmt.Sprintf(`(document.querySelector('#offline-notes [data-kind="cooldown"]')?.textContent || '').trim().startsWith(%q)`, prefix))
	b.waitJS("still waiting in the pause", `document.querySelector('#net-status[data-state="online"][data-waiting="1"]') && document.querySelector('#quiz-status[data-queued="true"]')`)
	b.accessible("quiz pause")
	b.advance(61 * time.Second)
	// The page's timer runs on real time; a reconnection sends at once.
	b.offline(relay, true)
	b.offline(relay, false)
	b.do("marked after the pause", chromedp.WaitVisible(sel(`#quiz-result[data-passed="true"]`)), chromedp.WaitNotPresent(sel(`#offline-notes [data-kind="cooldown"]`)))
	b.waitJS("nothing waiting after the pause", `document.querySelector('#net-status[data-waiting="0"]')`)

	// Someone else signs in on this device without the first person having
	// signed out: the lessons kept for the first one go.
	b.eval("sign in as someone else", fmt.Sprintf(`fetch('/api/v1/auth/login', { method: 'POST', credentials: 'same-origin',
	  headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': document.cookie.match(/xuetang_csrf=([^;]*)/)[1] },
	  body: JSON.stringify({ username: %s, password: %s }) }).then((r) => r.status)`, jsString(b.l.username+"-next"), jsString(browserPassword)))
	b.do("home as someone else", chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(sel("#greeting")))
	b.waitJS("first person's lessons gone", fmt.Sprintf(`caches.open('xuetang-data-1').then((c) => c.match('/api/v1/lessons/%d')).then((r) => !r)`, lessonID))
}

// offline cuts (or restores) the network between the browser and the
// server, and tells the page so through DevTools.
func (b *browserSession) offline(r *relay, off bool) {
	b.t.Helper()
	r.setOffline(off)
	b.do(fmt.Sprintf("network offline=%v", off), chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: off, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	}))
}

// relay passes TCP connections to the server until told the network is
// gone; then it closes every open connection and each new one at once.
type relay struct {
	base     string
	mu       sync.Mutex
	off      bool
	open     map[net.Conn]bool
	offConn  int // connections accepted while offline and passed on (must stay 0)
	attempts int // quiz submissions seen on the wire
	// slow holds each quiz submission this long before passing it on: a
	// slow link, which leaves another tab time to send the same answers.
	slow time.Duration
}

// requestCounter counts quiz submissions in what the browser sends (each
// request line starts "POST /api/v1/lessons/"; its tail holds a line split
// between two reads).
type requestCounter struct {
	w    io.Writer
	r    *relay
	tail []byte
}

var attemptLine = regexp.MustCompile(`POST /api/v1/lessons/\d+/attempts `)

func (rc *requestCounter) Write(p []byte) (int, error) {
	buf := append(rc.tail, p...)
	n := len(attemptLine.FindAllIndex(buf, -1))
	if n > 0 {
		rc.r.mu.Lock()
		rc.r.attempts += n
		slow := rc.r.slow
		rc.r.mu.Unlock()
		time.Sleep(slow)
		last := attemptLine.FindAllIndex(buf, -1)[n-1]
		buf = buf[last[1]:]
	}
	if len(buf) > 64 {
		buf = buf[len(buf)-64:]
	}
	rc.tail = append([]byte(nil), buf...)
	return rc.w.Write(p)
}

func (r *relay) submissions() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempts
}

func startRelay(t *testing.T, target string) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{base: "http://" + ln.Addr().String(), open: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); r.setOffline(true) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go r.pass(c, target)
		}
	}()
	return r
}

func (r *relay) pass(c net.Conn, target string) {
	r.mu.Lock()
	if r.off {
		r.mu.Unlock()
		c.Close()
		return
	}
	r.open[c] = true
	r.mu.Unlock()
	s, err := net.Dial("tcp", target)
	if err != nil {
		c.Close()
		return
	}
	r.mu.Lock()
	if r.off {
		r.offConn++
	}
	r.open[s] = true
	r.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { io.Copy(&requestCounter{w: s, r: r}, c); done <- struct{}{} }()
	go func() { io.Copy(c, s); done <- struct{}{} }()
	<-done
	c.Close()
	s.Close()
	r.mu.Lock()
	delete(r.open, c)
	delete(r.open, s)
	r.mu.Unlock()
}

func (r *relay) setOffline(off bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.off = off
	if off {
		for c := range r.open {
			c.Close()
		}
	}
}

func (r *relay) served() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.offConn
}
