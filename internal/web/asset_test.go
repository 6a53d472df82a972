package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/xuetang-edu/xuetang/courses"
	"github.com/xuetang-edu/xuetang/internal/course"
	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

func TestCourseMedia(t *testing.T) {
	t.Parallel()
	c := coursetest.Simple("media")
	c.Version = 2
	cs := newCourseServer(t, storetest.Backends(t)[0], c)
	anon := cs.client()
	rec := anon.do(request{method: "GET", path: "/media/courses/media/2/assets/pic.svg"})
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/svg+xml" || rec.Body.String() != coursetest.SVG {
		t.Errorf("asset = %d %q %q", rec.Code, rec.Header().Get("Content-Type"), truncate(rec.Body.String()))
	}
	for _, p := range []string{
		"/media/courses/media/1/assets/pic.svg",
		"/media/courses/media/2/assets/none.svg",
		"/media/courses/media/2/assets/../course.yaml",
		"/media/courses/other/2/assets/pic.svg",
		"/media/courses/media/x/assets/pic.svg",
	} {
		if rec := anon.do(request{method: "GET", path: p}); rec.Code != 404 {
			t.Errorf("%s = %d, want 404", p, rec.Code)
		}
	}
}

// The shipped curriculum is what a new installation teaches from day one;
// its images must be served where its lessons point.
func TestShippedCourseAssetsServed(t *testing.T) {
	t.Parallel()
	cs := newCourseServer(t, storetest.Backends(t)[0])
	pkgs, err := course.LoadFS(courses.FS())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := course.Import(context.Background(), cs.st, pkgs); err != nil {
		t.Fatal(err)
	}
	// Asset addresses carry the course version, which a rework bumps.
	version := 0
	for _, p := range pkgs {
		if p.Slug == "computer-basics" {
			version = p.Version
		}
	}
	base := fmt.Sprintf("/media/courses/computer-basics/%d/assets/", version)
	rec := cs.client().do(request{method: "GET", path: base + "keyboard.svg"})
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/svg+xml" || !strings.Contains(rec.Body.String(), "<svg") {
		t.Errorf("keyboard.svg = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	ls := coursetest.Lessons(t, cs.st, "computer-basics")
	linked := false
	for _, l := range ls {
		full, err := cs.st.LessonByID(context.Background(), l.ID)
		if err != nil {
			t.Fatal(err)
		}
		linked = linked || strings.Contains(full.HTML, `src="`+base+`keyboard.svg"`)
	}
	if !linked {
		t.Error("no lesson of computer-basics shows keyboard.svg")
	}
}
