package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"html"
	"net/http"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"
)

// htmlPage is an HTML page rewritten to fingerprinted names. Its head holds
// an import map sending every module of the page's graph to its
// fingerprinted name (modules import each other by plain relative names,
// which stay valid without the map), the catalogs' names for i18n.js, and
// modulepreload links for the whole graph. Preload hints for the page's
// data differ per request and go between pre and post.
type htmlPage struct {
	pre, post []byte
	// scriptHash is the CSP source of the import map ("sha256-..."), or ""
	// for a page without modules.
	scriptHash string
	// me: the page's modules ask /api/v1/me first thing (shell.js).
	// catalog: they load a catalog (i18n.js).
	me, catalog bool
}

var (
	// assetAttrRe finds references to static files in the pages' markup.
	assetAttrRe = regexp.MustCompile(`(\s(?:src|href)=")(/(?:css|js|i18n|img)/[^"?#]+)(")`)
	moduleRe    = regexp.MustCompile(`<script type="module" src="([^"]+)"`)
	preloadRe   = regexp.MustCompile(`<link rel="modulepreload" href="([^"]+)"`)
	// importRe finds static imports and re-exports (from '...', import '...')
	// and dynamic imports of a literal (import('...')).
	importRe = regexp.MustCompile(`(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"\s]+\.js)['"]`)
)

// rewritePages rewrites every HTML page of p.
func rewritePages(p *pages) map[string]*htmlPage {
	imports := map[string][]string{}
	for name, f := range p.files {
		if strings.HasPrefix(name, "/js/") && strings.HasSuffix(name, ".js") {
			imports[name] = moduleImports(name, f.body)
		}
	}
	out := map[string]*htmlPage{}
	for name, f := range p.files {
		if strings.HasSuffix(name, ".html") {
			out[name] = p.rewritePage(f.body, imports)
		}
	}
	return out
}

// moduleImports lists the same-site modules one module imports, as paths.
func moduleImports(name string, src []byte) []string {
	var list []string
	for _, m := range importRe.FindAllSubmatch(src, -1) {
		spec := string(m[1])
		switch {
		case strings.HasPrefix(spec, "/"):
			list = append(list, path.Clean(spec))
		case strings.HasPrefix(spec, "./"), strings.HasPrefix(spec, "../"):
			list = append(list, path.Join(path.Dir(name), spec))
		}
	}
	return list
}

func (p *pages) rewritePage(src []byte, imports map[string][]string) *htmlPage {
	pg := &htmlPage{}
	// The module graph, from the page's own module scripts and preloads.
	graph := map[string]bool{}
	var walk func(string)
	walk = func(m string) {
		if graph[m] {
			return
		}
		if _, ok := p.files[m]; !ok {
			return
		}
		graph[m] = true
		for _, dep := range imports[m] {
			walk(dep)
		}
	}
	listed := map[string]bool{}
	for _, re := range []*regexp.Regexp{moduleRe, preloadRe} {
		for _, m := range re.FindAllSubmatch(src, -1) {
			listed[string(m[1])] = true
			walk(string(m[1]))
		}
	}
	body := assetAttrRe.ReplaceAllFunc(src, func(m []byte) []byte {
		sub := assetAttrRe.FindSubmatch(m)
		f, ok := p.files[string(sub[2])]
		if !ok || f.hashed == "" {
			return m
		}
		return []byte(string(sub[1]) + f.hashed + string(sub[3]))
	})
	at := firstHeadResource(body)
	if len(graph) == 0 || at < 0 {
		pg.pre, pg.post = body, nil
		return pg
	}
	pg.me, pg.catalog = graph["/js/shell.js"], graph["/js/i18n.js"]

	modules := make([]string, 0, len(graph))
	for m := range graph {
		modules = append(modules, m)
	}
	sort.Strings(modules)
	mapping := map[string]string{}
	for _, m := range modules {
		mapping[m] = p.files[m].hashed
	}
	// encoding/json escapes <, > and &, so the text cannot end the element.
	mapJSON, _ := json.Marshal(map[string]map[string]string{"imports": mapping})
	sum := sha256.Sum256(mapJSON)
	pg.scriptHash = "sha256-" + base64.StdEncoding.EncodeToString(sum[:])

	var head bytes.Buffer
	head.WriteString(`<script type="importmap">`)
	head.Write(mapJSON)
	head.WriteString("</script>\n")
	if pg.catalog {
		// Read by i18n.js: a data block, never run, so CSP does not apply.
		cats, _ := json.Marshal(p.catalogs)
		head.WriteString(`<script type="application/json" id="catalogs">`)
		head.Write(cats)
		head.WriteString("</script>\n")
	}
	pg.pre = append(append([]byte{}, body[:at]...), head.Bytes()...)

	// modulepreload for what the page does not list itself: each level of
	// imports would otherwise cost a round trip on first load.
	var more bytes.Buffer
	for _, m := range modules {
		if !listed[m] {
			more.WriteString(`<link rel="modulepreload" href="` + p.files[m].hashed + "\">\n")
		}
	}
	rest := body[at:]
	if end := bytes.Index(rest, []byte("</head>")); end >= 0 && more.Len() > 0 {
		rest = append(append(append([]byte{}, rest[:end]...), more.Bytes()...), rest[end:]...)
	}
	pg.post = rest
	return pg
}

// firstHeadResource is where the import map goes: before the first link or
// script of the head (it must precede every module), after the meta tags
// (the charset must stay within the first 1024 bytes).
func firstHeadResource(b []byte) int {
	end := bytes.Index(b, []byte("</head>"))
	if end < 0 {
		return -1
	}
	at := -1
	for _, tag := range []string{"<link", "<script"} {
		if i := bytes.Index(b[:end], []byte(tag)); i >= 0 && (at < 0 || i < at) {
			at = i
		}
	}
	if at < 0 {
		at = end
	}
	return at
}

// sendPage answers with one page and what it needs for this request:
// preload hints for the signed-in user (/api/v1/me) and for the catalog of
// the language the page will most likely pick, which the browser starts
// fetching as soon as the head arrives, in parallel with the modules
// instead of in a chain after them; and, when data is given, the data and
// the user themselves, in a JSON data block read by api.js's embedded().
func (p *pages) sendPage(c echo.Context, pg *htmlPage, status int, data map[string]any, textFirst bool) error {
	mainHTML, _ := data[mainKey].(string)
	delete(data, mainKey)
	var extra bytes.Buffer
	if data != nil && p.me != nil {
		if me := p.me(c); me != nil {
			data["me"] = me
		}
	}
	if len(data) > 0 {
		b, err := json.Marshal(data)
		if err != nil {
			return err
		}
		// encoding/json escapes <, > and &: the text cannot end the element.
		extra.WriteString(`<script type="application/json" id="page-data">`)
		extra.Write(b)
		extra.WriteString("</script>\n")
	}
	fetchHint := func(u string) {
		extra.WriteString(`<link rel="preload" as="fetch" crossorigin href="` + html.EscapeString(u) + "\">\n")
	}
	if _, embedded := data["me"]; pg.me && !embedded {
		fetchHint("/api/v1/me")
	}
	if pg.catalog && !textFirst {
		if u, ok := p.catalogs[guessLang(c)]; ok {
			fetchHint(u)
		}
	}
	b := make([]byte, 0, len(pg.pre)+extra.Len()+len(pg.post)+len(mainHTML))
	b = append(append(append(b, pg.pre...), extra.Bytes()...), pg.post...)
	if mainHTML != "" {
		b = withMain(b, mainHTML)
	}

	h := c.Response().Header()
	if pg.scriptHash != "" {
		h.Set("Content-Security-Policy", contentSecurityPolicy(pg.scriptHash))
	}
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	if len(data) > 0 {
		// The page holds what the API answers with no-store (middleware.go):
		// the next person on a shared computer must not find it in the cache.
		h.Set("Cache-Control", "no-store")
		return c.Blob(status, echo.MIMETextHTMLCharsetUTF8, b)
	}
	sum := sha256.Sum256(b)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	h.Set("ETag", etag)
	// Revalidate every time: the page names today's file versions.
	h.Set("Cache-Control", "no-cache")
	if status == http.StatusOK && c.Request().Header.Get("If-None-Match") == etag {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(status, echo.MIMETextHTMLCharsetUTF8, b)
}

// guessLang is the language i18n.js will pick, as far as the server can
// tell: ?lang, then the signed-in user's choice, then the browser's first
// language (i18n.js also consults localStorage, which only the browser
// sees; a wrong guess costs one unused download).
func guessLang(c echo.Context) string {
	switch l := c.QueryParam("lang"); l {
	case "zh-CN", "en":
		return l
	}
	if a := authOf(c); a != nil && a.user.Locale != "" {
		return a.user.Locale
	}
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(c.Request().Header.Get("Accept-Language"))), "en") {
		return "en"
	}
	return "zh-CN"
}

// mainKey names, in a page's data, markup that replaces the placeholder
// inside the page's <main id="main"> rather than travelling as JSON.
const mainKey = "\x00main"

// withMain puts markup inside the page's <main id="main" ...> element.
func withMain(page []byte, markup string) []byte {
	open := bytes.Index(page, []byte(`<main id="main"`))
	if open < 0 {
		return page
	}
	start := bytes.IndexByte(page[open:], '>')
	end := bytes.Index(page[open:], []byte("</main>"))
	if start < 0 || end < start {
		return page
	}
	start, end = open+start+1, open+end
	out := make([]byte, 0, len(page)-(end-start)+len(markup))
	out = append(append(append(out, page[:start]...), markup...), page[end:]...)
	return out
}
