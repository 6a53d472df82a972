package learning

import "github.com/xuetang-edu/xuetang/internal/store"

func storeAttempt(userID int64, d *lessonData, res *AttemptResult, answers []byte) store.QuizAttempt {
	return store.QuizAttempt{UserID: userID, CourseID: d.courseID, LessonID: d.view.ID, LessonSlug: d.view.Slug,
		Score: res.Score, Passed: res.Passed, Answers: string(answers)}
}
