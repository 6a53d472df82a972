package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/org"
)

// InstitutionService is what the institution administration API needs.
type InstitutionService interface {
	Create(ctx context.Context, a org.Actor, d org.Draft) (*org.Institution, error)
	Get(ctx context.Context, a org.Actor, id int64) (*org.Institution, error)
	Update(ctx context.Context, a org.Actor, id int64, p org.Patch) (*org.Institution, error)
	Close(ctx context.Context, a org.Actor, id int64) (*org.Institution, error)
	Reopen(ctx context.Context, a org.Actor, id int64) (*org.Institution, error)
	List(ctx context.Context, a org.Actor, q org.Query) (org.Page, error)
}

// InstitutionAPI is /api/v1/admin/institutions: admins everywhere, region
// admins in their region, institution admins their own (name only).
type InstitutionAPI struct{ Institutions InstitutionService }

func (h *InstitutionAPI) routes(api *echo.Group) {
	if h == nil {
		return
	}
	g := api.Group("/admin/institutions")
	g.POST("", h.Create)
	g.GET("", h.List)
	g.GET("/:id", h.Get)
	g.PATCH("/:id", h.Update)
	g.POST("/:id/close", h.Close)
	g.POST("/:id/reopen", h.Reopen)
}

type institutionJSON struct {
	ID               int64      `json:"id"`
	Code             string     `json:"code"`
	Name             string     `json:"name"`
	Kind             string     `json:"kind"`
	RegionCode       string     `json:"region_code"`
	RegionName       string     `json:"region_name"`
	SelfRegistration bool       `json:"self_registration"`
	ClosedAt         *time.Time `json:"closed_at"`
	CreatedAt        time.Time  `json:"created_at"`
	// Editable and CanClose tell an admin page which controls to offer.
	Editable []string `json:"editable"`
	CanClose bool     `json:"can_close"`
}

func toInstitutionJSON(r *org.Institution, a org.Actor) institutionJSON {
	ed := a.Editable()
	if ed == nil {
		ed = []string{}
	}
	return institutionJSON{ID: r.ID, Code: r.Code, Name: r.Name, Kind: r.Kind, RegionCode: r.RegionCode, RegionName: r.RegionName,
		SelfRegistration: r.SelfRegistration, ClosedAt: r.ClosedAt, CreatedAt: r.CreatedAt, Editable: ed, CanClose: a.CanClose()}
}

func orgActor(c echo.Context) (org.Actor, error) {
	a, err := requireUser(c)
	if err != nil {
		return org.Actor{}, err
	}
	return org.Actor{Principal: a.principal, IP: c.RealIP()}, nil
}

type institutionCreate struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	RegionCode string `json:"region_code"`
}

// Create answers POST /api/v1/admin/institutions with 201 and the institution.
func (h *InstitutionAPI) Create(c echo.Context) error {
	a, err := orgActor(c)
	if err != nil {
		return err
	}
	var req institutionCreate
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	in, err := h.Institutions.Create(c.Request().Context(), a, org.Draft{Code: req.Code, Name: req.Name, Kind: req.Kind, RegionCode: req.RegionCode})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toInstitutionJSON(in, a))
}

// List answers GET /api/v1/admin/institutions?q=&region=&kind=&cursor=&limit=.
func (h *InstitutionAPI) List(c echo.Context) error {
	a, err := orgActor(c)
	if err != nil {
		return err
	}
	limit, _ := strconv.Atoi(c.QueryParam("limit"))
	page, err := h.Institutions.List(c.Request().Context(), a, org.Query{Q: c.QueryParam("q"), Region: c.QueryParam("region"),
		Kind: c.QueryParam("kind"), Cursor: c.QueryParam("cursor"), Limit: limit})
	if err != nil {
		return err
	}
	out := make([]institutionJSON, len(page.Institutions))
	for i := range page.Institutions {
		out[i] = toInstitutionJSON(&page.Institutions[i], a)
	}
	var next *string
	if page.Next != "" {
		next = &page.Next
	}
	return c.JSON(http.StatusOK, map[string]any{"institutions": out, "next": next})
}

// Get answers GET /api/v1/admin/institutions/{id}.
func (h *InstitutionAPI) Get(c echo.Context) error {
	return h.one(c, h.Institutions.Get)
}

// Close answers POST /api/v1/admin/institutions/{id}/close.
func (h *InstitutionAPI) Close(c echo.Context) error {
	return h.one(c, h.Institutions.Close)
}

// Reopen answers POST /api/v1/admin/institutions/{id}/reopen.
func (h *InstitutionAPI) Reopen(c echo.Context) error {
	return h.one(c, h.Institutions.Reopen)
}

func (h *InstitutionAPI) one(c echo.Context, f func(context.Context, org.Actor, int64) (*org.Institution, error)) error {
	a, err := orgActor(c)
	if err != nil {
		return err
	}
	in, err := f(c.Request().Context(), a, numParam(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toInstitutionJSON(in, a))
}

type institutionPatch struct {
	Name             *string `json:"name"`
	Kind             *string `json:"kind"`
	RegionCode       *string `json:"region_code"`
	SelfRegistration *bool   `json:"self_registration"`
}

// Update answers PATCH /api/v1/admin/institutions/{id}: the fields sent change.
func (h *InstitutionAPI) Update(c echo.Context) error {
	a, err := orgActor(c)
	if err != nil {
		return err
	}
	var req institutionPatch
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	in, err := h.Institutions.Update(c.Request().Context(), a, numParam(c, "id"), org.Patch{Name: req.Name, Kind: req.Kind,
		RegionCode: req.RegionCode, SelfRegistration: req.SelfRegistration})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toInstitutionJSON(in, a))
}
