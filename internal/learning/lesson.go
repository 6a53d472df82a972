package learning

import (
	"context"
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
	// AttemptKey names the option order of Questions; an attempt sends it
	// back. Empty for a lesson without a quiz.
	AttemptKey string `json:"attempt_key,omitempty"`
	Completed  bool   `json:"completed"`
	BestScore  *int   `json:"best_score"`
}

// lessonData is everything about a lesson that never changes: a published
// version is immutable, so it is loaded once and kept.
type lessonData struct {
	view      LessonView // without per-learner fields
	courseID  int64
	passScore int
	questions []course.Question // with answers, for grading
	// shown[v] is the quiz as variant v shows it; perms[v][i] maps the
	// shown options of question i back to authored order.
	shown [quizVariants][]PublicQuestion
	perms [quizVariants][][]int
}

// maxLessons bounds the lessons kept (a lesson with its quiz in four orders
// is some 10-20 KB): a catalogue's current versions hold far fewer, so only
// old versions still open in someone's browser, or a crawl of every id,
// fill it and start it again.
const maxLessons = 4000

func (s *Service) lesson(ctx context.Context, id int64) (*lessonData, error) {
	if d, ok := s.lessons.get(id); ok {
		return d, nil
	}
	l, err := s.courses.LessonByID(ctx, id)
	if errors.Is(err, errs.ErrNotFound) {
		return nil, errs.New(errs.NotFound, "error.lesson_not_found")
	}
	if err != nil {
		return nil, err
	}
	v, err := s.courses.VersionByID(ctx, l.CourseVersionID)
	if err != nil {
		return nil, err
	}
	c, err := s.courses.CourseByID(ctx, v.CourseID)
	if err != nil {
		return nil, err
	}
	outline, err := s.versionLessons(ctx, v.ID)
	if err != nil {
		return nil, err
	}
	rows, err := s.courses.QuestionsOfLesson(ctx, l.ID)
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
		for v := range quizVariants {
			perm := permutation(l.ID, q, v)
			shown := make([]string, len(perm))
			for i, a := range perm {
				shown[i] = opts[a]
			}
			d.perms[v] = append(d.perms[v], perm)
			d.shown[v] = append(d.shown[v], PublicQuestion{ID: q.ID, Type: q.Type, Prompt: q.Prompt, Options: shown})
		}
	}
	s.lessons.put(id, d)
	return d, nil
}

// Lesson returns a lesson for a signed-in learner, with their progress on
// it; a lesson of a course outside the viewer's audience is not found.
func (s *Service) Lesson(ctx context.Context, viewer Viewer, id int64) (*LessonView, error) {
	userID := viewer.UserID
	d, err := s.lesson(ctx, id)
	if err != nil {
		return nil, err
	}
	v := d.view // copy; the cached value stays shared and unchanged
	variant := 0
	_, enrolErr := s.enrolledAt(ctx, userID, d.courseID)
	if enrolErr != nil {
		// Not enrolled: the audience decides (enrolled learners always see
		// what they started, so the common path asks nothing more).
		a, err := s.audience(ctx, d.courseID)
		if err != nil {
			return nil, err
		}
		if ok, err := s.sees(ctx, viewer, a); err != nil {
			return nil, err
		} else if !ok {
			return nil, errs.New(errs.NotFound, "error.lesson_not_found")
		}
	}
	if err := enrolErr; err == nil {
		v.Course.Enrolled = true
		ls, err := s.states.of(ctx, userID, d.courseID, v.Slug)
		if err != nil {
			return nil, err
		}
		variant = variantFor(ls.attempts)
		v.Completed = ls.completed
		if ls.hasBest {
			best := ls.best
			v.BestScore = &best
		}
	} else if errs.CodeOf(err) != errs.Forbidden {
		return nil, err
	}
	if len(d.questions) > 0 {
		v.Questions, v.AttemptKey = d.shown[variant], attemptKey(d.view.ID, variant)
	}
	return &v, nil
}
