package course

import (
	"context"
	"io/fs"

	"github.com/xuetang-edu/xuetang/internal/store"
)

// What the browser editor needs of the package format: it keeps a course as
// structured fields, writes them out as package files and checks those with
// the same parser an uploaded zip goes through, so an edited course and an
// imported one can never be judged by different rules.

// Files renders the package as the files of a package folder, keyed by path.
func (p *Package) Files() (map[string][]byte, error) { return p.files() }

// ParseFiles checks a package given as its files (as Files returns them):
// the package, or a *ValidationError listing every problem.
func ParseFiles(files map[string][]byte) (*Package, error) {
	fsys := memFS{}
	for name, data := range files {
		if !fs.ValidPath(name) || name == "." {
			return nil, &ValidationError{Problems: []Problem{{File: name, Message: "not a clean relative path"}}}
		}
		fsys[name] = &memFile{data: data, mode: 0o644}
	}
	return Parse(fsys)
}

// CheckLessonBody reports what the importer would refuse in a lesson body
// (raw HTML, images not among assets, overlong lines), with lines counted
// from 1 at the body's first line and File left empty.
func CheckLessonBody(body string, assets map[string][]byte) []Problem {
	ps := &problems{}
	checkBody("", body, 1, assets, ps)
	return ps.sorted()
}

// CheckSVG applies the package SVG allow-list: the line and reason of the
// first thing refused, or "" when the drawing is acceptable.
func CheckSVG(data []byte) (line int, problem string) { return checkSVG(data) }

// ImportDraft stores one package published from a browser draft, as
// ImportAs would, and removes the draft in the same transaction.
func ImportDraft(ctx context.Context, st ImportStore, p *Package, owner *int64, visibility string, audit *store.AuditEntry, draftID int64) (ImportResult, error) {
	in, err := toImport(p)
	if err != nil {
		return ImportResult{}, err
	}
	in.Owner, in.Visibility, in.Audit, in.DraftID = owner, visibility, audit, draftID
	outcomes, err := st.ImportCourses(ctx, []store.CourseImport{in})
	if err != nil {
		return ImportResult{}, err
	}
	return ImportResult{Slug: p.Slug, Version: p.Version, Outcome: outcomes[0]}, nil
}

// ValidSlug reports whether s may name a course or a lesson.
func ValidSlug(s string) bool { return len(s) <= MaxSlugLen && slugRe.MatchString(s) }

// AssetTypes are the file extensions an asset may have, with the dot.
func AssetTypes() []string { return append([]string(nil), assetTypes...) }
