package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xuetang-edu/xuetang/internal/coursetest"
)

// Course authoring in a real browser, once per language: a teacher uploads
// a broken package and sees its problems by file and line, then a good one
// published to the institution, and finds it in the list with a download
// link; a learner of that institution finds the course, enrols and opens
// its first lesson; a learner of an institution in another province finds
// neither the course in the catalogue nor its page. Every authoring page
// state is checked with axe.
func TestBrowserTeachCourses(t *testing.T) {
	exe := needChromium(t)
	getenv := twoLibraries(t)
	langs := []string{"zh-CN", "en"}
	for _, l := range langs {
		createUser(t, getenv, "teacher-"+l, "teacher", "Teacher "+l, l, "--institution", "town-lib")
		createUser(t, getenv, "near-"+l, "learner", "Near "+l, l, "--institution", "town-lib")
		createUser(t, getenv, "far-"+l, "learner", "Far "+l, l, "--institution", "far-lib")
	}
	base := startBrowserServer(t, getenv, time.Now)
	browserCtx := startBrowser(t, exe)
	for _, l := range langs {
		t.Run(l, func(t *testing.T) {
			slug := "town-" + strings.ToLower(l)
			c := coursetest.Simple(slug)
			c.Language, c.Title = l, "Town course "+l
			dir := t.TempDir()
			good := writePackageZip(t, dir, "good.zip", c)
			broken := c
			broken.Lessons = append([]coursetest.Lesson(nil), c.Lessons...)
			broken.Lessons[1].Body = "<b>raw</b>\n"
			bad := writePackageZip(t, dir, "bad.zip", broken)

			teacher := newBrowserSession(t, browserCtx, base, browserLearner{lang: l, username: "teacher-" + l})
			teacher.teach(slug, good, bad)

			near := newBrowserSession(t, browserCtx, base, browserLearner{lang: l, username: "near-" + l})
			near.signIn("near-" + l)
			card := fmt.Sprintf(`.course-card[data-slug=%q] h3 a`, slug)
			near.do("catalogue", chromedp.Navigate(base+"/courses?lang="+l), chromedp.WaitVisible(chromedp.CSS(card)))
			near.do("open course", jsClick(card), chromedp.WaitVisible(chromedp.CSS("#enroll")))
			near.do("enrol", jsClick("#enroll"), chromedp.WaitVisible(chromedp.CSS("#continue")))
			near.do("first lesson", jsClick("#continue"), chromedp.WaitVisible(chromedp.CSS("#lesson-title")))
			if got := near.text("lesson title", "#lesson-title"); got != c.Lessons[0].Title {
				t.Errorf("lesson title %q, want %q", got, c.Lessons[0].Title)
			}

			far := newBrowserSession(t, browserCtx, base, browserLearner{lang: l, username: "far-" + l})
			far.signIn("far-" + l)
			far.do("catalogue", chromedp.Navigate(base+"/courses?lang="+l), chromedp.WaitVisible(chromedp.CSS(".course-card")))
			if n := far.count(fmt.Sprintf(`.course-card[data-slug=%q]`, slug)); n != 0 {
				t.Errorf("a learner of another institution sees the course in the catalogue")
			}
			far.do("course page", chromedp.Navigate(base+"/courses/"+slug), chromedp.WaitVisible(chromedp.CSS("main h1")))
			if got := far.text("not found", "main h1"); got != far.msg("course.not_found") {
				t.Errorf("a learner of another institution at /courses/%s sees %q", slug, got)
			}
		})
	}
}

// writePackageZip zips a package's files as an author would, valid or not.
func writePackageZip(t *testing.T, dir, name string, c coursetest.Course) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for file, f := range c.Files("") {
		w, err := zw.Create(file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(f.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func (b *browserSession) teach(slug, good, bad string) {
	t := b.t
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	b.signIn(b.l.username)
	b.adminPage("/teach/courses?lang=" + b.l.lang)
	if n := b.count(`nav.admin-menu a[href="/teach/courses"]`); n != 1 {
		t.Errorf("the staff menu has %d links to /teach/courses", n)
	}
	// Wider audiences are offered: asking for one files a review request.
	if n := b.count(`#vis-region-choice:not([hidden]), #vis-public-choice:not([hidden])`); n != 2 {
		t.Errorf("a teacher is offered %d wider audiences, want 2", n)
	}
	b.accessible("authoring")

	b.do("upload a broken package",
		chromedp.SetUploadFiles(css("#file"), []string{bad}),
		jsClick("#upload-form button[type=submit]"),
		chromedp.WaitVisible(css("#problems-region")),
	)
	if got := b.text("problem file", "#problem-rows tr th"); got != slug+"/02-practice.md" {
		t.Errorf("problem file %q", got)
	}
	if got := b.text("problem line", "#problem-rows tr td"); got == "" {
		t.Error("the problem has no line")
	}
	if n := b.count(fmt.Sprintf(`#course-rows tr[data-slug=%q]`, slug)); n != 0 {
		t.Error("a broken package was published")
	}
	b.accessible("authoring problems")

	row := fmt.Sprintf(`#course-rows tr[data-slug=%q]`, slug)
	b.do("upload the package",
		chromedp.SetUploadFiles(css("#file"), []string{good}),
		jsClick("#upload-form button[type=submit]"),
		chromedp.WaitVisible(css(row)),
	)
	if b.count("#problems-region:not([hidden])") != 0 {
		t.Error("problems still shown after a good upload")
	}
	if href := b.attr("download link", row+" a", "href"); href != "/api/v1/teach/courses/"+slug+"/export?version=1" {
		t.Errorf("download link %q", href)
	}
	if got := b.text("status", "#upload-status"); !strings.Contains(got, slug) {
		t.Errorf("status %q does not name the course", got)
	}
	b.accessible("authoring published")
}

// twoLibraries is the environment of a fresh server with two libraries in
// two provinces: town-lib (Chengdu, 510104) and far-lib (Guangzhou, 440106).
func twoLibraries(t *testing.T) func(string) string {
	t.Helper()
	env := map[string]string{
		"XUETANG_ADDR":      "127.0.0.1:0",
		"XUETANG_DATA_DIR":  t.TempDir(),
		"XUETANG_LOG_LEVEL": "warn",
	}
	getenv := func(k string) string { return env[k] }
	for _, in := range [][]string{{"town-lib", "镇图书馆", "510104"}, {"far-lib", "远方图书馆", "440106"}} {
		var out, errOut strings.Builder
		if code := run([]string{"institution", "create", "--code", in[0], "--name", in[1], "--kind", "library", "--region", in[2]},
			strings.NewReader(""), &out, &errOut, getenv); code != 0 {
			t.Fatalf("institution create %s: exit %d: %s", in[0], code, errOut.String())
		}
	}
	return getenv
}
