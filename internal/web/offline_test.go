package web_test

import (
	"encoding/json"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var swBuildRe = regexp.MustCompile(`const BUILD = (\{.*?\});`)

// swBuild reads the object the server wrote into sw.js.
func swBuild(t *testing.T, body string) (version string, shell []string) {
	t.Helper()
	m := swBuildRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("sw.js has no BUILD object: %.300s", body)
	}
	var b struct {
		Version string   `json:"version"`
		Shell   []string `json:"shell"`
	}
	if err := json.Unmarshal([]byte(m[1]), &b); err != nil {
		t.Fatalf("BUILD object %s: %v", m[1], err)
	}
	return b.Version, b.Shell
}

// The service worker is served from the root (so its scope is the whole
// site), never cached without revalidation, under the site's CSP, with the
// release's version and the learner's files written in.
func TestServiceWorkerServed(t *testing.T) {
	ts := newTestServer(t)
	c := ts.client()
	rec := c.do(request{method: "GET", path: "/sw.js"})
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /sw.js = %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("Content-Type %q, want text/javascript", ct)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q, want no-cache", cc)
	}
	if rec.Header().Get("Service-Worker-Allowed") != "" {
		t.Error("Service-Worker-Allowed sent: a root script needs none")
	}
	checkCSP(t, ts, c, rec)
	body := rec.Body.String()
	if strings.Contains(body, "/*BUILD*/") || strings.Contains(body, `"version": "dev"`) {
		t.Error("the build placeholder was served as is")
	}
	version, shell := swBuild(t, body)
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(version) {
		t.Errorf("version %q, want 16 hex digits", version)
	}
	for _, want := range []string{"/js/lesson.js", "/js/offline.js", "/css/app.css", "/i18n/zh-CN.json", "/i18n/en.json", "/img/icon-192.png", "/manifest.webmanifest"} {
		// Pages ask for the content-hashed name where there is one.
		ext := path.Ext(want)
		hashed := regexp.MustCompile("^" + regexp.QuoteMeta(strings.TrimSuffix(want, ext)) + `\.[0-9a-f]{10}` + regexp.QuoteMeta(ext) + "$")
		if !slices.Contains(shell, want) && !slices.ContainsFunc(shell, hashed.MatchString) {
			t.Errorf("shell lacks %s", want)
		}
	}
	for _, f := range shell {
		if strings.HasPrefix(f, "/js/admin/") || strings.HasPrefix(f, "/js/teach/") || strings.HasSuffix(f, ".html") || f == "/sw.js" {
			t.Errorf("shell keeps %s, which a learner's device has no use for", f)
		}
		if r := c.do(request{method: "GET", path: f}); r.Code != http.StatusOK {
			t.Errorf("shell file %s = %d", f, r.Code)
		}
	}
	// The same release answers 304 to a browser's revalidation.
	again := c.do(request{method: "GET", path: "/sw.js", headers: map[string]string{"If-None-Match": rec.Header().Get("ETag")}})
	if again.Code != http.StatusNotModified {
		t.Errorf("revalidation = %d, want 304", again.Code)
	}
	// The worker runs under the CSP its script was served with: it may
	// only fetch this site and import nothing from elsewhere.
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("CSP %q lacks connect-src 'self'", csp)
	}
}

// The manifest makes the site installable, named in the asker's language.
func TestWebAppManifest(t *testing.T) {
	ts := newTestServer(t)
	c := ts.client()
	for _, tc := range []struct{ lang, query, short string }{
		{"en", "", "Xuetang"}, {"zh-CN", "", "学堂"}, {"en", "?lang=zh-CN", "学堂"},
	} {
		c.lang = tc.lang
		rec := c.do(request{method: "GET", path: "/manifest.webmanifest" + tc.query})
		if rec.Code != http.StatusOK {
			t.Fatalf("GET manifest = %d", rec.Code)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/manifest+json") {
			t.Errorf("Content-Type %q", ct)
		}
		if cc := rec.Header().Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("Cache-Control %q, want no-cache", cc)
		}
		var m struct {
			Name       string `json:"name"`
			ShortName  string `json:"short_name"`
			StartURL   string `json:"start_url"`
			Display    string `json:"display"`
			ThemeColor string `json:"theme_color"`
			Icons      []struct{ Src, Sizes, Type string }
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		if m.ShortName != tc.short || !strings.HasPrefix(m.Name, tc.short+" · ") {
			t.Errorf("%s%s: name %q, short_name %q, want %q", tc.lang, tc.query, m.Name, m.ShortName, tc.short)
		}
		if m.StartURL != "/" || m.Display != "standalone" || m.ThemeColor == "" {
			t.Errorf("start_url %q, display %q, theme_color %q", m.StartURL, m.Display, m.ThemeColor)
		}
		sizes := map[string]string{}
		for _, ic := range m.Icons {
			sizes[ic.Sizes] = ic.Type
			r := c.do(request{method: "GET", path: ic.Src})
			if r.Code != http.StatusOK || !strings.HasPrefix(r.Header().Get("Content-Type"), ic.Type) {
				t.Errorf("icon %s = %d %q, want %s", ic.Src, r.Code, r.Header().Get("Content-Type"), ic.Type)
			}
		}
		if sizes["192x192"] != "image/png" || sizes["512x512"] != "image/png" || sizes["any"] != "image/svg+xml" {
			t.Errorf("icons %v, want an SVG and 192 and 512 PNGs", sizes)
		}
	}
}
