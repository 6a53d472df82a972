package web

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/learning"
)

// StatementIssuer issues and verifies yearly study-hour statements
// (internal/learning/statement.go).
type StatementIssuer interface {
	IssueStatement(ctx context.Context, h learning.StatementHolder, year int) (*learning.StatementView, error)
	Statement(ctx context.Context, serial string) (*learning.StatementView, error)
}

// StatementAPI serves the yearly study-hour statement (年度学时证明): a
// learner prints their own; anyone verifies one by serial. Issuing is the
// learner's own action on their own record, so it is not audited.
type StatementAPI struct {
	Statements StatementIssuer
}

func (h *StatementAPI) routes(app, api *echo.Group, pg *pages) {
	app.GET("/me/statements/:year", pg.page("statement.html"))

	api.POST("/me/statements", h.Issue)
	api.GET("/statements/:serial", h.Get)
}

// Issue returns the learner's statement for {"year"}: the one printed
// before if nothing changed, else a new one with a new serial.
func (h *StatementAPI) Issue(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	var req struct {
		Year int `json:"year"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	who := learning.StatementHolder{UserID: a.user.ID, Name: a.user.DisplayName,
		Scopes: learning.TargetScopes{Role: a.user.Role}}
	if who.Name == "" {
		who.Name = a.user.Username
	}
	if a.inst != nil {
		who.InstitutionName = a.inst.Name
		who.Scopes.InstitutionCode, who.Scopes.InstitutionKind = a.inst.Code, a.inst.Kind
	}
	v, err := h.Statements.IssueStatement(c.Request().Context(), who, req.Year)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// Get verifies a statement; public.
func (h *StatementAPI) Get(c echo.Context) error {
	v, err := h.Statements.Statement(c.Request().Context(), c.Param("serial"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}
