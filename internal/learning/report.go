package learning

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Reasons a learner may give when reporting a problem with a lesson.
var ReportReasons = []string{"wrong_fact", "broken_link", "unclear", "other"}

// MaxReportRunes bounds a report's text.
const MaxReportRunes = 1000

// A learner may send reportsPerWindow reports per reportWindow: enough to
// flag every lesson of a short course in one sitting, not enough to flood
// the editors' list.
const (
	reportWindow     = time.Hour
	reportsPerWindow = 10
)

// ProblemReport is what a learner sends about a lesson.
type ProblemReport struct {
	Reason string `json:"reason"`
	Text   string `json:"text"`
}

// Validate checks the reason and the text's length.
func (r *ProblemReport) Validate() error {
	r.Text = strings.TrimSpace(r.Text)
	ok := false
	for _, x := range ReportReasons {
		ok = ok || x == r.Reason
	}
	if !ok {
		return errs.New(errs.Invalid, "report.error.reason_invalid").With("field", "reason")
	}
	if utf8.RuneCountInString(r.Text) > MaxReportRunes {
		return errs.New(errs.Invalid, "report.error.text_too_long").With("field", "text").With("max", MaxReportRunes)
	}
	return nil
}

// ReportProblem records a signed-in learner's report on a lesson they may
// read; a lesson they may not is not found. Past the rate limit:
// errs.TooManyRequests with retry_after.
func (s *Service) ReportProblem(ctx context.Context, viewer Viewer, lessonID int64, r ProblemReport) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if _, err := s.Lesson(ctx, viewer, lessonID); err != nil {
		return err
	}
	d, err := s.lesson(ctx, lessonID)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	err = s.reports.CreateLessonReport(ctx, &store.LessonReport{CourseID: d.courseID, LessonID: lessonID,
		LessonSlug: d.view.Slug, UserID: viewer.UserID, Reason: r.Reason, Text: r.Text, CreatedAt: now},
		now.Add(-reportWindow), reportsPerWindow)
	if e := (*errs.Error)(nil); errors.As(err, &e) && e.Code == errs.TooManyRequests {
		e.RetryAfter = reportWindow
	}
	return err
}
