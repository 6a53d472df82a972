package learning

import (
	"context"
	"regexp"
	"time"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Event is a progress event from a lesson page.
type Event struct {
	EventID  string `json:"event_id"`
	LessonID int64  `json:"lesson_id"`
	Type     string `json:"type"`
	Seconds  int    `json:"seconds"`
	// OccurredAt is when it happened, for events queued offline and sent
	// later (RFC 3339); absent means now.
	OccurredAt *time.Time `json:"occurred_at,omitempty"`
}

var uuidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Validate checks the pure rules.
func (e *Event) Validate() error {
	if !uuidRe.MatchString(e.EventID) {
		return errs.New(errs.Invalid, "error.event_id_invalid").With("field", "event_id")
	}
	switch e.Type {
	case "open", "heartbeat", "complete":
	default:
		return errs.New(errs.Invalid, "error.event_type_invalid").With("field", "type")
	}
	if e.Seconds < 0 || e.Seconds > 86400 {
		return errs.New(errs.Invalid, "error.event_seconds_invalid").With("field", "seconds")
	}
	if e.LessonID <= 0 {
		return errs.New(errs.Invalid, "error.lesson_not_found").With("field", "lesson_id")
	}
	return nil
}

// EventResult is the acknowledgement of one event.
type EventResult struct {
	Status          string `json:"status"` // recorded or duplicate
	CreditedSeconds int    `json:"credited_seconds"`
	LessonCompleted bool   `json:"lesson_completed"`
	// SecondsNeeded is, for a complete event before the lesson's required
	// active time, how much more it needs.
	SecondsNeeded     int     `json:"seconds_needed,omitempty"`
	CourseCompleted   bool    `json:"course_completed"`
	CertificateSerial *string `json:"certificate_serial"`
}

// RecordEvent stores one progress event durably before returning.
func (s *Service) RecordEvent(ctx context.Context, userID int64, ev Event) (*EventResult, error) {
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	if s.retention > 0 && ev.OccurredAt != nil && ev.OccurredAt.Before(s.now().Add(-s.retention)) {
		// Its day's raw detail may already be pruned and its statistics
		// closed: counting it now would change history.
		return nil, errs.New(errs.Invalid, "error.event_too_old").With("field", "occurred_at").
			With("days", int(s.retention/(24*time.Hour)))
	}
	d, err := s.lesson(ctx, ev.LessonID)
	if err != nil {
		if errs.CodeOf(err) == errs.NotFound {
			return nil, errs.New(errs.Invalid, "error.lesson_not_found").With("field", "lesson_id")
		}
		return nil, err
	}
	at, err := s.enrolledAt(ctx, userID, d.courseID)
	if err != nil {
		return nil, err
	}
	in := store.ProgressInput{
		EventID: ev.EventID, UserID: userID, CourseID: d.courseID, LessonID: ev.LessonID, LessonSlug: d.view.Slug,
		Type: ev.Type, Seconds: ev.Seconds, EnrolledAt: at, RequiredSeconds: RequiredSeconds(d.view.Minutes, s.minShare),
	}
	if ev.OccurredAt != nil {
		in.OccurredAt = *ev.OccurredAt
	}
	out, err := s.recorder.record(ctx, in)
	if err != nil {
		return nil, err
	}
	r := &EventResult{Status: "recorded", CreditedSeconds: out.CreditedSeconds, LessonCompleted: out.LessonCompleted,
		SecondsNeeded: out.SecondsNeeded, CourseCompleted: out.Completion.Completed}
	if out.Duplicate {
		r.Status = "duplicate"
	}
	if out.Completion.Serial != "" {
		serial := out.Completion.Serial
		r.CertificateSerial = &serial
	}
	return r, nil
}
