package course

import (
	"bytes"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
)

// strictShipped turns problems in the shipped courses into test failures.
// It is false while the curriculum is still being written; set it to true
// once courses/ is complete.
const strictShipped = true

// TestShippedCourses loads the curriculum in /courses exactly as the server
// does, renders every lesson, and checks every course survives export and
// re-import unchanged.
func TestShippedCourses(t *testing.T) {
	const dir = "../../courses"
	if found, _ := filepath.Glob(filepath.Join(dir, "*", "course.yaml")); len(found) == 0 {
		t.Skip("no shipped course has a course.yaml yet")
	}
	pkgs, err := Load(dir)
	if err != nil {
		var ve *ValidationError
		if !strictShipped && errors.As(err, &ve) {
			t.Skipf("shipped courses are not valid yet (content is being written):\n%v", err)
		}
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
