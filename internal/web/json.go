package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/errs"
)

// bindJSON decodes a JSON body strictly: malformed JSON, a wrong type or
// trailing garbage is a 400 naming the problem, never a 500.
func bindJSON(c echo.Context, v any) error {
	r := c.Request()
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return errs.New(errs.Invalid, "error.want_json")
	}
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var he *echo.HTTPError
		var te *json.UnmarshalTypeError
		switch {
		// Echo's BodyLimit reports a streamed (chunked) body over the limit
		// as an *echo.HTTPError from Read, not as http.MaxBytesError.
		case errors.As(err, &mbe), errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge:
			return errs.New(errs.TooLarge, "error.too_large")
		case errors.Is(err, io.EOF):
			return errs.New(errs.Invalid, "error.empty_body")
		case errors.As(err, &te):
			return errs.New(errs.Invalid, "error.bad_field").With("field", te.Field)
		default:
			return errs.New(errs.Invalid, "error.bad_json")
		}
	}
	if dec.More() {
		return errs.New(errs.Invalid, "error.bad_json")
	}
	return nil
}
