package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xuetang-edu/xuetang/internal/course"
)

// Classes in a real browser, once per language: a teacher creates a class
// and prints its poster; a learner joins by the code from the poster's
// address; the teacher assigns a course due in two days; the learner sees
// it first in the catalogue, answers the first quiz wrong and completes the
// lesson; the teacher's grid shows the lesson done and the question
// analysis the wrong answer. Every new page is checked with axe.

type teachCase struct {
	lang, teacher, learner, learnerName, slug, className, admin string
}

func TestBrowserClasses(t *testing.T) {
	exe := needChromium(t)
	cases := []teachCase{
		{lang: "zh-CN", teacher: "class-teacher-zh", learner: "class-learner-zh", learnerName: "赵小红", slug: "internet-safety", className: "周二电脑班", admin: "class-admin-zh"},
		{lang: "en", teacher: "class-teacher-en", learner: "class-learner-en", learnerName: "Carol White", slug: "internet-safety-en", className: "Tuesday class", admin: "class-admin-en"},
	}
	env := map[string]string{
		"XUETANG_ADDR":      "127.0.0.1:0",
		"XUETANG_DATA_DIR":  t.TempDir(),
		"XUETANG_LOG_LEVEL": "warn",
		// Lessons of 10-12 minutes need 48-58 s of credited time: spent
		// through the shared test clock, as in the learner journey.
		"XUETANG_MIN_TIME_SHARE": "0.08",
	}
	getenv := func(k string) string { return env[k] }
	var out, errOut strings.Builder
	if code := run([]string{"institution", "create", "--code", "class-lib", "--name", "县图书馆", "--kind", "library", "--region", "510104"},
		strings.NewReader(""), &out, &errOut, getenv); code != 0 {
		t.Fatalf("institution create: exit %d: %s", code, errOut.String())
	}
	for _, c := range cases {
		createUser(t, getenv, c.teacher, "teacher", "Teacher "+c.lang, c.lang, "--institution", "class-lib")
		createUser(t, getenv, c.learner, "learner", c.learnerName, c.lang, "--institution", "class-lib")
		createUser(t, getenv, c.admin, "institution_admin", "Admin "+c.lang, c.lang, "--institution", "class-lib")
	}
	clock := &testClock{}
	base := startBrowserServer(t, getenv, clock.now)
	browserCtx := startBrowser(t, exe)
	for _, c := range cases {
		t.Run(c.lang, func(t *testing.T) {
			pkgs, err := course.Load(filepath.Join("..", "..", "courses", c.slug))
			if err != nil || len(pkgs) != 1 {
				t.Fatalf("load course package %s: %v", c.slug, err)
			}
			teacher := newBrowserSession(t, browserCtx, base, browserLearner{lang: c.lang, username: c.teacher})
			teacher.clock = clock
			learner := newBrowserSession(t, browserCtx, base, browserLearner{lang: c.lang, username: c.learner})
			learner.clock = clock
			runClass(t, c, pkgs[0], teacher, learner)
			admin := newBrowserSession(t, browserCtx, base, browserLearner{lang: c.lang, username: c.admin})
			courseQuestions(t, c, pkgs[0], admin)
		})
	}
}

func runClass(t *testing.T, c teachCase, pkg *course.Package, teacher, learner *browserSession) {
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	// The teacher creates the class from the list of classes.
	teacher.signIn(c.teacher)
	if n := teacher.count(`#site-header a[href="/teach"]`); n != 1 {
		t.Errorf("the header has %d links to the classes, want 1", n)
	}
	teacher.adminPage("/teach")
	teacher.accessible("classes")
	teacher.do("create a class",
		chromedp.SendKeys(css("#c-name"), c.className),
		jsClick("#create-form button[type=submit]"),
		chromedp.WaitVisible(css("#create-status a")),
	)
	href := teacher.attr("new class link", "#create-status a", "href")
	teacher.do("class listed", chromedp.WaitVisible(css(fmt.Sprintf(`#class-list a[href=%q]`, href))))
	teacher.accessible("classes with one")
	teacher.adminPage(href)
	classPath := href
	code := teacher.text("join code", "#join-code")
	if len(code) != 6 {
		t.Fatalf("join code %q", code)
	}
	teacher.accessible("class page")

	// The poster: the class, its QR code drawn by the server, the code.
	teacher.do("poster", chromedp.Navigate(teacher.base+classPath+"/poster"), chromedp.WaitVisible(css("#poster")))
	qrCtx, cancelQR := context.WithTimeout(teacher.ctx, 25*time.Second)
	if _, err := chromedp.Run(qrCtx, chromedp.Poll[bool](`(() => { const i = document.getElementById('poster-qr'); return !!i && i.complete && i.naturalWidth > 100; })()`)); err != nil {
		cancelQR()
		teacher.fail("poster QR code", err)
	}
	cancelQR()
	joinURL := teacher.text("poster address", "#poster-url")
	if !strings.HasSuffix(joinURL, "/c/"+code) || teacher.text("poster class", "#poster-place") != c.className {
		t.Errorf("poster shows %q for class %q", joinURL, teacher.text("poster class", "#poster-place"))
	}
	teacher.shot("class poster")
	teacher.accessible("class poster")

	// The learner scans the poster: its address names the class; joining
	// takes one tap.
	learner.signIn(c.learner)
	learner.do("join page", chromedp.Navigate(learner.base+"/c/"+code), chromedp.WaitVisible(css("#join-form")),
		chromedp.WaitVisible(css(`main[data-ready="true"]`)))
	if got := learner.text("join page class", "#join-class"); !strings.Contains(got, c.className) {
		t.Errorf("join page names %q, want the class %q", got, c.className)
	}
	learner.accessible("join a class")
	learner.do("join", jsClick("#join-form button[type=submit]"), chromedp.WaitVisible(css("#join-done a")))
	learner.accessible("joined")
	learner.do("join page by typing", chromedp.Navigate(learner.base+"/classes/join"), chromedp.WaitVisible(css("#join-form")))
	learner.accessible("join by typing")

	// The teacher assigns the course, due in two days.
	teacher.adminPage(classPath)
	if n := teacher.count(fmt.Sprintf(`#members tr[data-username=%q]`, c.learner)); n != 1 {
		t.Errorf("the learner is not among the members (%d rows)", n)
	}
	// Two calendar days ahead in the deployment's time zone (the default).
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	due := time.Now().In(shanghai).AddDate(0, 0, 2).Format("2006-01-02")
	teacher.do("assign",
		jsSelect("#a-course", pkg.Slug),
		chromedp.SetValue(css("#a-due"), due),
		jsClick("#assign-form button[type=submit]"),
		chromedp.WaitVisible(css(fmt.Sprintf(`#assignments li[data-course=%q]`, pkg.Slug))),
	)
	teacher.accessible("class with an assignment")

	// The learner finds it first in the catalogue, due in two days.
	card := fmt.Sprintf(`.course-card[data-slug=%q]`, pkg.Slug)
	learner.do("catalogue", chromedp.Navigate(learner.base+"/courses"), chromedp.WaitVisible(css(card+" .badge.assigned")))
	if first := learner.attr("first course", ".course-card", "data-slug"); first != pkg.Slug {
		t.Errorf("the first course is %q, want the assigned %q", first, pkg.Slug)
	}
	want := strings.SplitN(strings.ReplaceAll(learner.msg("class.due_in_days"), "{n}", "2"), "{date}", 2)[0]
	if got := learner.text("due badge", card+" .badge:not(.assigned)"); !strings.HasPrefix(got, want) {
		t.Errorf("due badge %q, want %q with 2 days", got, learner.msg("class.due_in_days"))
	}
	learner.do("open course", jsClick(card+" h3 a"), chromedp.WaitVisible(css("#enroll")))
	learner.do("enrol", jsClick("#enroll"), chromedp.WaitVisible(css("#continue")))
	learner.do("start", jsClick("#continue"), chromedp.WaitVisible(css("#lesson-title")))
	lesson := pkg.Lessons[0]
	learner.advance(61 * time.Second)
	learner.do("finish the lesson", chromedp.ScrollIntoView(css("#lesson-end")), chromedp.WaitVisible(css("#lesson-done")))
	learner.answer("wrong answers", lesson.Questions, false)
	learner.do("submit wrong answers", jsClick("#quiz-submit"), chromedp.WaitVisible(css(`#quiz-result[data-passed="false"]`)))

	// The grid shows the lesson done; the analysis shows the wrong answer.
	teacher.adminPage(classPath)
	cell := fmt.Sprintf(`#grid tr[data-username=%q] td[data-course=%q]`, c.learner, pkg.Slug)
	teacher.do("grid", chromedp.WaitVisible(css(cell)))
	if got := teacher.attr("grid status", cell, "data-status"); got != "in_progress" {
		t.Errorf("grid status %q, want in_progress", got)
	}
	if got := teacher.text("grid cell", cell); !strings.Contains(got, fmt.Sprintf("%d%%", 100/len(pkg.Lessons))) {
		t.Errorf("grid cell %q, want %d%%", got, 100/len(pkg.Lessons))
	}
	teacher.do("learner detail", jsClick(fmt.Sprintf(`#grid tr[data-username=%q] th button`, c.learner)),
		chromedp.WaitVisible(css("#detail-body table")))
	teacher.accessible("class with progress")
	first := lesson.Questions[0]
	row := fmt.Sprintf(`#questions tr[data-question=%q]`, first.ID)
	teacher.do("question analysis", chromedp.ScrollIntoView(css("#questions-heading")), chromedp.WaitVisible(css(row)))
	wrong := teacher.text("most chosen wrong answer", row+" td.wrong")
	if wrong == "" || wrong == teacher.msg("teach.nobody_wrong") || wrong == "—" {
		t.Errorf("question %s: most chosen wrong answer %q", first.ID, wrong)
	}
	if got := teacher.text("first try", row+" td:nth-of-type(2)"); got != "0%" {
		t.Errorf("question %s: right at first try %q, want 0%%", first.ID, got)
	}
	teacher.shot("class grid and questions")
	teacher.accessible("class questions")

	// The sign-in slips of the class, printable.
	teacher.do("slips", chromedp.Navigate(teacher.base+classPath+"/slips"), chromedp.WaitVisible(css(".slip")))
	if got := teacher.text("slip", ".slip h2"); got != c.learnerName {
		t.Errorf("slip for %q, want %q", got, c.learnerName)
	}
	teacher.accessible("class slips")
}

// courseQuestions: an institution administrator sees the class and, below
// the list, the analysis of a whole course over their institution.
func courseQuestions(t *testing.T, c teachCase, pkg *course.Package, b *browserSession) {
	b.signIn(c.admin)
	b.adminPage("/teach")
	b.do("class listed", chromedp.WaitVisible(chromedp.CSS("#class-list li")))
	b.do("course questions", jsSelect("#q-course", pkg.Slug),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#questions tr[data-question=%q] td.wrong`, pkg.Lessons[0].Questions[0].ID))))
	// Other courses' lessons use the same question ids (q1, l1q1): the
	// table may still show the course selected before until this one's
	// answer arrives, so wait for the count rather than read it once.
	cell := fmt.Sprintf(`#questions tr[data-question=%q] td`, pkg.Lessons[0].Questions[0].ID)
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`document.querySelector(%q)?.textContent === "1"`, cell))); err != nil {
		t.Errorf("course analysis counts %s learners, want 1", b.text("attempts", cell))
	}
	b.shot("course questions")
	b.accessible("course questions")
}
