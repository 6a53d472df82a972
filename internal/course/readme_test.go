package course_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/xuetang-edu/xuetang/courses"
	"github.com/xuetang-edu/xuetang/internal/course"
)

const readmePath = "../../courses/README.md"

// TestCoursesREADME keeps courses/README.md, the list of shipped courses, in
// step with the courses. After adding or changing a course, regenerate it:
//
//	XUETANG_UPDATE_README=1 go test ./internal/course/ -run TestCoursesREADME
func TestCoursesREADME(t *testing.T) {
	pkgs, err := course.LoadFS(courses.FS())
	if err != nil {
		t.Fatalf("the shipped curriculum does not validate:\n%v", err)
	}
	want := coursesREADME(pkgs)
	if os.Getenv("XUETANG_UPDATE_README") != "" {
		if err := os.WriteFile(readmePath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatalf("%v; generate it with XUETANG_UPDATE_README=1 go test ./internal/course/ -run TestCoursesREADME", err)
	}
	if string(got) != want {
		t.Errorf("courses/README.md does not list the shipped courses as they are; regenerate it with\n" +
			"XUETANG_UPDATE_README=1 go test ./internal/course/ -run TestCoursesREADME")
	}
}

func coursesREADME(pkgs []*course.Package) string {
	var b strings.Builder
	b.WriteString(`# The shipped courses

<!-- Generated from the course packages; do not edit by hand. Regenerate with
XUETANG_UPDATE_README=1 go test ./internal/course/ -run TestCoursesREADME -->

Each folder here is a course package (format: [docs/COURSES.md](../docs/COURSES.md)); the server
loads them all at start-up. Every zh-CN course has an English translation, named after it with
` + "`-en`" + `. Minutes are the lessons' declared minutes; 学时 (study hours) are credited at 45
minutes each. [glossary.yaml](glossary.yaml) holds the terms the courses use.
`)
	audienceName := map[string]string{"senior": "seniors", "adult": "adults", "pupil": "pupils", "cadre": "cadres"}
	for _, lang := range []string{"zh-CN", "en"} {
		var list []*course.Package
		for _, p := range pkgs {
			if p.Language == lang {
				list = append(list, p)
			}
		}
		slices.SortFunc(list, func(a, b *course.Package) int { return strings.Compare(a.Slug, b.Slug) })
		fmt.Fprintf(&b, "\n## %s: %d courses\n\n", lang, len(list))
		b.WriteString("| Course | Title | Audience | Lessons | Minutes | 学时 | Facts checked |\n")
		b.WriteString("|---|---|---|--:|--:|--:|---|\n")
		lessons, minutes, hours := 0, 0, 0.0
		count := map[string]int{}
		for _, p := range list {
			m := 0
			for _, l := range p.Lessons {
				m += l.Minutes
			}
			var aud []string
			for _, a := range p.Audience {
				aud = append(aud, audienceName[a])
				count[a]++
			}
			reviewed := p.Reviewed
			if reviewed == "" {
				reviewed = "-"
			}
			fmt.Fprintf(&b, "| [%s](%s/) | %s | %s | %d | %d | %s | %s |\n", p.Slug, p.Slug,
				strings.ReplaceAll(p.Title, "|", "\\|"), strings.Join(aud, ", "), len(p.Lessons), m,
				strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", p.StudyHours), "0"), "."), reviewed)
			lessons += len(p.Lessons)
			minutes += m
			hours += p.StudyHours
		}
		fmt.Fprintf(&b, "| **Total** | | | %d | %d | %s | |\n", lessons, minutes,
			strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", hours), "0"), "."))
		fmt.Fprintf(&b, "\nCourses by audience (a course may serve several): seniors %d, adults %d, pupils %d, cadres %d.\n",
			count["senior"], count["adult"], count["pupil"], count["cadre"])
	}
	return b.String()
}
