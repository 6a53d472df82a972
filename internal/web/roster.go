package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"html/template"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/i18n"
	"github.com/xuetang-edu/xuetang/internal/roster"
)

// RosterImporter previews and commits bulk imports of people
// (internal/roster/service.go).
type RosterImporter interface {
	Preview(ctx context.Context, r roster.Request) (*roster.Plan, error)
	Commit(ctx context.Context, r roster.Request) (roster.Outcome, error)
	Job(ctx context.Context, actor account.Principal, id string) (roster.Job, error)
	TakeSlips(ctx context.Context, actor account.Principal, id string) ([]roster.Slip, error)
}

// RosterAPI serves the bulk import of people and its sign-in slips.
type RosterAPI struct {
	Importer RosterImporter
	// BaseURL is the site address printed on the slips (XUETANG_BASE_URL).
	BaseURL string
	cat     *i18n.Catalog
}

// importBodyLimit leaves room for the multipart framing around a file of
// the largest size an import reads.
const importBodyLimit = roster.MaxFileBytes + 64<<10

func (h *RosterAPI) routes(app, api *echo.Group, cat *i18n.Catalog) {
	h.cat = cat
	// Registered beside the API group: a roster file may be larger than
	// the 1 MiB every other request body is held to.
	app.POST("/api/v1/admin/users/import", h.Import, limitBody(importBodyLimit), RequirePasswordChange)
	api.GET("/admin/users/import/:id", h.Job)
	api.GET("/admin/users/import/:id/slips", h.Slips)
}

type importProblem struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Key     string `json:"key"`
	Message string `json:"message"`
}

func (h *RosterAPI) problems(c echo.Context, plan *roster.Plan) []importProblem {
	lang := langOf(c, h.cat)
	out := make([]importProblem, len(plan.Problems))
	for i, p := range plan.Problems {
		out[i] = importProblem{Row: p.Row, Column: p.Column, Key: p.Key, Message: h.cat.T(lang, p.Key, p.Args)}
	}
	return out
}

// Import previews (?dry_run=true) or commits a roster file
// (POST /api/v1/admin/users/import, multipart field "file").
func (h *RosterAPI) Import(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	if !roster.CanImport(a.principal) {
		return errs.New(errs.Forbidden, "error.forbidden")
	}
	return h.importFile(c, roster.Request{Actor: a.principal, Institution: c.FormValue("institution"), IP: c.RealIP()})
}

// importFile reads the uploaded file into req and previews (?dry_run=true)
// or commits it, answering in the import's shapes.
func (h *RosterAPI) importFile(c echo.Context, req roster.Request) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return errs.New(errs.Invalid, "error.import_no_file").With("field", "file")
	}
	f, err := fh.Open()
	if err != nil {
		return errs.Wrap(errs.Invalid, "error.import_no_file", err).With("field", "file")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, roster.MaxFileBytes+1))
	if err != nil {
		return errs.Wrap(errs.Invalid, "error.bad_request", err)
	}
	if len(data) > roster.MaxFileBytes {
		return errs.New(errs.TooLarge, "error.too_large")
	}
	req.FileName, req.Data = fh.Filename, data
	ctx := c.Request().Context()
	if dry := c.QueryParam("dry_run"); dry == "true" || dry == "1" {
		plan, err := h.Importer.Preview(ctx, req)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"rows": plan.Rows, "errors": h.problems(c, plan)})
	}
	out, err := h.Importer.Commit(ctx, req)
	if err != nil {
		return err
	}
	switch {
	case out.Queued:
		c.Response().Header().Set("Location", "/api/v1/admin/users/import/"+out.JobID)
		return c.JSON(http.StatusAccepted, map[string]any{"id": out.JobID})
	case out.JobID == "":
		// The rows' problems are the answer, beside the one error shape.
		e := errs.New(errs.Invalid, "error.import_rows_invalid").With("count", len(out.Plan.Problems))
		return c.JSON(http.StatusUnprocessableEntity, map[string]any{
			"error":  errorDetail{Code: string(e.Code), Key: e.Key, Message: h.cat.T(langOf(c, h.cat), e.Key, e.Args)},
			"rows":   out.Plan.Rows,
			"errors": h.problems(c, out.Plan),
		})
	}
	return c.JSON(http.StatusOK, map[string]any{"created": out.Created, "id": out.JobID})
}

// Job reports a background import to the staff member who started it
// (GET /api/v1/admin/users/import/{id}).
func (h *RosterAPI) Job(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	j, err := h.Importer.Job(c.Request().Context(), a.principal, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, j)
}

type slipsPage struct {
	Lang, Title, Hint, UsernameLabel, PasswordLabel, AddressLabel, ChangeHint, Address string
	QR                                                                                 template.URL
	Slips                                                                              []roster.Slip
}

var slipsTemplate = template.Must(template.New("slips").Parse(`<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<link rel="stylesheet" href="/css/slips.css">
</head>
<body>
<header class="slips-intro"><h1>{{.Title}}</h1><p>{{.Hint}}</p></header>
<main class="slips">
{{range .Slips}}<section class="slip">
<h2>{{.DisplayName}}</h2>
<dl>
<dt>{{$.UsernameLabel}}</dt><dd class="credential">{{.Username}}</dd>
{{if .Password}}<dt>{{$.PasswordLabel}}</dt><dd class="credential">{{.Password}}</dd>{{end}}
<dt>{{$.AddressLabel}}</dt><dd>{{$.Address}}</dd>
</dl>
<img class="qr" src="{{$.QR}}" alt="{{$.Address}}" width="96" height="96">
{{if .Password}}<p class="change">{{$.ChangeHint}}</p>{{end}}
</section>
{{end}}</main>
</body>
</html>
`))

// Slips renders the sign-in slips of a finished import, once: the one-time
// passwords are forgotten as the page is sent
// (GET /api/v1/admin/users/import/{id}/slips). A4, cut along the dashed lines.
func (h *RosterAPI) Slips(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	slips, err := h.Importer.TakeSlips(c.Request().Context(), a.principal, c.Param("id"))
	if err != nil {
		return err
	}
	return renderSlips(c, h.cat, h.BaseURL, slips, "slips.title", "slips.print_hint")
}

// renderSlips answers with a printable page of sign-in slips; a slip
// without a password leaves that line out (the learner chose their own).
func renderSlips(c echo.Context, cat *i18n.Catalog, baseURL string, slips []roster.Slip, titleKey, hintKey string) error {
	base := strings.TrimRight(baseURL, "/")
	if base == "" {
		base = c.Scheme() + "://" + c.Request().Host
	}
	address := base + "/login"
	svg, err := QRCodeSVG(address)
	if err != nil {
		return err
	}
	lang := langOf(c, cat)
	t := func(key string) string { return cat.T(lang, key, nil) }
	page := slipsPage{Lang: lang, Title: t(titleKey), Hint: t(hintKey), UsernameLabel: t("slips.username"),
		PasswordLabel: t("slips.password"), AddressLabel: t("slips.address"), ChangeHint: t("slips.change_hint"),
		Address: address, QR: template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(svg)), Slips: slips}
	var buf bytes.Buffer
	if err := slipsTemplate.Execute(&buf, page); err != nil {
		return err
	}
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}
