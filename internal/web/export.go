package web

import (
	"context"
	"net/http"
	"os"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/export"
	"github.com/xuetang-edu/xuetang/internal/i18n"
)

// Exporter runs exports as background jobs (internal/export/service.go).
type Exporter interface {
	Submit(ctx context.Context, a export.Actor, r export.Request) (string, error)
	Job(ctx context.Context, a export.Actor, id string) (export.Job, error)
	Cancel(ctx context.Context, a export.Actor, id string) (export.Job, error)
	Open(ctx context.Context, a export.Actor, id string) (*os.File, export.Job, error)
}

// ExportAPI serves exports of completion records and indicators: start,
// poll, cancel, download, each for the admin who asked only.
type ExportAPI struct {
	Exports Exporter
	cat     *i18n.Catalog
}

// exportFileRoute is left uncompressed: an XLSX is already a zip, and a
// CSV download is served with ranges, which gzip would break.
const exportFileRoute = "/api/v1/admin/exports/:id/file"

func (h *ExportAPI) routes(api *echo.Group, cat *i18n.Catalog) {
	if h == nil {
		return
	}
	h.cat = cat
	api.POST("/admin/exports", h.Start)
	api.GET("/admin/exports/:id", h.Status)
	api.DELETE("/admin/exports/:id", h.Cancel)
	api.GET("/admin/exports/:id/file", h.File)
}

func (h *ExportAPI) actor(c echo.Context) (export.Actor, error) {
	a, err := requireUser(c)
	if err != nil {
		return export.Actor{}, err
	}
	return export.Actor{Principal: a.principal, IP: c.RealIP()}, nil
}

type exportBody struct {
	Kind    string         `json:"kind"`
	Format  string         `json:"format"`
	Lang    string         `json:"lang"`
	Filters export.Filters `json:"filters"`
}

// Start queues an export (POST /api/v1/admin/exports) -> 202 {"id"}. The
// headers are in "lang" when given, else the request's language.
func (h *ExportAPI) Start(c echo.Context) error {
	a, err := h.actor(c)
	if err != nil {
		return err
	}
	if !export.MayExport(a.Principal) {
		return errs.New(errs.Forbidden, "error.forbidden")
	}
	var b exportBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	if b.Lang == "" {
		b.Lang = langOf(c, h.cat)
	}
	id, err := h.Exports.Submit(c.Request().Context(), a, export.Request{Kind: b.Kind, Format: b.Format, Lang: b.Lang, Filters: b.Filters})
	if err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/api/v1/admin/exports/"+id)
	return c.JSON(http.StatusAccepted, map[string]any{"id": id})
}

func (h *ExportAPI) jobJSON(c echo.Context, j export.Job) error {
	body := map[string]any{"id": j.ID, "kind": j.Kind, "format": j.Format, "status": j.Status,
		"rows_done": j.RowsDone, "rows_estimated": nil, "download_url": nil, "expires_at": nil,
		"created_at": j.CreatedAt.UTC()}
	if j.RowsEstimated >= 0 {
		body["rows_estimated"] = j.RowsEstimated
	}
	if j.Ready {
		body["download_url"] = "/api/v1/admin/exports/" + j.ID + "/file"
		body["file_name"] = j.FileName
		body["file_size"] = j.FileSize
		if j.ExpiresAt != nil {
			body["expires_at"] = j.ExpiresAt.UTC()
		}
	}
	if j.ErrorKey != "" {
		body["error"] = map[string]string{"key": j.ErrorKey, "message": h.cat.T(langOf(c, h.cat), j.ErrorKey, nil)}
	}
	return c.JSON(http.StatusOK, body)
}

// Status reports a job (GET /api/v1/admin/exports/{id}).
func (h *ExportAPI) Status(c echo.Context) error {
	a, err := h.actor(c)
	if err != nil {
		return err
	}
	j, err := h.Exports.Job(c.Request().Context(), a, c.Param("id"))
	if err != nil {
		return err
	}
	return h.jobJSON(c, j)
}

// Cancel stops a queued or running job, or deletes a finished one's file
// (DELETE /api/v1/admin/exports/{id}) -> 200 with the job.
func (h *ExportAPI) Cancel(c echo.Context) error {
	a, err := h.actor(c)
	if err != nil {
		return err
	}
	j, err := h.Exports.Cancel(c.Request().Context(), a, c.Param("id"))
	if err != nil {
		return err
	}
	return h.jobJSON(c, j)
}

var contentTypes = map[string]string{
	export.FormatCSV:  "text/csv; charset=utf-8",
	export.FormatXLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

// File sends a finished export to the admin who asked for it
// (GET /api/v1/admin/exports/{id}/file).
func (h *ExportAPI) File(c echo.Context) error {
	a, err := h.actor(c)
	if err != nil {
		return err
	}
	f, j, err := h.Exports.Open(c.Request().Context(), a, c.Param("id"))
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	// A file of a million rows takes longer than the server's write timeout
	// on a slow link; this response alone may take as long as it needs.
	_ = http.NewResponseController(c.Response().Writer).SetWriteDeadline(time.Time{})
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, contentTypes[j.Format])
	res.Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+j.FileName+`"`)
	http.ServeContent(res, c.Request(), j.FileName, fi.ModTime(), f)
	return nil
}
