package web

import (
	"bytes"
	"crypto/subtle"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/xuetang-edu/xuetang/internal/errs"
)

const (
	sessionCookie = "xuetang_session"
	csrfCookie    = "xuetang_csrf"
	csrfHeader    = "X-CSRF-Token"
)

// contentSecurityPolicy is the policy of every response. A page with an
// import map (fingerprint.go) passes that map's hash as scriptHash: Chromium
// treats an inline import map as inline script, and a hash allows exactly
// that text and nothing else, so the policy stays free of 'unsafe-inline'.
func contentSecurityPolicy(scriptHash string) string {
	script := "'self'"
	if scriptHash != "" {
		script += " '" + scriptHash + "'"
	}
	return "default-src 'self'; script-src " + script + "; style-src 'self'; img-src 'self' data:; " +
		"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

// securityHeaders sets a strict CSP on every response: teachers' content is
// untrusted, so no inline script can ever run, and pages cannot be framed.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy(""))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		return next(c)
	}
}

// noStoreAPI keeps every API answer, errors included, out of browser and
// proxy caches: answers are per user (a lesson carries the learner's attempt
// key and progress), and on a shared library computer the next person must
// not find the previous learner's data in the cache. Pages and course
// images keep their own caching, and so does GET /api/v1/regions, the same
// public answer for everyone, served without a session (region.go).
func noStoreAPI(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if strings.HasPrefix(c.Request().URL.Path, "/api/") {
			c.Response().Header().Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}

// limitBody answers 413 for a body over max before any handler runs. A body
// without a Content-Length (chunked) is read ahead, at most max+1 bytes, so
// its size is known up front too: Echo's BodyLimit notices only while the
// handler reads, so a handler that ignores its body would act anyway and a
// handler that reads it would have to tell the overflow apart from bad input.
func limitBody(max int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			switch {
			case r.ContentLength > max:
				return errs.New(errs.TooLarge, "error.too_large")
			case r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody:
				b, err := io.ReadAll(io.LimitReader(r.Body, max+1))
				if err != nil {
					return errs.Wrap(errs.Invalid, "error.bad_request", err)
				}
				if int64(len(b)) > max {
					return errs.New(errs.TooLarge, "error.too_large")
				}
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
			case r.Body != nil:
				r.Body = http.MaxBytesReader(c.Response(), r.Body, max)
			}
			return next(c)
		}
	}
}

// checkOrigin refuses a state-changing request that a browser sent from a
// page of another site. It is a second line behind the CSRF token: browsers
// always say where a request comes from (Origin, Sec-Fetch-Site) and a page
// cannot forge either, so a leaked or planted token (a cookie set from a
// sibling subdomain) is still no use from elsewhere. A client that sends
// neither header (a script, an app) is left to the token.
//
// The origin of baseURL (XUETANG_BASE_URL) always counts as this site: a
// reverse proxy that rewrites Host (nginx does unless told otherwise) would
// otherwise refuse every sign-in.
func checkOrigin(trustProxy bool, baseURL string) echo.MiddlewareFunc {
	base, _ := url.Parse(baseURL)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if safeMethod(r.Method) {
				return next(c)
			}
			if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
				return errs.New(errs.Forbidden, "error.cross_origin")
			}
			origins := r.Header.Values("Origin")
			if len(origins) == 0 {
				return next(c)
			}
			host := r.Host
			if trustProxy {
				if fwd := r.Header.Get("X-Forwarded-Host"); fwd != "" {
					host, _, _ = strings.Cut(fwd, ",")
					host = strings.TrimSpace(host)
				}
			}
			for _, o := range origins {
				if !sameHost(o, host) && !sameOrigin(o, base) {
					return errs.New(errs.Forbidden, "error.cross_origin")
				}
			}
			return next(c)
		}
	}
}

// sameHost reports whether the Origin header names host, the address the
// browser asked for. An opaque origin ("null": a sandboxed frame, a file)
// matches nothing.
func sameHost(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return false
	}
	h := &url.URL{Host: host}
	if h.Hostname() == "" || !strings.EqualFold(u.Hostname(), h.Hostname()) {
		return false
	}
	return portOr(u.Port(), u.Scheme) == portOr(h.Port(), u.Scheme)
}

// sameOrigin reports whether the Origin header is the origin of base.
func sameOrigin(origin string, base *url.URL) bool {
	if base == nil || base.Host == "" {
		return false
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Scheme, base.Scheme) && sameHost(origin, base.Host)
}

func portOr(port, scheme string) string {
	switch {
	case port != "":
		return port
	case scheme == "https":
		return "443"
	}
	return "80"
}

// slowRequest is when a successful request is worth a log line.
const slowRequest = time.Second

// requestLog writes one JSON line per request that failed or was slow, and
// per request at all at debug level.
func requestLog(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			status, took := c.Response().Status, time.Since(start)
			// Every request at debug; at info only what needs a look (client
			// errors, slow answers). A line per heartbeat was a tenth of the
			// CPU of a progress write, and /metrics already counts them all.
			lvl := slog.LevelDebug
			switch {
			case status >= 500:
				lvl = slog.LevelWarn
			case status >= 400 || took > slowRequest:
				lvl = slog.LevelInfo
			}
			if !log.Enabled(c.Request().Context(), lvl) {
				return nil
			}
			log.LogAttrs(c.Request().Context(), lvl, "http",
				slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
				slog.String("method", c.Request().Method),
				slog.String("route", c.Path()),
				slog.Int("status", status),
				slog.Int64("bytes", c.Response().Size),
				slog.Duration("took", took),
				slog.String("ip", c.RealIP()))
			return nil
		}
	}
}

// metrics counts requests and latency by route pattern (not raw path, which
// would grow without bound).
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "xuetang_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "xuetang_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

func (m *metrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		m.requests.WithLabelValues(c.Request().Method, route, strconv.Itoa(c.Response().Status)).Inc()
		m.latency.WithLabelValues(c.Request().Method, route).Observe(time.Since(start).Seconds())
		return nil
	}
}

// PageChanges drops learners' kept "my learning" pages
// (internal/learning/minecache.go).
type PageChanges interface {
	ForgetPages()
	ForgetLearnerPage(userID int64)
}

// forgetPages drops the "my learning" pages a successful request may have
// changed, just before its answer is written: whoever made the change, or
// reloads after hearing of it, sees it at once on this instance. Staff
// writes (under /api/v1/admin and /api/v1/teach: assignments, classes and
// members, targets, credits, accounts, courses) are rare and may touch
// many learners, so they drop every page; a learner joining a class drops
// their own. Editing a draft changes no learner's page (publishing one
// reaches them through learning.Service.Invalidate).
func forgetPages(p PageChanges) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if p == nil || safeMethod(c.Request().Method) {
				return next(c)
			}
			var forget func()
			switch path := c.Path(); {
			case path == "/api/v1/classes/join":
				forget = func() {
					if a := authOf(c); a != nil {
						p.ForgetLearnerPage(a.user.ID)
					}
				}
			case strings.HasPrefix(path, "/api/v1/teach/drafts"), path == "/api/v1/teach/preview":
				return next(c)
			case strings.HasPrefix(path, "/api/v1/admin/"), strings.HasPrefix(path, "/api/v1/teach/"):
				forget = p.ForgetPages
			default:
				return next(c)
			}
			res := c.Response()
			res.Before(func() {
				if res.Status < http.StatusBadRequest {
					forget()
				}
			})
			return next(c)
		}
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func tokensEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
