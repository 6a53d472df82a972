// Package web is the HTTP layer: the Echo router, middleware, one handler
// file per noun and the one error handler.
package web

import (
	"io/fs"
	"log/slog"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/xuetang-edu/xuetang/internal/i18n"
)

// BodyLimit caps API request bodies (1 MiB); course uploads have their own
// route limit.
const BodyLimit int64 = 1 << 20

// Deps is what the router wires together; main builds each piece.
type Deps struct {
	Logger     *slog.Logger
	Catalog    *i18n.Catalog
	Frontend   fs.FS
	Registry   *prometheus.Registry
	TrustProxy bool
	BaseURL    string

	Auth    *AuthAPI
	Health  *HealthAPI
	Learner *LearnerAPI
	// Roster is the bulk import of people; nil leaves its routes out.
	Roster *RosterAPI
	// Regions and Institutions may be nil (servers built for other tests).
	Regions      *RegionAPI
	Institutions *InstitutionAPI
	Join         *JoinAPI
	Users        *UserAdminAPI
	Audit        *AuditAPI
	// Exports may be nil (servers built for other tests).
	Exports *ExportAPI
	// Stats may be nil (servers built for other tests).
	Stats *StatsAPI
	// Teach is classes (internal/teach); nil leaves its routes out.
	Teach *TeachAPI
	// Authoring may be nil (servers built for other tests).
	Authoring *AuthoringAPI
	// Pages hears of requests that change learners' "my learning" pages
	// (forgetPages); nil when none are kept.
	Pages PageChanges
}

// New builds the router.
func New(d Deps) (*echo.Echo, error) {
	pg, err := loadPages(d.Frontend)
	if err != nil {
		return nil, err
	}
	off, err := newOffline(pg, d.Catalog)
	if err != nil {
		return nil, err
	}
	pg.me = func(c echo.Context) any {
		if a := authOf(c); a != nil {
			return d.Auth.meJSON(a)
		}
		return nil
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(d.Catalog, d.Logger, pg)
	if d.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	} else {
		e.IPExtractor = echo.ExtractIPDirect()
	}
	m := newMetrics(d.Registry)

	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
		d.Logger.Error("panic", "path", c.Request().URL.Path, "err", err, "stack", string(stack))
		return err
	}}))
	e.Use(middleware.RequestID())
	e.Use(requestLog(d.Logger))
	e.Use(m.middleware)
	e.Use(securityHeaders)
	e.Use(noStoreAPI)
	e.Use(compress(func(c echo.Context) bool { return c.Path() == "/metrics" || c.Path() == exportFileRoute }))

	e.GET("/healthz", d.Health.Healthz)
	e.GET("/readyz", d.Health.Readyz)
	e.GET("/metrics", d.Health.Metrics())
	d.Regions.routes(e)

	for _, dir := range []string{"/css", "/js", "/i18n", "/img"} {
		e.GET(dir+"/*", pg.dir(dir))
	}
	e.GET("/favicon.ico", pg.page("img/favicon.svg"))
	off.routes(e)

	// Everything below refuses state changes from other sites, knows who is
	// signed in and enforces CSRF.
	app := e.Group("", checkOrigin(d.TrustProxy, d.BaseURL), d.Auth.LoadSession, CheckCSRF, forgetPages(d.Pages))
	app.GET("/", pg.page("index.html"))
	app.GET("/login", pg.page("login.html"))
	adminRoutes(app, pg)

	api := app.Group("/api/v1", limitBody(BodyLimit), RequirePasswordChange)
	api.POST("/auth/login", d.Auth.Login)
	api.POST("/auth/logout", d.Auth.Logout)
	api.GET("/auth/csrf", d.Auth.CSRF)
	api.GET("/site", d.Auth.Site)
	api.GET("/me", d.Auth.Me)
	api.PUT("/me/locale", d.Auth.SetLocale)
	api.PUT("/me/display", d.Auth.SetDisplay)
	api.POST("/me/password", d.Auth.ChangePassword)
	api.POST("/me/privacy", d.Auth.AcceptPrivacy)
	api.GET("/me/data", d.Auth.MyData)
	app.GET("/privacy", pg.page("privacy.html"))
	api.POST("/admin/users/:id/unlock", d.Auth.Unlock)
	d.Users.routes(api)
	d.Audit.routes(api)
	d.Exports.routes(api, d.Catalog)
	d.Stats.routes(api)

	d.Learner.routes(app, api, pg)
	if d.Roster != nil {
		d.Roster.routes(app, api, d.Catalog)
	}
	d.Institutions.routes(api)
	d.Join.routes(app, api, pg)
	d.Teach.routes(app, api, pg, d.Catalog)
	d.Authoring.routes(app, api, pg, d.Catalog)
	return e, nil
}
