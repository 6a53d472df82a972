package learning

import (
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
