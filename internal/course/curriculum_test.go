package course_test

import (
	"strings"
	"testing"

	"github.com/xuetang-edu/xuetang/courses"
	"github.com/xuetang-edu/xuetang/internal/course"
)

// The citizen IT-skills plan (issue 3) promises, in each language, at least
// this much teaching content.
const (
	minCourses   = 8
	minLessons   = 40
	minQuestions = 150
)

// TestShippedCurriculum checks the embedded curriculum exactly as `serve`
// loads it: every package valid, enough content per language, every question
// explained, and every course offered in both languages.
func TestShippedCurriculum(t *testing.T) {
	pkgs, err := course.LoadFS(courses.FS())
	if err != nil {
		t.Fatalf("the shipped curriculum does not validate:\n%v", err)
	}
	type tally struct{ courses, lessons, questions int }
	per := map[string]*tally{"zh-CN": {}, "en": {}}
	bySlug := map[string]*course.Package{}
	for _, p := range pkgs {
		bySlug[p.Slug] = p
		n := per[p.Language]
		if n == nil {
			t.Errorf("%s: language %q is neither zh-CN nor en", p.Slug, p.Language)
			continue
		}
		n.courses++
		n.lessons += len(p.Lessons)
		for _, l := range p.Lessons {
			n.questions += len(l.Questions)
			for _, q := range l.Questions {
				if strings.TrimSpace(q.Explanation) == "" {
					t.Errorf("%s/%s: question %s has no explanation", p.Slug, l.File, q.ID)
				}
			}
		}
	}
	for lang, n := range per {
		t.Logf("%s: %d courses, %d lessons, %d questions", lang, n.courses, n.lessons, n.questions)
		if n.courses < minCourses || n.lessons < minLessons || n.questions < minQuestions {
			t.Errorf("%s: %d courses, %d lessons, %d questions; want at least %d, %d, %d",
				lang, n.courses, n.lessons, n.questions, minCourses, minLessons, minQuestions)
		}
	}

	// Each translation group is exactly one zh-CN course and one en course:
	// an English course names the Chinese one it translates, and every
	// Chinese course is named by one.
	translatedBy := map[string][]string{}
	for _, p := range pkgs {
		if p.TranslationOf == "" {
			continue
		}
		orig, ok := bySlug[p.TranslationOf]
		switch {
		case !ok:
			t.Errorf("%s: translation_of %q is not a shipped course", p.Slug, p.TranslationOf)
		case orig.Language == p.Language:
			t.Errorf("%s: translates %s, which is in the same language", p.Slug, orig.Slug)
		case orig.TranslationOf != "":
			t.Errorf("%s: translates %s, which is itself a translation", p.Slug, orig.Slug)
		}
		translatedBy[p.TranslationOf] = append(translatedBy[p.TranslationOf], p.Slug)
	}
	for _, p := range pkgs {
		if p.TranslationOf != "" {
			continue
		}
		if got := translatedBy[p.Slug]; len(got) != 1 {
			t.Errorf("%s (%s) has %d translations %v, want exactly one", p.Slug, p.Language, len(got), got)
		}
	}
}
