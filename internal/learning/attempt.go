package learning

import (
	"context"
	"encoding/json"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Result is one graded question.
type Result struct {
	QuestionID  string `json:"question_id"`
	Correct     bool   `json:"correct"`
	Explanation string `json:"explanation"`
}

// AttemptResult is a graded quiz.
type AttemptResult struct {
	Score             int      `json:"score"`
	Passed            bool     `json:"passed"`
	PassScore         int      `json:"pass_score"`
	Results           []Result `json:"results"`
	CourseCompleted   bool     `json:"course_completed"`
	CertificateSerial *string  `json:"certificate_serial"`
}

// Attempt grades a quiz on the server, records it, and completes the course
// when this was the last thing missing. Unanswered questions count as wrong;
// a malformed answer is errs.Invalid naming the question.
func (s *Service) Attempt(ctx context.Context, userID, lessonID int64, answers map[string]json.RawMessage) (*AttemptResult, error) {
	d, err := s.lesson(ctx, lessonID)
	if err != nil {
		return nil, err
	}
	if _, err := s.enrolledAt(ctx, userID, d.courseID); err != nil {
		return nil, err
	}
	if len(d.questions) == 0 {
		return nil, errs.New(errs.Invalid, "error.lesson_has_no_quiz")
	}
	known := map[string]bool{}
	for _, q := range d.questions {
		known[q.ID] = true
	}
	for id := range answers {
		if !known[id] {
			return nil, errs.New(errs.Invalid, "error.unknown_question").With("field", id)
		}
	}
	res := &AttemptResult{PassScore: d.passScore, Results: make([]Result, 0, len(d.questions))}
	correct := 0
	for _, q := range d.questions {
		r := Result{QuestionID: q.ID, Explanation: q.Explanation}
		if raw, ok := answers[q.ID]; ok && string(raw) != "null" {
			ok, err := q.Grade(raw)
			if err != nil {
				return nil, errs.Wrap(errs.Invalid, "error.bad_answer", err).With("field", q.ID)
			}
			r.Correct = ok
		}
		if r.Correct {
			correct++
		}
		res.Results = append(res.Results, r)
	}
	res.Score = int(float64(correct)*100/float64(len(d.questions)) + 0.5)
	res.Passed = res.Score >= d.passScore
	stored, _ := json.Marshal(answers)
	c, err := s.st.RecordAttempt(ctx, storeAttempt(userID, d, res, stored), s.finisher)
	s.states.forget(userID, d.courseID)
	if err != nil {
		return nil, err
	}
	res.CourseCompleted = c.Completed
	if c.Serial != "" {
		serial := c.Serial
		res.CertificateSerial = &serial
	}
	return res, nil
}

func storeAttempt(userID int64, d *lessonData, res *AttemptResult, answers []byte) store.QuizAttempt {
	return store.QuizAttempt{UserID: userID, CourseID: d.courseID, LessonID: d.view.ID, LessonSlug: d.view.Slug,
		Score: res.Score, Passed: res.Passed, Answers: string(answers)}
}
