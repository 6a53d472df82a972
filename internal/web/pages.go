package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

// pages serves the embedded frontend. Files are read once at start-up and
// served with strong ETags, so a slow phone revalidates with a tiny 304
// instead of downloading the page again.
type pages struct {
	files map[string]staticFile
}

type staticFile struct {
	body  []byte
	etag  string
	ctype string
}

func loadPages(fsys fs.FS) (*pages, error) {
	p := &pages{files: map[string]staticFile{}}
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
		p.files["/"+name] = staticFile{body: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, ctype: ct}
		return nil
	})
	return p, err
}

func (p *pages) send(c echo.Context, name string, status int) error {
	f, ok := p.files[name]
	if !ok {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, f.ctype)
	h.Set("ETag", f.etag)
	// Revalidate every time: deploys change files under the same names.
	h.Set("Cache-Control", "no-cache")
	if status == http.StatusOK && c.Request().Header.Get("If-None-Match") == f.etag {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Stream(status, f.ctype, bytes.NewReader(f.body))
}

// dir serves files under one folder of the embedded tree (/css, /js, ...).
func (p *pages) dir(prefix string) echo.HandlerFunc {
	return func(c echo.Context) error {
		return p.send(c, path.Join(prefix, path.Clean("/"+c.Param("*"))), http.StatusOK)
	}
}

// page returns a handler for one HTML page.
func (p *pages) page(name string) echo.HandlerFunc {
	return func(c echo.Context) error { return p.send(c, "/"+name, http.StatusOK) }
}

func (p *pages) serveError(c echo.Context, status int) error {
	if status == http.StatusNotFound {
		return p.send(c, "/404.html", status)
	}
	return p.send(c, "/error.html", status)
}
