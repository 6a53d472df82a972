package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuetang-edu/xuetang/internal/config"
	"github.com/xuetang-edu/xuetang/internal/course"
	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// coursesEnv is a fresh installation: its own SQLite data dir, or its own
// MySQL database on the MySQL backend.
func coursesEnv(t *testing.T, b storetest.Backend) map[string]string {
	t.Helper()
	env := map[string]string{"XUETANG_DATA_DIR": t.TempDir(), "XUETANG_LOG_LEVEL": "warn"}
	if b.URL != "" {
		env["XUETANG_DATABASE_URL"] = storetest.FreshMySQLURL(t, b.URL)
	}
	return env
}

// xuetang runs the program in-process.
func xuetang(env map[string]string, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(""), &out, &errOut, mapEnv(env))
	return code, out.String(), errOut.String()
}

// appStore opens the database the commands wrote to.
func appStore(t *testing.T, env map[string]string) *store.Store {
	t.Helper()
	o := store.Options{SQLitePath: filepath.Join(env["XUETANG_DATA_DIR"], "xuetang.db"), DatabaseURL: env["XUETANG_DATABASE_URL"]}
	st, err := store.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

func courseRows(t *testing.T, st *store.Store) (courses, versions, lessons int) {
	t.Helper()
	for tbl, n := range map[string]*int{"courses": &courses, "course_versions": &versions, "lessons": &lessons} {
		if err := st.DB().QueryRow("SELECT COUNT(*) FROM " + tbl).Scan(n); err != nil {
			t.Fatal(err)
		}
	}
	return
}

// badCourse has two problems in two files, each reported with its line.
func badCourse() coursetest.Course {
	c := coursetest.Simple("bad")
	c.Lessons[0].Questions[0].Answer = "3" // of 3 options, counting from 0
	c.Lessons[1].Body += "![gone](assets/missing.png)\n"
	return c
}

func TestCoursesImportCommand(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		env := coursesEnv(t, b)
		dir := t.TempDir()
		good := coursetest.WriteDir(t, filepath.Join(dir, "good"), coursetest.Simple("good"))

		code, out, errOut := xuetang(env, "courses", "import", filepath.Join(good, "good"))
		if code != 0 || !strings.Contains(out, "good version 1: created") {
			t.Fatalf("import a course folder: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		code, out, _ = xuetang(env, "courses", "import", good) // a folder of courses
		if code != 0 || !strings.Contains(out, "good version 1: unchanged") {
			t.Errorf("import again: exit %d, stdout %q", code, out)
		}
		st := appStore(t, env)
		c0, v0, l0 := courseRows(t, st)

		// A bad package next to a good new one: exit 1, every problem with
		// file and line, nothing imported.
		set := coursetest.WriteDir(t, filepath.Join(dir, "set"), coursetest.Simple("fresh"), badCourse())
		code, out, errOut = xuetang(env, "courses", "import", set)
		if code != 1 {
			t.Errorf("bad package: exit %d, want 1", code)
		}
		for _, want := range []string{
			"nothing imported",
			"bad/01-intro.md:9: answer 3 is not one of the 3 options",
			"bad/02-practice.md:",
			"missing.png",
		} {
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr lacks %q:\n%s", want, errOut)
			}
		}
		if strings.Contains(out, "created") {
			t.Errorf("stdout claims an import: %q", out)
		}
		if c, v, l := courseRows(t, st); c != c0 || v != v0 || l != l0 {
			t.Errorf("rows changed by a refused import: %d/%d/%d -> %d/%d/%d", c0, v0, l0, c, v, l)
		}
		if _, _, err := st.CourseBySlug(context.Background(), "fresh"); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("the good package beside the bad one was imported: %v", err)
		}

		// The same version with other content: refused, exit 1.
		changed := coursetest.Simple("good")
		changed.Title = "Edited without a new version"
		code, _, errOut = xuetang(env, "courses", "import", coursetest.WriteDir(t, filepath.Join(dir, "changed"), changed))
		if code != 1 || !strings.Contains(errOut, "nothing imported") {
			t.Errorf("changed content, same version: exit %d, stderr %q", code, errOut)
		}

		code, _, errOut = xuetang(env, "courses", "import", filepath.Join(dir, "does-not-exist"))
		if code != 1 || !strings.Contains(errOut, "no such file or folder") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("missing path: exit %d, stderr %q", code, errOut)
		}
		if code, _, _ := xuetang(env, "courses", "import"); code != 2 {
			t.Errorf("no path: exit %d, want 2", code)
		}
	})
}

func TestCoursesExportCommand(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		env := coursesEnv(t, b)
		dir := t.TempDir()
		orig := coursetest.Simple("exported")
		orig.Assets["assets/photo.png"] = "\x89PNG\r\n\x1a\n\x00binary"
		src := coursetest.WriteDir(t, filepath.Join(dir, "src"), orig)
		if code, _, errOut := xuetang(env, "courses", "import", src); code != 0 {
			t.Fatalf("import: %s", errOut)
		}
		zipPath := filepath.Join(dir, "exported.zip")
		code, out, errOut := xuetang(env, "courses", "export", "exported", "--out", zipPath)
		if code != 0 || !strings.Contains(out, "exported exported version 1") {
			t.Fatalf("export: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		got, err := course.Load(zipPath)
		if err != nil {
			t.Fatalf("the exported zip does not load: %v", err)
		}
		want := coursetest.Load(t, orig)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("exported package differs from the imported one")
		}
		// It imports into another installation as the same course.
		other := coursesEnv(t, b)
		code, out, errOut = xuetang(other, "courses", "import", zipPath)
		if code != 0 || !strings.Contains(out, "exported version 1: created") {
			t.Errorf("import the export elsewhere: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		// And back into the first as a no-op.
		if code, out, _ := xuetang(env, "courses", "import", zipPath); code != 0 || !strings.Contains(out, "unchanged") {
			t.Errorf("re-import of the export: exit %d, stdout %q", code, out)
		}

		code, _, errOut = xuetang(env, "courses", "export", "no-such-course", "--out", filepath.Join(dir, "x.zip"))
		if code != 1 || errOut == "" {
			t.Errorf("unknown course: exit %d, stderr %q", code, errOut)
		}
		if _, err := os.Stat(filepath.Join(dir, "x.zip")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a failed export left a file: %v", err)
		}
		if code, _, _ := xuetang(env, "courses", "export", "exported"); code != 2 {
			t.Errorf("no --out: exit %d, want 2", code)
		}
	})
}

func shippedLoader(t *testing.T, env map[string]string) (config.Config, *store.Store, *bytes.Buffer, *slog.Logger) {
	t.Helper()
	cfg, err := config.FromEnv(mapEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	return cfg, appStore(t, env), &logs, log
}

// The embedded curriculum loads at start-up, and a restart finds it
// unchanged.
func TestLoadShippedCourses(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		cfg, st, logs, log := shippedLoader(t, coursesEnv(t, b))
		if err := loadShippedCourses(ctx, cfg, st, log); err != nil {
			t.Fatal(err)
		}
		first := logLine(logs.String(), "courses loaded")
		if first == nil || first["created"].(float64) < 16 || first["created"] != first["courses"] {
			t.Fatalf("first load: %v", first)
		}
		logs.Reset()
		if err := loadShippedCourses(ctx, cfg, st, log); err != nil {
			t.Fatal(err)
		}
		if again := logLine(logs.String(), "courses loaded"); again == nil || again["unchanged"] != first["courses"] {
			t.Errorf("restart: %v, want every course unchanged", again)
		}
	})
}

// An administrator may import their own newer version of a shipped course.
// The next start must keep it and still load the other shipped courses,
// not refuse to start.
func TestShippedCoursesKeepAnAdministratorsVersion(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		env := coursesEnv(t, b)
		dir := t.TempDir()
		mine := coursetest.Simple("shipped-a")
		mine.Version, mine.Title = 2, "Our own edition"
		if code, _, errOut := xuetang(env, "courses", "import", coursetest.WriteDir(t, filepath.Join(dir, "mine"), mine)); code != 0 {
			t.Fatal(errOut)
		}
		env["XUETANG_COURSES_DIR"] = coursetest.WriteDir(t, filepath.Join(dir, "shipped"),
			coursetest.Simple("shipped-a"), coursetest.Simple("shipped-b"))
		cfg, st, logs, log := shippedLoader(t, env)
		if err := loadShippedCourses(ctx, cfg, st, log); err != nil {
			t.Fatalf("start-up refused: %v", err)
		}
		if _, v, err := st.CourseBySlug(ctx, "shipped-a"); err != nil || v.Version != 2 || v.Title != "Our own edition" {
			t.Errorf("shipped-a = %+v, %v; want the administrator's version 2", v, err)
		}
		if _, _, err := st.CourseBySlug(ctx, "shipped-b"); err != nil {
			t.Errorf("shipped-b not loaded: %v", err)
		}
		if !strings.Contains(logs.String(), "shipped-a") {
			t.Errorf("no warning names the skipped course:\n%s", logs.String())
		}
	})
}
