package web

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/errs"
)

// staffPage is a page for some staff roles.
type staffPage struct {
	path, file string
	roles      []string
}

// adminPages are the administration pages and the roles that see each. The
// same table is in frontend/js/shell.js (staffPages), which builds the menu
// from it; the API checks every action again, in scope, whatever the page.
var adminPages = []staffPage{
	{"/admin", "admin/index.html", []string{account.RoleTeacher, account.RoleInstitutionAdmin, account.RoleRegionAdmin, account.RoleAdmin}},
	{"/admin/users", "admin/users.html", []string{account.RoleTeacher, account.RoleInstitutionAdmin, account.RoleRegionAdmin, account.RoleAdmin}},
	{"/admin/import", "admin/import.html", []string{account.RoleInstitutionAdmin, account.RoleRegionAdmin, account.RoleAdmin}},
	{"/admin/audit", "admin/audit.html", []string{account.RoleInstitutionAdmin, account.RoleRegionAdmin, account.RoleAdmin}},
	{"/admin/institutions", "admin/institutions.html", []string{account.RoleRegionAdmin, account.RoleAdmin}},
	{"/admin/retention", "admin/retention.html", []string{account.RoleInstitutionAdmin, account.RoleRegionAdmin, account.RoleAdmin}},
	{"/admin/stats", "admin/stats.html", []string{account.RoleInstitutionAdmin, account.RoleRegionAdmin, account.RoleAdmin}},
	{"/admin/reviews", "admin/reviews.html", []string{account.RoleRegionAdmin, account.RoleAdmin}},
}

func adminRoutes(app *echo.Group, pg *pages) { staffRoutes(app, pg, adminPages) }

// staffRoutes serves staff pages to the roles that use them. Signed out,
// the browser is sent to sign in and brought back; anyone else signed in
// gets the ordinary "page not found", as for any address that is not
// theirs: a learner has no reason to learn which staff pages exist, and
// the API answers 404 for what is out of scope too.
func staffRoutes(app *echo.Group, pg *pages, list []staffPage) {
	for _, p := range list {
		serve := pg.page(p.file)
		roles := p.roles
		app.GET(p.path, func(c echo.Context) error {
			a := authOf(c)
			if a == nil {
				to := "/login?next=" + url.QueryEscape(c.Request().URL.RequestURI())
				if l := c.QueryParam("lang"); l == "en" || l == "zh-CN" {
					to += "&lang=" + l
				}
				return c.Redirect(http.StatusSeeOther, to)
			}
			if !a.principal.Is(roles...) {
				return errs.New(errs.NotFound, "error.route_not_found")
			}
			return serve(c)
		})
	}
}
