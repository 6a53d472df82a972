package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/region"
)

// RegionLister is what the region picker needs.
type RegionLister interface {
	Children(ctx context.Context, parent string) ([]region.Region, error)
}

// RegionAPI serves the GB/T 2260 division tree, publicly.
type RegionAPI struct{ Regions RegionLister }

// regionsMaxAge is how long browsers and proxies may reuse a list: the tree
// changes once a year, and a picker on a slow county link should not ask again.
const regionsMaxAge = "public, max-age=21600"

// routes registers outside the session group: the answer is the same for
// everyone and carries no cookie, so it can be cached publicly (the one
// exception to noStoreAPI).
func (h *RegionAPI) routes(e *echo.Echo) {
	if h != nil {
		e.GET("/api/v1/regions", h.List)
	}
}

type regionJSON struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Level int    `json:"level"`
}

// List answers GET /api/v1/regions?parent=CODE: the children of CODE, or
// the provinces without it.
func (h *RegionAPI) List(c echo.Context) error {
	rs, err := h.Regions.Children(c.Request().Context(), c.QueryParam("parent"))
	if err != nil {
		return err
	}
	out := make([]regionJSON, len(rs))
	for i, r := range rs {
		out[i] = regionJSON{Code: r.Code, Name: r.Name, Level: r.Level}
	}
	body, err := json.Marshal(map[string]any{"regions": out})
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	hd := c.Response().Header()
	hd.Set("Cache-Control", regionsMaxAge)
	hd.Set("ETag", etag)
	if c.Request().Header.Get("If-None-Match") == etag {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body)
}
