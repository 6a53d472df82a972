package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/export"
)

// AcceptPrivacy answers POST /api/v1/me/privacy {"version"}: the signed-in
// user accepts the privacy notice they were shown.
func (h *AuthAPI) AcceptPrivacy(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	var req struct {
		Version string `json:"version"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if err := h.Accounts.AcceptPrivacy(c.Request().Context(), a.user.ID, req.Version); err != nil {
		return err
	}
	a.user.PrivacyVersion = req.Version
	return c.JSON(http.StatusOK, h.meJSON(a))
}

// MyData answers GET /api/v1/me/data?format=json|csv: a learner's own
// records to keep (JSON, or a zip of CSV files), as a download.
func (h *AuthAPI) MyData(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "csv" {
		return errs.New(errs.Invalid, "error.format_invalid").With("field", "format")
	}
	d, err := h.Accounts.MyData(c.Request().Context(), a.user.ID)
	if err != nil {
		return err
	}
	// The username may not be ASCII; the file name stays plain.
	name := "xuetang-my-data-" + d.Exported.Format("20060102")
	res := c.Response()
	if format == "json" {
		res.Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`.json"`)
		return c.JSONPretty(http.StatusOK, d, "  ")
	}
	res.Header().Set(echo.HeaderContentType, "application/zip")
	res.Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`-csv.zip"`)
	res.WriteHeader(http.StatusOK)
	return export.MyDataZip(res, d)
}
