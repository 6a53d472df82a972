package web

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestCompressOnlyLargeResponses(t *testing.T) {
	e := echo.New()
	e.Use(compress(func(c echo.Context) bool { return c.Path() == "/skip" }))
	big := strings.Repeat("学堂 xuetang ", 400)
	e.GET("/big", func(c echo.Context) error { return c.String(http.StatusOK, big) })
	e.GET("/small", func(c echo.Context) error { return c.String(http.StatusCreated, "tiny") })
	e.GET("/skip", func(c echo.Context) error { return c.String(http.StatusOK, big) })
	e.GET("/empty", func(c echo.Context) error { return c.NoContent(http.StatusNotModified) })

	get := func(path string, gz bool) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if gz {
			req.Header.Set("Accept-Encoding", "gzip, deflate")
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}

	rec := get("/big", true)
	if rec.Header().Get("Content-Encoding") != "gzip" || rec.Code != http.StatusOK {
		t.Fatalf("big: encoding %q status %d, want gzip 200", rec.Header().Get("Content-Encoding"), rec.Code)
	}
	if rec.Body.Len() >= len(big)/2 {
		t.Errorf("big: %d compressed bytes for %d, expected real compression", rec.Body.Len(), len(big))
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(zr); string(b) != big {
		t.Error("big: decompressed body differs")
	}
	if !strings.Contains(rec.Header().Get("Vary"), "Accept-Encoding") {
		t.Error("big: missing Vary: Accept-Encoding")
	}

	for _, tc := range []struct {
		path string
		gz   bool
		code int
		body string
	}{
		{"/big", false, http.StatusOK, big},
		{"/small", true, http.StatusCreated, "tiny"},
		{"/skip", true, http.StatusOK, big},
		{"/empty", true, http.StatusNotModified, ""},
	} {
		rec := get(tc.path, tc.gz)
		if rec.Header().Get("Content-Encoding") != "" || rec.Code != tc.code || rec.Body.String() != tc.body {
			t.Errorf("%s gzip=%v: encoding %q status %d body %d bytes; want plain %d with %d bytes",
				tc.path, tc.gz, rec.Header().Get("Content-Encoding"), rec.Code, rec.Body.Len(), tc.code, len(tc.body))
		}
	}
}
