package learning

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/xuetang-edu/xuetang/internal/course"
	"github.com/xuetang-edu/xuetang/internal/errs"
)

// PublicQuestion is a question as the browser sees it: no answer, no explanation.
type PublicQuestion struct {
	ID      string   `json:"id"`
	Type    string   `json:"type"`
	Prompt  string   `json:"prompt"`
	Options []string `json:"options"`
}

// LessonLink points to a neighbouring lesson.
type LessonLink struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
}

// LessonCourse names the course a lesson belongs to.
type LessonCourse struct {
	Slug     string `json:"slug"`
	Title    string `json:"title"`
	Language string `json:"language"`
	Enrolled bool   `json:"enrolled"`
}

// LessonView is the lesson page's data.
type LessonView struct {
	ID        int64            `json:"id"`
	Slug      string           `json:"slug"`
	Title     string           `json:"title"`
	Minutes   int              `json:"minutes"`
	Position  int              `json:"position"`
	HTML      string           `json:"html"`
	Course    LessonCourse     `json:"course"`
	Prev      *LessonLink      `json:"prev"`
	Next      *LessonLink      `json:"next"`
	Questions []PublicQuestion `json:"questions"`
	Completed bool             `json:"completed"`
	BestScore *int             `json:"best_score"`
}

// lessonData is everything about a lesson that never changes: a published
// version is immutable, so it is loaded once and kept.
type lessonData struct {
	view      LessonView // without per-learner fields
	courseID  int64
	passScore int
	questions []course.Question // with answers, for grading
}

func (s *Service) lesson(ctx context.Context, id int64) (*lessonData, error) {
	if v, ok := s.lessons.Load(id); ok {
		return v.(*lessonData), nil
	}
	l, err := s.st.LessonByID(ctx, id)
	if errors.Is(err, errs.ErrNotFound) {
		return nil, errs.New(errs.NotFound, "error.lesson_not_found")
	}
	if err != nil {
		return nil, err
	}
	v, err := s.st.VersionByID(ctx, l.CourseVersionID)
	if err != nil {
		return nil, err
	}
	c, err := s.st.CourseByID(ctx, v.CourseID)
	if err != nil {
		return nil, err
	}
	outline, err := s.versionLessons(ctx, v.ID)
	if err != nil {
		return nil, err
	}
	rows, err := s.st.QuestionsOfLesson(ctx, l.ID)
	if err != nil {
		return nil, err
	}
	d := &lessonData{courseID: c.ID, passScore: v.PassScore, view: LessonView{
		ID: l.ID, Slug: l.Slug, Title: l.Title, Minutes: l.Minutes, Position: l.Position, HTML: l.HTML,
		Course:    LessonCourse{Slug: c.Slug, Title: v.Title, Language: c.Language},
		Questions: []PublicQuestion{},
	}}
	for i, o := range outline {
		if o.ID != l.ID {
			continue
		}
		if i > 0 {
			d.view.Prev = &LessonLink{ID: outline[i-1].ID, Title: outline[i-1].Title}
		}
		if i+1 < len(outline) {
			d.view.Next = &LessonLink{ID: outline[i+1].ID, Title: outline[i+1].Title}
		}
	}
	for _, r := range rows {
		q, err := course.QuestionFromStore(r)
		if err != nil {
			return nil, err
		}
		d.questions = append(d.questions, q)
		opts := q.Options
		if opts == nil {
			opts = []string{}
		}
		d.view.Questions = append(d.view.Questions, PublicQuestion{ID: q.ID, Type: q.Type, Prompt: q.Prompt, Options: opts})
	}
	s.lessons.Store(id, d)
	return d, nil
}

// Lesson returns a lesson for a signed-in learner, with their progress on it.
func (s *Service) Lesson(ctx context.Context, userID, id int64) (*LessonView, error) {
	d, err := s.lesson(ctx, id)
	if err != nil {
		return nil, err
	}
	v := d.view // copy; the cached value stays shared and unchanged
	if _, err := s.enrolledAt(ctx, userID, d.courseID); err == nil {
		v.Course.Enrolled = true
		p, err := s.st.LessonProgressOf(ctx, userID, d.courseID, v.Slug)
		switch {
		case err == nil:
			v.Completed, v.BestScore = p.CompletedAt != nil, p.BestScore
		case !errors.Is(err, errs.ErrNotFound):
			return nil, err
		}
	} else if errs.CodeOf(err) != errs.Forbidden {
		return nil, err
	}
	return &v, nil
}

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
