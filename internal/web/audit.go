package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/errs"
)

// AuditReader is what the audit log handler calls.
type AuditReader interface {
	AuditLog(ctx context.Context, actor account.Principal, q account.AuditQuery) ([]account.AuditEntry, string, error)
}

// AuditAPI lets admins search the audit log: everything for admins, their
// scope's entries for region and institution admins.
type AuditAPI struct {
	Audit AuditReader
	// Location reads dates without a time (from=2026-03-01) as days in
	// the deployment's time zone.
	Location *time.Location
}

func (h *AuditAPI) routes(api *echo.Group) {
	if h == nil {
		return
	}
	api.GET("/admin/audit", h.List)
}

// parseWhen reads an RFC 3339 time or a date; a date as "to" means the end
// of that day, so both ends are inclusive.
func (h *AuditAPI) parseWhen(field, v string, end bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		if end {
			return t.Add(time.Millisecond), nil
		}
		return t, nil
	}
	loc := h.Location
	if loc == nil {
		loc = time.UTC
	}
	d, err := time.ParseInLocation("2006-01-02", v, loc)
	if err != nil {
		return time.Time{}, errs.New(errs.Invalid, "error.date_invalid").With("field", field)
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}

// List answers GET /api/v1/admin/audit?actor=&target=&from=&to=&cursor=&limit=.
func (h *AuditAPI) List(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	from, err := h.parseWhen("from", c.QueryParam("from"), false)
	if err != nil {
		return err
	}
	to, err := h.parseWhen("to", c.QueryParam("to"), true)
	if err != nil {
		return err
	}
	limit, _ := strconv.Atoi(c.QueryParam("limit"))
	rows, next, err := h.Audit.AuditLog(c.Request().Context(), a.principal, account.AuditQuery{
		Actor: c.QueryParam("actor"), Target: c.QueryParam("target"), From: from, To: to,
		Cursor: c.QueryParam("cursor"), Limit: limit,
	})
	if err != nil {
		return err
	}
	entries := make([]map[string]any, len(rows))
	for i, r := range rows {
		var actor any
		if r.ActorID != nil {
			actor = map[string]any{"id": *r.ActorID, "username": r.ActorUsername}
		}
		entries[i] = map[string]any{"id": r.ID, "at": r.At.UTC(), "actor": actor, "action": r.Action,
			"target": r.Target, "detail": r.Detail, "address": r.IP, "outcome": r.Outcome}
	}
	var nextJSON any
	if next != "" {
		nextJSON = next
	}
	return c.JSON(http.StatusOK, map[string]any{"entries": entries, "next": nextJSON})
}
