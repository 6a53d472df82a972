package web

import (
	"context"
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

// LessonAPI serves the lesson reader and its quiz.
type LessonAPI struct {
	Lessons LessonReader
	Quizzes QuizGrader
	bodies  lessonBodies
}

func (h *LessonAPI) routes(app, api *echo.Group, pg *pages) {
	app.GET("/lessons/:id", pg.pageWithData("lesson.html", func(c echo.Context) []string {
		// lesson.js asks for the lesson while the shell loads the user.
		id, err := idParam(c, "id")
		if err != nil || authOf(c) == nil {
			return nil
		}
		return []string{"/api/v1/lessons/" + strconv.FormatInt(id, 10)}
	}))

	api.GET("/lessons/:id", h.Get)
	api.POST("/lessons/:id/attempts", h.Attempt)
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
