package authoring

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/course"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// editable returns a course the actor may edit, with its audience; any
// other course is not found, so its existence does not leak.
func (s *Service) editable(ctx context.Context, actor account.Principal, slug string) (*store.Course, *store.CourseVersion, store.CourseAudience, error) {
	var a store.CourseAudience
	if !canAuthor(actor) {
		return nil, nil, a, errs.New(errs.Forbidden, "error.forbidden")
	}
	notFound := errs.New(errs.NotFound, "error.course_not_found")
	c, v, err := s.st.CourseBySlug(ctx, slug)
	if errors.Is(err, errs.ErrNotFound) {
		return nil, nil, a, notFound
	}
	if err != nil {
		return nil, nil, a, err
	}
	if a, err = s.st.AudienceOf(ctx, c.ID); err != nil {
		return nil, nil, a, err
	}
	if !edits(actor, a) {
		return nil, nil, a, notFound
	}
	return c, v, a, nil
}

// VersionItem is one version in a course's history.
type VersionItem struct {
	Version     int       `json:"version"`
	Title       string    `json:"title"`
	PublishedAt time.Time `json:"published_at"`
	// PublishedBy is the publisher's display name; "" when the operator
	// published it (shipped, shell import, or before this was recorded).
	PublishedBy string `json:"published_by"`
	Lessons     int    `json:"lessons"`
	Current     bool   `json:"current"`
}

// History is a course's management view: its versions, audience, whether
// it is withdrawn, and its review requests.
type History struct {
	Slug       string        `json:"slug"`
	Title      string        `json:"title"`
	Visibility string        `json:"visibility"`
	Withdrawn  bool          `json:"withdrawn"`
	Versions   []VersionItem `json:"versions"`
	Reviews    []Review      `json:"reviews"`
}

// historyReviews is how many of a course's latest review requests its
// history shows.
const historyReviews = 10

// Versions returns a course's history for one of its editors.
func (s *Service) Versions(ctx context.Context, actor account.Principal, slug string) (*History, error) {
	c, cur, _, err := s.editable(ctx, actor, slug)
	if err != nil {
		return nil, err
	}
	rows, err := s.st.VersionHistory(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	h := &History{Slug: c.Slug, Title: cur.Title, Visibility: c.Visibility, Withdrawn: !c.Published,
		Versions: make([]VersionItem, 0, len(rows))}
	for _, r := range rows {
		h.Versions = append(h.Versions, VersionItem{Version: r.Version, Title: r.Title, PublishedAt: r.PublishedAt,
			PublishedBy: r.ByName, Lessons: r.Lessons, Current: r.ID == cur.ID})
	}
	rs, err := s.st.ListReviews(ctx, store.ReviewQuery{Owned: store.OwnedFilter{All: true}, CourseID: c.ID, Limit: historyReviews})
	if err != nil {
		return nil, err
	}
	h.Reviews = reviewsOf(rs)
	return h, nil
}

// FieldChange is one changed field: of course.yaml, or of a lesson.
type FieldChange struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// QuestionChange is a quiz question added, removed or changed.
type QuestionChange struct {
	ID     string `json:"id"`
	Change string `json:"change"` // added, removed, changed
	Prompt string `json:"prompt"`
	// Fields names what changed in a changed question (prompt, options,
	// answer, explanation, type, shuffle).
	Fields []string `json:"fields,omitempty"`
}

// LessonChange is one lesson that differs between two versions, matched
// by slug (progress is kept by slug, so this is what learners see too).
type LessonChange struct {
	Slug string `json:"slug"`
	// Change is added, removed, changed, or renamed: a slug that vanished
	// while another with the same body appeared (learners' progress on the
	// old slug does not carry over).
	Change    string           `json:"change"`
	Title     string           `json:"title"`
	FromSlug  string           `json:"from_slug,omitempty"`
	Fields    []FieldChange    `json:"fields"`
	Lines     []DiffLine       `json:"lines"`
	Questions []QuestionChange `json:"questions"`
}

// Diff is what changed from one version of a course to another.
type Diff struct {
	Slug      string         `json:"slug"`
	From      int            `json:"from"`
	To        int            `json:"to"`
	Fields    []FieldChange  `json:"fields"`
	Lessons   []LessonChange `json:"lessons"`
	Unchanged int            `json:"unchanged_lessons"`
	Assets    []FieldChange  `json:"assets"` // field: the path; from/to: "present" or ""
}

// Diff compares two versions of a course its editor may see; the same
// version twice is an empty diff.
func (s *Service) Diff(ctx context.Context, actor account.Principal, slug string, from, to int) (*Diff, error) {
	if _, _, _, err := s.editable(ctx, actor, slug); err != nil {
		return nil, err
	}
	a, err := s.exportVersion(ctx, slug, from)
	if err != nil {
		return nil, err
	}
	b, err := s.exportVersion(ctx, slug, to)
	if err != nil {
		return nil, err
	}
	return diffPackages(a, b), nil
}

func (s *Service) exportVersion(ctx context.Context, slug string, version int) (*course.Package, error) {
	if version <= 0 {
		return nil, errs.New(errs.Invalid, "author.error.version_invalid").With("field", "version")
	}
	p, err := course.ExportVersion(ctx, s.st, slug, version)
	if errors.Is(err, errs.ErrNotFound) {
		return nil, errs.New(errs.NotFound, "author.error.version_not_found").With("version", version)
	}
	return p, err
}

func diffPackages(a, b *course.Package) *Diff {
	d := &Diff{Slug: a.Slug, From: a.Version, To: b.Version, Fields: []FieldChange{}, Lessons: []LessonChange{}, Assets: []FieldChange{}}
	field := func(out *[]FieldChange, name, x, y string) {
		if x != y {
			*out = append(*out, FieldChange{Field: name, From: x, To: y})
		}
	}
	field(&d.Fields, "title", a.Title, b.Title)
	field(&d.Fields, "summary", a.Summary, b.Summary)
	field(&d.Fields, "language", a.Language, b.Language)
	field(&d.Fields, "audience", strings.Join(a.Audience, ", "), strings.Join(b.Audience, ", "))
	field(&d.Fields, "level", a.Level, b.Level)
	field(&d.Fields, "study_hours", strconv.FormatFloat(a.StudyHours, 'f', -1, 64), strconv.FormatFloat(b.StudyHours, 'f', -1, 64))
	field(&d.Fields, "pass_score", strconv.Itoa(a.PassScore), strconv.Itoa(b.PassScore))
	field(&d.Fields, "translation_of", a.TranslationOf, b.TranslationOf)
	field(&d.Fields, "reviewed", a.Reviewed, b.Reviewed)

	old := map[string]course.Lesson{}
	for _, l := range a.Lessons {
		old[l.Slug] = l
	}
	now := map[string]bool{}
	var added []course.Lesson
	for _, l := range b.Lessons {
		now[l.Slug] = true
		o, ok := old[l.Slug]
		if !ok {
			added = append(added, l)
			continue
		}
		ch := LessonChange{Slug: l.Slug, Change: "changed", Title: l.Title, Fields: []FieldChange{}}
		field(&ch.Fields, "title", o.Title, l.Title)
		field(&ch.Fields, "file", o.File, l.File)
		field(&ch.Fields, "minutes", strconv.Itoa(o.Minutes), strconv.Itoa(l.Minutes))
		ch.Lines = nonNilLines(lineDiff(o.Body, l.Body))
		ch.Questions = questionChanges(o.Questions, l.Questions)
		if len(ch.Fields) == 0 && len(ch.Lines) == 0 && len(ch.Questions) == 0 {
			d.Unchanged++
			continue
		}
		d.Lessons = append(d.Lessons, ch)
	}
	removed := map[string]course.Lesson{}
	for _, l := range a.Lessons {
		if !now[l.Slug] {
			removed[l.Slug] = l
		}
	}
	for _, l := range added {
		ch := LessonChange{Slug: l.Slug, Change: "added", Title: l.Title, Fields: []FieldChange{},
			Questions: questionChanges(nil, l.Questions)}
		for _, r := range a.Lessons {
			if _, gone := removed[r.Slug]; gone && r.Body == l.Body {
				ch.Change, ch.FromSlug = "renamed", r.Slug
				field(&ch.Fields, "title", r.Title, l.Title)
				field(&ch.Fields, "file", r.File, l.File)
				ch.Questions = questionChanges(r.Questions, l.Questions)
				delete(removed, r.Slug)
				break
			}
		}
		if ch.Change == "added" {
			ch.Lines = nonNilLines(lineDiff("", l.Body))
		} else {
			ch.Lines = []DiffLine{}
		}
		d.Lessons = append(d.Lessons, ch)
	}
	for _, l := range a.Lessons {
		if _, gone := removed[l.Slug]; gone {
			d.Lessons = append(d.Lessons, LessonChange{Slug: l.Slug, Change: "removed", Title: l.Title, Fields: []FieldChange{},
				Lines: nonNilLines(lineDiff(l.Body, "")), Questions: questionChanges(l.Questions, nil)})
		}
	}

	paths := map[string]bool{}
	for p := range a.Assets {
		paths[p] = true
	}
	for p := range b.Assets {
		paths[p] = true
	}
	names := make([]string, 0, len(paths))
	for p := range paths {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		x, inA := a.Assets[p]
		y, inB := b.Assets[p]
		switch {
		case inA && !inB:
			d.Assets = append(d.Assets, FieldChange{Field: p, From: "present"})
		case !inA && inB:
			d.Assets = append(d.Assets, FieldChange{Field: p, To: "present"})
		case !bytes.Equal(x, y):
			d.Assets = append(d.Assets, FieldChange{Field: p, From: "present", To: "present"})
		}
	}
	return d
}

func nonNilLines(ls []DiffLine) []DiffLine {
	if ls == nil {
		return []DiffLine{}
	}
	return ls
}

// questionChanges matches questions by id within a lesson.
func questionChanges(a, b []course.Question) []QuestionChange {
	out := []QuestionChange{}
	old := map[string]course.Question{}
	for _, q := range a {
		old[q.ID] = q
	}
	seen := map[string]bool{}
	for _, q := range b {
		seen[q.ID] = true
		o, ok := old[q.ID]
		if !ok {
			out = append(out, QuestionChange{ID: q.ID, Change: "added", Prompt: q.Prompt})
			continue
		}
		var fields []string
		if o.Type != q.Type {
			fields = append(fields, "type")
		}
		if o.Prompt != q.Prompt {
			fields = append(fields, "prompt")
		}
		if !sameJSON(o.Options, q.Options) {
			fields = append(fields, "options")
		}
		if !sameJSON(o.Answer, q.Answer) {
			fields = append(fields, "answer")
		}
		if o.Explanation != q.Explanation {
			fields = append(fields, "explanation")
		}
		if o.Fixed != q.Fixed {
			fields = append(fields, "shuffle")
		}
		if len(fields) > 0 {
			out = append(out, QuestionChange{ID: q.ID, Change: "changed", Prompt: q.Prompt, Fields: fields})
		}
	}
	for _, q := range a {
		if !seen[q.ID] {
			out = append(out, QuestionChange{ID: q.ID, Change: "removed", Prompt: q.Prompt})
		}
	}
	return out
}

func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// Republish publishes an older version's content again as the newest
// version: the version is exported as a package, renumbered and imported
// exactly as an upload would be, keeping the course's owner and audience.
// Learners' progress is kept by lesson slug, so lessons that exist in the
// republished version keep theirs.
func (s *Service) Republish(ctx context.Context, actor account.Principal, slug string, version int, ip string) (*Published, error) {
	c, cur, a, err := s.editable(ctx, actor, slug)
	if err != nil {
		return nil, err
	}
	p, err := s.exportVersion(ctx, slug, version)
	if err != nil {
		return nil, err
	}
	if version == cur.Version {
		return nil, errs.New(errs.Conflict, "author.error.republish_current").With("version", version)
	}
	// Versions only grow (an older number is refused on import), so the
	// current one is the latest.
	p.Version = cur.Version + 1
	var buf bytes.Buffer
	if err := p.WriteZip(&buf); err != nil {
		return nil, err
	}
	pkgs, err := loadOne(buf.Bytes())
	if err != nil {
		return nil, err
	}
	var owner *store.Institution
	if c.OwnerInstitutionID != nil {
		if owner, err = s.st.InstitutionByID(ctx, a.OwnerInstitutionID); err != nil {
			return nil, err
		}
	}
	return s.store(ctx, actor, pkgs, owner, "", ip, "course.republish", fmt.Sprintf("content of version %d", version))
}

// SetWithdrawn withdraws a course (off the catalogue, no new enrolments;
// enrolled learners keep reading it, their records and certificates stay)
// or publishes it again.
func (s *Service) SetWithdrawn(ctx context.Context, actor account.Principal, slug string, withdrawn bool, ip string) error {
	c, _, a, err := s.editable(ctx, actor, slug)
	if err != nil {
		return err
	}
	action := "course.withdraw"
	if !withdrawn {
		action = "course.unwithdraw"
	}
	entry := actor.AuditEntry(action, "course:"+slug, ip, "")
	targetOf(entry, a)
	if err := s.st.SetCoursePublished(ctx, c.ID, !withdrawn, entry); err != nil {
		return err
	}
	s.changed()
	return nil
}

// targetOf records the course owner's place on an audit entry, so scoped
// audit readers find it.
func targetOf(e *store.AuditEntry, a store.CourseAudience) {
	if a.OwnerInstitutionID != 0 {
		id, rc := a.OwnerInstitutionID, a.OwnerRegion
		e.TargetInstitutionID, e.TargetRegionCode = &id, &rc
	}
}
