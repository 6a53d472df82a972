package web

import "github.com/labstack/echo/v4"

// CourseAPI serves the catalogue, lessons and learning progress.
type CourseAPI struct{}

func (h *CourseAPI) routes(app, api *echo.Group, pg *pages) {}
