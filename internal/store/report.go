package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/xuetang-edu/xuetang/internal/errs"
)

// LessonReport is a learner's "report a problem" on a lesson. The lesson's
// slug is kept beside its id so a report still names the lesson after a
// new version replaced it.
type LessonReport struct {
	ID         int64
	CourseID   int64
	LessonID   int64
	LessonSlug string `gorm:"size:64"`
	UserID     int64
	Reason     string `gorm:"size:16"`
	Text       string `gorm:"size:1000"`
	CreatedAt  time.Time
	ResolvedAt *time.Time
	ResolvedBy *int64
}

func (LessonReport) TableName() string { return "lesson_reports" }

// CreateLessonReport stores a report unless the learner already sent max
// reports since the given time: then errs.TooManyRequests, and nothing is
// stored. The count and the insert share a transaction so a burst of
// requests cannot all pass the count at once on SQLite (one writer); on
// MySQL a burst may slip one or two past, which a rate limit tolerates.
func (s *Store) CreateLessonReport(ctx context.Context, r *LessonReport, since time.Time, max int) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&LessonReport{}).Where("user_id = ? AND created_at >= ?", r.UserID, since.UTC()).
			Count(&n).Error; err != nil {
			return err
		}
		if n >= int64(max) {
			return errs.New(errs.TooManyRequests, "report.error.too_many")
		}
		r.ID = 0
		if r.CreatedAt.IsZero() {
			r.CreatedAt = s.now()
		}
		return tx.Create(r).Error
	})
}

// ReportQuery selects a keyset page of reports on the courses a staff
// member edits, newest first.
type ReportQuery struct {
	Owned    OwnedFilter
	Open     bool  // unresolved only
	CourseID int64 // 0: any
	BeforeID int64
	Limit    int
}

// ReportListing is a report with its course and lesson named.
type ReportListing struct {
	LessonReport
	Slug        string
	CourseTitle string
	LessonTitle string
}

// ListLessonReports returns a page of reports by descending id.
func (s *Store) ListLessonReports(ctx context.Context, q ReportQuery) ([]ReportListing, error) {
	db := s.r.WithContext(ctx).Table("lesson_reports AS r").
		Select("r.*, c.slug, COALESCE(v.title, '') AS course_title, COALESCE(l.title, '') AS lesson_title").
		Joins("JOIN courses c ON c.id = r.course_id").
		Joins("LEFT JOIN course_versions v ON v.id = c.current_version_id").
		Joins("LEFT JOIN lessons l ON l.id = r.lesson_id")
	db, ok := s.owned(db, q.Owned, "c.owner_institution_id")
	if !ok {
		return nil, nil
	}
	if q.Open {
		db = db.Where("r.resolved_at IS NULL")
	}
	if q.CourseID != 0 {
		db = db.Where("r.course_id = ?", q.CourseID)
	}
	if q.BeforeID > 0 {
		db = db.Where("r.id < ?", q.BeforeID)
	}
	var out []ReportListing
	return out, classify(db.Order("r.id DESC").Limit(q.Limit).Scan(&out).Error)
}

// LessonReportByID returns a report.
func (s *Store) LessonReportByID(ctx context.Context, id int64) (*LessonReport, error) {
	var r LessonReport
	if err := s.r.WithContext(ctx).Take(&r, id).Error; err != nil {
		return nil, classify(err)
	}
	return &r, nil
}

// ResolveLessonReport marks a report resolved with its audit entry in the
// same transaction; one already resolved is a conflict.
func (s *Store) ResolveLessonReport(ctx context.Context, id, by int64, audit *AuditEntry) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		res := tx.Model(&LessonReport{}).Where("id = ? AND resolved_at IS NULL", id).
			Updates(map[string]any{"resolved_at": now, "resolved_by": by})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errs.New(errs.Conflict, "report.error.resolved")
		}
		return s.auditIn(tx, audit, now)
	})
}
