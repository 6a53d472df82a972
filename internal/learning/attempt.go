package learning

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

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

// AttemptRequest is a learner's quiz submission.
type AttemptRequest struct {
	Answers map[string]json.RawMessage `json:"answers"`
	// AttemptKey is the lesson response's attempt_key: answers give option
	// indexes in the order that response showed. Empty: authored order.
	AttemptKey string `json:"attempt_key"`
	// AttemptID is the client's id for this submission: sent again, the
	// stored result comes back instead of a second grading.
	AttemptID string `json:"attempt_id"`
}

// Limits of one submission; past them the attempt is refused (400) before
// anything is graded or stored.
const (
	MaxAnswerBytes   = 2048 // one answer's JSON: a fill-in is a few words
	maxQuestionIDLen = 32   // as in course packages
)

// Validate checks the pure rules of a submission against a quiz of n questions.
func (r *AttemptRequest) Validate(n int) error {
	if r.Answers == nil {
		return errs.New(errs.Invalid, "error.answers_missing").With("field", "answers")
	}
	if len(r.Answers) > n {
		return errs.New(errs.Invalid, "error.too_many_answers").With("field", "answers")
	}
	for id, raw := range r.Answers {
		if len(id) > maxQuestionIDLen {
			return errs.New(errs.Invalid, "error.unknown_question").With("field", "answers")
		}
		if len(raw) > MaxAnswerBytes {
			return errs.New(errs.Invalid, "error.answer_too_long").With("field", id)
		}
	}
	if r.AttemptID != "" && !uuidRe.MatchString(r.AttemptID) {
		return errs.New(errs.Invalid, "error.attempt_id_invalid").With("field", "attempt_id")
	}
	return nil
}

// Attempt grades a quiz on the server, records it, and completes the course
// when this was the last thing missing. Unanswered questions count as wrong;
// a malformed answer is errs.Invalid naming the question. After two failed
// attempts in a day each retry waits (see Cooldown): errs.TooManyRequests
// with retry_after.
func (s *Service) Attempt(ctx context.Context, userID, lessonID int64, req AttemptRequest) (*AttemptResult, error) {
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
	if err := req.Validate(len(d.questions)); err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, q := range d.questions {
		known[q.ID] = true
	}
	for id := range req.Answers {
		if !known[id] {
			return nil, errs.New(errs.Invalid, "error.unknown_question").With("field", id)
		}
	}
	variant, err := parseAttemptKey(lessonID, req.AttemptKey)
	if err != nil {
		return nil, err
	}
	if req.AttemptID != "" {
		if r, err := s.replay(ctx, userID, lessonID, req.AttemptID); r != nil || err != nil {
			return r, err
		}
	}
	now := s.now()
	recent, err := s.attempts.RecentAttempts(ctx, userID, d.courseID, d.view.Slug, startOfDay(now, s.loc).UTC(), 8)
	if err != nil {
		return nil, err
	}
	today := make([]AttemptTime, len(recent))
	for i, a := range recent {
		today[i] = AttemptTime{At: a.CreatedAt, Passed: a.Passed}
	}
	if wait := Cooldown(today, now); wait > 0 {
		minutes := int((wait + time.Minute - 1) / time.Minute)
		return nil, errs.New(errs.TooManyRequests, "error.quiz_cooldown").With("minutes", minutes).After(wait)
	}

	answers := req.Answers
	if variant >= 0 {
		answers = make(map[string]json.RawMessage, len(req.Answers))
		for i, q := range d.questions {
			if raw, ok := req.Answers[q.ID]; ok {
				answers[q.ID] = q.Unshuffle(raw, d.perms[variant][i])
			}
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
	graded, _ := json.Marshal(res)
	a := storeAttempt(userID, d, res, stored)
	a.Variant, a.Result = max(variant, 0), string(graded)
	if req.AttemptID != "" {
		id := strings.ToLower(req.AttemptID)
		a.AttemptID = &id
	}
	c, err := s.attempts.RecordAttempt(ctx, a, s.rules)
	s.states.forget(userID, d.courseID)
	s.pages.forget(userID)
	if errors.Is(err, errs.ErrConflict) && req.AttemptID != "" {
		// The same attempt, sent twice at once: the other copy was stored.
		if r, err := s.replay(ctx, userID, lessonID, req.AttemptID); r != nil || err != nil {
			return r, err
		}
	}
	if err != nil {
		return nil, err
	}
	if s.changed != nil {
		s.changed([]int64{userID})
	}
	res.CourseCompleted = c.Completed
	if c.Serial != "" {
		serial := c.Serial
		res.CertificateSerial = &serial
	}
	return res, nil
}

// replay returns the stored result of a submission the client sent before,
// with the course's completion as it stands now; nil when there is none.
func (s *Service) replay(ctx context.Context, userID, lessonID int64, attemptID string) (*AttemptResult, error) {
	a, err := s.attempts.ClientAttempt(ctx, userID, strings.ToLower(attemptID))
	if errors.Is(err, errs.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if a.LessonID != lessonID || a.Result == "" {
		return nil, errs.New(errs.Conflict, "error.attempt_id_reused").With("field", "attempt_id")
	}
	var res AttemptResult
	if err := json.Unmarshal([]byte(a.Result), &res); err != nil {
		return nil, err
	}
	e, err := s.enrolments.EnrollmentOf(ctx, userID, a.CourseID)
	if err != nil {
		return nil, err
	}
	if e.CompletedAt != nil {
		res.CourseCompleted = true
		certs, err := s.certificates.CertificatesOf(ctx, userID)
		if err != nil {
			return nil, err
		}
		for _, c := range certs {
			if c.CourseID == a.CourseID {
				serial := c.Serial
				res.CertificateSerial = &serial
			}
		}
	}
	return &res, nil
}

func storeAttempt(userID int64, d *lessonData, res *AttemptResult, answers []byte) store.QuizAttempt {
	return store.QuizAttempt{UserID: userID, CourseID: d.courseID, LessonID: d.view.ID, LessonSlug: d.view.Slug,
		Score: res.Score, Passed: res.Passed, Answers: string(answers)}
}
