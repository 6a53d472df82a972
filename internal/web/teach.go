package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/i18n"
	"github.com/xuetang-edu/xuetang/internal/roster"
	"github.com/xuetang-edu/xuetang/internal/session"
	"github.com/xuetang-edu/xuetang/internal/sheet"
	"github.com/xuetang-edu/xuetang/internal/teach"
)

// Classes is what the teaching handlers call (internal/teach).
type Classes interface {
	Create(ctx context.Context, a teach.Actor, n teach.NewClass) (teach.Class, error)
	List(ctx context.Context, a account.Principal, archived bool, cursor string, limit int) ([]teach.Class, string, error)
	Get(ctx context.Context, a account.Principal, id int64) (teach.Class, error)
	Update(ctx context.Context, a teach.Actor, id int64, ch teach.Change) (teach.Class, error)
	NewJoinCode(ctx context.Context, a teach.Actor, id int64) (teach.Class, error)
	SetArchived(ctx context.Context, a teach.Actor, id int64, archived bool) (teach.Class, error)
	Join(ctx context.Context, a account.Principal, code string) (teach.Joined, error)
	ClassByCode(ctx context.Context, code string) (name, institution string, err error)
	JoinCodeOf(ctx context.Context, a account.Principal, id int64) (string, teach.Class, error)
	Members(ctx context.Context, a account.Principal, id int64) ([]teach.Member, error)
	AddMembers(ctx context.Context, a teach.Actor, id int64, usernames []string) (int, error)
	RemoveMember(ctx context.Context, a teach.Actor, id, userID int64) error
	ResetPassword(ctx context.Context, a teach.Actor, id, userID int64) (teach.Slip, error)
	Unlock(ctx context.Context, a teach.Actor, id, userID int64) error
	Slips(ctx context.Context, a account.Principal, id int64) (teach.Class, []teach.Slip, error)
	ImportInto(ctx context.Context, a account.Principal, id int64) (int64, error)
	Assignments(ctx context.Context, a account.Principal, id int64) ([]teach.Assignment, error)
	Assign(ctx context.Context, a teach.Actor, id int64, slug string, due *time.Time) (teach.Assignment, bool, error)
	Unassign(ctx context.Context, a teach.Actor, id int64, slug string) error
	Progress(ctx context.Context, a account.Principal, id int64) (*teach.Grid, error)
	Learner(ctx context.Context, a account.Principal, id, userID int64) (*teach.LearnerDetail, error)
	Questions(ctx context.Context, a account.Principal, id, lessonID int64) ([]teach.QuestionStats, error)
	CourseQuestions(ctx context.Context, a account.Principal, lessonID int64) ([]teach.QuestionStats, error)
}

// TeachAPI serves the teaching pages and /api/v1/teach/..., and the
// learners' joining by code. Who may do what is decided by internal/teach.
type TeachAPI struct {
	Classes Classes
	// Roster imports a file of people into a class (the bulk import).
	Roster   *RosterAPI
	BaseURL  string
	Location *time.Location
	// Throttle counts each learner's wrong codes (nil: not counted).
	Throttle session.Throttle
	cat      *i18n.Catalog
	grids    gridBodies
}

// classCodeMisses bounds wrong join codes per learner and hour: plenty for
// typos, while finding some class by guessing among 890 million codes
// would take a learner thousands of years.
const classCodeMisses = 20

// codeGuard refuses a learner who has typed too many wrong codes lately.
func (h *TeachAPI) codeGuard(c echo.Context, userID int64) error {
	if h.Throttle == nil {
		return nil
	}
	n, left, err := h.Throttle.Peek(c.Request().Context(), codeMissKey(userID))
	if err != nil {
		return err
	}
	if n >= classCodeMisses {
		return errs.New(errs.TooManyRequests, "error.class_join_throttled").After(left)
	}
	return nil
}

// codeMissed counts a wrong code; other refusals (switched off, another
// institution) tell nothing a guesser could use and are not counted.
func (h *TeachAPI) codeMissed(c echo.Context, userID int64, err error) error {
	if h.Throttle != nil && errs.As(err).Key == "error.class_code_unknown" {
		if _, _, terr := h.Throttle.HitWindow(c.Request().Context(), codeMissKey(userID), time.Hour); terr != nil {
			return terr
		}
	}
	return err
}

func codeMissKey(userID int64) string { return "classcode:user:" + strconv.FormatInt(userID, 10) }

// teachPages are the teaching pages; the same table is in
// frontend/js/shell.js (staffPages) for the menu.
var teachPages = []staffPage{
	{"/teach", "teach/index.html", teachRoles},
	{"/teach/classes/:id", "teach/class.html", teachRoles},
	{"/teach/classes/:id/poster", "poster.html", teachRoles},
}

var teachRoles = []string{account.RoleTeacher, account.RoleInstitutionAdmin, account.RoleRegionAdmin, account.RoleAdmin}

func (h *TeachAPI) routes(app, api *echo.Group, pg *pages, cat *i18n.Catalog) {
	if h == nil {
		return
	}
	h.cat = cat
	staffRoutes(app, pg, teachPages)
	app.GET("/teach/classes/:id/qr.svg", h.QR)
	app.GET("/teach/classes/:id/slips", h.Slips)
	app.GET("/classes/join", pg.page("classjoin.html"))
	app.GET("/c/:code", pg.page("classjoin.html"))
	if h.Roster != nil {
		app.POST("/api/v1/teach/classes/:id/import", h.Import, limitBody(importBodyLimit), RequirePasswordChange)
	}

	api.GET("/classes/join/:code", h.JoinInfo)
	api.POST("/classes/join", h.Join)
	api.GET("/teach/questions", h.CourseQuestions)
	g := api.Group("/teach/classes")
	g.GET("", h.List)
	g.POST("", h.Create)
	g.GET("/:id", h.Get)
	g.PATCH("/:id", h.Update)
	g.POST("/:id/join-code", h.NewJoinCode)
	g.POST("/:id/archive", h.archive(true))
	g.POST("/:id/unarchive", h.archive(false))
	g.GET("/:id/members", h.Members)
	g.POST("/:id/members", h.AddMembers)
	g.DELETE("/:id/members/:user_id", h.RemoveMember)
	g.POST("/:id/members/:user_id/password-reset", h.ResetPassword)
	g.POST("/:id/members/:user_id/unlock", h.Unlock)
	g.GET("/:id/learners/:user_id", h.Learner)
	g.GET("/:id/assignments", h.Assignments)
	g.PUT("/:id/assignments/:course_slug", h.Assign)
	g.DELETE("/:id/assignments/:course_slug", h.Unassign)
	g.GET("/:id/progress", h.Progress)
	g.GET("/:id/progress/export", h.Export)
	g.GET("/:id/questions", h.Questions)
}

func actorOf(c echo.Context) (teach.Actor, error) {
	a, err := requireUser(c)
	if err != nil {
		return teach.Actor{}, err
	}
	return teach.Actor{Principal: a.principal, IP: c.RealIP()}, nil
}

// List answers GET /api/v1/teach/classes?archived=&cursor=&limit=.
func (h *TeachAPI) List(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	limit, _ := strconv.Atoi(c.QueryParam("limit"))
	archived := c.QueryParam("archived") == "true"
	out, next, err := h.Classes.List(c.Request().Context(), a.principal, archived, c.QueryParam("cursor"), limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"classes": out, "next": next})
}

// Create answers POST /api/v1/teach/classes with 201 and the class.
func (h *TeachAPI) Create(c echo.Context) error {
	a, err := actorOf(c)
	if err != nil {
		return err
	}
	var n teach.NewClass
	if err := bindJSON(c, &n); err != nil {
		return err
	}
	out, err := h.Classes.Create(c.Request().Context(), a, n)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

// Get answers GET /api/v1/teach/classes/{id}.
func (h *TeachAPI) Get(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	out, err := h.Classes.Get(c.Request().Context(), a.principal, numParam(c, "id"))
	if err != nil {
		return err
	}
	// join_url is what the poster's QR code holds.
	joinURL := ""
	if out.JoinCode != "" {
		joinURL = h.joinURL(c, out.JoinCode)
	}
	return c.JSON(http.StatusOK, struct {
		teach.Class
		JoinURL string `json:"join_url"`
	}{out, joinURL})
}

// Update answers PATCH /api/v1/teach/classes/{id}.
func (h *TeachAPI) Update(c echo.Context) error {
	a, err := actorOf(c)
	if err != nil {
		return err
	}
	var ch teach.Change
	if err := bindJSON(c, &ch); err != nil {
		return err
	}
	out, err := h.Classes.Update(c.Request().Context(), a, numParam(c, "id"), ch)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// NewJoinCode answers POST /api/v1/teach/classes/{id}/join-code.
func (h *TeachAPI) NewJoinCode(c echo.Context) error {
	a, err := actorOf(c)
	if err != nil {
		return err
	}
	out, err := h.Classes.NewJoinCode(c.Request().Context(), a, numParam(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// archive answers POST /api/v1/teach/classes/{id}/archive and /unarchive.
func (h *TeachAPI) archive(archived bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		a, err := actorOf(c)
		if err != nil {
			return err
		}
		out, err := h.Classes.SetArchived(c.Request().Context(), a, numParam(c, "id"), archived)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, out)
	}
}

func (h *TeachAPI) joinURL(c echo.Context, code string) string {
	base := strings.TrimRight(h.BaseURL, "/")
	if base == "" {
		base = c.Scheme() + "://" + c.Request().Host
	}
	return base + "/c/" + code
}

// JoinInfo answers GET /api/v1/classes/join/{code}: the class a code
// leads to, for the join page to name before the learner confirms.
func (h *TeachAPI) JoinInfo(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	if err := h.codeGuard(c, a.principal.UserID); err != nil {
		return err
	}
	name, inst, err := h.Classes.ClassByCode(c.Request().Context(), c.Param("code"))
	if err != nil {
		return h.codeMissed(c, a.principal.UserID, err)
	}
	return c.JSON(http.StatusOK, map[string]any{"class": map[string]string{"name": name}, "institution": map[string]string{"name": inst}})
}

// Join answers POST /api/v1/classes/join {"code"}: 200 and the class,
// the same when already a member.
func (h *TeachAPI) Join(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	var req struct {
		Code string `json:"code"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if err := h.codeGuard(c, a.principal.UserID); err != nil {
		return err
	}
	j, err := h.Classes.Join(c.Request().Context(), a.principal, req.Code)
	if err != nil {
		return h.codeMissed(c, a.principal.UserID, err)
	}
	return c.JSON(http.StatusOK, map[string]any{"class": j, "joined": j.New})
}

// QR answers GET /teach/classes/{id}/qr.svg: the class's join address for
// its poster.
func (h *TeachAPI) QR(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	code, _, err := h.Classes.JoinCodeOf(c.Request().Context(), a.principal, numParam(c, "id"))
	if err != nil {
		return err
	}
	svg, err := QRCodeSVG(h.joinURL(c, code))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "image/svg+xml", svg)
}

// Slips answers GET /teach/classes/{id}/slips: a printable sign-in slip
// for every member (username and address; passwords are never readable).
func (h *TeachAPI) Slips(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	_, slips, err := h.Classes.Slips(c.Request().Context(), a.principal, numParam(c, "id"))
	if err != nil {
		return err
	}
	out := make([]roster.Slip, len(slips))
	for i, s := range slips {
		out[i] = roster.Slip{Username: s.Username, DisplayName: s.DisplayName, Password: s.Password}
	}
	return renderSlips(c, h.cat, h.BaseURL, out, "class.slips.title", "class.slips.hint")
}

// Import answers POST /api/v1/teach/classes/{id}/import: the bulk import
// of people (learners only for teachers), everyone into this class.
func (h *TeachAPI) Import(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	classID, err := h.Classes.ImportInto(c.Request().Context(), a.principal, numParam(c, "id"))
	if err != nil {
		return err
	}
	return h.Roster.importFile(c, roster.Request{Actor: a.principal, IP: c.RealIP(), ClassID: classID})
}

// Members answers GET /api/v1/teach/classes/{id}/members.
func (h *TeachAPI) Members(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	out, err := h.Classes.Members(c.Request().Context(), a.principal, numParam(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"members": out})
}

// AddMembers answers POST /api/v1/teach/classes/{id}/members {"usernames"}.
func (h *TeachAPI) AddMembers(c echo.Context) error {
	a, err := actorOf(c)
	if err != nil {
		return err
	}
	var req struct {
		Usernames []string `json:"usernames"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	n, err := h.Classes.AddMembers(c.Request().Context(), a, numParam(c, "id"), req.Usernames)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"added": n})
}

// RemoveMember answers DELETE /api/v1/teach/classes/{id}/members/{user}.
func (h *TeachAPI) RemoveMember(c echo.Context) error {
	a, err := actorOf(c)
	if err != nil {
		return err
	}
	if err := h.Classes.RemoveMember(c.Request().Context(), a, numParam(c, "id"), numParam(c, "user_id")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"removed": true})
}

// ResetPassword answers POST .../members/{user}/password-reset with the
// one-time password to print on the member's slip.
func (h *TeachAPI) ResetPassword(c echo.Context) error {
	a, err := actorOf(c)
	if err != nil {
		return err
	}
	slip, err := h.Classes.ResetPassword(c.Request().Context(), a, numParam(c, "id"), numParam(c, "user_id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, slip)
}

// Unlock answers POST .../members/{user}/unlock.
func (h *TeachAPI) Unlock(c echo.Context) error {
	a, err := actorOf(c)
	if err != nil {
		return err
	}
	if err := h.Classes.Unlock(c.Request().Context(), a, numParam(c, "id"), numParam(c, "user_id")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"unlocked": true})
}

// Learner answers GET /api/v1/teach/classes/{id}/learners/{user}.
func (h *TeachAPI) Learner(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	out, err := h.Classes.Learner(c.Request().Context(), a.principal, numParam(c, "id"), numParam(c, "user_id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// Assignments answers GET /api/v1/teach/classes/{id}/assignments.
func (h *TeachAPI) Assignments(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	out, err := h.Classes.Assignments(c.Request().Context(), a.principal, numParam(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"assignments": out})
}

// Assign answers PUT /api/v1/teach/classes/{id}/assignments/{slug}
// {"due_at": RFC 3339 or null}: 200 whether new or a moved due date.
func (h *TeachAPI) Assign(c echo.Context) error {
	a, err := actorOf(c)
	if err != nil {
		return err
	}
	var req struct {
		DueAt json.RawMessage `json:"due_at"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	var due *time.Time
	if len(req.DueAt) > 0 && string(req.DueAt) != "null" {
		var s string
		if json.Unmarshal(req.DueAt, &s) != nil {
			return errs.New(errs.Invalid, "error.due_at_invalid").With("field", "due_at")
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return errs.New(errs.Invalid, "error.due_at_invalid").With("field", "due_at")
		}
		due = &t
	}
	out, created, err := h.Classes.Assign(c.Request().Context(), a, numParam(c, "id"), c.Param("course_slug"), due)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"assignment": out, "created": created})
}

// Unassign answers DELETE /api/v1/teach/classes/{id}/assignments/{slug}.
func (h *TeachAPI) Unassign(c echo.Context) error {
	a, err := actorOf(c)
	if err != nil {
		return err
	}
	if err := h.Classes.Unassign(c.Request().Context(), a, numParam(c, "id"), c.Param("course_slug")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"removed": true})
}

// Progress answers GET /api/v1/teach/classes/{id}/progress: the grid.
func (h *TeachAPI) Progress(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	g, err := h.Classes.Progress(c.Request().Context(), a.principal, numParam(c, "id"))
	if err != nil {
		return err
	}
	b, err := h.grids.get(g)
	if err != nil {
		return err
	}
	if strings.Contains(c.Request().Header.Get(echo.HeaderAcceptEncoding), "gzip") {
		c.Response().Header().Set(echo.HeaderContentEncoding, "gzip")
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, b.gz)
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, b.plain)
}

// Export answers GET /api/v1/teach/classes/{id}/progress/export?format=
// csv|xlsx: the grid as a file, headed in the request's language.
func (h *TeachAPI) Export(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format == "" {
		format = "csv"
	}
	if format != "csv" && format != "xlsx" {
		return errs.New(errs.Invalid, "error.export_format_invalid").With("field", "format")
	}
	g, err := h.Classes.Progress(c.Request().Context(), a.principal, numParam(c, "id"))
	if err != nil {
		return err
	}
	lang := langOf(c, h.cat)
	if l := c.QueryParam("lang"); l == "en" || l == "zh-CN" {
		lang = l
	}
	loc := h.Location
	if loc == nil {
		loc = time.UTC
	}
	rows := teach.GridRows(g, func(k string) string { return h.cat.T(lang, k, nil) }, loc)
	name := "class-" + strconv.FormatInt(g.Class.ID, 10) + "-" + g.AsOf.In(loc).Format("20060102")
	var body []byte
	ctype := "text/csv; charset=utf-8"
	if format == "csv" {
		body, err = sheet.CSV(rows)
	} else {
		body, err = sheet.XLSX("progress", rows)
		ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+name+"."+format+`"; filename*=UTF-8''`+url.PathEscape(name+"."+format))
	return c.Blob(http.StatusOK, ctype, body)
}

// Questions answers GET /api/v1/teach/classes/{id}/questions?lesson_id=N.
func (h *TeachAPI) Questions(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	lessonID := numQuery(c, "lesson_id")
	out, err := h.Classes.Questions(c.Request().Context(), a.principal, numParam(c, "id"), lessonID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"questions": out})
}

// CourseQuestions answers GET /api/v1/teach/questions?lesson_id=N: the
// analysis over every learner in the caller's scope (administrators).
func (h *TeachAPI) CourseQuestions(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	lessonID := numQuery(c, "lesson_id")
	out, err := h.Classes.CourseQuestions(c.Request().Context(), a.principal, lessonID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"questions": out})
}
