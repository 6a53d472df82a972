package teach

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/course"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// QuestionStats is how a class did on one quiz question.
type QuestionStats struct {
	ID       string   `json:"id"` // the question's id in its lesson (q1, q2...)
	Position int      `json:"position"`
	Type     string   `json:"type"`
	Prompt   string   `json:"prompt"`
	Options  []string `json:"options"`
	// Attempts counts the members who answered it at least once.
	Attempts        int `json:"attempts"`
	FirstTryCorrect int `json:"first_try_correct"`
	// FirstTryCorrectShare is FirstTryCorrect/Attempts, 0 with no attempts.
	FirstTryCorrectShare float64 `json:"first_try_correct_share"`
	// MostChosenWrong is the wrong answer given most often over all
	// attempts: an option index in authored order (single, multiple),
	// true/false (true_false), the text (fill_blank); nil when nobody was
	// wrong.
	MostChosenWrong any `json:"most_chosen_wrong_option"`
	WrongAnswers    int `json:"wrong_answers"`
}

// Questions analyses the class's attempts at one lesson's quiz, worst
// question first. Attempts at every version of the course count, matched
// by lesson slug and question id, each graded against its own version.
func (s *Service) Questions(ctx context.Context, a account.Principal, id, lessonID int64) ([]QuestionStats, error) {
	c, _, err := s.classFor(ctx, a, id, false)
	if err != nil {
		return nil, err
	}
	return s.questions(ctx, lessonID, func(courseID int64, slug string) ([]store.QuizAttempt, error) {
		members, err := s.db.ClassMembers(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		ids := make([]int64, len(members))
		for i, m := range members {
			ids[i] = m.UserID
		}
		return s.db.MembersAttempts(ctx, ids, courseID, slug)
	})
}

// MaxCourseAttempts bounds the attempts one course-wide analysis reads:
// enough for a clear picture of any question, at a bounded cost on a
// national database.
const MaxCourseAttempts = 100_000

// CourseQuestions analyses one lesson's quiz over every learner in the
// actor's scope (institution admins: their institution's learners; region
// admins: their region's; admins: everyone), for the authors of a course.
// Teachers use their classes' analysis.
func (s *Service) CourseQuestions(ctx context.Context, a account.Principal, lessonID int64) ([]QuestionStats, error) {
	if !a.Is(account.RoleInstitutionAdmin, account.RoleRegionAdmin, account.RoleAdmin) {
		return nil, errForbidden
	}
	sc := scope(a)
	return s.questions(ctx, lessonID, func(courseID int64, slug string) ([]store.QuizAttempt, error) {
		return s.db.ScopeAttempts(ctx, sc, courseID, slug, MaxCourseAttempts)
	})
}

func (s *Service) questions(ctx context.Context, lessonID int64, attemptsOf func(courseID int64, slug string) ([]store.QuizAttempt, error)) ([]QuestionStats, error) {
	lesson, err := s.db.LessonByID(ctx, lessonID)
	if errors.Is(err, errs.ErrNotFound) {
		return nil, errs.New(errs.NotFound, "error.lesson_not_found")
	}
	if err != nil {
		return nil, err
	}
	v, err := s.db.VersionByID(ctx, lesson.CourseVersionID)
	if err != nil {
		return nil, err
	}
	attempts, err := attemptsOf(v.CourseID, lesson.Slug)
	if err != nil {
		return nil, err
	}
	lessonIDs := []int64{lesson.ID}
	seen := map[int64]bool{lesson.ID: true}
	for _, at := range attempts {
		if !seen[at.LessonID] {
			seen[at.LessonID] = true
			lessonIDs = append(lessonIDs, at.LessonID)
		}
	}
	rows, err := s.db.QuestionsOfLessons(ctx, lessonIDs)
	if err != nil {
		return nil, err
	}
	return analyse(lesson.ID, rows, attempts)
}

type qkey struct {
	lesson int64
	qid    string
}

// analyse is the arithmetic of Questions, apart from the database.
func analyse(lessonID int64, rows []store.Question, attempts []store.QuizAttempt) ([]QuestionStats, error) {
	graders := map[qkey]course.Question{}
	var out []QuestionStats
	for _, r := range rows {
		q, err := course.QuestionFromStore(r)
		if err != nil {
			return nil, err
		}
		graders[qkey{r.LessonID, r.QID}] = q
		if r.LessonID == lessonID {
			var opts []string
			_ = json.Unmarshal([]byte(r.Options), &opts)
			out = append(out, QuestionStats{ID: r.QID, Position: r.Position, Type: r.Type, Prompt: r.Prompt, Options: opts})
		}
	}
	for i := range out {
		st := &out[i]
		wrong := map[string]int{}
		wrongValue := map[string]any{}
		var firstWrongOrder []string
		triedBy := map[int64]bool{}
		for _, at := range attempts {
			var answers map[string]json.RawMessage
			if json.Unmarshal([]byte(at.Answers), &answers) != nil {
				continue
			}
			raw, ok := answers[st.ID]
			if !ok || string(raw) == "null" {
				continue
			}
			q, ok := graders[qkey{at.LessonID, st.ID}]
			if !ok {
				continue
			}
			correct, err := q.Grade(raw)
			if err != nil {
				continue // a malformed stored answer was refused when sent
			}
			if !triedBy[at.UserID] {
				triedBy[at.UserID] = true
				st.Attempts++
				if correct {
					st.FirstTryCorrect++
				}
			}
			if correct {
				continue
			}
			st.WrongAnswers++
			for _, k := range wrongChoices(q, raw) {
				if wrong[k.key] == 0 {
					firstWrongOrder = append(firstWrongOrder, k.key)
					wrongValue[k.key] = k.value
				}
				wrong[k.key]++
			}
		}
		if st.Attempts > 0 {
			st.FirstTryCorrectShare = float64(st.FirstTryCorrect) / float64(st.Attempts)
		}
		best := ""
		for _, k := range firstWrongOrder {
			if best == "" || wrong[k] > wrong[best] {
				best = k
			}
		}
		if best != "" {
			st.MostChosenWrong = wrongValue[best]
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.Attempts == 0) != (b.Attempts == 0) {
			return b.Attempts == 0
		}
		if a.FirstTryCorrectShare != b.FirstTryCorrectShare {
			return a.FirstTryCorrectShare < b.FirstTryCorrectShare
		}
		return a.Position < b.Position
	})
	return out, nil
}

type choice struct {
	key   string
	value any
}

// wrongChoices names what was wrong in a wrong answer: the option chosen
// (single), each chosen option that is not right (multiple), the value
// given (true_false), the text typed (fill_blank, compared without case
// and surrounding spaces).
func wrongChoices(q course.Question, raw json.RawMessage) []choice {
	switch q.Type {
	case course.Single:
		var i int
		if json.Unmarshal(raw, &i) == nil {
			return []choice{{key: itoa(int64(i)), value: i}}
		}
	case course.Multiple:
		var list []int
		if json.Unmarshal(raw, &list) != nil {
			return nil
		}
		right := map[int]bool{}
		for _, i := range q.Answer.Indexes {
			right[i] = true
		}
		var out []choice
		for _, i := range list {
			if !right[i] {
				out = append(out, choice{key: itoa(int64(i)), value: i})
			}
		}
		return out
	case course.TrueFalse:
		var b bool
		if json.Unmarshal(raw, &b) == nil {
			if b {
				return []choice{{key: "true", value: true}}
			}
			return []choice{{key: "false", value: false}}
		}
	case course.FillBlank:
		var s string
		if json.Unmarshal(raw, &s) == nil {
			t := strings.TrimSpace(s)
			return []choice{{key: strings.ToLower(t), value: t}}
		}
	}
	return nil
}
