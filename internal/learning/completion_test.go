package learning

import (
	"regexp"
	"testing"

	"github.com/xuetang-edu/xuetang/internal/store"
)

func score(n int) *int { return &n }

func TestCompleteRule(t *testing.T) {
	v := store.CourseVersion{PassScore: 60}
	cases := []struct {
		name    string
		lessons []store.LessonState
		want    bool
	}{
		{"no lessons", nil, false},
		{"all read, no quiz", []store.LessonState{{Completed: true}, {Completed: true}}, true},
		{"one unread", []store.LessonState{{Completed: true}, {Completed: false}}, false},
		{"average exactly the pass score", []store.LessonState{
			{Completed: true, HasQuiz: true, BestScore: score(20)}, {Completed: true, HasQuiz: true, BestScore: score(100)}}, true},
		{"average below the pass score", []store.LessonState{
			{Completed: true, HasQuiz: true, BestScore: score(19)}, {Completed: true, HasQuiz: true, BestScore: score(100)}}, false},
		{"a quiz never taken counts as 0", []store.LessonState{
			{Completed: true, HasQuiz: true}, {Completed: true, HasQuiz: true, BestScore: score(100)}}, false},
		{"lessons without a quiz do not dilute the average", []store.LessonState{
			{Completed: true}, {Completed: true, HasQuiz: true, BestScore: score(60)}}, true},
		{"passed quizzes but a lesson unread", []store.LessonState{
			{Completed: false, HasQuiz: true, BestScore: score(100)}}, false},
	}
	for _, c := range cases {
		if got := Complete(store.CourseState{Version: v, Lessons: c.lessons}); got != c.want {
			t.Errorf("%s: Complete = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestSerials(t *testing.T) {
	re := regexp.MustCompile(`^XT(-[0-9ABCDEFGHJKMNPQRSTVWXYZ]{4}){4}$`)
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		s := NewSerial()
		if !re.MatchString(s) {
			t.Fatalf("serial %q has the wrong shape", s)
		}
		if seen[s] {
			t.Fatalf("serial %q issued twice", s)
		}
		seen[s] = true
		if NormalizeSerial(s) != s {
			t.Fatalf("NormalizeSerial(%q) = %q", s, NormalizeSerial(s))
		}
	}
	for in, want := range map[string]string{
		" xt-7kq2-m9wd-3hpa-tx6c ": "XT-7KQ2-M9WD-3HPA-TX6C",
		"XT 7KQ2 M9WD 3HPA TX6C":   "XT-7KQ2-M9WD-3HPA-TX6C",
		"xt7kq2m9wd3hpatx6c":       "XT-7KQ2-M9WD-3HPA-TX6C",
		"XT-OIL0-0000-0000-0000":   "XT-0110-0000-0000-0000", // read aloud, typed by hand
	} {
		if got := NormalizeSerial(in); got != want {
			t.Errorf("NormalizeSerial(%q) = %q, want %q", in, got, want)
		}
	}
}
