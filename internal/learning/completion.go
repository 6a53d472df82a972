package learning

import "github.com/xuetang-edu/xuetang/internal/store"

// Complete is the completion rule: every lesson of the current version is
// complete, and the average of the best quiz scores of the lessons that have
// a quiz reaches the course's pass score (a quiz never taken counts as 0).
func Complete(st store.CourseState) bool {
	if len(st.Lessons) == 0 {
		return false
	}
	avg, ok := QuizAverage(st.Lessons)
	for _, l := range st.Lessons {
		if !l.Completed {
			return false
		}
	}
	return !ok || avg >= float64(st.Version.PassScore)
}

// QuizAverage is the mean best score over lessons with a quiz; ok is false
// when the course has no quiz at all.
func QuizAverage(ls []store.LessonState) (avg float64, ok bool) {
	sum, n := 0, 0
	for _, l := range ls {
		if !l.HasQuiz {
			continue
		}
		n++
		if l.BestScore != nil {
			sum += *l.BestScore
		}
	}
	if n == 0 {
		return 0, false
	}
	return float64(sum) / float64(n), true
}
