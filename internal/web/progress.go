package web

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/learning"
)

// ProgressRecorder stores a progress event durably
// (internal/learning/progress.go).
type ProgressRecorder interface {
	RecordEvent(ctx context.Context, userID int64, ev learning.Event) (*learning.EventResult, error)
}

// ProgressAPI receives the lesson page's progress events.
type ProgressAPI struct {
	Progress ProgressRecorder
}

func (h *ProgressAPI) routes(api *echo.Group) {
	api.POST("/progress", h.Record)
}

// Record records one progress event.
func (h *ProgressAPI) Record(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	var ev learning.Event
	if err := bindJSON(c, &ev); err != nil {
		return err
	}
	r, err := h.Progress.RecordEvent(c.Request().Context(), a.user.ID, ev)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}
