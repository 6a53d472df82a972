package course_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuetang-edu/xuetang/internal/course"
	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// binaryPNG holds every byte value, so a text-mode conversion anywhere on
// the way (YAML, database, zip) would show.
func binaryPNG() string {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return string(b)
}

// roundTripCourse uses every question type, a lesson without a quiz, a
// translation link, a reviewed month, Chinese text and two assets, one of them binary.
func roundTripCourse() coursetest.Course {
	c := coursetest.Simple("round-trip-en")
	c.Language, c.TranslationOf, c.StudyHours, c.Reviewed = "en", "round-trip", 1.5, "2026-11"
	c.Audience = []string{"senior", "cadre"}
	c.Lessons[0].Body = "# 标题\n\n中文正文，带 **粗体** 和一张图：\n\n![键盘](assets/img/photo.png)\n"
	c.Assets["assets/img/photo.png"] = binaryPNG()
	return c
}

func TestExportRoundTrip(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := b.Open(t, storetest.NewClock().Now)
		orig := coursetest.Load(t, roundTripCourse())[0]
		if len(orig.Assets) != 2 {
			t.Fatalf("fixture has %d assets, want 2", len(orig.Assets))
		}
		if _, err := course.Import(ctx, st, []*course.Package{orig}); err != nil {
			t.Fatal(err)
		}

		exported, err := course.Export(ctx, st, orig.Slug)
		if err != nil {
			t.Fatal(err)
		}
		zipPath := filepath.Join(t.TempDir(), "out.zip")
		f, err := os.Create(zipPath)
		if err != nil {
			t.Fatal(err)
		}
		if err := exported.WriteZip(f); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		again, err := course.Load(zipPath)
		if err != nil {
			t.Fatalf("exported zip does not load: %v", err)
		}
		if len(again) != 1 {
			t.Fatalf("exported zip holds %d packages", len(again))
		}
		if !reflect.DeepEqual(again[0], orig) {
			a, _ := json.MarshalIndent(again[0], "", " ")
			o, _ := json.MarshalIndent(orig, "", " ")
			t.Fatalf("round trip changed the package\n got: %s\nwant: %s", a, o)
		}
		// The same version with the same content: importing the export back
		// is a no-op, not a conflict.
		res, err := course.Import(ctx, st, again)
		if err != nil {
			t.Fatalf("re-import of the export: %v", err)
		}
		if res[0].Outcome != store.ImportUnchanged {
			t.Errorf("re-import outcome = %s, want unchanged", res[0].Outcome)
		}
	})
}

func TestExportUnknownCourse(t *testing.T) {
	st := storetest.OpenSQLite(t, storetest.NewClock().Now)
	_, err := course.Export(context.Background(), st, "no-such-course")
	if errs.CodeOf(err) != errs.NotFound {
		t.Fatalf("err = %v, want not found", err)
	}
}

func TestImportOutcomes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		st := b.Open(t, storetest.NewClock().Now)
		c := coursetest.Simple("outcomes")
		if r := coursetest.Import(t, st, c); r[0].Outcome != store.ImportCreated || r[0].Slug != "outcomes" || r[0].Version != 1 {
			t.Errorf("first import = %+v, want created", r[0])
		}
		if r := coursetest.Import(t, st, c); r[0].Outcome != store.ImportUnchanged {
			t.Errorf("second import = %+v, want unchanged", r[0])
		}
		c.Version = 2
		if r := coursetest.Import(t, st, c); r[0].Outcome != store.ImportNewVersion || r[0].Version != 2 {
			t.Errorf("version 2 = %+v, want new_version", r[0])
		}
	})
}

// Images in lessons are rewritten to where this version's assets are served.
func TestImportRendersAssetLinks(t *testing.T) {
	st := storetest.OpenSQLite(t, storetest.NewClock().Now)
	c := coursetest.Simple("assets-links")
	c.Version = 3
	coursetest.Import(t, st, c)
	ls := coursetest.Lessons(t, st, "assets-links")
	l, err := st.LessonByID(context.Background(), ls[2].ID)
	if err != nil {
		t.Fatal(err)
	}
	const want = `src="/media/courses/assets-links/3/assets/pic.svg"`
	if !strings.Contains(l.HTML, want) {
		t.Errorf("lesson html %q does not contain %s", l.HTML, want)
	}
}

func TestChecksum(t *testing.T) {
	base := coursetest.Load(t, coursetest.Simple("sum"))[0]
	same := coursetest.Load(t, coursetest.Simple("sum"))[0]
	if course.Checksum(base) != course.Checksum(same) {
		t.Fatal("the same package gives two checksums")
	}
	changes := map[string]func(c *coursetest.Course){
		"title":       func(c *coursetest.Course) { c.Title += "!" },
		"study hours": func(c *coursetest.Course) { c.StudyHours = 1.75 },
		"reviewed":    func(c *coursetest.Course) { c.Reviewed = "2026-11" },
		"lesson body": func(c *coursetest.Course) { c.Lessons[1].Body += "more\n" },
		"answer":      func(c *coursetest.Course) { c.Lessons[0].Questions[0].Answer = "2" },
		"explanation": func(c *coursetest.Course) { c.Lessons[0].Questions[1].Explanation = "other" },
		"asset bytes": func(c *coursetest.Course) { c.Assets["assets/pic.svg"] = coursetest.SVG + " " },
	}
	for name, change := range changes {
		c := coursetest.Simple("sum")
		change(&c)
		if course.Checksum(coursetest.Load(t, c)[0]) == course.Checksum(base) {
			t.Errorf("changing the %s keeps the checksum", name)
		}
	}
}

func TestQuestionFromStore(t *testing.T) {
	st := storetest.OpenSQLite(t, storetest.NewClock().Now)
	ctx := context.Background()
	pkg := coursetest.Load(t, coursetest.Simple("qfs"))[0]
	if _, err := course.Import(ctx, st, []*course.Package{pkg}); err != nil {
		t.Fatal(err)
	}
	for i, l := range coursetest.Lessons(t, st, "qfs") {
		rows, err := st.QuestionsOfLesson(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []course.Question
		for _, r := range rows {
			q, err := course.QuestionFromStore(r)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, q)
		}
		if !reflect.DeepEqual(got, pkg.Lessons[i].Questions) {
			t.Errorf("lesson %d questions from store:\n got %+v\nwant %+v", i+1, got, pkg.Lessons[i].Questions)
		}
	}
	if _, err := course.QuestionFromStore(store.Question{QID: "x", Type: "single", Options: "not json", Answer: "{}"}); err == nil {
		t.Error("a damaged options column is not reported")
	}
	if _, err := course.QuestionFromStore(store.Question{QID: "x", Type: "single", Options: "[]", Answer: "{"}); err == nil {
		t.Error("a damaged answer column is not reported")
	}
}

// Study hours are stored to the hundredth; a third decimal would be credited
// rounded and would make the export differ from the package (on MySQL the
// re-import of an export was refused as a changed version).
func TestStudyHoursKeepTwoDecimals(t *testing.T) {
	for _, h := range []float64{0.25, 1.15, 2.01, 12} {
		c := coursetest.Simple("hours")
		c.StudyHours = h
		c.Lessons[0].Minutes = 600 // room for 12 study hours
		if _, err := course.LoadFS(c.Files("")); err != nil {
			t.Errorf("study_hours %v refused: %v", h, err)
		}
	}
	c := coursetest.Simple("hours")
	c.StudyHours = 1.333
	_, err := course.LoadFS(c.Files(""))
	var ve *course.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].String() != "hours/course.yaml:7: study_hours may have at most 2 decimal places" {
		t.Errorf("study_hours 1.333: %v", err)
	}
}

// One 学时 is 45 minutes of lesson time: a package may claim its lessons'
// minutes / 45, rounded to the nearest quarter, and no more. 90 minutes hold
// exactly 2; 100 minutes (2.22) round to 2.25; 96 minutes (2.13) to 2.25 too.
func TestStudyHoursWithinLessonMinutes(t *testing.T) {
	cases := []struct {
		hours   float64
		minutes [3]int
		problem string
	}{
		{2, [3]int{30, 40, 20}, ""},
		{2.25, [3]int{30, 40, 20}, "rule/course.yaml:7: study_hours 2.25 is more than the lessons' 90 minutes allow: 1 study hour is 45 minutes, so at most 2"},
		{2.25, [3]int{30, 40, 30}, ""},
		{2.25, [3]int{30, 40, 26}, ""},
		{2.5, [3]int{30, 40, 30}, "rule/course.yaml:7: study_hours 2.5 is more than the lessons' 100 minutes allow: 1 study hour is 45 minutes, so at most 2.25"},
		{0.25, [3]int{1, 1, 1}, "rule/course.yaml:7: study_hours 0.25 is more than the lessons' 3 minutes allow: 1 study hour is 45 minutes, so at most 0"},
	}
	for _, tc := range cases {
		c := coursetest.Simple("rule")
		c.StudyHours = tc.hours
		for i := range c.Lessons {
			c.Lessons[i].Minutes = tc.minutes[i]
		}
		_, err := course.LoadFS(c.Files(""))
		var ve *course.ValidationError
		switch {
		case tc.problem == "" && err != nil:
			t.Errorf("%v hours over %v refused: %v", tc.hours, tc.minutes, err)
		case tc.problem != "" && (!errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].String() != tc.problem):
			t.Errorf("%v hours over %v: got %v, want %q", tc.hours, tc.minutes, err, tc.problem)
		}
	}
	// A lesson whose minutes cannot be read gets its own problem, not a
	// second one about the total it left unknown.
	c := coursetest.Simple("rule")
	c.Lessons[0].Minutes = 0
	_, err := course.LoadFS(c.Files(""))
	var ve *course.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 || !strings.Contains(ve.Problems[0].String(), "minutes") || strings.Contains(ve.Problems[0].String(), "study_hours") {
		t.Errorf("unreadable minutes: %v", err)
	}
}

func TestHoursCredited(t *testing.T) {
	cases := []struct {
		claim        float64
		minutes, per int
		want         float64
	}{
		{2, 90, 45, 2},
		{2, 90, 50, 1.75}, // 1.8 rounded down to a quarter
		{2, 90, 60, 1.5},
		{1.5, 90, 30, 1.5}, // a generous rule never credits more than claimed
		{2, 90, 0, 2},
	}
	for _, tc := range cases {
		if got := course.HoursCredited(tc.claim, tc.minutes, tc.per); got != tc.want {
			t.Errorf("HoursCredited(%v, %d, %d) = %v, want %v", tc.claim, tc.minutes, tc.per, got, tc.want)
		}
	}
}

// A summary longer than its database column imported on SQLite but failed
// on MySQL with an internal error; the parser refuses it with a line number.
func TestSummaryFitsTheDatabase(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		st := b.Open(t, storetest.NewClock().Now)
		c := coursetest.Simple("summary")
		c.Summary = strings.Repeat("长", 1000)
		coursetest.Import(t, st, c)
		c.Summary += "长"
		_, err := course.LoadFS(c.Files(""))
		var ve *course.ValidationError
		if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].String() != "summary/course.yaml:4: summary is longer than 1000 characters" {
			t.Errorf("1001 characters: %v", err)
		}
	})
}
