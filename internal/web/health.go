package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/xuetang-edu/xuetang/internal/errs"
)

// Pinger answers whether a dependency is reachable.
type Pinger interface {
	Ping(ctx context.Context) error
}

// HealthAPI serves liveness, readiness and metrics.
type HealthAPI struct {
	Database Pinger
	Sessions Pinger
	Registry *prometheus.Registry
	// MetricsToken is the bearer token /metrics requires; empty: /metrics
	// answers 404, since the route counts and latencies describe the site's
	// traffic to anyone who asks.
	MetricsToken string
	// Draining, when set and true, makes /readyz answer 503 whatever the
	// dependencies say: the instance is stopping and wants no new traffic.
	Draining func() bool
}

// Healthz answers while the process runs.
func (h *HealthAPI) Healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// Readyz answers 200 only when the database and the session store do, and
// the instance is not draining before it stops.
func (h *HealthAPI) Readyz(c echo.Context) error {
	if h.Draining != nil && h.Draining() {
		// Also when the drain began while this request was on its way in,
		// after the server decided on keep-alive: a balancer polling on a
		// kept-alive connection must reconnect.
		c.Response().Header().Set("Connection", "close")
		return c.JSON(http.StatusServiceUnavailable, map[string]any{"status": "draining"})
	}
	ctx := c.Request().Context()
	checks := map[string]string{"database": "ok", "sessions": "ok"}
	status := http.StatusOK
	if err := h.Database.Ping(ctx); err != nil {
		checks["database"], status = "unavailable", http.StatusServiceUnavailable
	}
	if err := h.Sessions.Ping(ctx); err != nil {
		checks["sessions"], status = "unavailable", http.StatusServiceUnavailable
	}
	word := "ready"
	if status != http.StatusOK {
		word = "unavailable"
	}
	return c.JSON(status, map[string]any{"status": word, "checks": checks})
}

// Metrics serves the Prometheus text format to a scraper that sends
// "Authorization: Bearer <MetricsToken>".
func (h *HealthAPI) Metrics() echo.HandlerFunc {
	serve := echo.WrapHandler(promhttp.HandlerFor(h.Registry, promhttp.HandlerOpts{}))
	return func(c echo.Context) error {
		if h.MetricsToken == "" {
			return errs.New(errs.NotFound, "error.route_not_found")
		}
		scheme, token, _ := strings.Cut(c.Request().Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || !sameSecret(strings.TrimSpace(token), h.MetricsToken) {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			return errs.New(errs.Unauthorized, "error.unauthorized")
		}
		return serve(c)
	}
}

// sameSecret compares in constant time; hashing first keeps the time
// independent of the length too.
func sameSecret(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}
