package web

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/authoring"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/i18n"
)

// CourseAuthoring publishes, lists and exports course packages for staff
// (internal/authoring/service.go).
type CourseAuthoring interface {
	Import(ctx context.Context, in authoring.Publish) (*authoring.Published, error)
	Export(ctx context.Context, actor account.Principal, slug string, version int) (*bytes.Buffer, error)
	Courses(ctx context.Context, actor account.Principal, after string) ([]authoring.EditableCourse, string, error)
	Versions(ctx context.Context, actor account.Principal, slug string) (*authoring.History, error)
	Diff(ctx context.Context, actor account.Principal, slug string, from, to int) (*authoring.Diff, error)
	Republish(ctx context.Context, actor account.Principal, slug string, version int, ip string) (*authoring.Published, error)
	SetWithdrawn(ctx context.Context, actor account.Principal, slug string, withdrawn bool, ip string) error
	SetVisibility(ctx context.Context, actor account.Principal, slug, vis, ip string) (*authoring.ReviewRef, error)
	Reviews(ctx context.Context, actor account.Principal, status, cursor string) ([]authoring.Review, string, error)
	Decide(ctx context.Context, actor account.Principal, id int64, approve bool, comment, ip string) (*authoring.Review, error)
	Reports(ctx context.Context, actor account.Principal, slug string, all bool, cursor string) ([]authoring.Report, string, error)
	Resolve(ctx context.Context, actor account.Principal, id int64, ip string) error
}

// AuthoringAPI serves /teach/courses and its API.
type AuthoringAPI struct {
	Courses CourseAuthoring
	// Drafts is the browser editor; nil leaves its pages and API out.
	Drafts CourseDrafts
	cat    *i18n.Catalog
}

// authoringRoles see the authoring pages; the API checks scope again.
var authoringRoles = []string{account.RoleTeacher, account.RoleInstitutionAdmin, account.RoleRegionAdmin, account.RoleAdmin}

// authoringPages are the course pages for staff; the review queue is among
// the admin pages (admin.go).
var authoringPages = []staffPage{
	{"/teach/courses", "teach/courses.html", authoringRoles},
	{"/teach/courses/versions", "teach/versions.html", authoringRoles},
	{"/teach/courses/edit", "teach/edit.html", authoringRoles},
}

// packageBodyLimit leaves room for the multipart framing around the
// largest package zip.
const packageBodyLimit = authoring.MaxPackageBytes + 64<<10

func (h *AuthoringAPI) routes(app, api *echo.Group, pg *pages, cat *i18n.Catalog) {
	if h == nil {
		return
	}
	h.cat = cat
	// As the admin pages: signed out goes to sign in, other roles get the
	// ordinary 404.
	staffRoutes(app, pg, authoringPages)
	// Beside the API group: a package may be larger than the 1 MiB every
	// other request body is held to.
	app.POST("/api/v1/teach/courses/import", h.Import, limitBody(packageBodyLimit), RequirePasswordChange)
	api.GET("/teach/courses", h.List)
	api.GET("/teach/courses/:slug/export", h.Export)
	h.versionRoutes(api)
	h.draftRoutes(app, api)
}

type packageProblem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// Import publishes a package zip (POST /api/v1/teach/courses/import,
// multipart fields "file", "visibility" and, for region admins and admins,
// "institution").
func (h *AuthoringAPI) Import(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	if !a.principal.Is(authoringRoles...) {
		return errs.New(errs.Forbidden, "error.forbidden")
	}
	fh, err := c.FormFile("file")
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errs.New(errs.TooLarge, "error.too_large")
		}
		return errs.New(errs.Invalid, "error.import_no_file").With("field", "file")
	}
	f, err := fh.Open()
	if err != nil {
		return errs.Wrap(errs.Invalid, "error.import_no_file", err).With("field", "file")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, authoring.MaxPackageBytes+1))
	if err != nil {
		return errs.Wrap(errs.Invalid, "error.bad_request", err)
	}
	if len(data) > authoring.MaxPackageBytes {
		return errs.New(errs.TooLarge, "error.too_large")
	}
	out, err := h.Courses.Import(c.Request().Context(), authoring.Publish{Actor: a.principal, Zip: data,
		Visibility: c.FormValue("visibility"), Institution: c.FormValue("institution"), IP: c.RealIP()})
	var pe *authoring.ProblemsError
	if errors.As(err, &pe) {
		e := errs.New(errs.Invalid, "author.error.package_invalid").With("count", len(pe.Problems))
		ps := make([]packageProblem, len(pe.Problems))
		for i, p := range pe.Problems {
			ps[i] = packageProblem{File: p.File, Line: p.Line, Message: p.Message}
		}
		return c.JSON(http.StatusUnprocessableEntity, map[string]any{
			"error":    errorDetail{Code: string(e.Code), Key: e.Key, Message: h.cat.T(langOf(c, h.cat), e.Key, e.Args)},
			"problems": ps,
		})
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

// List is the courses the caller may edit (GET /api/v1/teach/courses?after=SLUG).
func (h *AuthoringAPI) List(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	rows, next, err := h.Courses.Courses(c.Request().Context(), a.principal, c.QueryParam("after"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"courses": rows, "next": next})
}

// Export downloads a version as a package zip
// (GET /api/v1/teach/courses/{slug}/export?version=N; no version: the current).
func (h *AuthoringAPI) Export(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	version := 0
	if v := c.QueryParam("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return errs.New(errs.Invalid, "author.error.version_invalid").With("field", "version")
		}
		version = n
	}
	slug := c.Param("slug")
	buf, err := h.Courses.Export(c.Request().Context(), a.principal, slug, version)
	if err != nil {
		return err
	}
	name := slug + ".zip"
	if version != 0 {
		name = slug + "-v" + strconv.Itoa(version) + ".zip"
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, "attachment; filename=\""+name+"\"")
	return c.Blob(http.StatusOK, "application/zip", buf.Bytes())
}
