package web

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/learning"
)

// LessonReader returns a lesson with the learner's state on it
// (internal/learning/lesson.go).
type LessonReader interface {
	Lesson(ctx context.Context, v learning.Viewer, id int64) (*learning.LessonView, error)
}

// QuizGrader grades and records a quiz attempt (internal/learning/attempt.go).
type QuizGrader interface {
	Attempt(ctx context.Context, userID, lessonID int64, req learning.AttemptRequest) (*learning.AttemptResult, error)
}

// ProblemReporter records a learner's report on a lesson
// (internal/learning/report.go).
type ProblemReporter interface {
	ReportProblem(ctx context.Context, v learning.Viewer, lessonID int64, r learning.ProblemReport) error
}

// LessonAPI serves the lesson reader and its quiz.
type LessonAPI struct {
	Lessons LessonReader
	Quizzes QuizGrader
	// Reports may be nil (servers built for other tests).
	Reports ProblemReporter
	bodies  lessonBodies
}

func (h *LessonAPI) routes(app, api *echo.Group, pg *pages) {
	app.GET("/lessons/:id", pg.pageWithData("lesson.html", true, h.pageData))

	api.GET("/lessons/:id", h.Get)
	api.POST("/lessons/:id/attempts", h.Attempt)
	if h != nil && h.Reports != nil {
		api.POST("/lessons/:id/reports", h.Report)
	}
}

// Report answers POST /api/v1/lessons/{id}/reports {"reason","text"}.
func (h *LessonAPI) Report(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in learning.ProblemReport
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if err := h.Reports.ReportProblem(c.Request().Context(), learning.ViewerOf(a.principal), id, in); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"reported": true})
}

func idParam(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.New(errs.NotFound, "error.lesson_not_found")
	}
	return id, nil
}

// Get is the lesson reader's data.
func (h *LessonAPI) Get(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	v, err := h.Lessons.Lesson(c.Request().Context(), learning.ViewerOf(a.principal), id)
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

// pageData is the lesson, as Get answers it, for the lesson page to carry:
// on a slow link the reader then shows the text without another round trip.
// Whatever Get would refuse is left to the page's own request, which shows
// the refusal.
func (h *LessonAPI) pageData(c echo.Context) map[string]any {
	a := authOf(c)
	id, err := idParam(c, "id")
	if h == nil || h.Lessons == nil || a == nil || err != nil || a.user.MustChangePassword {
		return nil
	}
	v, err := h.Lessons.Lesson(c.Request().Context(), learning.ViewerOf(a.principal), id)
	if err != nil {
		return nil
	}
	b, err := h.bodies.get(v)
	if err != nil {
		return nil
	}
	// The text itself is in the page too, so a slow phone shows it once the
	// HTML and the stylesheet have arrived, before a dozen modules have
	// (lesson.js then shows the same). The HTML was sanitised at import.
	article := `<article class="reader" lang="` + html.EscapeString(v.Course.Language) +
		`" aria-labelledby="lesson-title"><h1 id="lesson-title">` + html.EscapeString(v.Title) +
		`</h1><div class="lesson-body" id="lesson-body">` + v.HTML + `</div></article>`
	return map[string]any{"lesson": json.RawMessage(b.plain), mainKey: article}
}

// Attempt grades a quiz.
func (h *LessonAPI) Attempt(c echo.Context) error {
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
	r, err := h.Quizzes.Attempt(c.Request().Context(), a.user.ID, id, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}
