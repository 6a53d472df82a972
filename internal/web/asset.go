package web

import (
	"bytes"
	"context"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/learning"
)

// AssetReader returns an image of a course version
// (internal/learning/asset.go).
type AssetReader interface {
	Asset(ctx context.Context, v learning.Viewer, slug string, version int, path string) (*learning.Asset, error)
}

// AssetAPI serves course images.
type AssetAPI struct {
	Assets AssetReader
}

func (h *AssetAPI) routes(app *echo.Group) {
	app.GET("/media/courses/:slug/:version/assets/*", h.Get)
}

// Get serves a course image. A version's files never change, so browsers
// and proxies may keep them for a year: cheap for slow links.
func (h *AssetAPI) Get(c echo.Context) error {
	version, err := strconv.Atoi(c.Param("version"))
	if err != nil {
		return errs.New(errs.NotFound, "error.not_found")
	}
	p := path.Clean("/" + c.Param("*"))
	if strings.Contains(p, "..") {
		return errs.New(errs.NotFound, "error.not_found")
	}
	a, err := h.Assets.Asset(c.Request().Context(), viewerOf(c), c.Param("slug"), version, "assets"+p)
	if err != nil {
		return err
	}
	hd := c.Response().Header()
	if a.Public {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		// Only the course's audience may see it: no shared cache keeps it.
		hd.Set("Cache-Control", "private, max-age=31536000, immutable")
	}
	// SVG can carry script; served as an image under our CSP it cannot run,
	// and this stops it being opened as a document with other rights.
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	return c.Stream(http.StatusOK, a.ContentType, bytes.NewReader(a.Data))
}
