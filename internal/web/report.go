package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/errs"
)

// Learners' problem reports as the course's editors see them
// (internal/authoring/report.go); learners send them in lesson.go.

// Reports answers GET /api/v1/teach/reports?course=SLUG&all=1&cursor=.
func (h *AuthoringAPI) Reports(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	all := c.QueryParam("all") == "1" || c.QueryParam("all") == "true"
	rows, next, err := h.Courses.Reports(c.Request().Context(), a.principal, c.QueryParam("course"), all, c.QueryParam("cursor"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"reports": rows, "next": next})
}

// Resolve answers POST /api/v1/teach/reports/{id}/resolve.
func (h *AuthoringAPI) Resolve(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	id := numParam(c, "id")
	if id == 0 {
		return errs.New(errs.NotFound, "report.error.not_found")
	}
	if err := h.Courses.Resolve(c.Request().Context(), a.principal, id, c.RealIP()); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"resolved": true})
}
