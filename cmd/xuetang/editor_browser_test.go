package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The course editor in a real browser, once per language: a teacher writes
// a two-lesson course with an uploaded image and a quiz of every type, sees
// a problem placed on its line and the preview learners will get, and
// publishes to the institution; a learner there completes the second lesson
// and its quiz; the teacher edits the first lesson and publishes version 2,
// and the learner's completed lesson stays completed. The editor is checked
// with axe in each state.
func TestBrowserCourseEditor(t *testing.T) {
	exe := needChromium(t)
	env := map[string]string{
		"XUETANG_ADDR":      "127.0.0.1:0",
		"XUETANG_DATA_DIR":  t.TempDir(),
		"XUETANG_LOG_LEVEL": "warn",
		// A 10-minute lesson needs 48 s of credited time, spent through the
		// shared test clock as in the learner journey.
		"XUETANG_MIN_TIME_SHARE": "0.08",
	}
	getenv := func(k string) string { return env[k] }
	var out, errOut strings.Builder
	if code := run([]string{"institution", "create", "--code", "edit-lib", "--name", "编辑图书馆", "--kind", "library", "--region", "510104"},
		strings.NewReader(""), &out, &errOut, getenv); code != 0 {
		t.Fatalf("institution create: exit %d: %s", code, errOut.String())
	}
	langs := []string{"zh-CN", "en"}
	for _, l := range langs {
		createUser(t, getenv, "editor-teacher-"+l, "teacher", "Teacher "+l, l, "--institution", "edit-lib")
		createUser(t, getenv, "editor-learner-"+l, "learner", "Learner "+l, l, "--institution", "edit-lib")
	}
	img := filepath.Join(t.TempDir(), "red-line.png")
	writeTestPNG(t, img)
	clock := &testClock{}
	base := startBrowserServer(t, getenv, clock.now)
	browserCtx := startBrowser(t, exe)
	for _, l := range langs {
		t.Run(l, func(t *testing.T) {
			slug := "edited-" + strings.ToLower(l)
			teacher := newBrowserSession(t, browserCtx, base, browserLearner{lang: l, username: "editor-teacher-" + l})
			teacher.clock = clock
			teacher.writeCourse(slug, img)

			learner := newBrowserSession(t, browserCtx, base, browserLearner{lang: l, username: "editor-learner-" + l})
			learner.clock = clock
			learner.signInReady("editor-learner-" + l)
			learner.do("course page", chromedp.Navigate(base+"/courses/"+slug), chromedp.WaitVisible(chromedp.CSS("#enroll")))
			learner.do("enrol", jsClick("#enroll"), chromedp.WaitVisible(chromedp.CSS("#continue")))
			// The controls show once the reader tracks time; only then does
			// moving the clock count.
			learner.do("second lesson", jsClick("ol.lesson-list li:nth-child(2) a"), chromedp.WaitVisible(chromedp.CSS("#lesson-title")),
				chromedp.WaitVisible(chromedp.CSS("#mark-done")))
			learner.advance(61 * time.Second)
			// The lesson is short: its end is on screen at once, so the page
			// may have sent "complete" itself before the clock moved, and a
			// click while that is on its way is ignored. Click until done.
			learner.do("mark done", pollTrue(`(() => {
			  if (document.querySelector('#lesson-done')) return true;
			  const b = document.querySelector('#mark-done');
			  if (b && !b.disabled) b.click();
			  return false;
			})()`), chromedp.WaitVisible(chromedp.CSS("#lesson-done")))
			learner.do("answer the quiz", jsClick(`[data-qid="q1"] input[value="false"]`), jsClick("#quiz-submit"),
				chromedp.WaitVisible(chromedp.CSS(`#quiz-result[data-passed="true"]`)))
			learner.do("course page again", chromedp.Navigate(base+"/courses/"+slug),
				chromedp.WaitVisible(chromedp.CSS("ol.lesson-list li:nth-child(2).done")))

			teacher.editAndRepublish(slug)

			learner.do("course page after version 2", chromedp.Navigate(base+"/courses/"+slug), chromedp.WaitVisible(chromedp.CSS("ol.lesson-list")))
			if n := learner.count("ol.lesson-list li:nth-child(2).done"); n != 1 {
				t.Error("the learner's completed lesson is no longer completed after version 2")
			}
			learner.do("first lesson, version 2", jsClick("ol.lesson-list li:nth-child(1) a"), chromedp.WaitVisible(chromedp.CSS("#lesson-title")))
			learner.waitJS("the new text", `document.querySelector('main').textContent.includes('version 2')`)
		})
	}
}

func writeTestPNG(t *testing.T, path string) {
	t.Helper()
	m := image.NewNRGBA(image.Rect(0, 0, 120, 30))
	for x := 0; x < 120; x++ {
		for y := 12; y < 18; y++ {
			m.Set(x, y, color.NRGBA{R: 200, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// setField puts a value in a field as typing would: the page hears an
// input event that bubbles, as its forms listen for.
func setField(css, value string) chromedp.Action[chromedp.Void] {
	wait := chromedp.WaitVisible(chromedp.CSS(css))
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		if _, err := wait(ctx, t); err != nil {
			return chromedp.Void{}, err
		}
		_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
			const n = document.querySelector(%s);
			n.value = %s;
			n.dispatchEvent(new Event('input', { bubbles: true }));
			n.dispatchEvent(new Event('change', { bubbles: true }));
			return true;
		})()`, jsString(css), jsString(value)))(ctx, t)
		return chromedp.Void{}, err
	}
}

// savedClean waits until the draft is saved with nothing left to fix.
func (b *browserSession) savedClean(step string) {
	b.t.Helper()
	b.waitJS(step+" saved", `document.querySelector('#save-status').classList.contains('ok')`)
	b.waitJS(step+" no problems", `document.querySelectorAll('#all-problems li:not(.muted)').length === 0`)
}

func (b *browserSession) writeCourse(slug, img string) {
	t := b.t
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	b.signInReady(b.l.username)
	b.adminPage("/teach/courses?lang=" + b.l.lang)
	b.do("new course link", jsClick(`a[href="/teach/courses/edit"]`), chromedp.WaitVisible(css("#new-form")))
	b.do("ready", chromedp.WaitVisible(css(`main[data-ready="true"]`)))
	b.accessible("editor: new course")
	b.do("create",
		setField("#new-slug", slug), setField("#new-title", "Edited "+b.l.lang), setField("#new-language", b.l.lang),
		jsClick("#new-form button[type=submit]"),
		chromedp.WaitVisible(css("#meta-form")),
	)
	b.do("details", setField("#m-summary", "Written in the browser editor."))

	b.do("first lesson",
		setField("#add-slug", "welcome"), setField("#add-title", "Welcome"), jsClick("#add-lesson button[type=submit]"),
		chromedp.WaitVisible(css("#l-body")),
		setField("#l-minutes", "10"),
		setField("#l-body", "# Welcome\n\nRead this first.\n\nPress <kbd>Enter</kbd>.\n"),
	)
	// The raw HTML is a problem on body line 5, listed beside the text.
	b.waitJS("problem on its line", `[...document.querySelectorAll('#body-problems li')].some(li => /5/.test(li.textContent) && li.textContent.includes('raw HTML'))`)
	b.accessible("editor: a problem")
	b.do("fix it", setField("#l-body", "# Welcome\n\nRead this first.\n\nPress **Enter**.\n"))
	b.waitJS("problem gone", `document.querySelectorAll('#body-problems li:not(.muted)').length === 0`)

	b.do("image",
		jsClick(`#md-toolbar [data-md="image"]`), chromedp.WaitVisible(css("#img-file")),
		chromedp.SetUploadFiles(css("#img-file"), []string{img}),
		setField("#img-alt", "A red line"),
		jsClick("#image-form button[type=submit]"),
	)
	b.waitJS("image in the text", `document.querySelector('#l-body').value.includes('![A red line](assets/red-line-')`)
	// On a phone the preview is one press away.
	b.do("show the preview", jsClick("#preview-toggle"), chromedp.WaitVisible(css("#preview h1")))
	b.waitJS("image in the preview", `(() => { const i = document.querySelector('#preview img[src^="/api/v1/teach/drafts/`+slug+`/assets/"]'); return i && i.complete && i.naturalWidth === 120; })()`)
	b.do("back to the text", jsClick("#preview-toggle"), chromedp.WaitVisible(css("#l-body")))

	for i, typ := range []string{"single", "multiple", "true_false", "fill_blank"} {
		p := fmt.Sprintf("#q%d-", i)
		b.do("add "+typ, setField("#q-new-type", typ), jsClick("#q-add"), chromedp.WaitVisible(css(p+"prompt")),
			setField(p+"prompt", "Question "+typ), setField(p+"explanation", "Because."))
		switch typ {
		case "single":
			b.do("options", setField(p+"opt-0", "Yes"), setField(p+"opt-1", "No"), jsClick(p+"correct-0"))
		case "multiple":
			b.do("options", setField(p+"opt-0", "Red"), setField(p+"opt-1", "Blue"), jsClick(p+"correct-0"), jsClick(p+"correct-1"))
		case "true_false":
			b.do("answer", jsClick(p+"bool-false"))
		case "fill_blank":
			b.do("answers", setField(p+"texts", "110\n１１０"))
		}
	}
	b.savedClean("first lesson")
	b.shot("editor phone")
	b.accessible("editor: lesson with quiz and preview")
	// On a wide screen the text and the preview stand side by side.
	b.do("wide screen", chromedp.EmulateViewport(1280, 900), chromedp.WaitVisible(css("#l-body")), chromedp.WaitVisible(css("#preview img")))
	b.waitJS("no preview switch", `getComputedStyle(document.querySelector('#preview-toggle')).display === 'none'`)
	b.waitJS("side by side", `document.querySelector('#preview').getBoundingClientRect().left > document.querySelector('#l-body').getBoundingClientRect().right`)
	b.shot("editor wide")
	b.accessible("editor: wide screen")
	b.do("phone again", chromedp.EmulateViewport(375, 812))

	b.do("second lesson",
		setField("#add-slug", "practice"), setField("#add-title", "Practice"), jsClick("#add-lesson button[type=submit]"),
		chromedp.WaitVisible(css("#lesson-heading")),
		setField("#l-minutes", "10"), setField("#l-body", "Practise here.\n"),
		setField("#q-new-type", "true_false"), jsClick("#q-add"), chromedp.WaitVisible(css("#q0-prompt")),
		setField("#q0-prompt", "Practice is useful."), setField("#q0-explanation", "It is not, for this test."), jsClick("#q0-bool-false"),
	)
	b.savedClean("second lesson")
	if n := b.count("#lesson-list li"); n != 2 {
		t.Errorf("%d lessons listed, want 2", n)
	}
	b.do("publish", jsClick("#publish"), chromedp.WaitVisible(css("#publish-status.ok")))
	if got := b.text("published", "#publish-status"); !strings.Contains(got, slug) {
		t.Errorf("publish status %q does not name the course", got)
	}
	b.accessible("editor: published")
}

func (b *browserSession) editAndRepublish(slug string) {
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	b.adminPage("/teach/courses?lang=" + b.l.lang)
	b.do("edit from the list", jsClick(fmt.Sprintf(`#course-rows tr[data-slug=%q] a[href^="/teach/courses/edit"]`, slug)),
		chromedp.WaitVisible(css("#l-body")))
	b.waitJS("editing version 1", `document.querySelector('#publish-help').textContent.includes('1')`)
	b.do("change the first lesson", setField("#l-body", "# Welcome\n\nRead this first, version 2.\n"))
	b.savedClean("edited")
	b.do("publish version 2", jsClick("#publish"), chromedp.WaitVisible(css("#publish-status.ok")))
	if got := b.text("published", "#publish-status"); !strings.Contains(got, "2") {
		b.t.Errorf("publish status %q does not say version 2", got)
	}
}
