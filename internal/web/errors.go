package web

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/i18n"
)

var statusOf = map[errs.Code]int{
	errs.Invalid:         http.StatusBadRequest,
	errs.NotFound:        http.StatusNotFound,
	errs.Conflict:        http.StatusConflict,
	errs.Unauthorized:    http.StatusUnauthorized,
	errs.Forbidden:       http.StatusForbidden,
	errs.TooManyRequests: http.StatusTooManyRequests,
	errs.TooLarge:        http.StatusRequestEntityTooLarge,
	errs.Unavailable:     http.StatusServiceUnavailable,
	errs.Internal:        http.StatusInternalServerError,
}

// errorBody is the one error shape of the API.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Key     string `json:"key,omitempty"`
	// Field names the input at fault (a question id, a form field).
	Field string `json:"field,omitempty"`
	// RetryAfter is in seconds, the same as the Retry-After header.
	RetryAfter int `json:"retry_after,omitempty"`
}

// defaultRetryAfter is sent with a 429 whose cause did not say how long.
const defaultRetryAfter = time.Minute

// retryAfterSeconds rounds up, so a client that waits exactly that long is
// not refused again for being a fraction of a second early.
func retryAfterSeconds(e *errs.Error) int {
	d := e.RetryAfter
	if d <= 0 {
		if e.Code != errs.TooManyRequests {
			return 0
		}
		d = defaultRetryAfter
	}
	return int((d + time.Second - 1) / time.Second)
}

// fromEcho classifies errors raised by Echo itself and its middleware.
func fromEcho(he *echo.HTTPError) *errs.Error {
	switch he.Code {
	case http.StatusNotFound:
		return errs.New(errs.NotFound, "error.route_not_found")
	case http.StatusMethodNotAllowed:
		return errs.New(errs.NotFound, "error.route_not_found")
	case http.StatusRequestEntityTooLarge:
		return errs.New(errs.TooLarge, "error.too_large")
	case http.StatusUnsupportedMediaType, http.StatusBadRequest:
		return errs.New(errs.Invalid, "error.bad_request")
	case http.StatusForbidden:
		return errs.New(errs.Forbidden, "error.forbidden")
	case http.StatusUnauthorized:
		return errs.New(errs.Unauthorized, "error.unauthorized")
	case http.StatusTooManyRequests:
		return errs.New(errs.TooManyRequests, "error.too_many_requests")
	case http.StatusServiceUnavailable:
		return errs.New(errs.Unavailable, "error.unavailable")
	}
	return errs.Wrap(errs.Internal, "error.internal", he)
}

// errorHandler maps every error to a status and a localized message, once.
func errorHandler(cat *i18n.Catalog, log *slog.Logger, pages *pages) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		var e *errs.Error
		var he *echo.HTTPError
		switch {
		case errors.As(err, &e):
		case errors.As(err, &he):
			e = fromEcho(he)
		default:
			e = errs.Wrap(errs.Internal, "error.internal", err)
		}
		status := statusOf[e.Code]
		if status == 0 {
			status = http.StatusInternalServerError
		}
		rid := c.Response().Header().Get(echo.HeaderXRequestID)
		switch e.Code {
		case errs.Internal:
			log.Error("request failed", "request_id", rid, "method", c.Request().Method,
				"path", c.Request().URL.Path, "err", err)
		case errs.Unavailable:
			log.Warn("dependency unavailable", "request_id", rid, "path", c.Request().URL.Path, "err", err)
		}
		retryAfter := retryAfterSeconds(e)
		if retryAfter > 0 {
			c.Response().Header().Set("Retry-After", strconv.Itoa(retryAfter))
		} else if e.Code == errs.Unavailable {
			c.Response().Header().Set("Retry-After", "5")
		}
		r := c.Request()
		if r.Method == http.MethodGet && !strings.HasPrefix(r.URL.Path, "/api/") &&
			strings.Contains(r.Header.Get("Accept"), "text/html") && pages != nil {
			_ = pages.serveError(c, status)
			return
		}
		lang := langOf(c, cat)
		body := errorBody{Error: errorDetail{Code: string(e.Code), Message: cat.T(lang, messageKey(e), e.Args), Key: e.Key, RetryAfter: retryAfter}}
		if f, ok := e.Args["field"].(string); ok {
			body.Error.Field = f
		}
		if r.Method == http.MethodHead {
			_ = c.NoContent(status)
			return
		}
		_ = c.JSON(status, body)
	}
}

func messageKey(e *errs.Error) string {
	if e.Key != "" {
		return e.Key
	}
	return "error." + string(e.Code)
}

// langOf picks the response language: the explicit header the frontend
// sends, which is the browser's or the switch's choice.
func langOf(c echo.Context, cat *i18n.Catalog) string {
	if l, ok := c.Get("lang").(string); ok {
		return l
	}
	l := cat.Match(c.Request().Header.Get("Accept-Language"))
	c.Set("lang", l)
	return l
}
