package store

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Statement is a yearly study-hour statement (年度学时证明) as printed: its
// content is the JSON the learner saw, kept verbatim so the verification
// page shows what the paper says even after the numbers move on.
type Statement struct {
	ID       int64
	Serial   string `gorm:"size:32"`
	UserID   int64
	Year     int
	Total    float64
	Content  string `gorm:"type:text"`
	IssuedAt time.Time
}

func (Statement) TableName() string { return "statements" }

// IssueStatement returns the learner's latest statement for st.Year when
// its content equals st.Content, and otherwise stores st as a new one
// (st.Serial must be fresh). issued reports whether st was stored.
func (s *Store) IssueStatement(ctx context.Context, st *Statement) (out *Statement, issued bool, err error) {
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var last []Statement
		if err := tx.Where("user_id = ? AND year = ?", st.UserID, st.Year).Order("id DESC").Limit(1).Find(&last).Error; err != nil {
			return err
		}
		if len(last) == 1 && last[0].Content == st.Content {
			out = &last[0]
			return nil
		}
		if err := tx.Create(st).Error; err != nil {
			return err
		}
		out, issued = st, true
		return nil
	})
	return out, issued, classify(err)
}

// StatementBySerial finds a statement and whether its holder's account has
// been deleted since; unknown is ErrNotFound.
func (s *Store) StatementBySerial(ctx context.Context, serial string) (*Statement, bool, error) {
	var st Statement
	if err := s.r.WithContext(ctx).Where("serial = ?", serial).Take(&st).Error; err != nil {
		return nil, false, classify(err)
	}
	var n int64
	if err := s.r.WithContext(ctx).Model(&User{}).Where("id = ? AND deleted_at IS NULL", st.UserID).Count(&n).Error; err != nil {
		return nil, false, classify(err)
	}
	return &st, n == 0, nil
}

// CompletedCourse is an enrolment completed in a period, with the title of
// the version it was completed on.
type CompletedCourse struct {
	CourseID      int64
	Slug          string
	Title         string
	CompletedAt   time.Time
	HoursCredited float64
}

// CompletedBetween lists a learner's enrolments completed in [from, to),
// oldest first: bounded by the courses they took.
func (s *Store) CompletedBetween(ctx context.Context, userID int64, from, to time.Time) ([]CompletedCourse, error) {
	var out []CompletedCourse
	err := s.r.WithContext(ctx).Table("enrollments e").
		Select("e.course_id, c.slug, COALESCE(v.title, c.slug) AS title, e.completed_at, e.hours_credited").
		Joins("JOIN courses c ON c.id = e.course_id").
		Joins("LEFT JOIN course_versions v ON v.id = e.course_version_id").
		Where("e.user_id = ? AND e.completed_at >= ? AND e.completed_at < ?", userID, from.UTC(), to.UTC()).
		Order("e.completed_at, e.id").Scan(&out).Error
	return out, classify(err)
}
