package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/errs"
)

// The course management API beside the authoring list
// (internal/authoring/versions.go, review.go, report.go): version history
// and diffs, republishing, withdrawal, visibility and its review queue, and
// learners' problem reports for the course's editors.
func (h *AuthoringAPI) versionRoutes(api *echo.Group) {
	api.GET("/teach/courses/:slug/versions", h.Versions)
	api.GET("/teach/courses/:slug/diff", h.Diff)
	api.POST("/teach/courses/:slug/republish", h.Republish)
	api.POST("/teach/courses/:slug/withdraw", h.withdraw(true))
	api.POST("/teach/courses/:slug/unwithdraw", h.withdraw(false))
	api.PUT("/teach/courses/:slug/visibility", h.SetVisibility)
	api.GET("/teach/reports", h.Reports)
	api.POST("/teach/reports/:id/resolve", h.Resolve)
	api.GET("/admin/reviews", h.Reviews)
	api.POST("/admin/reviews/:id/approve", h.decide(true))
	api.POST("/admin/reviews/:id/return", h.decide(false))
}

// Versions answers GET /api/v1/teach/courses/{slug}/versions.
func (h *AuthoringAPI) Versions(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	out, err := h.Courses.Versions(c.Request().Context(), a.principal, c.Param("slug"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func versionQuery(c echo.Context, name string) (int, error) {
	n, err := strconv.Atoi(c.QueryParam(name))
	if err != nil || n <= 0 {
		return 0, errs.New(errs.Invalid, "author.error.version_invalid").With("field", name)
	}
	return n, nil
}

// Diff answers GET /api/v1/teach/courses/{slug}/diff?from=N&to=M.
func (h *AuthoringAPI) Diff(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	from, err := versionQuery(c, "from")
	if err != nil {
		return err
	}
	to, err := versionQuery(c, "to")
	if err != nil {
		return err
	}
	out, err := h.Courses.Diff(c.Request().Context(), a.principal, c.Param("slug"), from, to)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// Republish answers POST /api/v1/teach/courses/{slug}/republish {"version"}.
func (h *AuthoringAPI) Republish(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	var in struct {
		Version int `json:"version"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if in.Version <= 0 {
		return errs.New(errs.Invalid, "author.error.version_invalid").With("field", "version")
	}
	out, err := h.Courses.Republish(c.Request().Context(), a.principal, c.Param("slug"), in.Version, c.RealIP())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

// withdraw answers POST /api/v1/teach/courses/{slug}/withdraw and /unwithdraw.
func (h *AuthoringAPI) withdraw(withdrawn bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		a, err := requireUser(c)
		if err != nil {
			return err
		}
		if err := h.Courses.SetWithdrawn(c.Request().Context(), a.principal, c.Param("slug"), withdrawn, c.RealIP()); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"withdrawn": withdrawn})
	}
}

// SetVisibility answers PUT /api/v1/teach/courses/{slug}/visibility
// {"visibility"}: 200 with "review" null when applied, or the review
// request filed for more than the caller may grant.
func (h *AuthoringAPI) SetVisibility(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	var in struct {
		Visibility string `json:"visibility"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	r, err := h.Courses.SetVisibility(c.Request().Context(), a.principal, c.Param("slug"), in.Visibility, c.RealIP())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"review": r})
}
