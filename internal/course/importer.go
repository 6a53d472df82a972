package course

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"path"
	"sort"
	"strings"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// ImportStore is what importing and exporting need from the database.
type ImportStore interface {
	ImportCourses(ctx context.Context, ins []store.CourseImport) ([]store.ImportOutcome, error)
	CourseBySlug(ctx context.Context, slug string) (*store.Course, *store.CourseVersion, error)
	VersionByNumber(ctx context.Context, courseID int64, version int) (*store.CourseVersion, error)
	LessonsWithBodies(ctx context.Context, versionID int64) ([]store.Lesson, error)
	QuestionsOfLesson(ctx context.Context, lessonID int64) ([]store.Question, error)
	AssetsOfVersion(ctx context.Context, versionID int64) ([]store.CourseAsset, error)
}

// ImportResult reports what happened to one package.
type ImportResult struct {
	Slug    string
	Version int
	Outcome store.ImportOutcome
}

// AssetBase is the URL prefix under which a version's assets are served.
func AssetBase(slug string, version int) string {
	return fmt.Sprintf("/media/courses/%s/%d/", slug, version)
}

// Import stores validated packages, all in one transaction: a conflict in
// any of them imports none.
func Import(ctx context.Context, st ImportStore, pkgs []*Package) ([]ImportResult, error) {
	return ImportAs(ctx, st, pkgs, nil, "", nil)
}

// ImportAs stores packages published by an institution (owner nil: by the
// operator) with a visibility ("" keeps a course's, public for a new one).
// A slug first published by another institution is errs.Conflict. audit,
// when set, is written with the first package in the same transaction.
func ImportAs(ctx context.Context, st ImportStore, pkgs []*Package, owner *int64, visibility string, audit *store.AuditEntry) ([]ImportResult, error) {
	return ImportReviewed(ctx, st, pkgs, owner, visibility, audit, nil)
}

// ImportReviewed is ImportAs that also files review, when set, for the
// first package's course in the same transaction: a request for more
// visibility than the publisher may grant.
func ImportReviewed(ctx context.Context, st ImportStore, pkgs []*Package, owner *int64, visibility string, audit *store.AuditEntry, review *store.CourseReview) ([]ImportResult, error) {
	ins := make([]store.CourseImport, 0, len(pkgs))
	for _, p := range pkgs {
		in, err := toImport(p)
		if err != nil {
			return nil, err
		}
		in.Owner, in.Visibility = owner, visibility
		if audit != nil {
			in.By = audit.ActorID
		}
		if len(ins) == 0 {
			in.Audit, in.Review = audit, review
		}
		ins = append(ins, in)
	}
	outcomes, err := st.ImportCourses(ctx, ins)
	if err != nil {
		return nil, err
	}
	res := make([]ImportResult, len(pkgs))
	for i, p := range pkgs {
		res[i] = ImportResult{Slug: p.Slug, Version: p.Version, Outcome: outcomes[i]}
	}
	return res, nil
}

// Checksum identifies a package's content, so re-importing the same version
// is recognised as a no-op and a changed one under an old number is refused.
func Checksum(p *Package) string {
	b, _ := json.Marshal(p) // maps marshal with sorted keys: deterministic
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func toImport(p *Package) (store.CourseImport, error) {
	group := p.Slug
	if p.TranslationOf != "" {
		group = p.TranslationOf
	}
	in := store.CourseImport{
		Slug: p.Slug, Language: p.Language, TranslationGroup: group,
		Version: store.CourseVersion{
			Version: p.Version, Title: p.Title, Summary: p.Summary, Audience: strings.Join(p.Audience, ","),
			Level: p.Level, StudyHours: p.StudyHours, PassScore: p.PassScore, TranslationOf: p.TranslationOf,
			Reviewed: p.Reviewed, Checksum: Checksum(p),
		},
	}
	base := AssetBase(p.Slug, p.Version)
	for i, l := range p.Lessons {
		html, err := RenderMarkdown(l.Body, base)
		if err != nil {
			return in, errs.Wrap(errs.Invalid, "error.course_render", err).With("file", l.File)
		}
		li := store.LessonImport{Lesson: store.Lesson{Slug: l.Slug, FileName: l.File, Position: i + 1, Title: l.Title,
			Minutes: l.Minutes, Body: l.Body, HTML: html}}
		for j, q := range l.Questions {
			opts, _ := json.Marshal(nonNil(q.Options))
			ans, _ := json.Marshal(q.Answer)
			li.Questions = append(li.Questions, store.Question{QID: q.ID, Position: j + 1, Type: q.Type, Prompt: q.Prompt,
				Options: string(opts), Answer: string(ans), Explanation: q.Explanation, FixedOrder: q.Fixed})
		}
		in.Lessons = append(in.Lessons, li)
	}
	names := make([]string, 0, len(p.Assets))
	for name := range p.Assets {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			ct = "application/octet-stream"
		}
		in.Assets = append(in.Assets, store.CourseAsset{Path: name, ContentType: ct, Data: p.Assets[name]})
	}
	return in, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// QuestionFromStore rebuilds a gradable question from its stored row.
func QuestionFromStore(q store.Question) (Question, error) {
	out := Question{ID: q.QID, Type: q.Type, Prompt: q.Prompt, Explanation: q.Explanation, Fixed: q.FixedOrder}
	if err := json.Unmarshal([]byte(q.Options), &out.Options); err != nil {
		return out, fmt.Errorf("question %d options: %w", q.ID, err)
	}
	if len(out.Options) == 0 {
		out.Options = nil
	}
	if err := json.Unmarshal([]byte(q.Answer), &out.Answer); err != nil {
		return out, fmt.Errorf("question %d answer: %w", q.ID, err)
	}
	return out, nil
}

// Export rebuilds the current version of a course as a package that imports
// back to the same course.
func Export(ctx context.Context, st ImportStore, slug string) (*Package, error) {
	return ExportVersion(ctx, st, slug, 0)
}

// ExportVersion rebuilds one version of a course (0: the current one).
func ExportVersion(ctx context.Context, st ImportStore, slug string, version int) (*Package, error) {
	c, v, err := st.CourseBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	if version != 0 && version != v.Version {
		if v, err = st.VersionByNumber(ctx, c.ID, version); err != nil {
			return nil, err
		}
	}
	p := &Package{Slug: c.Slug, Title: v.Title, Language: c.Language, Summary: v.Summary, Level: v.Level,
		StudyHours: v.StudyHours, PassScore: v.PassScore, Version: v.Version, TranslationOf: v.TranslationOf,
		Reviewed: v.Reviewed, Assets: map[string][]byte{}}
	if v.Audience != "" {
		p.Audience = strings.Split(v.Audience, ",")
	}
	lessons, err := st.LessonsWithBodies(ctx, v.ID)
	if err != nil {
		return nil, err
	}
	for _, l := range lessons {
		qs, err := st.QuestionsOfLesson(ctx, l.ID)
		if err != nil {
			return nil, err
		}
		pl := Lesson{Slug: l.Slug, File: l.FileName, Title: l.Title, Minutes: l.Minutes, Body: l.Body}
		for _, q := range qs {
			cq, err := QuestionFromStore(q)
			if err != nil {
				return nil, err
			}
			pl.Questions = append(pl.Questions, cq)
		}
		p.Lessons = append(p.Lessons, pl)
	}
	assets, err := st.AssetsOfVersion(ctx, v.ID)
	if err != nil {
		return nil, err
	}
	for _, a := range assets {
		p.Assets[a.Path] = a.Data
	}
	return p, nil
}
