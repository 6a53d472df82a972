package authoring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/course"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// DraftStore is what the browser editor needs from the database
// (internal/store/draft.go).
type DraftStore interface {
	CreateDraft(ctx context.Context, d *store.CourseDraft, assets []store.DraftAsset, audit *store.AuditEntry) error
	DraftBySlug(ctx context.Context, slug string) (*store.CourseDraft, error)
	SaveDraft(ctx context.Context, id int64, baseRevision int, body string, by int64, audit *store.AuditEntry) (int, error)
	AddDraftAsset(ctx context.Context, a *store.DraftAsset, audit *store.AuditEntry) error
	DraftAssets(ctx context.Context, draftID int64, data bool) ([]store.DraftAsset, error)
	DraftAsset(ctx context.Context, draftID int64, path string) (*store.DraftAsset, error)
	DeleteDraft(ctx context.Context, id int64, audit *store.AuditEntry) error
	LatestVersion(ctx context.Context, courseID int64) (int, error)
}

// DraftCourse is a course as the editor holds it: course.yaml's fields and
// the lessons with their questions, as fields rather than files, so pages
// edit them without writing YAML. It becomes package files only to be
// checked and published.
type DraftCourse struct {
	Title         string        `json:"title"`
	Language      string        `json:"language"`
	Summary       string        `json:"summary"`
	Audience      []string      `json:"audience"`
	Level         string        `json:"level"`
	StudyHours    float64       `json:"study_hours"`
	PassScore     int           `json:"pass_score"`
	TranslationOf string        `json:"translation_of"`
	Reviewed      string        `json:"reviewed"`
	Lessons       []DraftLesson `json:"lessons"`
}

// DraftLesson is one lesson. Slug is kept when the lesson is renamed or
// moved: learner progress is recorded by lesson slug.
type DraftLesson struct {
	Slug      string          `json:"slug"`
	Title     string          `json:"title"`
	Minutes   int             `json:"minutes"`
	Body      string          `json:"body"`
	Questions []DraftQuestion `json:"questions"`
}

// DraftQuestion is one quiz question; the answer field used depends on
// the type, as in course.Answer.
type DraftQuestion struct {
	ID          string   `json:"id"`
	Type        string   `json:"type"`
	Prompt      string   `json:"prompt"`
	Options     []string `json:"options"`
	Index       int      `json:"index"`
	Indexes     []int    `json:"indexes"`
	Bool        bool     `json:"bool"`
	Texts       []string `json:"texts"`
	Explanation string   `json:"explanation"`
	Fixed       bool     `json:"fixed"`
}

// Draft is a draft as the editor page receives it.
type Draft struct {
	Slug        string      `json:"slug"`
	Revision    int         `json:"revision"`
	BaseVersion int         `json:"base_version"`
	Published   bool        `json:"published"`
	Course      DraftCourse `json:"course"`
	Assets      []string    `json:"assets"`
	UpdatedAt   time.Time   `json:"updated_at"`
	// Problems are what publishing would refuse now, each placed on its
	// lesson, question or body line.
	Problems []DraftProblem `json:"problems"`
}

// DraftProblem is a course.Problem placed in the editor: Lesson and
// Question are indexes (-1: none), BodyLine a line of the lesson body (0:
// not in the body).
type DraftProblem struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Message  string `json:"message"`
	Lesson   int    `json:"lesson"`
	Question int    `json:"question"`
	BodyLine int    `json:"body_line"`
}

// DraftProblemsError is a draft that cannot be published as it is.
type DraftProblemsError struct {
	Problems []DraftProblem
}

func (e *DraftProblemsError) Error() string {
	return fmt.Sprintf("the draft has %d problems", len(e.Problems))
}

// StaleDraftError is a save based on a revision someone else has already
// replaced: Current is theirs, and nothing was written.
type StaleDraftError struct {
	Current *Draft
}

func (e *StaleDraftError) Error() string { return "the draft was saved by someone else" }

// MaxDraftBytes caps a draft's JSON body; the importer's own limit on a
// package is 64 MiB, most of it images, which drafts keep apart.
const MaxDraftBytes = 8 << 20

var errDraftNotFound = errs.New(errs.NotFound, "author.error.draft_not_found")

// NewDraft starts a course that does not exist yet.
type NewDraft struct {
	Slug     string `json:"slug"`
	Title    string `json:"title"`
	Language string `json:"language"`
	// Institution is an institution code for region admins and admins.
	Institution string `json:"institution"`
}

// CreateDraft starts a new course for the actor's institution (or, for a
// region admin or admin, one they name).
func (s *Service) CreateDraft(ctx context.Context, actor account.Principal, in NewDraft, ip string) (*Draft, error) {
	if !canAuthor(actor) {
		return nil, errs.New(errs.Forbidden, "error.forbidden")
	}
	if !course.ValidSlug(in.Slug) {
		return nil, errs.New(errs.Invalid, "author.error.slug_invalid").With("field", "slug")
	}
	if strings.TrimSpace(in.Title) == "" {
		return nil, errs.New(errs.Invalid, "author.error.field_required").With("field", "title")
	}
	if in.Language != "en" && in.Language != "zh-CN" {
		return nil, errs.New(errs.Invalid, "author.error.field_required").With("field", "language")
	}
	owner, err := s.owner(ctx, actor, in.Institution)
	if err != nil {
		return nil, err
	}
	if owner == nil {
		return nil, errs.New(errs.Invalid, "author.error.owner_required").With("field", "institution")
	}
	body := DraftCourse{Title: strings.TrimSpace(in.Title), Language: in.Language, Audience: []string{"adult"},
		Level: "beginner", StudyHours: 0.25, PassScore: 60, Lessons: []DraftLesson{}}
	raw, _ := json.Marshal(body)
	id := owner.ID
	d := &store.CourseDraft{Slug: in.Slug, OwnerInstitutionID: &id, Body: string(raw), CreatedBy: actor.UserID, UpdatedBy: actor.UserID}
	if err := s.st.CreateDraft(ctx, d, nil, s.draftAudit(actor, "course.draft.create", in.Slug, owner, ip, "")); err != nil {
		return nil, err
	}
	return s.present(ctx, d)
}

// StartDraft opens the draft of a published course, starting one from its
// newest version when there is none.
func (s *Service) StartDraft(ctx context.Context, actor account.Principal, slug, ip string) (*Draft, error) {
	if !canAuthor(actor) {
		return nil, errs.New(errs.Forbidden, "error.forbidden")
	}
	if d, err := s.DraftFor(ctx, actor, slug); err == nil || !errors.Is(err, errs.ErrNotFound) {
		return d, err
	}
	notFound := errs.New(errs.NotFound, "error.course_not_found")
	c, _, err := s.st.CourseBySlug(ctx, slug)
	if errors.Is(err, errs.ErrNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	a, err := s.st.AudienceOf(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if !edits(actor, a) {
		return nil, notFound
	}
	latest, err := s.st.LatestVersion(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	p, err := course.ExportVersion(ctx, s.st, slug, latest)
	if err != nil {
		return nil, err
	}
	body := fromPackage(p)
	raw, _ := json.Marshal(body)
	id := c.ID
	d := &store.CourseDraft{Slug: slug, CourseID: &id, OwnerInstitutionID: c.OwnerInstitutionID, BaseVersion: latest,
		Body: string(raw), CreatedBy: actor.UserID, UpdatedBy: actor.UserID}
	assets := make([]store.DraftAsset, 0, len(p.Assets))
	for name, data := range p.Assets {
		assets = append(assets, store.DraftAsset{Path: name, ContentType: contentTypeOf(name), Data: data})
	}
	var owner *store.Institution
	if c.OwnerInstitutionID != nil {
		if owner, err = s.st.InstitutionByID(ctx, *c.OwnerInstitutionID); err != nil {
			return nil, err
		}
	}
	err = s.st.CreateDraft(ctx, d, assets, s.draftAudit(actor, "course.draft.start", slug, owner, ip, fmt.Sprintf("from version %d", latest)))
	if errs.CodeOf(err) == errs.Conflict {
		// A colleague opened the editor at the same moment: share theirs.
		return s.DraftFor(ctx, actor, slug)
	}
	if err != nil {
		return nil, err
	}
	return s.present(ctx, d)
}

// DraftFor returns the draft of a course the actor may edit; any other is
// not found.
func (s *Service) DraftFor(ctx context.Context, actor account.Principal, slug string) (*Draft, error) {
	d, _, err := s.draft(ctx, actor, slug)
	if err != nil {
		return nil, err
	}
	return s.present(ctx, d)
}

// draft loads a draft in the actor's scope with its owner institution.
func (s *Service) draft(ctx context.Context, actor account.Principal, slug string) (*store.CourseDraft, *store.Institution, error) {
	if !canAuthor(actor) {
		return nil, nil, errs.New(errs.Forbidden, "error.forbidden")
	}
	d, err := s.st.DraftBySlug(ctx, slug)
	if errors.Is(err, errs.ErrNotFound) {
		return nil, nil, errDraftNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	var owner *store.Institution
	a := store.CourseAudience{}
	if d.OwnerInstitutionID != nil {
		if owner, err = s.st.InstitutionByID(ctx, *d.OwnerInstitutionID); err != nil {
			return nil, nil, err
		}
		a.OwnerInstitutionID, a.OwnerRegion = owner.ID, owner.RegionCode
	}
	if !edits(actor, a) {
		return nil, nil, errDraftNotFound
	}
	return d, owner, nil
}

func (s *Service) present(ctx context.Context, d *store.CourseDraft) (*Draft, error) {
	var body DraftCourse
	if err := json.Unmarshal([]byte(d.Body), &body); err != nil {
		return nil, fmt.Errorf("draft %s: %w", d.Slug, err)
	}
	assets, err := s.st.DraftAssets(ctx, d.ID, false)
	if err != nil {
		return nil, err
	}
	out := &Draft{Slug: d.Slug, Revision: d.Revision, BaseVersion: d.BaseVersion, Published: d.CourseID != nil,
		Course: body, Assets: make([]string, 0, len(assets)), UpdatedAt: d.UpdatedAt}
	names := map[string][]byte{}
	for _, a := range assets {
		out.Assets = append(out.Assets, a.Path)
		names[a.Path] = nil
	}
	_, out.Problems = check(d.Slug, d.BaseVersion+1, body, names)
	return out, nil
}

// SaveDraft replaces the draft's course if revision is still the current
// one and returns the saved draft with its problems; otherwise a
// *StaleDraftError carrying the colleague's version.
func (s *Service) SaveDraft(ctx context.Context, actor account.Principal, slug string, revision int, body DraftCourse, ip string) (*Draft, error) {
	d, owner, err := s.draft(ctx, actor, slug)
	if err != nil {
		return nil, err
	}
	if body.Lessons == nil {
		body.Lessons = []DraftLesson{}
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, "error.bad_request", err)
	}
	if len(raw) > MaxDraftBytes {
		return nil, errs.New(errs.TooLarge, "error.too_large")
	}
	rev, err := s.st.SaveDraft(ctx, d.ID, revision, string(raw), actor.UserID,
		s.draftAudit(actor, "course.draft.save", slug, owner, ip, fmt.Sprintf("revision %d", revision+1)))
	if errs.CodeOf(err) == errs.Conflict {
		cur, lerr := s.DraftFor(ctx, actor, slug)
		if lerr != nil {
			return nil, lerr
		}
		return nil, &StaleDraftError{Current: cur}
	}
	if err != nil {
		return nil, err
	}
	d.Body, d.Revision = string(raw), rev
	return s.present(ctx, d)
}

// DiscardDraft drops a draft; a published course stays as it is.
func (s *Service) DiscardDraft(ctx context.Context, actor account.Principal, slug, ip string) error {
	d, owner, err := s.draft(ctx, actor, slug)
	if err != nil {
		return err
	}
	return s.st.DeleteDraft(ctx, d.ID, s.draftAudit(actor, "course.draft.discard", slug, owner, ip, ""))
}

// PublishDraft checks the draft as an import would and stores it as the
// course's next version, for the course's current audience (institution
// for a new course). The draft is gone once it is published.
func (s *Service) PublishDraft(ctx context.Context, actor account.Principal, slug, ip string) (*Published, error) {
	d, owner, err := s.draft(ctx, actor, slug)
	if err != nil {
		return nil, err
	}
	var body DraftCourse
	if err := json.Unmarshal([]byte(d.Body), &body); err != nil {
		return nil, fmt.Errorf("draft %s: %w", slug, err)
	}
	version, vis := 1, store.VisibilityInstitution
	c, _, err := s.st.CourseBySlug(ctx, slug)
	switch {
	case err == nil:
		latest, err := s.st.LatestVersion(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		version, vis = latest+1, c.Visibility
	case !errors.Is(err, errs.ErrNotFound):
		return nil, err
	}
	rows, err := s.st.DraftAssets(ctx, d.ID, true)
	if err != nil {
		return nil, err
	}
	assets := map[string][]byte{}
	for _, a := range rows {
		assets[a.Path] = a.Data
	}
	files, problems := check(slug, version, body, assets)
	if len(problems) > 0 {
		return nil, &DraftProblemsError{Problems: problems}
	}
	// The files are parsed once more as a whole, exactly as an uploaded
	// package is: what is published is what import would have stored.
	p, err := course.ParseFiles(files)
	var ve *course.ValidationError
	if errors.As(err, &ve) {
		return nil, &DraftProblemsError{Problems: place(ve.Problems, nil)}
	}
	if err != nil {
		return nil, err
	}
	var ownerID *int64
	if owner != nil {
		id := owner.ID
		ownerID = &id
	}
	res, err := course.ImportDraft(ctx, s.st, p, ownerID, vis, s.draftAudit(actor, "course.publish", slug, owner, ip,
		fmt.Sprintf("version %d from the editor, visibility %s", version, vis)), d.ID)
	if err != nil {
		return nil, err
	}
	s.changed()
	return &Published{Slug: res.Slug, Version: res.Version}, nil
}

// UploadedImage is an image stored in a draft.
type UploadedImage struct {
	Path     string `json:"path"`
	Markdown string `json:"markdown"`
}

// UploadImage makes an uploaded image safe (see processImage) and keeps it
// with the draft. Alt text is required: a learner using a screen reader
// hears it instead of seeing the picture.
func (s *Service) UploadImage(ctx context.Context, actor account.Principal, slug, name, alt string, data []byte, ip string) (*UploadedImage, error) {
	d, owner, err := s.draft(ctx, actor, slug)
	if err != nil {
		return nil, err
	}
	alt = strings.Join(strings.Fields(alt), " ")
	if alt == "" {
		return nil, errs.New(errs.Invalid, "author.error.alt_required").With("field", "alt")
	}
	img, err := processImage(name, data)
	if err != nil {
		return nil, err
	}
	p := assetName(name, img)
	a := &store.DraftAsset{DraftID: d.ID, Path: p, ContentType: img.contentType, Data: img.data}
	if err := s.st.AddDraftAsset(ctx, a, s.draftAudit(actor, "course.draft.image", slug, owner, ip, p)); err != nil {
		return nil, err
	}
	esc := strings.NewReplacer(`\`, `\\`, "[", `\[`, "]", `\]`).Replace(alt)
	return &UploadedImage{Path: p, Markdown: "![" + esc + "](" + p + ")"}, nil
}

// DraftAsset returns an image of a draft for the editor's preview.
func (s *Service) DraftAsset(ctx context.Context, actor account.Principal, slug, path string) (*store.DraftAsset, error) {
	d, _, err := s.draft(ctx, actor, slug)
	if err != nil {
		return nil, err
	}
	a, err := s.st.DraftAsset(ctx, d.ID, path)
	if errors.Is(err, errs.ErrNotFound) {
		return nil, errs.New(errs.NotFound, "error.not_found")
	}
	return a, err
}

// Preview is a lesson body as learners will see it, with its problems.
type Preview struct {
	HTML     string         `json:"html"`
	Problems []DraftProblem `json:"problems"`
}

// DraftAssetBase is where the editor's preview finds a draft's images.
func DraftAssetBase(slug string) string { return "/api/v1/teach/drafts/" + slug + "/" }

// PreviewLesson renders a lesson body with the learners' pipeline. With a
// slug, images resolve against that draft's assets (which the actor must
// be allowed to edit); without, every image is reported missing.
func (s *Service) PreviewLesson(ctx context.Context, actor account.Principal, slug, body string) (*Preview, error) {
	if !canAuthor(actor) {
		return nil, errs.New(errs.Forbidden, "error.forbidden")
	}
	names := map[string][]byte{}
	base := ""
	if slug != "" {
		d, _, err := s.draft(ctx, actor, slug)
		if err != nil {
			return nil, err
		}
		rows, err := s.st.DraftAssets(ctx, d.ID, false)
		if err != nil {
			return nil, err
		}
		for _, a := range rows {
			names[a.Path] = nil
		}
		base = DraftAssetBase(slug)
	}
	if len(body) > course.MaxMarkdownBytes {
		return nil, errs.New(errs.TooLarge, "error.too_large")
	}
	out := &Preview{Problems: bodyProblems(-1, body, names)}
	for _, line := range strings.Split(body, "\n") {
		if len(line) > course.MaxLineBytes {
			// Not rendered: goldmark is slow on some very long lines, and
			// the problem list already says what to fix.
			return out, nil
		}
	}
	html, err := course.RenderMarkdown(body, base)
	if err != nil {
		return nil, err
	}
	out.HTML = html
	return out, nil
}

// emptyAlt finds images written without alt text, ![](...), which the
// package format allows but the editor does not.
var emptyAlt = regexp.MustCompile(`!\[\s*\]\(`)

func bodyProblems(lesson int, body string, assets map[string][]byte) []DraftProblem {
	var out []DraftProblem
	for _, p := range course.CheckLessonBody(body, assets) {
		out = append(out, DraftProblem{Line: p.Line, BodyLine: p.Line, Message: p.Message, Lesson: lesson, Question: -1})
	}
	for i, line := range strings.Split(body, "\n") {
		if emptyAlt.MatchString(line) {
			out = append(out, DraftProblem{Line: i + 1, BodyLine: i + 1, Message: "image has no alt text: describe it between ![ and ]",
				Lesson: lesson, Question: -1})
		}
	}
	if out == nil {
		out = []DraftProblem{}
	}
	return out
}

func (s *Service) draftAudit(actor account.Principal, action, slug string, owner *store.Institution, ip, detail string) *store.AuditEntry {
	e := actor.AuditEntry(action, "course:"+slug, ip, detail)
	if owner != nil {
		id, rc := owner.ID, owner.RegionCode
		e.TargetInstitutionID, e.TargetRegionCode = &id, &rc
	}
	return e
}
