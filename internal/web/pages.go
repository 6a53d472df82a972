package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"
)

// pages serves the embedded frontend. Files are read once at start-up.
// Static files (css, js, i18n, img) are also served under content-hashed
// names (/js/api.1a2b3c4d5e.js) that a browser may keep for a year without
// asking again; HTML pages are rewritten at start-up to use those names
// (fingerprint.go), so on a slow link a repeat visit costs one revalidation
// of the page instead of one per file.
type pages struct {
	files map[string]staticFile
	// hashed maps a fingerprinted path to the file it names.
	hashed map[string]string
	// html holds the rewritten pages, by path.
	html map[string]*htmlPage
	// catalogs maps a language to its fingerprinted catalog path.
	catalogs map[string]string
	// me is the signed-in user as GET /api/v1/me answers, or nil; set by
	// New, for pages that carry their data.
	me func(c echo.Context) any
}

type staticFile struct {
	body  []byte
	etag  string
	ctype string
	// hashed is the fingerprinted path; empty outside the static folders.
	hashed string
}

// staticDirs are the folders served under fingerprinted names too.
var staticDirs = []string{"/css", "/js", "/i18n", "/img"}

func loadPages(fsys fs.FS) (*pages, error) {
	p := &pages{files: map[string]staticFile{}, hashed: map[string]string{}, catalogs: map[string]string{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(name, ".go") {
			return err
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			ct = http.DetectContentType(b)
		}
		f := staticFile{body: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, ctype: ct}
		key := "/" + name
		if inStaticDir(key) {
			f.hashed = fingerprinted(key, hex.EncodeToString(sum[:])[:hashLen])
			p.hashed[f.hashed] = key
			if dir, base := path.Split(key); dir == "/i18n/" && path.Ext(base) == ".json" {
				p.catalogs[strings.TrimSuffix(base, ".json")] = f.hashed
			}
		}
		p.files[key] = f
		return nil
	})
	if err != nil {
		return nil, err
	}
	p.html = rewritePages(p)
	return p, nil
}

func inStaticDir(name string) bool {
	for _, d := range staticDirs {
		if strings.HasPrefix(name, d+"/") {
			return true
		}
	}
	return false
}

// hashLen hex digits of SHA-256 name a version: collisions between two
// versions of one file are what matters, and 40 bits make them negligible.
const hashLen = 10

// fingerprinted turns /js/api.js into /js/api.HASH.js.
func fingerprinted(name, hash string) string {
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "." + hash + ext
}

var fingerprintRe = regexp.MustCompile(`\.[0-9a-f]{10}(\.[A-Za-z0-9]+)$`)

func (p *pages) send(c echo.Context, name string, status int) error {
	if pg, ok := p.html[name]; ok {
		return p.sendPage(c, pg, status, nil, false)
	}
	f, ok := p.files[name]
	if !ok {
		return echo.ErrNotFound
	}
	// Revalidate every time: deploys change files under the same names.
	return sendFile(c, f, status, "no-cache")
}

func sendFile(c echo.Context, f staticFile, status int, cacheControl string) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, f.ctype)
	h.Set("ETag", f.etag)
	h.Set("Cache-Control", cacheControl)
	if status == http.StatusOK && c.Request().Header.Get("If-None-Match") == f.etag {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Stream(status, f.ctype, bytes.NewReader(f.body))
}

// dir serves files under one folder of the embedded tree (/css, /js, ...),
// by their plain name (revalidated: bookmarks, old pages, other tools) or
// their fingerprinted one (kept for a year).
func (p *pages) dir(prefix string) echo.HandlerFunc {
	return func(c echo.Context) error {
		name := path.Join(prefix, path.Clean("/"+c.Param("*")))
		if orig, ok := p.hashed[name]; ok {
			return sendFile(c, p.files[orig], http.StatusOK, "public, max-age=31536000, immutable")
		}
		if _, ok := p.files[name]; !ok && fingerprintRe.MatchString(name) {
			// A page from before a deploy names a version this server no
			// longer has: today's file under a revalidated answer keeps
			// that page working without caching the wrong content as
			// the old version.
			name = fingerprintRe.ReplaceAllString(name, "$1")
		}
		return p.send(c, name, http.StatusOK)
	}
}

// page returns a handler for one HTML page.
func (p *pages) page(name string) echo.HandlerFunc {
	return func(c echo.Context) error { return p.send(c, "/"+name, http.StatusOK) }
}

// pageWithData returns a handler for an HTML page that arrives with its
// data: data returns, by name, answers the page's script would otherwise
// fetch one round trip later (nil: none, the script fetches as usual).
// With data, even an empty map, the page also carries the signed-in user.
// textFirst says the page's script shows the data it carries before the
// catalog arrives: the catalog is then not preloaded, so on a first visit it
// does not share the link with the modules the text waits for.
func (p *pages) pageWithData(name string, textFirst bool, data func(c echo.Context) map[string]any) echo.HandlerFunc {
	return func(c echo.Context) error {
		pg, ok := p.html["/"+name]
		if !ok {
			return echo.ErrNotFound
		}
		d := data(c)
		return p.sendPage(c, pg, http.StatusOK, d, textFirst && len(d) > 0)
	}
}

func (p *pages) serveError(c echo.Context, status int) error {
	if status == http.StatusNotFound {
		return p.send(c, "/404.html", status)
	}
	return p.send(c, "/error.html", status)
}
