package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/account"
)

// UserAdmin is what the staff account handlers call.
type UserAdmin interface {
	ListUsers(ctx context.Context, actor account.Principal, q account.UserQuery) ([]account.UserListing, string, error)
	CreateUser(ctx context.Context, actor account.Principal, n account.NewUser, ip string) (account.Created, error)
	UpdateUser(ctx context.Context, actor account.Principal, id int64, ed account.Edit, ip string) (account.UserListing, error)
	SetDisabled(ctx context.Context, actor account.Principal, id int64, disabled bool, ip string) (account.UserListing, error)
	ResetPassword(ctx context.Context, actor account.Principal, id int64, ip string) (string, error)
	MoveLearner(ctx context.Context, actor account.Principal, id int64, institutionCode, ip string) (account.UserListing, error)
	DeleteUser(ctx context.Context, actor account.Principal, id int64, ip string) error
	InactiveLearners(ctx context.Context, actor account.Principal, cursor string, limit int) ([]account.UserListing, string, error)
	AnonymiseInactive(ctx context.Context, actor account.Principal, ids []int64, ip string) (int, error)
	Retention() time.Duration
}

// UserAdminAPI is staff managing accounts under /api/v1/admin/users. Who
// may do what to whom is decided by the account service; an id outside
// the caller's scope answers 404.
type UserAdminAPI struct {
	Users UserAdmin
}

func (h *UserAdminAPI) routes(api *echo.Group) {
	if h == nil {
		return
	}
	api.GET("/admin/users", h.List)
	api.POST("/admin/users", h.Create)
	api.PATCH("/admin/users/:id", h.Update)
	api.POST("/admin/users/:id/disable", h.Disable)
	api.POST("/admin/users/:id/enable", h.Enable)
	api.POST("/admin/users/:id/password-reset", h.ResetPassword)
	api.POST("/admin/users/:id/move", h.Move)
	api.DELETE("/admin/users/:id", h.Delete)
	api.GET("/admin/retention", h.Inactive)
	api.POST("/admin/retention/anonymise", h.AnonymiseInactive)
}

// userJSON is one account as staff see it.
// usersPage is a page of users for the admin lists, added to out (nil: a
// new map); next is null on the last page.
func usersPage(rows []account.UserListing, next string, out map[string]any) map[string]any {
	users := make([]map[string]any, len(rows))
	for i, r := range rows {
		users[i] = userJSON(r)
	}
	var nextJSON any
	if next != "" {
		nextJSON = next
	}
	if out == nil {
		out = map[string]any{}
	}
	out["users"], out["next"] = users, nextJSON
	return out
}

func userJSON(l account.UserListing) map[string]any {
	out := map[string]any{
		"id": l.ID, "username": l.Username, "display_name": l.DisplayName, "role": l.Role,
		"institution": nil, "region_code": l.Region, "disabled": l.Disabled,
		"must_change_password": l.MustChangePassword, "created_at": l.CreatedAt,
	}
	if l.InstitutionCode != "" {
		out["institution"] = map[string]any{"code": l.InstitutionCode, "name": l.InstitutionName}
	}
	return out
}

// List answers GET /api/v1/admin/users?q=&role=&cursor=&limit=.
func (h *UserAdminAPI) List(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	limit, _ := strconv.Atoi(c.QueryParam("limit"))
	rows, next, err := h.Users.ListUsers(c.Request().Context(), a.principal, account.UserQuery{
		Text: c.QueryParam("q"), Role: c.QueryParam("role"), Cursor: c.QueryParam("cursor"), Limit: limit,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, usersPage(rows, next, nil))
}

type createUserRequest struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	Institution string `json:"institution"`
	Region      string `json:"region"`
	Password    string `json:"password"`
	BirthYear   int    `json:"birth_year"`
	Locale      string `json:"locale"`
	// Required for anyone who may be under 14 (account.NeedsGuardian).
	GuardianName        string `json:"guardian_name"`
	GuardianConsentDate string `json:"guardian_consent_date"`
}

// Create answers POST /api/v1/admin/users.
func (h *UserAdminAPI) Create(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	var req createUserRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if req.Role == "" {
		req.Role = account.RoleLearner
	}
	cr, err := h.Users.CreateUser(c.Request().Context(), a.principal, account.NewUser{
		Username: req.Username, DisplayName: req.DisplayName, Role: req.Role, InstitutionCode: req.Institution,
		RegionCode: req.Region, Password: req.Password, BirthYear: req.BirthYear, Locale: req.Locale,
		GuardianName: req.GuardianName, GuardianConsentDate: req.GuardianConsentDate,
	}, c.RealIP())
	if err != nil {
		return err
	}
	out := map[string]any{"user": userJSON(cr.User)}
	if cr.OneTimePassword != "" {
		out["one_time_password"] = cr.OneTimePassword
	}
	return c.JSON(http.StatusCreated, out)
}

type updateUserRequest struct {
	DisplayName *string `json:"display_name"`
	Role        *string `json:"role"`
	Region      *string `json:"region"`
}

// Update answers PATCH /api/v1/admin/users/{id}.
func (h *UserAdminAPI) Update(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	var req updateUserRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	l, err := h.Users.UpdateUser(c.Request().Context(), a.principal, numParam(c, "id"),
		account.Edit{DisplayName: req.DisplayName, Role: req.Role, RegionCode: req.Region}, c.RealIP())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"user": userJSON(l)})
}

// Disable answers POST /api/v1/admin/users/{id}/disable.
func (h *UserAdminAPI) Disable(c echo.Context) error { return h.setDisabled(c, true) }

// Enable answers POST /api/v1/admin/users/{id}/enable.
func (h *UserAdminAPI) Enable(c echo.Context) error { return h.setDisabled(c, false) }

func (h *UserAdminAPI) setDisabled(c echo.Context, disabled bool) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	l, err := h.Users.SetDisabled(c.Request().Context(), a.principal, numParam(c, "id"), disabled, c.RealIP())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"user": userJSON(l)})
}

// ResetPassword answers POST /api/v1/admin/users/{id}/password-reset with
// the one-time password, shown this once.
func (h *UserAdminAPI) ResetPassword(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	pw, err := h.Users.ResetPassword(c.Request().Context(), a.principal, numParam(c, "id"), c.RealIP())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"one_time_password": pw})
}

// Move answers POST /api/v1/admin/users/{id}/move {"institution": CODE}.
func (h *UserAdminAPI) Move(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	var req struct {
		Institution string `json:"institution"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	l, err := h.Users.MoveLearner(c.Request().Context(), a.principal, numParam(c, "id"), req.Institution, c.RealIP())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"user": userJSON(l)})
}

// Delete answers DELETE /api/v1/admin/users/{id}: the account's personal
// fields are erased and its learning records kept, anonymised.
func (h *UserAdminAPI) Delete(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	if err := h.Users.DeleteUser(c.Request().Context(), a.principal, numParam(c, "id"), c.RealIP()); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"deleted": true})
}

// Inactive answers GET /api/v1/admin/retention?cursor=&limit=: the learners
// in scope the retention rule covers.
func (h *UserAdminAPI) Inactive(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	limit, _ := strconv.Atoi(c.QueryParam("limit"))
	rows, next, err := h.Users.InactiveLearners(c.Request().Context(), a.principal, c.QueryParam("cursor"), limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, usersPage(rows, next, map[string]any{"retention_days": int(h.Users.Retention() / (24 * time.Hour))}))
}

// AnonymiseInactive answers POST /api/v1/admin/retention/anonymise
// {"ids":[...]}: each still inactive learner in scope is anonymised.
func (h *UserAdminAPI) AnonymiseInactive(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	var req struct {
		IDs []int64 `json:"ids"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	n, err := h.Users.AnonymiseInactive(c.Request().Context(), a.principal, req.IDs, c.RealIP())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"anonymised": n})
}
