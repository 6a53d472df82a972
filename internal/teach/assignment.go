package teach

import (
	"context"
	"errors"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Assignment is a course set for a class.
type Assignment struct {
	Slug       string     `json:"course_slug"`
	Title      string     `json:"title"`
	Language   string     `json:"language"`
	StudyHours float64    `json:"study_hours"`
	DueAt      *time.Time `json:"due_at"`
	CreatedAt  time.Time  `json:"created_at"`
}

func assignmentOf(r *store.ClassAssignment) Assignment {
	return Assignment{Slug: r.Slug, Title: r.Title, Language: r.Language, StudyHours: r.StudyHours, DueAt: r.DueAt, CreatedAt: r.CreatedAt}
}

// Assignments lists a class's courses, earliest due date first.
func (s *Service) Assignments(ctx context.Context, a account.Principal, id int64) ([]Assignment, error) {
	c, _, err := s.classFor(ctx, a, id, false)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.ClassAssignments(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	out := make([]Assignment, len(rows))
	for i := range rows {
		out[i] = assignmentOf(&rows[i])
	}
	return out, nil
}

var errCourseNotFound = errs.New(errs.NotFound, "error.course_not_found")

// Assign sets a published course for a class with an optional due date;
// for a course already assigned it moves the due date (an edit, audited as
// assignment.update, not a second assignment; a new one is
// assignment.create). created says which.
func (s *Service) Assign(ctx context.Context, a Actor, id int64, slug string, due *time.Time) (Assignment, bool, error) {
	defer s.grids.classChanged(id)
	c, in, err := s.work(ctx, a.Principal, id)
	if err != nil {
		return Assignment{}, false, err
	}
	course, v, err := s.db.CourseBySlug(ctx, slug)
	if errors.Is(err, errs.ErrNotFound) || err == nil && !course.Published {
		return Assignment{}, false, errCourseNotFound
	}
	if err != nil {
		return Assignment{}, false, err
	}
	var dueUTC *time.Time
	if due != nil {
		d := due.UTC().Truncate(time.Second)
		dueUTC = &d
	}
	actor := a.UserID
	as := &store.Assignment{ClassID: c.ID, CourseID: course.ID, DueAt: dueUTC, CreatedBy: &actor}
	detail := "course " + slug + ", due "
	if dueUTC != nil {
		detail += dueUTC.Format(time.RFC3339)
	} else {
		detail += "none"
	}
	created, err := s.db.AssignAudited(ctx, as, func(created bool) *store.AuditEntry {
		if created {
			return audit(a, "assignment.create", c, in, detail)
		}
		return audit(a, "assignment.update", c, in, detail)
	})
	if err != nil {
		return Assignment{}, false, err
	}
	return Assignment{Slug: course.Slug, Title: v.Title, Language: course.Language, StudyHours: v.StudyHours, DueAt: dueUTC,
		CreatedAt: as.CreatedAt}, created, nil
}

// Unassign removes a course from a class, audited as assignment.remove;
// the members' enrolments and progress stay.
func (s *Service) Unassign(ctx context.Context, a Actor, id int64, slug string) error {
	defer s.grids.classChanged(id)
	c, in, err := s.work(ctx, a.Principal, id)
	if err != nil {
		return err
	}
	course, _, err := s.db.CourseBySlug(ctx, slug)
	if errors.Is(err, errs.ErrNotFound) {
		return errCourseNotFound
	}
	if err != nil {
		return err
	}
	err = s.db.Unassign(ctx, c.ID, course.ID, audit(a, "assignment.remove", c, in, "course "+slug))
	if errors.Is(err, errs.ErrNotFound) {
		return errs.New(errs.NotFound, "error.assignment_not_found")
	}
	return err
}
