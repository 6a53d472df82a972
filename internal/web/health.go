package web

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
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
}

// Healthz answers while the process runs.
func (h *HealthAPI) Healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// Readyz answers 200 only when the database and the session store do.
func (h *HealthAPI) Readyz(c echo.Context) error {
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

// Metrics serves the Prometheus text format.
func (h *HealthAPI) Metrics() echo.HandlerFunc {
	return echo.WrapHandler(promhttp.HandlerFor(h.Registry, promhttp.HandlerOpts{}))
}
