package web

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/learning"
)

// CourseCatalogue is what the course handlers call
// (internal/learning/catalogue.go, course.go, enrolment.go).
type CourseCatalogue interface {
	Catalogue(ctx context.Context, v learning.Viewer, f learning.Filter) ([]learning.CourseCard, error)
	Course(ctx context.Context, v learning.Viewer, slug string) (*learning.CourseDetail, error)
	Enroll(ctx context.Context, l learning.Learner, slug string) (bool, error)
	StartHere(ctx context.Context, v learning.Viewer, audience, lang string) ([]learning.CourseCard, error)
}

// CourseAPI serves the catalogue, course pages and enrolment.
type CourseAPI struct {
	Courses CourseCatalogue
}

func (h *CourseAPI) routes(app, api *echo.Group, pg *pages) {
	app.GET("/courses", pg.pageWithData("courses.html", false, func(c echo.Context) map[string]any {
		// Signed in, the catalogue carries the user: its list waits for the
		// user's language, and on a slow link that is a round trip saved.
		if authOf(c) == nil {
			return nil
		}
		return map[string]any{}
	}))
	app.GET("/courses/:slug", pg.page("course.html"))

	api.GET("/courses", h.List)
	api.GET("/courses/:slug", h.Get)
	api.GET("/start-here", h.StartHere)
	api.POST("/courses/:slug/enroll", h.Enroll)
}

// viewerOf is who is looking at courses: nobody when signed out.
func viewerOf(c echo.Context) learning.Viewer {
	if a := authOf(c); a != nil {
		return learning.ViewerOf(a.principal)
	}
	return learning.Viewer{}
}

// List is the catalogue.
func (h *CourseAPI) List(c echo.Context) error {
	f := learning.Filter{Language: c.QueryParam("lang"), Query: c.QueryParam("q"),
		Audience: c.QueryParam("audience"), Level: c.QueryParam("level")}
	cards, err := h.Courses.Catalogue(c.Request().Context(), viewerOf(c), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"courses": cards})
}

// StartHere is an audience's beginner path in one language.
func (h *CourseAPI) StartHere(c echo.Context) error {
	aud, lang := c.QueryParam("audience"), c.QueryParam("language")
	cards, err := h.Courses.StartHere(c.Request().Context(), viewerOf(c), aud, lang)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"audience": aud, "language": lang, "courses": cards})
}

// Get is one course page.
func (h *CourseAPI) Get(c echo.Context) error {
	d, err := h.Courses.Course(c.Request().Context(), viewerOf(c), c.Param("slug"))
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
	created, err := h.Courses.Enroll(c.Request().Context(), learning.ViewerOf(a.principal), c.Param("slug"))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, map[string]any{"enrolled": true, "created": created})
}
