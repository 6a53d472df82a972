package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xuetang-edu/xuetang/internal/authoring"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

type draftJSON struct {
	Slug        string                   `json:"slug"`
	Revision    int                      `json:"revision"`
	BaseVersion int                      `json:"base_version"`
	Published   bool                     `json:"published"`
	Course      authoring.DraftCourse    `json:"course"`
	Assets      []string                 `json:"assets"`
	Problems    []authoring.DraftProblem `json:"problems"`
}

func decodeDraft(t *testing.T, rec *httptest.ResponseRecorder) draftJSON {
	t.Helper()
	var d draftJSON
	if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
		t.Fatalf("not a draft: %s", rec.Body)
	}
	return d
}

func jsonReq(c *client, method, path string, v any) *httptest.ResponseRecorder {
	body := ""
	if v != nil {
		b, _ := json.Marshal(v)
		body = string(b)
	}
	return c.do(request{method: method, path: path, body: body, csrf: true})
}

func createDraft(t *testing.T, c *client, slug string, fields map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	in := map[string]string{"slug": slug, "title": "Draft " + slug, "language": "en"}
	for k, v := range fields {
		in[k] = v
	}
	return jsonReq(c, "POST", "/api/v1/teach/drafts", in)
}

func uploadImage(c *client, slug, name, alt string, data []byte) *httptest.ResponseRecorder {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("alt", alt)
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(data)
	_ = mw.Close()
	return c.do(request{method: "POST", path: "/api/v1/teach/drafts/" + slug + "/assets", body: body.String(), csrf: true,
		headers: map[string]string{"Content-Type": mw.FormDataContentType()}})
}

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		img.Set(x, x%h, color.NRGBA{R: 200, A: 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// goodCourse is a draft body that publishes: two lessons, one with an
// image, and a question of every type.
func goodCourse(image string) authoring.DraftCourse {
	body1 := "# Welcome\n\nRead this.\n"
	if image != "" {
		body1 += "\n![A red line](" + image + ")\n"
	}
	return authoring.DraftCourse{Title: "Edited course", Language: "en", Summary: "A course from the editor.",
		Audience: []string{"adult"}, Level: "beginner", StudyHours: 0.5, PassScore: 60,
		Lessons: []authoring.DraftLesson{
			{Slug: "welcome", Title: "Welcome", Minutes: 15, Body: body1, Questions: []authoring.DraftQuestion{
				{ID: "q1", Type: "single", Prompt: "Pick B", Options: []string{"A", "B"}, Index: 1, Explanation: "B it is."},
				{ID: "q2", Type: "multiple", Prompt: "Pick A and C", Options: []string{"A", "B", "C"}, Indexes: []int{0, 2}, Explanation: "A and C."},
			}},
			{Slug: "practice", Title: "Practice", Minutes: 15, Body: "Practise.\n", Questions: []authoring.DraftQuestion{
				{ID: "q1", Type: "true_false", Prompt: "True?", Bool: true, Explanation: "Yes."},
				{ID: "q2", Type: "fill_blank", Prompt: "Police number", Texts: []string{"110", "１１０"}, Explanation: "Call 110."},
			}},
		}}
}

func saveDraft(c *client, slug string, rev int, body authoring.DraftCourse) *httptest.ResponseRecorder {
	return c.do(request{method: "PUT", path: "/api/v1/teach/drafts/" + slug, csrf: true,
		body: mustJSON(map[string]any{"revision": rev, "course": body})})
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestDraftEndpointsByRole: every editor endpoint for every role, on a
// draft owned by sc-city. Learners are refused (403); staff who may not
// edit the course do not learn that it exists (404).
func TestDraftEndpointsByRole(t *testing.T) {
	t.Parallel()
	w := newAuthorWorld(t)
	if rec := createDraft(t, w.c["teacher-sc"], "sc-draft", nil); rec.Code != http.StatusCreated {
		t.Fatalf("create = %d %s", rec.Code, rec.Body)
	}
	w.publish(t, "teacher-sc", "sc-course", "institution")
	img := pngOf(t, 20, 10)
	rev := func() int {
		return decodeDraft(t, jsonReq(w.c["admin"], "GET", "/api/v1/teach/drafts/sc-draft", nil)).Revision
	}
	// Expected status per role for reads and edits of sc-city's course.
	roles := []struct {
		user string
		want int
	}{
		{"learner-sc", 403}, {"teacher-gd", 404}, {"instadmin-gd", 404}, {"region-gd", 404},
		{"teacher-sc", 200}, {"instadmin-sc", 200}, {"region-sc", 200}, {"admin", 200},
	}
	endpoints := []struct {
		name string
		do   func(c *client) *httptest.ResponseRecorder
		ok   int
	}{
		{"get", func(c *client) *httptest.ResponseRecorder {
			return jsonReq(c, "GET", "/api/v1/teach/drafts/sc-draft", nil)
		}, 200},
		{"save", func(c *client) *httptest.ResponseRecorder { return saveDraft(c, "sc-draft", rev(), goodCourse("")) }, 200},
		{"preview", func(c *client) *httptest.ResponseRecorder {
			return jsonReq(c, "POST", "/api/v1/teach/preview", map[string]string{"slug": "sc-draft", "body": "# Hi"})
		}, 200},
		{"upload", func(c *client) *httptest.ResponseRecorder {
			return uploadImage(c, "sc-draft", "line.png", "A line", img)
		}, 201},
		{"start", func(c *client) *httptest.ResponseRecorder {
			return jsonReq(c, "POST", "/api/v1/teach/courses/sc-course/draft", nil)
		}, 200},
		{"page", func(c *client) *httptest.ResponseRecorder {
			return c.do(request{method: "GET", path: "/teach/courses/edit?slug=sc-draft"})
		}, 200},
	}
	for _, ep := range endpoints {
		for _, r := range roles {
			t.Run(ep.name+"/"+r.user, func(t *testing.T) {
				want := r.want
				if want == 200 {
					want = ep.ok
				}
				if ep.name == "page" && r.user == "learner-sc" {
					want = 404 // pages answer other roles with the ordinary 404
				} else if ep.name == "page" {
					want = 200 // the page itself; the API decides what it shows
				}
				if rec := ep.do(w.c[r.user]); rec.Code != want {
					t.Fatalf("= %d, want %d: %s", rec.Code, want, rec.Body)
				}
			})
		}
	}
	// The asset stored by the uploads above, served only to editors.
	d := decodeDraft(t, jsonReq(w.c["admin"], "GET", "/api/v1/teach/drafts/sc-draft", nil))
	if len(d.Assets) != 1 {
		t.Fatalf("assets %v: the same image uploaded again is stored once", d.Assets)
	}
	for _, r := range roles {
		path := "/api/v1/teach/drafts/sc-draft/" + d.Assets[0]
		if rec := w.c[r.user].do(request{method: "GET", path: path}); rec.Code != r.want {
			t.Errorf("asset as %s = %d, want %d", r.user, rec.Code, r.want)
		}
	}
	// Creating: learners 403; a region admin or admin must name an
	// institution in scope.
	for _, tc := range []struct {
		user, inst string
		want       int
	}{
		{"learner-sc", "", 403}, {"teacher-gd", "", 201}, {"instadmin-sc", "", 201},
		{"region-sc", "", 400}, {"region-sc", "gd-city", 400}, {"region-sc", "sc-county", 201},
		{"admin", "", 400}, {"admin", "gd-city", 201},
	} {
		slug := fmt.Sprintf("new-%s-%s", tc.user, tc.inst)
		slug = strings.TrimSuffix(slug, "-")
		if rec := createDraft(t, w.c[tc.user], slug, map[string]string{"institution": tc.inst}); rec.Code != tc.want {
			t.Errorf("create as %s for %q = %d, want %d: %s", tc.user, tc.inst, rec.Code, tc.want, rec.Body)
		}
	}
	if rec := createDraft(t, w.c["teacher-gd"], "sc-course", nil); rec.Code != http.StatusConflict {
		t.Errorf("a new draft with a published course's slug = %d, want 409", rec.Code)
	}
	// Destructive ones last: the refused roles first, then one that may.
	for _, r := range roles[:4] {
		if rec := jsonReq(w.c[r.user], "POST", "/api/v1/teach/drafts/sc-draft/publish", nil); rec.Code != r.want {
			t.Errorf("publish as %s = %d, want %d", r.user, rec.Code, r.want)
		}
	}
	for _, r := range roles[:4] {
		if rec := jsonReq(w.c[r.user], "DELETE", "/api/v1/teach/drafts/sc-draft", nil); rec.Code != r.want {
			t.Errorf("discard as %s = %d, want %d", r.user, rec.Code, r.want)
		}
	}
	if rec := jsonReq(w.c["region-sc"], "POST", "/api/v1/teach/drafts/sc-draft/publish", nil); rec.Code != http.StatusCreated {
		t.Fatalf("publish as region-sc = %d %s", rec.Code, rec.Body)
	}
	if rec := jsonReq(w.c["instadmin-sc"], "DELETE", "/api/v1/teach/drafts/sc-course", nil); rec.Code != http.StatusNoContent {
		t.Fatalf("discard as instadmin-sc = %d %s", rec.Code, rec.Body)
	}
	if n := w.count(t, "SELECT COUNT(*) FROM course_drafts WHERE slug IN ('sc-draft', 'sc-course')"); n != 0 {
		t.Errorf("%d drafts left after publish and discard", n)
	}
	for action, want := range map[string]int{"course.draft.create": 5, "course.draft.start": 1, "course.draft.image": 4,
		"course.publish": 1, "course.draft.discard": 1} {
		if n := w.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = ?", action); n != want {
			t.Errorf("%d audit entries %s, want %d", n, action, want)
		}
	}
}

// countingReader hands out zeros and counts how many were read.
type countingReader struct {
	left, read int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	n := int64(len(p))
	if n > r.left {
		n = r.left
	}
	clear(p[:n])
	r.left -= n
	r.read += n
	return int(n), nil
}

func TestDraftImageRefusals(t *testing.T) {
	t.Parallel()
	w := newAuthorWorld(t)
	c := w.c["teacher-sc"]
	if rec := createDraft(t, c, "img", nil); rec.Code != http.StatusCreated {
		t.Fatalf("create = %d %s", rec.Code, rec.Body)
	}
	// A PNG whose header claims 30000 x 30000 pixels but is tiny: decoding
	// it would need 3.6 GB.
	bomb := func() []byte {
		var buf bytes.Buffer
		if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 30000, 1))); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		// Rewrite the height in IHDR (bytes 20-23) and its CRC.
		b[20], b[21], b[22], b[23] = 0, 0, 0x75, 0x30
		return fixIHDRCRC(b)
	}()
	evilSVG := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
	cases := []struct {
		name, file, alt string
		data            []byte
		want            int
		key             string
	}{
		{"not an image", "notes.png", "x", []byte("hello, not a picture"), 422, "author.error.not_image"},
		{"gif", "anim.gif", "x", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), 422, "author.error.not_image"},
		{"bomb", "bomb.png", "x", bomb, 422, "author.error.image_pixels"},
		{"svg with script", "evil.svg", "x", evilSVG, 422, "author.error.svg_refused"},
		{"no alt", "ok.png", "  ", pngOf(t, 4, 4), 400, "author.error.alt_required"},
		{"too large", "big.png", "x", bytes.Repeat([]byte{1}, authoring.MaxImageUpload+1), 413, "error.too_large"},
	}
	for _, tc := range cases {
		rec := uploadImage(c, "img", tc.file, tc.alt, tc.data)
		if rec.Code != tc.want || errKey(t, rec) != tc.key {
			t.Errorf("%s: = %d %s, want %d %s", tc.name, rec.Code, rec.Body, tc.want, tc.key)
		}
	}
	if n := w.count(t, "SELECT COUNT(*) FROM draft_assets"); n != 0 {
		t.Errorf("%d assets stored from refused uploads", n)
	}

	// 100 MB announced: refused before the body is read.
	for _, chunked := range []bool{false, true} {
		body := &countingReader{left: 100 << 20}
		req := httptest.NewRequest("POST", "/api/v1/teach/drafts/img/assets", body)
		req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
		req.Header.Set("X-CSRF-Token", c.cookies["xuetang_csrf"])
		for name, v := range c.cookies {
			req.AddCookie(&http.Cookie{Name: name, Value: v})
		}
		req.ContentLength = 100 << 20
		if chunked {
			req.ContentLength = -1
		}
		rec := httptest.NewRecorder()
		w.cs.e.ServeHTTP(rec, req)
		if rec.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("100 MB (chunked %v) = %d, want 413", chunked, rec.Code)
		}
		if body.read > authoring.MaxImageUpload+1<<20 {
			t.Errorf("100 MB (chunked %v): read %d bytes", chunked, body.read)
		}
	}

	// A wide photo with EXIF: scaled to 1600 px and re-encoded without it.
	var photo bytes.Buffer
	src := image.NewRGBA(image.Rect(0, 0, 2400, 600))
	if err := jpeg.Encode(&photo, src, nil); err != nil {
		t.Fatal(err)
	}
	exif := append([]byte{0xFF, 0xE1, 0x00, 0x10}, []byte("Exif\x00\x00GPS-LAT-X")...)
	withExif := append(append([]byte{0xFF, 0xD8}, exif...), photo.Bytes()[2:]...)
	rec := uploadImage(c, "img", "Holiday Photo.JPG", "A beach [sunny]", withExif)
	if rec.Code != http.StatusCreated {
		t.Fatalf("photo = %d %s", rec.Code, rec.Body)
	}
	var up authoring.UploadedImage
	_ = json.Unmarshal(rec.Body.Bytes(), &up)
	if !strings.HasPrefix(up.Path, "assets/holiday-photo-") || !strings.HasSuffix(up.Path, ".jpg") ||
		up.Markdown != `![A beach \[sunny\]](`+up.Path+")" {
		t.Errorf("uploaded %+v", up)
	}
	got := c.do(request{method: "GET", path: "/api/v1/teach/drafts/img/" + up.Path})
	if got.Code != 200 || bytes.Contains(got.Body.Bytes(), []byte("GPS-LAT")) {
		t.Fatalf("served = %d, EXIF kept: %v", got.Code, bytes.Contains(got.Body.Bytes(), []byte("GPS-LAT")))
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(got.Body.Bytes()))
	if err != nil || cfg.Width != 1600 || cfg.Height != 400 {
		t.Errorf("stored %dx%d (%v), want 1600x400", cfg.Width, cfg.Height, err)
	}
	// An allow-listed SVG is kept as it is.
	if rec := uploadImage(c, "img", "icon.svg", "An icon", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><circle r="3"/></svg>`)); rec.Code != 201 {
		t.Errorf("good svg = %d %s", rec.Code, rec.Body)
	}
}

func fixIHDRCRC(b []byte) []byte {
	// IHDR's CRC covers its type and data: bytes 12..29, CRC at 29..33.
	crc := crc32IEEE(b[12:29])
	b[29], b[30], b[31], b[32] = byte(crc>>24), byte(crc>>16), byte(crc>>8), byte(crc)
	return b
}

// TestDraftStaleSaveAndPublish: two editors, a stale save refused with
// both texts at hand, problems placed on their line, and publishing a
// first version and then a second that keeps learners' progress.
func TestDraftStaleSaveAndPublish(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			draftStaleSaveAndPublish(t, newAuthorWorldOn(t, b))
		})
	}
}

func draftStaleSaveAndPublish(t *testing.T, w *authorWorld) {
	a, b := w.c["teacher-sc"], w.c["instadmin-sc"]
	d := decodeDraft(t, createDraft(t, a, "edited", nil))
	up := uploadImage(a, "edited", "line.png", "A red line", pngOf(t, 40, 10))
	var img authoring.UploadedImage
	_ = json.Unmarshal(up.Body.Bytes(), &img)
	course := goodCourse(img.Path)
	rec := saveDraft(a, "edited", d.Revision, course)
	if rec.Code != 200 {
		t.Fatalf("save = %d %s", rec.Code, rec.Body)
	}
	saved := decodeDraft(t, rec)
	if saved.Revision != d.Revision+1 || len(saved.Problems) != 0 {
		t.Fatalf("saved revision %d problems %+v", saved.Revision, saved.Problems)
	}
	// b saves on top; a's next save, based on the old revision, is refused.
	theirs := course
	theirs.Lessons = append([]authoring.DraftLesson(nil), course.Lessons...)
	theirs.Lessons[1].Body = "Their text.\n"
	if rec := saveDraft(b, "edited", saved.Revision, theirs); rec.Code != 200 {
		t.Fatalf("b's save = %d %s", rec.Code, rec.Body)
	}
	mine := goodCourse(img.Path)
	mine.Lessons[1].Body = "My text.\n"
	rec = saveDraft(a, "edited", saved.Revision, mine)
	if rec.Code != http.StatusConflict || errKey(t, rec) != "author.error.draft_stale" {
		t.Fatalf("stale save = %d %s", rec.Code, rec.Body)
	}
	var conflict struct{ Draft draftJSON }
	_ = json.Unmarshal(rec.Body.Bytes(), &conflict)
	if conflict.Draft.Revision != saved.Revision+1 || conflict.Draft.Course.Lessons[1].Body != "Their text.\n" {
		t.Errorf("409 carries %+v, want theirs", conflict.Draft)
	}

	// Unsanitisable content: refused with its line, nothing published.
	bad := goodCourse(img.Path)
	bad.Lessons[1].Body = "Fine.\n\nPress <kbd onclick=x>Enter</kbd>.\n\n![](assets/missing.png)\n"
	bad.Lessons[0].Questions[1].Explanation = ""
	bad.Lessons[0].Questions[0].Index = 5
	rec = saveDraft(a, "edited", conflict.Draft.Revision, bad)
	if rec.Code != 200 {
		t.Fatalf("save = %d %s", rec.Code, rec.Body)
	}
	probs := decodeDraft(t, rec).Problems
	want := map[string]bool{"1/-1/3/raw HTML": false, "1/-1/5/not in the package": false, "1/-1/5/no alt text": false,
		"0/1/0/needs an explanation": false, "0/0/0/not one of the 2 options": false}
	for _, p := range probs {
		for k := range want {
			var l, q, line int
			var msg string
			fmt.Sscanf(strings.Replace(k, "/", " ", 3), "%d %d %d", &l, &q, &line)
			msg = strings.SplitN(k, "/", 4)[3]
			if p.Lesson == l && p.Question == q && p.BodyLine == line && strings.Contains(p.Message, msg) {
				want[k] = true
			}
		}
	}
	for k, found := range want {
		if !found {
			t.Errorf("no problem %s in %+v", k, probs)
		}
	}
	rec = jsonReq(a, "POST", "/api/v1/teach/drafts/edited/publish", nil)
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("publish with problems = %d %s", rec.Code, rec.Body)
	}
	if n := w.count(t, "SELECT COUNT(*) FROM courses WHERE slug = 'edited'"); n != 0 {
		t.Fatal("a draft with problems was published")
	}
	// The preview shows the same problem on the same line, and renders
	// the rest safely.
	rec = jsonReq(a, "POST", "/api/v1/teach/preview", map[string]string{"slug": "edited",
		"body": "# Title\n\n<script>alert(1)</script>\n\n![A red line](" + img.Path + ")\n"})
	var pv authoring.Preview
	_ = json.Unmarshal(rec.Body.Bytes(), &pv)
	if rec.Code != 200 || strings.Contains(pv.HTML, "<script") || !strings.Contains(pv.HTML, `src="/api/v1/teach/drafts/edited/`+img.Path+`"`) ||
		len(pv.Problems) != 1 || pv.Problems[0].Line != 3 {
		t.Errorf("preview = %d %+v", rec.Code, pv)
	}

	// Publish version 1; a learner at sc-city completes lesson 2 (practice).
	cur := decodeDraft(t, jsonReq(a, "GET", "/api/v1/teach/drafts/edited", nil))
	if rec := saveDraft(a, "edited", cur.Revision, goodCourse(img.Path)); rec.Code != 200 {
		t.Fatalf("save = %d", rec.Code)
	}
	rec = jsonReq(a, "POST", "/api/v1/teach/drafts/edited/publish", nil)
	if rec.Code != http.StatusCreated || !strings.Contains(rec.Body.String(), `"version":1`) {
		t.Fatalf("publish = %d %s", rec.Code, rec.Body)
	}
	if n := w.count(t, "SELECT COUNT(*) FROM courses WHERE slug = 'edited' AND visibility = 'institution'"); n != 1 {
		t.Errorf("published course with institution visibility: %d", n)
	}
	if n := w.count(t, "SELECT COUNT(*) FROM course_drafts"); n != 0 {
		t.Errorf("%d drafts left after publishing", n)
	}
	if rec := w.c["learner-gd"].do(request{method: "GET", path: "/api/v1/courses/edited"}); rec.Code != 404 {
		t.Errorf("a learner elsewhere sees the course: %d", rec.Code)
	}
	if rec := w.c["learner-sc"].do(request{method: "GET", path: "/api/v1/courses/edited"}); rec.Code != 200 {
		t.Fatalf("the institution's learner = %d %s", rec.Code, rec.Body)
	}

	// Edit again: the draft starts from version 1; the welcome lesson
	// changes, and version 2 is published with the same audience.
	rec = jsonReq(b, "POST", "/api/v1/teach/courses/edited/draft", nil)
	d2 := decodeDraft(t, rec)
	if rec.Code != 200 || d2.BaseVersion != 1 || len(d2.Course.Lessons) != 2 || len(d2.Assets) != 1 ||
		d2.Course.Lessons[1].Questions[1].Texts[1] != "１１０" {
		t.Fatalf("start from version 1 = %d %+v", rec.Code, d2)
	}
	d2.Course.Lessons[0].Body += "\nA new paragraph.\n"
	if rec := saveDraft(b, "edited", d2.Revision, d2.Course); rec.Code != 200 {
		t.Fatalf("save = %d %s", rec.Code, rec.Body)
	}
	rec = jsonReq(b, "POST", "/api/v1/teach/drafts/edited/publish", nil)
	if rec.Code != http.StatusCreated || !strings.Contains(rec.Body.String(), `"version":2`) {
		t.Fatalf("publish v2 = %d %s", rec.Code, rec.Body)
	}
	if n := w.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = 'course.publish' AND target = 'course:edited'"); n != 2 {
		t.Errorf("%d publish audit entries", n)
	}
	if n := w.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = 'course.draft.save' AND target = 'course:edited'"); n != 5 {
		t.Errorf("%d save audit entries, want 5 (the refused one is not one)", n)
	}
}

func crc32IEEE(b []byte) uint32 { return crc32.ChecksumIEEE(b) }
