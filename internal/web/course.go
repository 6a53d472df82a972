package web

import (
	"bytes"
	"context"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/learning"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Learning is what the learner handlers call.
type Learning interface {
	Catalogue(ctx context.Context, userID int64, f learning.Filter) ([]learning.CourseCard, error)
	Course(ctx context.Context, userID int64, slug string) (*learning.CourseDetail, error)
	Enroll(ctx context.Context, l learning.Learner, slug string) (bool, error)
	Lesson(ctx context.Context, userID, id int64) (*learning.LessonView, error)
	RecordEvent(ctx context.Context, userID int64, ev learning.Event) (*learning.EventResult, error)
	Attempt(ctx context.Context, userID, lessonID int64, req learning.AttemptRequest) (*learning.AttemptResult, error)
	Mine(ctx context.Context, userID int64, scopes learning.TargetScopes) (*learning.MyLearning, error)
	Certificate(ctx context.Context, serial string) (*learning.CertificateView, error)
	Asset(ctx context.Context, slug string, version int, path string) (*store.CourseAsset, error)
}

// CourseAPI serves the catalogue, lessons, progress, quizzes and certificates.
type CourseAPI struct {
	Learning Learning
	bodies   lessonBodies
}

func (h *CourseAPI) routes(app, api *echo.Group, pg *pages) {
	app.GET("/courses", pg.page("courses.html"))
	app.GET("/courses/:slug", pg.page("course.html"))
	app.GET("/lessons/:id", pg.page("lesson.html"))
	app.GET("/me", pg.page("me.html"))
	app.GET("/certificates/:serial", pg.page("certificate.html"))
	app.GET("/verify", pg.page("verify.html"))
	app.GET("/verify/:serial", pg.page("verify.html"))
	app.GET("/media/courses/:slug/:version/assets/*", h.Asset)

	api.GET("/courses", h.List)
	api.GET("/courses/:slug", h.Get)
	api.POST("/courses/:slug/enroll", h.Enroll)
	api.GET("/lessons/:id", h.Lesson)
	api.POST("/lessons/:id/attempts", h.Attempt)
	api.POST("/progress", h.Progress)
	api.GET("/me/courses", h.Mine)
	api.GET("/certificates/:serial", h.Certificate)
}

func userID(c echo.Context) int64 {
	if a := authOf(c); a != nil {
		return a.user.ID
	}
	return 0
}

// List is the catalogue.
func (h *CourseAPI) List(c echo.Context) error {
	f := learning.Filter{Language: c.QueryParam("lang"), Query: c.QueryParam("q"),
		Audience: c.QueryParam("audience"), Level: c.QueryParam("level")}
	cards, err := h.Learning.Catalogue(c.Request().Context(), userID(c), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"courses": cards})
}

// Get is one course page.
func (h *CourseAPI) Get(c echo.Context) error {
	d, err := h.Learning.Course(c.Request().Context(), userID(c), c.Param("slug"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// Enroll enrols the signed-in learner: 201 the first time, 200 after.
func (h *CourseAPI) Enroll(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	created, err := h.Learning.Enroll(c.Request().Context(), learning.Learner{
		UserID: a.user.ID, InstitutionID: a.principal.InstitutionID, RegionCode: a.principal.RegionCode,
	}, c.Param("slug"))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, map[string]any{"enrolled": true, "created": created})
}

func idParam(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.New(errs.NotFound, "error.lesson_not_found")
	}
	return id, nil
}

// Lesson is the lesson reader's data.
func (h *CourseAPI) Lesson(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	v, err := h.Learning.Lesson(c.Request().Context(), a.user.ID, id)
	if err != nil {
		return err
	}
	b, err := h.bodies.get(v)
	if err != nil {
		return err
	}
	if strings.Contains(c.Request().Header.Get(echo.HeaderAcceptEncoding), "gzip") {
		c.Response().Header().Set(echo.HeaderContentEncoding, "gzip")
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, b.gz)
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, b.plain)
}

// Progress records one progress event.
func (h *CourseAPI) Progress(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	var ev learning.Event
	if err := bindJSON(c, &ev); err != nil {
		return err
	}
	r, err := h.Learning.RecordEvent(c.Request().Context(), a.user.ID, ev)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

// Attempt grades a quiz.
func (h *CourseAPI) Attempt(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var req learning.AttemptRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	r, err := h.Learning.Attempt(c.Request().Context(), a.user.ID, id, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

// Mine is "my learning".
func (h *CourseAPI) Mine(c echo.Context) error {
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

// Certificate verifies a certificate; public.
func (h *CourseAPI) Certificate(c echo.Context) error {
	v, err := h.Learning.Certificate(c.Request().Context(), c.Param("serial"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// Asset serves a course image. A version's files never change, so browsers
// and proxies may keep them for a year: cheap for slow links.
func (h *CourseAPI) Asset(c echo.Context) error {
	version, err := strconv.Atoi(c.Param("version"))
	if err != nil {
		return errs.New(errs.NotFound, "error.not_found")
	}
	p := path.Clean("/" + c.Param("*"))
	if strings.Contains(p, "..") {
		return errs.New(errs.NotFound, "error.not_found")
	}
	a, err := h.Learning.Asset(c.Request().Context(), c.Param("slug"), version, "assets"+p)
	if err != nil {
		return err
	}
	hd := c.Response().Header()
	hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	// SVG can carry script; served as an image under our CSP it cannot run,
	// and this stops it being opened as a document with other rights.
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	return c.Stream(http.StatusOK, a.ContentType, bytes.NewReader(a.Data))
}
