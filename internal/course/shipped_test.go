package course

import (
	"bytes"
	"path/filepath"
	"reflect"
	"testing"
)

// TestShippedCourses loads the curriculum in /courses exactly as the server
// does, renders every lesson, and checks every course survives export and
// re-import unchanged.
func TestShippedCourses(t *testing.T) {
	const dir = "../../courses"
	// The server embeds courses/: a tree without any course would ship a
	// platform with nothing to learn, so that fails rather than skips.
	if found, _ := filepath.Glob(filepath.Join(dir, "*", "course.yaml")); len(found) == 0 {
		t.Fatalf("no shipped course: nothing matches %s", filepath.Join(dir, "*", "course.yaml"))
	}
	pkgs, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkgs {
		t.Run(p.Slug, func(t *testing.T) {
			for _, l := range p.Lessons {
				if _, err := RenderMarkdown(l.Body, "/media/courses/"+p.Slug+"/1/"); err != nil {
					t.Errorf("%s: %v", l.File, err)
				}
			}
			var buf bytes.Buffer
			if err := p.WriteZip(&buf); err != nil {
				t.Fatal(err)
			}
			again, err := LoadZip(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(again[0], p) {
				t.Error("export and re-import changed the course")
			}
		})
	}
}
