package web

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/learning"
)

// CertificateVerifier looks a certificate up by serial
// (internal/learning/certificate.go).
type CertificateVerifier interface {
	Certificate(ctx context.Context, serial string) (*learning.CertificateView, error)
}

// CertificateAPI serves certificate pages and their public verification.
type CertificateAPI struct {
	Certificates CertificateVerifier
}

func (h *CertificateAPI) routes(app, api *echo.Group, pg *pages) {
	app.GET("/certificates/:serial", pg.page("certificate.html"))
	app.GET("/verify", pg.page("verify.html"))
	app.GET("/verify/:serial", pg.page("verify.html"))

	api.GET("/certificates/:serial", h.Get)
}

// Get verifies a certificate; public.
func (h *CertificateAPI) Get(c echo.Context) error {
	v, err := h.Certificates.Certificate(c.Request().Context(), c.Param("serial"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}
