package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xuetang-edu/xuetang/internal/coursetest"
)

// The review queue in a real browser, once per language: a teacher uploads
// a course asking for everyone and is told it awaits review; an admin
// approves it in the queue; a learner of an institution in another
// province then finds it, enrols, and reports a problem on a lesson; the
// teacher sees the report beside the question analysis and marks it
// resolved; after a second version the teacher compares the two on the
// versions page. Every new page is checked with axe.
func TestBrowserCourseReview(t *testing.T) {
	exe := needChromium(t)
	getenv := twoLibraries(t)
	langs := []string{"zh-CN", "en"}
	for _, l := range langs {
		createUser(t, getenv, "teacher-"+l, "teacher", "Teacher "+l, l, "--institution", "town-lib")
		createUser(t, getenv, "far-"+l, "learner", "Far "+l, l, "--institution", "far-lib")
		createUser(t, getenv, "admin-"+l, "admin", "Admin "+l, l)
	}
	base := startBrowserServer(t, getenv, time.Now)
	browserCtx := startBrowser(t, exe)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	for _, l := range langs {
		t.Run(l, func(t *testing.T) {
			slug := "open-" + strings.ToLower(l)
			c := coursetest.Simple(slug)
			c.Language, c.Title = l, "Open course "+l
			dir := t.TempDir()
			v1 := writePackageZip(t, dir, "v1.zip", c)
			c2 := c
			c2.Version = 2
			c2.Lessons = append([]coursetest.Lesson(nil), c.Lessons...)
			c2.Lessons[0].Body = "# Intro\n\nHello again.\n"
			v2 := writePackageZip(t, dir, "v2.zip", c2)

			teacher := newBrowserSession(t, browserCtx, base, browserLearner{lang: l, username: "teacher-" + l})
			teacher.signIn("teacher-" + l)
			teacher.adminPage("/teach/courses?lang=" + l)
			row := fmt.Sprintf(`#course-rows tr[data-slug=%q]`, slug)
			teacher.do("ask for everyone",
				chromedp.SetUploadFiles(css("#file"), []string{v1}),
				jsClick(`#upload-form input[name=visibility][value=public]`),
				jsClick("#upload-form button[type=submit]"),
				chromedp.WaitVisible(css(row)),
			)
			if got := teacher.text("status", "#upload-status"); !strings.Contains(got, teacher.msg("author.vis.public")) {
				t.Errorf("upload status %q does not say the request awaits review", got)
			}
			if got := teacher.text("visibility", row+" td"); got != teacher.msg("author.vis.institution") {
				t.Errorf("before review the course is visible to %q", got)
			}

			// Not yet: the far learner does not see it.
			far := newBrowserSession(t, browserCtx, base, browserLearner{lang: l, username: "far-" + l})
			far.signIn("far-" + l)
			far.do("catalogue", chromedp.Navigate(base+"/courses?lang="+l), chromedp.WaitVisible(css(".course-card")))
			if n := far.count(fmt.Sprintf(`.course-card[data-slug=%q]`, slug)); n != 0 {
				t.Fatal("the course is public before review")
			}

			admin := newBrowserSession(t, browserCtx, base, browserLearner{lang: l, username: "admin-" + l})
			admin.signIn("admin-" + l)
			admin.adminPage("/admin/reviews?lang=" + l)
			if n := admin.count(`nav.admin-menu a[href="/admin/reviews"]`); n != 1 {
				t.Errorf("the admin menu has %d links to the review queue", n)
			}
			review := fmt.Sprintf(`#review-rows tr[data-slug=%q]`, slug)
			admin.do("the request is listed", chromedp.WaitVisible(css(review)))
			admin.accessible("review queue")
			admin.do("approve", jsClick(review+` button[data-action="approve"]`), chromedp.WaitVisible(css("#decide-status.ok")))
			if n := admin.count(review + " button"); n != 0 {
				t.Error("the approved request still offers decisions")
			}
			admin.accessible("review queue decided")

			card := fmt.Sprintf(`.course-card[data-slug=%q] h3 a`, slug)
			far.do("catalogue after approval", chromedp.Navigate(base+"/courses?lang="+l), chromedp.WaitVisible(css(card)))
			far.do("open course", jsClick(card), chromedp.WaitVisible(css("#enroll")))
			far.do("enrol", jsClick("#enroll"), chromedp.WaitVisible(css("#continue")))
			far.do("first lesson", jsClick("#continue"), chromedp.WaitVisible(css("#lesson-title")))
			far.do("open the report form", jsClick("#report-box summary"), chromedp.WaitVisible(css("#report-form")))
			far.accessible("lesson with the report form")
			note := "图片看不清 " + l
			far.do("report",
				jsClick(`#report-form input[name=reason][value=broken_link]`),
				chromedp.SendKeys(css("#report-text"), note),
				jsClick("#report-form button[type=submit]"),
				chromedp.WaitVisible(css("#report-status.ok")),
			)

			teacher.adminPage("/teach?lang=" + l)
			report := fmt.Sprintf(`#report-rows tr[data-slug=%q]`, slug)
			teacher.do("the report is listed", chromedp.WaitVisible(css(report)))
			if got := teacher.text("report text", report+" td:nth-child(3)"); got != note {
				t.Errorf("report text %q, want %q", got, note)
			}
			if got := teacher.text("report reason", report+" td"); got != teacher.msg("report.reason.broken_link") {
				t.Errorf("report reason %q", got)
			}
			teacher.accessible("reports")
			teacher.do("resolve", jsClick(report+" button"), chromedp.WaitVisible(css("#resolve-status.ok")))

			teacher.adminPage("/teach/courses?lang=" + l)
			teacher.do("publish version 2",
				chromedp.SetUploadFiles(css("#file"), []string{v2}),
				jsClick("#upload-form button[type=submit]"),
				chromedp.WaitVisible(css(row+` a[href$="version=2"]`)),
			)
			teacher.adminPage("/teach/courses/versions?slug=" + slug + "&lang=" + l)
			teacher.do("history", chromedp.WaitVisible(css(`#version-rows tr[data-version="2"]`)))
			if got := teacher.text("visibility", "#state-visibility"); !strings.Contains(got, teacher.msg("author.vis.public")) {
				t.Errorf("after approval and a new version: %q", got)
			}
			teacher.accessible("versions")
			teacher.do("compare", jsClick("#compare-form button[type=submit]"), chromedp.WaitVisible(css("#diff .diff-ins")))
			if got := teacher.text("added line", "#diff .diff-ins"); !strings.Contains(got, "Hello again.") || !strings.HasPrefix(got, teacher.msg("ver.ins")) {
				t.Errorf("added line %q", got)
			}
			if got := teacher.text("removed line", "#diff .diff-del"); !strings.Contains(got, "Hello.") || !strings.HasPrefix(got, teacher.msg("ver.del")) {
				t.Errorf("removed line %q", got)
			}
			teacher.accessible("versions diff")
		})
	}
}
