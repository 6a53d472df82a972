package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/i18n"
)

// The installable, offline-capable site: the web app manifest and the
// service worker (frontend/sw.js). The worker's caches are named after a
// hash of the whole frontend, so a release that changes any page, script or
// catalog installs a new worker whose activation deletes the old caches.

// buildMarker delimits, in frontend/sw.js, the object replaced with the
// release's version and the files to keep for offline use.
const (
	buildStart = "/*BUILD*/"
	buildEnd   = "/*END*/"
)

// offlineShell says which embedded files a learner's browser keeps: pages'
// styles, scripts and catalogs, not the staff pages' (a learner's phone has
// no use for them).
func offlineShell(name string) bool {
	for _, skip := range []string{"/js/admin/", "/js/teach/", "/css/stats.css", "/css/slips.css", "/css/poster.css"} {
		if strings.HasPrefix(name, skip) {
			return false
		}
	}
	for _, dir := range []string{"/css/", "/js/", "/i18n/", "/img/"} {
		if strings.HasPrefix(name, dir) {
			return true
		}
	}
	return false
}

// offline holds the service worker as served: its body is fixed for the
// life of the process, like every other embedded file.
type offline struct {
	version string
	sw      staticFile
	cat     *i18n.Catalog
}

// newOffline derives the release version from every embedded file's
// content and writes it, with the shell list, into sw.js.
func newOffline(pg *pages, cat *i18n.Catalog) (*offline, error) {
	names := make([]string, 0, len(pg.files))
	for name := range pg.files {
		names = append(names, name)
	}
	sort.Strings(names)
	h := sha256.New()
	shell := []string{"/manifest.webmanifest"}
	for _, name := range names {
		fmt.Fprintf(h, "%s %s\n", name, pg.files[name].etag)
		if offlineShell(name) {
			// Pages ask for the content-hashed names (fingerprint.go).
			if f := pg.files[name]; f.hashed != "" {
				shell = append(shell, f.hashed)
			} else {
				shell = append(shell, name)
			}
		}
	}
	version := hex.EncodeToString(h.Sum(nil))[:16]
	src, ok := pg.files["/sw.js"]
	if !ok {
		return nil, fmt.Errorf("frontend has no sw.js")
	}
	start := bytes.Index(src.body, []byte(buildStart))
	end := bytes.Index(src.body, []byte(buildEnd))
	if start < 0 || end < start {
		return nil, fmt.Errorf("sw.js lacks the %s...%s build object", buildStart, buildEnd)
	}
	build, err := json.Marshal(map[string]any{"version": version, "shell": shell})
	if err != nil {
		return nil, err
	}
	var body bytes.Buffer
	body.Write(src.body[:start])
	body.Write(build)
	body.Write(src.body[end+len(buildEnd):])
	sum := sha256.Sum256(body.Bytes())
	return &offline{
		version: version,
		sw:      staticFile{body: body.Bytes(), etag: `"` + hex.EncodeToString(sum[:8]) + `"`, ctype: "text/javascript; charset=utf-8"},
		cat:     cat,
	}, nil
}

func (o *offline) routes(e *echo.Echo) {
	e.GET("/sw.js", o.serviceWorker)
	e.GET("/manifest.webmanifest", o.manifest)
}

// serviceWorker serves /sw.js at the root, so its scope is the whole site
// without a Service-Worker-Allowed header. no-cache: browsers check it for
// a new release on every navigation (they would anyway after 24 hours).
func (o *offline) serviceWorker(c echo.Context) error {
	h := c.Response().Header()
	h.Set("ETag", o.sw.etag)
	h.Set("Cache-Control", "no-cache")
	if c.Request().Header.Get("If-None-Match") == o.sw.etag {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, o.sw.ctype, o.sw.body)
}

// manifest makes the site installable, named in the browser's language
// (?lang= chooses another). Colours are the header's.
func (o *offline) manifest(c echo.Context) error {
	lang := o.cat.Match(c.Request().Header.Get("Accept-Language"))
	if q := c.QueryParam("lang"); q != "" {
		lang = o.cat.Match(q)
	}
	m := map[string]any{
		"id":               "/",
		"name":             o.cat.T(lang, "app.name", nil) + " · " + o.cat.T(lang, "app.tagline", nil),
		"short_name":       o.cat.T(lang, "app.name", nil),
		"description":      o.cat.T(lang, "offline.manifest_description", nil),
		"lang":             lang,
		"start_url":        "/",
		"scope":            "/",
		"display":          "standalone",
		"background_color": "#ffffff",
		"theme_color":      "#1a5fb4",
		"icons": []map[string]string{
			{"src": "/img/favicon.svg", "sizes": "any", "type": "image/svg+xml"},
			{"src": "/img/icon-192.png", "sizes": "192x192", "type": "image/png"},
			{"src": "/img/icon-512.png", "sizes": "512x512", "type": "image/png"},
		},
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("Vary", "Accept-Language")
	return c.Blob(http.StatusOK, "application/manifest+json; charset=utf-8", b)
}
