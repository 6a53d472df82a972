package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/errs"
)

// The review queue for wider course visibility (internal/authoring/review.go).

// Reviews answers GET /api/v1/admin/reviews?status=&cursor=.
func (h *AuthoringAPI) Reviews(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	rows, next, err := h.Courses.Reviews(c.Request().Context(), a.principal, c.QueryParam("status"), c.QueryParam("cursor"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"reviews": rows, "next": next})
}

// decide answers POST /api/v1/admin/reviews/{id}/approve and /return
// {"comment"}.
func (h *AuthoringAPI) decide(approve bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		a, err := requireUser(c)
		if err != nil {
			return err
		}
		id := numParam(c, "id")
		if id == 0 {
			return errs.New(errs.NotFound, "review.error.not_found")
		}
		var in struct {
			Comment string `json:"comment"`
		}
		if err := bindJSON(c, &in); err != nil {
			return err
		}
		out, err := h.Courses.Decide(c.Request().Context(), a.principal, id, approve, in.Comment, c.RealIP())
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, out)
	}
}
