package web

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/learning"
)

// MyLearningReader builds the "my learning" page (internal/learning/mine.go).
type MyLearningReader interface {
	Mine(ctx context.Context, userID int64, scopes learning.TargetScopes) (*learning.MyLearning, error)
}

// MineAPI serves "my learning": enrolments, this year's hours, certificates.
type MineAPI struct {
	Learning MyLearningReader
}

func (h *MineAPI) routes(app, api *echo.Group, pg *pages) {
	app.GET("/me", pg.page("me.html"))

	api.GET("/me/courses", h.Get)
}

// Get is "my learning".
func (h *MineAPI) Get(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	sc := learning.TargetScopes{Role: a.user.Role}
	if a.inst != nil {
		sc.InstitutionCode, sc.InstitutionKind = a.inst.Code, a.inst.Kind
	}
	m, err := h.Learning.Mine(c.Request().Context(), a.user.ID, sc)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}
