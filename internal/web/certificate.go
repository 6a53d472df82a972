package web

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"
	qr "github.com/piglig/go-qr"

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
	app.GET("/certificates/:serial/qr.svg", h.QR)
}

// Get verifies a certificate; public.
func (h *CertificateAPI) Get(c echo.Context) error {
	v, err := h.Certificates.Certificate(c.Request().Context(), c.Param("serial"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// QR is the QR code of a certificate's verification address, for the
// printed certificate: a personnel office scans it with a phone. Drawn on
// the server as SVG, so it prints sharp and the page loads no library.
func (h *CertificateAPI) QR(c echo.Context) error {
	v, err := h.Certificates.Certificate(c.Request().Context(), c.Param("serial"))
	if err != nil {
		return err
	}
	svg, err := QRCodeSVG(v.VerifyURL)
	if err != nil {
		return err
	}
	// A revoked certificate's code still points at the page that says so;
	// no-cache keeps a changed base URL from lingering in print previews.
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, "image/svg+xml", svg)
}

// QRCodeSVG draws text as a QR code (error correction M: a printed page
// survives a fold or a smudge) with the quiet zone scanners need.
func QRCodeSVG(text string) ([]byte, error) {
	code, err := qr.EncodeText(text, qr.Medium)
	if err != nil {
		return nil, err
	}
	return code.ToSVGBytes(qr.NewQrCodeImgConfig(4, 4))
}
