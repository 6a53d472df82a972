package web_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

var (
	importMapRe   = regexp.MustCompile(`<script type="importmap">([^<]*)</script>`)
	catalogsRe    = regexp.MustCompile(`<script type="application/json" id="catalogs">([^<]*)</script>`)
	staticRefRe   = regexp.MustCompile(`\s(?:src|href)="(/(?:css|js|i18n|img)/[^"]+)"`)
	fingerprintRe = regexp.MustCompile(`^/(?:css|js|i18n|img)/.+\.[0-9a-f]{10}\.[a-z]+$`)
	pageDataRe    = regexp.MustCompile(`<script type="application/json" id="page-data">([^<]*)</script>`)
)

// sitePage is what a test reads from a served HTML page.
type sitePage struct {
	body    string
	csp     string
	imports map[string]string // the import map
	refs    []string          // static files named in src/href
}

func getPage(t *testing.T, c *client, path string) sitePage {
	t.Helper()
	rec := c.do(request{method: "GET", path: path, headers: map[string]string{"Accept": "text/html"}})
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s = %d", path, rec.Code)
	}
	cc := rec.Header().Get("Cache-Control")
	if strings.Contains(rec.Body.String(), `id="page-data"`) {
		if cc != "no-store" {
			t.Errorf("GET %s: Cache-Control %q on a page carrying a learner's data, want no-store", path, cc)
		}
	} else if cc != "no-cache" {
		t.Errorf("GET %s: Cache-Control %q, want no-cache (a page names today's versions)", path, cc)
	}
	p := sitePage{body: rec.Body.String(), csp: rec.Header().Get("Content-Security-Policy")}
	m := importMapRe.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("GET %s: no import map in\n%s", path, p.body)
	}
	var im struct {
		Imports map[string]string `json:"imports"`
	}
	if err := json.Unmarshal([]byte(m[1]), &im); err != nil {
		t.Fatalf("import map of %s: %v", path, err)
	}
	p.imports = im.Imports
	// The import map is inline script to Chromium: the policy must allow
	// exactly its text, by hash, and nothing inline besides.
	sum := sha256.Sum256([]byte(m[1]))
	if want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(p.csp, "script-src 'self' "+want) {
		t.Errorf("GET %s: CSP %q does not allow the import map's hash %s", path, p.csp, want)
	}
	if strings.Contains(p.csp, "unsafe-inline") {
		t.Errorf("GET %s: CSP allows inline script: %q", path, p.csp)
	}
	for _, r := range staticRefRe.FindAllStringSubmatch(p.body, -1) {
		p.refs = append(p.refs, r[1])
	}
	return p
}

func TestFingerprintedStaticFiles(t *testing.T) {
	ts := newTestServer(t)
	c := ts.client()
	c.login(t, "zhangwei", zhangPassword)
	p := getPage(t, c, "/lessons/7")

	if len(p.refs) == 0 {
		t.Fatal("the lesson page names no static file")
	}
	for _, ref := range p.refs {
		if !fingerprintRe.MatchString(ref) {
			t.Errorf("the lesson page names %s, not a fingerprinted name", ref)
		}
	}
	for _, m := range []string{"/js/lesson.js", "/js/shell.js", "/js/i18n.js", "/js/api.js", "/js/quiz.js"} {
		h := p.imports[m]
		if !fingerprintRe.MatchString(h) {
			t.Errorf("import map sends %s to %q", m, h)
		}
		// The whole graph is preloaded, not only the modules the page lists.
		if !strings.Contains(p.body, `<link rel="modulepreload" href="`+h+`">`) && !strings.Contains(p.body, `src="`+h+`"`) {
			t.Errorf("%s (%s) is neither a module script nor preloaded", m, h)
		}
	}
	if _, ok := p.imports["/js/courses.js"]; ok {
		t.Error("the lesson page's import map lists /js/courses.js, which it never loads")
	}
	// The page's data is asked for from the head, in parallel with the
	// modules: the user and the catalog in the user's language (this server
	// has no courses, so the page carries no lesson: TestLessonPageCarriesData).
	cats := catalogsRe.FindStringSubmatch(p.body)
	if cats == nil {
		t.Fatal("no catalog list for i18n.js")
	}
	var catalogs map[string]string
	if err := json.Unmarshal([]byte(cats[1]), &catalogs); err != nil {
		t.Fatal(err)
	}
	if !fingerprintRe.MatchString(catalogs["en"]) || !fingerprintRe.MatchString(catalogs["zh-CN"]) {
		t.Errorf("catalogs %v", catalogs)
	}
	for _, u := range []string{"/api/v1/me", catalogs["zh-CN"]} {
		if !strings.Contains(p.body, `<link rel="preload" as="fetch" crossorigin href="`+u+`">`) {
			t.Errorf("no preload of %s in\n%s", u, p.body)
		}
	}
	if strings.Contains(p.body, catalogs["en"]+`">`) {
		t.Error("the English catalog is preloaded for a learner who reads Chinese")
	}

	mapped := append([]string{}, p.refs...)
	mapped = append(mapped, catalogs["en"])
	for _, h := range p.imports {
		mapped = append(mapped, h)
	}
	for _, h := range mapped {
		rec := c.do(request{method: "GET", path: h})
		if rec.Code != http.StatusOK {
			t.Errorf("GET %s = %d", h, rec.Code)
			continue
		}
		if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: Cache-Control %q", h, cc)
		}
		want := map[string]string{".js": "text/javascript", ".css": "text/css", ".json": "application/json", ".svg": "image/svg+xml"}[filepath.Ext(h)]
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, want) {
			t.Errorf("GET %s: Content-Type %q, want %s", h, ct, want)
		}
		plain := c.do(request{method: "GET", path: regexp.MustCompile(`\.[0-9a-f]{10}\.`).ReplaceAllString(h, ".")})
		if plain.Code != http.StatusOK || plain.Body.String() != rec.Body.String() {
			t.Errorf("%s: the plain name answers %d with other content", h, plain.Code)
		}
		if cc := plain.Header().Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("plain name of %s: Cache-Control %q, want no-cache", h, cc)
		}
	}

	// A page from before a deploy may name a version this server lacks: it
	// gets today's file, revalidated, never kept as that version.
	old := c.do(request{method: "GET", path: "/js/shell.0123456789.js"})
	if old.Code != http.StatusOK || old.Header().Get("Cache-Control") != "no-cache" || !strings.Contains(old.Body.String(), "export async function start") {
		t.Errorf("unknown version of shell.js: %d %q", old.Code, old.Header().Get("Cache-Control"))
	}
	if rec := c.do(request{method: "GET", path: "/js/nothing.0123456789.js"}); rec.Code != http.StatusNotFound {
		t.Errorf("unknown file with a version: %d, want 404", rec.Code)
	}

	// The page revalidates to a 304 while nothing changed.
	rec := c.do(request{method: "GET", path: "/lessons/7", headers: map[string]string{"Accept": "text/html"}})
	etag := rec.Header().Get("ETag")
	if rec = c.do(request{method: "GET", path: "/lessons/7", headers: map[string]string{"Accept": "text/html", "If-None-Match": etag}}); rec.Code != http.StatusNotModified {
		t.Errorf("revalidating the lesson page: %d, want 304", rec.Code)
	}

	// Signed out, the page names no lesson to fetch, and the catalog
	// follows the browser's language.
	anon := ts.client()
	anon.lang = "en-GB,en;q=0.8"
	p = getPage(t, anon, "/lessons/7")
	if strings.Contains(p.body, `id="page-data"`) {
		t.Error("a signed-out page carries data")
	}
	if !strings.Contains(p.body, `href="`+catalogs["en"]+`">`) {
		t.Error("the signed-out page does not preload the English catalog for an English browser")
	}
}

func TestFingerprintsFollowContent(t *testing.T) {
	src := filepath.Join("..", "..", "frontend")
	names := func(dir string) sitePage {
		ts := newTestServer(t, withFrontendDir(dir))
		return getPage(t, ts.client(), "/courses")
	}
	a, b := t.TempDir(), t.TempDir()
	for _, d := range []string{a, b} {
		if err := os.CopyFS(d, os.DirFS(src)); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.OpenFile(filepath.Join(b, "js", "format.js"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("\n// changed\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()

	before, after := names(a), names(b)
	if before.imports["/js/format.js"] == after.imports["/js/format.js"] {
		t.Errorf("format.js changed but kept its name %s", after.imports["/js/format.js"])
	}
	if before.imports["/js/shell.js"] != after.imports["/js/shell.js"] {
		t.Errorf("shell.js did not change but was renamed %s -> %s", before.imports["/js/shell.js"], after.imports["/js/shell.js"])
	}
	if before.csp == after.csp {
		t.Error("the import map changed but the CSP hash did not")
	}
	// The same files give the same names: a server restart, or a second
	// server behind a balancer, does not make browsers download anew.
	if again := names(a); again.imports["/js/format.js"] != before.imports["/js/format.js"] {
		t.Error("the same content got another name")
	}
}

// The lesson page carries the lesson and the user, exactly as the API
// answers them, so a repeat visit shows the text after one round trip; and
// only to whom the API would give them.
func TestLessonPageCarriesData(t *testing.T) {
	cs := newCourseServer(t, storetest.Backends(t)[0], coursetest.Simple("carried"))
	ls := coursetest.Lessons(t, cs.st, "carried")
	c, _ := cs.learner(t, "wang", "")
	c.callJSON(t, "POST", "/api/v1/courses/carried/enroll", nil, 201, nil)
	path := fmt.Sprintf("/lessons/%d", ls[0].ID)
	var fromAPI, me map[string]any
	c.callJSON(t, "GET", "/api/v1"+path, nil, 200, &fromAPI)
	c.callJSON(t, "GET", "/api/v1/me", nil, 200, &me)

	p := getPage(t, c, path)
	m := pageDataRe.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("the lesson page carries no data:\n%s", p.body)
	}
	var data map[string]any
	if err := json.Unmarshal([]byte(m[1]), &data); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(data["lesson"], fromAPI) {
		t.Errorf("carried lesson differs from GET /api/v1%s:\n%v\n%v", path, data["lesson"], fromAPI)
	}
	if !reflect.DeepEqual(data["me"], me) {
		t.Errorf("carried user differs from GET /api/v1/me:\n%v\n%v", data["me"], me)
	}
	if strings.Contains(p.body, `href="/api/v1/me"`) {
		t.Error("the page preloads /api/v1/me though it carries the user")
	}
	// The reader shows the carried text before the catalog arrives, so the
	// catalog must not share the link with the modules on a first visit.
	if strings.Contains(p.body, `rel="preload" as="fetch" crossorigin href="/i18n/`) {
		t.Error("the lesson page preloads a catalog though it shows its text first")
	}
	// The text itself is in <main>, shown before any module has run.
	main := p.body[strings.Index(p.body, `<main id="main"`):]
	main = main[:strings.Index(main, "</main>")]
	if !strings.Contains(main, `<h1 id="lesson-title">`+html.EscapeString(fromAPI["title"].(string))+`</h1>`) ||
		!strings.Contains(main, fromAPI["html"].(string)) || strings.Contains(main, "common.loading") {
		t.Errorf("the lesson's text is not in the page's main element:\n%s", main)
	}
	// The lesson's HTML cannot end the data block early.
	if strings.Count(p.body, "</script>") != strings.Count(p.body, "<script") {
		t.Error("unbalanced script elements")
	}

	// The catalogue carries the user alone (its list depends on the
	// language the user's data decides).
	catPage := getPage(t, c, "/courses").body
	if !strings.Contains(catPage, `rel="preload" as="fetch" crossorigin href="/i18n/zh-CN.`) {
		t.Error("the catalogue does not preload the learner's catalog")
	}
	cat := pageDataRe.FindStringSubmatch(catPage)
	var catData map[string]any
	if cat == nil || json.Unmarshal([]byte(cat[1]), &catData) != nil || !reflect.DeepEqual(catData, map[string]any{"me": me}) {
		t.Errorf("the catalogue carries %v, want the user alone", cat)
	}

	// No lesson of that id, or signed out: nothing carried; the page's own
	// request shows the refusal.
	for _, tc := range []struct {
		name string
		c    *client
		path string
	}{{"unknown lesson", c, "/lessons/999999"}, {"signed out", cs.client(), path}, {"catalogue signed out", cs.client(), "/courses"}} {
		if p := getPage(t, tc.c, tc.path); pageDataRe.MatchString(p.body) {
			t.Errorf("%s: the page carries data", tc.name)
		}
	}
}
