package store

import (
	"context"
	"database/sql"
	"sort"
	"time"

	"gorm.io/gorm/clause"
)

// Enrollment links a learner to a course. InstitutionID and RegionCode are
// copied at enrolment so statistics count a learner where they studied even
// after they move.
type Enrollment struct {
	ID              int64
	UserID          int64
	CourseID        int64
	CourseVersionID int64
	EnrolledAt      time.Time
	CompletedAt     *time.Time
	HoursCredited   float64
	InstitutionID   *int64
	RegionCode      *string `gorm:"size:6"`
}

func (Enrollment) TableName() string { return "enrollments" }

// Enroll creates the enrolment unless it exists; created reports which.
func (s *Store) Enroll(ctx context.Context, e *Enrollment) (created bool, err error) {
	if e.EnrolledAt.IsZero() {
		e.EnrolledAt = s.now()
	}
	res := s.w.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(e)
	if res.Error != nil {
		return false, classify(res.Error)
	}
	return res.RowsAffected == 1, nil
}

// EnrollmentOf returns a learner's enrolment in a course.
func (s *Store) EnrollmentOf(ctx context.Context, userID, courseID int64) (*Enrollment, error) {
	var e Enrollment
	if err := s.r.WithContext(ctx).Where("user_id = ? AND course_id = ?", userID, courseID).Take(&e).Error; err != nil {
		return nil, classify(err)
	}
	return &e, nil
}

// EnrollmentsOf lists a learner's enrolments, newest first.
func (s *Store) EnrollmentsOf(ctx context.Context, userID int64) ([]Enrollment, error) {
	var out []Enrollment
	err := s.readRows(ctx, `SELECT id, user_id, course_id, course_version_id, enrolled_at, completed_at,
  hours_credited, institution_id, region_code FROM enrollments WHERE user_id = ?`, []any{userID},
		func(r *sql.Rows) error {
			var e Enrollment
			err := r.Scan(&e.ID, &e.UserID, &e.CourseID, &e.CourseVersionID, &e.EnrolledAt, &e.CompletedAt,
				&e.HoursCredited, &e.InstitutionID, &e.RegionCode)
			out = append(out, e)
			return err
		})
	sort.Slice(out, func(i, j int) bool {
		if !out[i].EnrolledAt.Equal(out[j].EnrolledAt) {
			return out[i].EnrolledAt.After(out[j].EnrolledAt)
		}
		return out[i].ID > out[j].ID
	})
	return out, err
}

// Assignment is a course set for a class, with an optional due date.
type Assignment struct {
	ID        int64
	ClassID   int64
	CourseID  int64
	DueAt     *time.Time
	CreatedBy *int64
	CreatedAt time.Time
}

func (Assignment) TableName() string { return "assignments" }

// AssignedCourse is a course assigned to a learner through one of their classes.
type AssignedCourse struct {
	CourseID int64
	DueAt    *time.Time
}

// AssignmentsFor lists the courses assigned to a learner by the classes
// they are in that are not archived; when two classes
// assign the same course the earlier due date wins.
func (s *Store) AssignmentsFor(ctx context.Context, userID int64) ([]AssignedCourse, error) {
	var rows []AssignedCourse
	err := s.readRows(ctx, `SELECT a.course_id, a.due_at FROM class_members m
  JOIN classes c ON c.id = m.class_id JOIN assignments a ON a.class_id = m.class_id
  WHERE m.user_id = ? AND c.archived_at IS NULL`, []any{userID},
		func(r *sql.Rows) error {
			var a AssignedCourse
			err := r.Scan(&a.CourseID, &a.DueAt)
			rows = append(rows, a)
			return err
		})
	if err != nil {
		return nil, err
	}
	// Folded here rather than with MIN(): SQLite returns aggregated
	// DATETIME values as text.
	sort.Slice(rows, func(i, j int) bool { return rows[i].CourseID < rows[j].CourseID })
	var out []AssignedCourse
	for _, r := range rows {
		n := len(out)
		if n > 0 && out[n-1].CourseID == r.CourseID {
			if r.DueAt != nil && (out[n-1].DueAt == nil || r.DueAt.Before(*out[n-1].DueAt)) {
				out[n-1].DueAt = r.DueAt
			}
			continue
		}
		out = append(out, AssignedCourse{CourseID: r.CourseID, DueAt: r.DueAt})
	}
	return out, nil
}
