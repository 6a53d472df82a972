// Package coursetest builds small course packages for tests, so store,
// learning, web and command tests share one fixture instead of depending on
// the shipped curriculum (which changes as content is written).
package coursetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/xuetang-edu/xuetang/internal/course"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Course describes a package; Files renders it exactly as an author would write it.
type Course struct {
	Slug, Title, Language, Summary, Level, TranslationOf string
	Reviewed                                             string // YYYY-MM, written only when set
	Audience                                             []string
	StudyHours                                           float64
	PassScore, Version                                   int
	Lessons                                              []Lesson
	Assets                                               map[string]string // path under the package -> content
}

// Lesson is one Markdown file.
type Lesson struct {
	File, Title string
	Minutes     int
	Body        string
	Questions   []Q
}

// Q is one question; Answer is raw YAML ("1", "[0, 2]", "true", "[\"110\"]").
type Q struct {
	ID, Type, Prompt string
	Options          []string
	Answer           string
	Explanation      string
	Fixed            bool // shuffle: false
}

// Explanation returns the text every Simple question explains itself with;
// tests search responses for it to prove explanations did not leak.
func Explanation(qid string) string { return "EXPLAIN-" + qid + " because it is so" }

// SVG is the test image.
const SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>`

// Simple returns a valid three-lesson course: two lessons with a quiz of two
// questions each, a last lesson without a quiz showing an image. Its 90
// minutes of lessons hold its 2 study hours (45 minutes each).
//
// Right answers: q1=1, q2=true (lesson 1); q3=[0,2], q4="110" (lesson 2).
func Simple(slug string) Course {
	return Course{
		Slug: slug, Title: "Course " + slug, Language: "zh-CN", Summary: "Summary of " + slug,
		Audience: []string{"adult"}, Level: "beginner", StudyHours: 2, PassScore: 60, Version: 1,
		Lessons: []Lesson{
			{File: "01-intro.md", Title: "Intro", Minutes: 30, Body: "# Intro\n\nHello.\n", Questions: []Q{
				{ID: "q1", Type: "single", Prompt: "Pick B", Options: []string{"A", "B", "C"}, Answer: "1", Explanation: Explanation("q1")},
				{ID: "q2", Type: "true_false", Prompt: "Say true", Answer: "true", Explanation: Explanation("q2")},
			}},
			{File: "02-practice.md", Title: "Practice", Minutes: 40, Body: "Practice text.\n", Questions: []Q{
				{ID: "q3", Type: "multiple", Prompt: "Pick x and z", Options: []string{"x", "y", "z"}, Answer: "[0, 2]", Explanation: Explanation("q3")},
				{ID: "q4", Type: "fill_blank", Prompt: "Police number", Answer: `["110"]`, Explanation: Explanation("q4")},
			}},
			{File: "03-wrapup.md", Title: "Wrap-up", Minutes: 20, Body: "![picture](assets/pic.svg)\n\nThe end.\n"},
		},
		Assets: map[string]string{"assets/pic.svg": SVG},
	}
}

// Files renders the package with its files under prefix ("" for the root).
func (c Course) Files(prefix string) fstest.MapFS {
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	var y strings.Builder
	fmt.Fprintf(&y, "slug: %s\ntitle: %q\nlanguage: %s\nsummary: %q\naudience: [%s]\nlevel: %s\nstudy_hours: %v\npass_score: %d\nversion: %d\n",
		c.Slug, c.Title, c.Language, c.Summary, strings.Join(c.Audience, ", "), c.Level, c.StudyHours, c.PassScore, c.Version)
	if c.TranslationOf != "" {
		fmt.Fprintf(&y, "translation_of: %s\n", c.TranslationOf)
	}
	if c.Reviewed != "" {
		fmt.Fprintf(&y, "reviewed: %s\n", c.Reviewed)
	}
	fsys := fstest.MapFS{prefix + "course.yaml": {Data: []byte(y.String())}}
	for _, l := range c.Lessons {
		var b strings.Builder
		fmt.Fprintf(&b, "---\ntitle: %q\nminutes: %d\n", l.Title, l.Minutes)
		if len(l.Questions) > 0 {
			b.WriteString("questions:\n")
		}
		for _, q := range l.Questions {
			fmt.Fprintf(&b, "  - id: %s\n    type: %s\n    prompt: %q\n", q.ID, q.Type, q.Prompt)
			if len(q.Options) > 0 {
				quoted := make([]string, len(q.Options))
				for i, o := range q.Options {
					quoted[i] = fmt.Sprintf("%q", o)
				}
				fmt.Fprintf(&b, "    options: [%s]\n", strings.Join(quoted, ", "))
			}
			fmt.Fprintf(&b, "    answer: %s\n", q.Answer)
			if q.Explanation != "" {
				fmt.Fprintf(&b, "    explanation: %q\n", q.Explanation)
			}
			if q.Fixed {
				b.WriteString("    shuffle: false\n")
			}
		}
		b.WriteString("---\n")
		b.WriteString(l.Body)
		fsys[prefix+l.File] = &fstest.MapFile{Data: []byte(b.String())}
	}
	for p, data := range c.Assets {
		fsys[prefix+p] = &fstest.MapFile{Data: []byte(data)}
	}
	return fsys
}

// Folder renders several packages as a folder of course folders.
func Folder(cs ...Course) fstest.MapFS {
	out := fstest.MapFS{}
	for _, c := range cs {
		for k, v := range c.Files(c.Slug) {
			out[k] = v
		}
	}
	return out
}

// WriteDir writes the packages as a folder of course folders under dir and
// returns dir; with one course, the course folder itself is dir/slug.
func WriteDir(t testing.TB, dir string, cs ...Course) string {
	t.Helper()
	for name, f := range Folder(cs...) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Load parses the packages, failing the test on any problem.
func Load(t testing.TB, cs ...Course) []*course.Package {
	t.Helper()
	pkgs, err := course.LoadFS(Folder(cs...))
	if err != nil {
		t.Fatalf("test course does not validate: %v", err)
	}
	return pkgs
}

// Import loads and imports the packages in one transaction.
func Import(t testing.TB, st course.ImportStore, cs ...Course) []course.ImportResult {
	t.Helper()
	res, err := course.Import(context.Background(), st, Load(t, cs...))
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return res
}

// Lessons lists the current version's lessons of a course, in order.
func Lessons(t testing.TB, st *store.Store, slug string) []store.Lesson {
	t.Helper()
	ctx := context.Background()
	_, v, err := st.CourseBySlug(ctx, slug)
	if err != nil {
		t.Fatalf("course %s: %v", slug, err)
	}
	ls, err := st.LessonsOfVersion(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// CourseID is the id of the course with this slug.
func CourseID(t testing.TB, st *store.Store, slug string) int64 {
	t.Helper()
	c, _, err := st.CourseBySlug(context.Background(), slug)
	if err != nil {
		t.Fatalf("course %s: %v", slug, err)
	}
	return c.ID
}
