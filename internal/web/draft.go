package web

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/authoring"
	"github.com/xuetang-edu/xuetang/internal/course"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// CourseDrafts is the browser course editor's service
// (internal/authoring/draft.go).
type CourseDrafts interface {
	CreateDraft(ctx context.Context, actor account.Principal, in authoring.NewDraft, ip string) (*authoring.Draft, error)
	StartDraft(ctx context.Context, actor account.Principal, slug, ip string) (*authoring.Draft, error)
	DraftFor(ctx context.Context, actor account.Principal, slug string) (*authoring.Draft, error)
	SaveDraft(ctx context.Context, actor account.Principal, slug string, revision int, body authoring.DraftCourse, ip string) (*authoring.Draft, error)
	DiscardDraft(ctx context.Context, actor account.Principal, slug, ip string) error
	PublishDraft(ctx context.Context, actor account.Principal, slug, ip string) (*authoring.Published, error)
	UploadImage(ctx context.Context, actor account.Principal, slug, name, alt string, data []byte, ip string) (*authoring.UploadedImage, error)
	DraftAsset(ctx context.Context, actor account.Principal, slug, path string) (*store.DraftAsset, error)
	PreviewLesson(ctx context.Context, actor account.Principal, slug, body string) (*authoring.Preview, error)
}

// Bodies larger than the API's usual 1 MiB, each with room for framing.
const (
	draftBodyLimit   = authoring.MaxDraftBytes + 64<<10
	imageBodyLimit   = authoring.MaxImageUpload + 64<<10
	previewBodyLimit = course.MaxMarkdownBytes + 64<<10
)

func (h *AuthoringAPI) draftRoutes(app, api *echo.Group) {
	if h.Drafts == nil {
		return
	}
	api.POST("/teach/drafts", h.CreateDraft)
	api.POST("/teach/courses/:slug/draft", h.StartDraft)
	api.GET("/teach/drafts/:slug", h.GetDraft)
	app.PUT("/api/v1/teach/drafts/:slug", h.SaveDraft, limitBody(draftBodyLimit), RequirePasswordChange)
	api.DELETE("/teach/drafts/:slug", h.DiscardDraft)
	api.POST("/teach/drafts/:slug/publish", h.PublishDraft)
	app.POST("/api/v1/teach/drafts/:slug/assets", h.UploadImage, limitBody(imageBodyLimit), RequirePasswordChange)
	api.GET("/teach/drafts/:slug/assets/:name", h.DraftAsset)
	app.POST("/api/v1/teach/preview", h.Preview, limitBody(previewBodyLimit), RequirePasswordChange)
}

// author is the signed-in staff member who may write courses; anyone else
// signed in is refused before their request body is read.
func author(c echo.Context) (account.Principal, error) {
	a, err := requireUser(c)
	if err != nil {
		return account.Principal{}, err
	}
	if !a.principal.Is(authoringRoles...) {
		return account.Principal{}, errs.New(errs.Forbidden, "error.forbidden")
	}
	return a.principal, nil
}

// CreateDraft starts a new course (POST /api/v1/teach/drafts).
func (h *AuthoringAPI) CreateDraft(c echo.Context) error {
	p, err := author(c)
	if err != nil {
		return err
	}
	var in authoring.NewDraft
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	d, err := h.Drafts.CreateDraft(c.Request().Context(), p, in, c.RealIP())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, d)
}

// StartDraft opens the draft of a published course, starting it from the
// newest version (POST /api/v1/teach/courses/{slug}/draft).
func (h *AuthoringAPI) StartDraft(c echo.Context) error {
	p, err := author(c)
	if err != nil {
		return err
	}
	d, err := h.Drafts.StartDraft(c.Request().Context(), p, c.Param("slug"), c.RealIP())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// GetDraft is a draft with its problems (GET /api/v1/teach/drafts/{slug}).
func (h *AuthoringAPI) GetDraft(c echo.Context) error {
	p, err := author(c)
	if err != nil {
		return err
	}
	d, err := h.Drafts.DraftFor(c.Request().Context(), p, c.Param("slug"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

type saveDraftRequest struct {
	Revision int                   `json:"revision"`
	Course   authoring.DraftCourse `json:"course"`
}

// SaveDraft replaces a draft (PUT /api/v1/teach/drafts/{slug}); a revision
// other than the current one answers 409 with the current draft.
func (h *AuthoringAPI) SaveDraft(c echo.Context) error {
	p, err := author(c)
	if err != nil {
		return err
	}
	var in saveDraftRequest
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	d, err := h.Drafts.SaveDraft(c.Request().Context(), p, c.Param("slug"), in.Revision, in.Course, c.RealIP())
	var stale *authoring.StaleDraftError
	if errors.As(err, &stale) {
		e := errs.New(errs.Conflict, "author.error.draft_stale")
		return c.JSON(http.StatusConflict, map[string]any{"error": h.detail(c, e), "draft": stale.Current})
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// DiscardDraft drops a draft (DELETE /api/v1/teach/drafts/{slug}).
func (h *AuthoringAPI) DiscardDraft(c echo.Context) error {
	p, err := author(c)
	if err != nil {
		return err
	}
	if err := h.Drafts.DiscardDraft(c.Request().Context(), p, c.Param("slug"), c.RealIP()); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// PublishDraft stores the draft as the course's next version
// (POST /api/v1/teach/drafts/{slug}/publish); 422 lists every problem.
func (h *AuthoringAPI) PublishDraft(c echo.Context) error {
	p, err := author(c)
	if err != nil {
		return err
	}
	out, err := h.Drafts.PublishDraft(c.Request().Context(), p, c.Param("slug"), c.RealIP())
	var pe *authoring.DraftProblemsError
	if errors.As(err, &pe) {
		e := errs.New(errs.Invalid, "author.error.draft_invalid").With("count", len(pe.Problems))
		return c.JSON(http.StatusUnprocessableEntity, map[string]any{"error": h.detail(c, e), "problems": pe.Problems})
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

// UploadImage adds an image to a draft (POST /api/v1/teach/drafts/{slug}/assets,
// multipart fields "file" and "alt"). Anything that is not an acceptable
// image answers 422 and stores nothing.
func (h *AuthoringAPI) UploadImage(c echo.Context) error {
	p, err := author(c)
	if err != nil {
		return err
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
	data, err := io.ReadAll(io.LimitReader(f, authoring.MaxImageUpload+1))
	if err != nil {
		return errs.Wrap(errs.Invalid, "error.bad_request", err)
	}
	if len(data) > authoring.MaxImageUpload {
		return errs.New(errs.TooLarge, "error.too_large")
	}
	out, err := h.Drafts.UploadImage(c.Request().Context(), p, c.Param("slug"), fh.Filename, c.FormValue("alt"), data, c.RealIP())
	var ie *authoring.ImageError
	if errors.As(err, &ie) {
		e := errs.New(errs.Invalid, ie.Key).With("line", ie.Line).With("detail", ie.Detail)
		return c.JSON(http.StatusUnprocessableEntity, map[string]any{"error": h.detail(c, e), "line": ie.Line})
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

// DraftAsset serves a draft's image to its editors
// (GET /api/v1/teach/drafts/{slug}/assets/{name}).
func (h *AuthoringAPI) DraftAsset(c echo.Context) error {
	p, err := author(c)
	if err != nil {
		return err
	}
	name := c.Param("name")
	if name == "" || strings.ContainsAny(name, `/\`) || path.Clean(name) != name {
		return errs.New(errs.NotFound, "error.not_found")
	}
	a, err := h.Drafts.DraftAsset(c.Request().Context(), p, c.Param("slug"), "assets/"+name)
	if err != nil {
		return err
	}
	hd := c.Response().Header()
	hd.Set("Cache-Control", "private, no-store")
	// As for published assets: an SVG opened as a document gets no rights.
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	return c.Stream(http.StatusOK, a.ContentType, bytes.NewReader(a.Data))
}

type previewRequest struct {
	Slug string `json:"slug"`
	Body string `json:"body"`
}

// Preview renders a lesson body as learners will see it, with its problems
// (POST /api/v1/teach/preview).
func (h *AuthoringAPI) Preview(c echo.Context) error {
	p, err := author(c)
	if err != nil {
		return err
	}
	var in previewRequest
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.Drafts.PreviewLesson(c.Request().Context(), p, in.Slug, in.Body)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (h *AuthoringAPI) detail(c echo.Context, e *errs.Error) errorDetail {
	d := errorDetail{Code: string(e.Code), Key: e.Key, Message: h.cat.T(langOf(c, h.cat), e.Key, e.Args)}
	if f, ok := e.Args["field"].(string); ok {
		d.Field = f
	}
	return d
}
