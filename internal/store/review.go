package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/xuetang-edu/xuetang/internal/errs"
)

// CourseReview is a request to widen a course's audience beyond what its
// publisher may grant alone. The course keeps its visibility until the
// request is approved.
type CourseReview struct {
	ID                 int64
	CourseID           int64
	Visibility         string `gorm:"size:16"` // VisibilityRegion or VisibilityPublic
	Status             string `gorm:"size:16"` // ReviewPending, ReviewApproved or ReviewReturned
	OwnerInstitutionID *int64
	OwnerRegionCode    string `gorm:"size:6"`
	RequestedBy        int64
	RequestedAt        time.Time
	DecidedBy          *int64
	DecidedAt          *time.Time
	Comment            string `gorm:"size:1000"`
}

func (CourseReview) TableName() string { return "course_reviews" }

// Review states.
const (
	ReviewPending  = "pending"
	ReviewApproved = "approved"
	ReviewReturned = "returned"
)

// OwnedFilter narrows a list to the courses a staff member edits: All, or
// those owned by one institution, or by the institutions under a region
// prefix. The zero value matches nothing.
type OwnedFilter struct {
	All           bool
	InstitutionID int64
	RegionPrefix  string
}

// owned restricts q, whose course owner column is col, to f; ok is false
// when f matches nothing.
func (s *Store) owned(q *gorm.DB, f OwnedFilter, col string) (*gorm.DB, bool) {
	switch {
	case f.All:
		return q, true
	case f.RegionPrefix != "":
		return q.Where(col+" IN (?)", s.r.Model(&Institution{}).Select("id").
			Where("region_code LIKE ?", likePrefix(f.RegionPrefix))), true
	case f.InstitutionID != 0:
		return q.Where(col+" = ?", f.InstitutionID), true
	}
	return q, false
}

// RequestReview records a request for wider visibility. A course has at most
// one pending request: asking again replaces what it asks for and who asked.
func (s *Store) RequestReview(ctx context.Context, r *CourseReview, audit *AuditEntry) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		return s.fileReview(tx, r.CourseID, r, audit, s.now())
	})
}

// fileReview is RequestReview inside the caller's transaction.
func (s *Store) fileReview(tx *gorm.DB, courseID int64, r *CourseReview, audit *AuditEntry, now time.Time) error {
	r.CourseID = courseID
	var pending CourseReview
	q := tx
	if s.dialect == MySQL {
		q = tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	err := q.Where("course_id = ? AND status = ?", courseID, ReviewPending).Take(&pending).Error
	switch {
	case err == nil:
		if err := tx.Model(&CourseReview{}).Where("id = ?", pending.ID).Updates(map[string]any{
			"visibility": r.Visibility, "requested_by": r.RequestedBy, "requested_at": now,
		}).Error; err != nil {
			return err
		}
		pending.Visibility, pending.RequestedBy, pending.RequestedAt = r.Visibility, r.RequestedBy, now
		*r = pending
	case errors.Is(err, gorm.ErrRecordNotFound):
		r.ID, r.Status, r.RequestedAt = 0, ReviewPending, now
		if err := tx.Create(r).Error; err != nil {
			return err
		}
	default:
		return err
	}
	return s.auditIn(tx, audit, now)
}

// SetCourseVisibility changes who sees a course, with its audit entry, in
// one transaction. A pending request asking for no more than the new
// visibility has nothing left to ask and is closed as approved.
func (s *Store) SetCourseVisibility(ctx context.Context, courseID int64, visibility string, by int64, audit *AuditEntry) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		if err := tx.Model(&Course{}).Where("id = ?", courseID).
			Updates(map[string]any{"visibility": visibility, "updated_at": now}).Error; err != nil {
			return err
		}
		covered := []string{VisibilityRegion}
		if visibility == VisibilityPublic {
			covered = append(covered, VisibilityPublic)
		}
		if visibility != VisibilityInstitution {
			if err := tx.Model(&CourseReview{}).Where("course_id = ? AND status = ? AND visibility IN ?", courseID, ReviewPending, covered).
				Updates(map[string]any{"status": ReviewApproved, "decided_by": by, "decided_at": now}).Error; err != nil {
				return err
			}
		}
		return s.auditIn(tx, audit, now)
	})
}

// ReviewByID returns a review request.
func (s *Store) ReviewByID(ctx context.Context, id int64) (*CourseReview, error) {
	var r CourseReview
	if err := s.r.WithContext(ctx).Take(&r, id).Error; err != nil {
		return nil, classify(err)
	}
	return &r, nil
}

// ReviewQuery selects a keyset page of review requests, newest first.
type ReviewQuery struct {
	Owned OwnedFilter
	// Visibility, when set, keeps the requests asking for it (a region
	// admin's queue holds region requests only).
	Visibility string
	Status     string // "": any
	CourseID   int64  // 0: any
	BeforeID   int64
	Limit      int
}

// ReviewListing is a request with its course and people named.
type ReviewListing struct {
	CourseReview
	Slug              string
	Title             string
	CurrentVisibility string
	Institution       string
	RequestedByName   string
	DecidedByName     string
}

// ListReviews returns a page of requests by descending id.
func (s *Store) ListReviews(ctx context.Context, q ReviewQuery) ([]ReviewListing, error) {
	db := s.r.WithContext(ctx).Table("course_reviews AS r").
		Select("r.*, c.slug, COALESCE(v.title, '') AS title, c.visibility AS current_visibility, " +
			"COALESCE(i.name, '') AS institution, COALESCE(ru.display_name, '') AS requested_by_name, " +
			"COALESCE(du.display_name, '') AS decided_by_name").
		Joins("JOIN courses c ON c.id = r.course_id").
		Joins("LEFT JOIN course_versions v ON v.id = c.current_version_id").
		Joins("LEFT JOIN institutions i ON i.id = r.owner_institution_id").
		Joins("LEFT JOIN users ru ON ru.id = r.requested_by").
		Joins("LEFT JOIN users du ON du.id = r.decided_by")
	switch {
	case q.Owned.All:
	case q.Owned.RegionPrefix != "":
		db = db.Where("r.owner_region_code LIKE ?", likePrefix(q.Owned.RegionPrefix))
	case q.Owned.InstitutionID != 0:
		db = db.Where("r.owner_institution_id = ?", q.Owned.InstitutionID)
	default:
		return nil, nil
	}
	if q.Visibility != "" {
		db = db.Where("r.visibility = ?", q.Visibility)
	}
	if q.Status != "" {
		db = db.Where("r.status = ?", q.Status)
	}
	if q.CourseID != 0 {
		db = db.Where("r.course_id = ?", q.CourseID)
	}
	if q.BeforeID > 0 {
		db = db.Where("r.id < ?", q.BeforeID)
	}
	var out []ReviewListing
	return out, classify(db.Order("r.id DESC").Limit(q.Limit).Scan(&out).Error)
}

// DecideReview approves a pending request (the course takes the requested
// visibility) or sends it back with a comment, with its audit entry, in one
// transaction. A request already decided is a conflict.
func (s *Store) DecideReview(ctx context.Context, id int64, approve bool, by int64, comment string, audit *AuditEntry) (*CourseReview, error) {
	var r CourseReview
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		q := tx
		if s.dialect == MySQL {
			q = tx.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		if err := q.Take(&r, id).Error; err != nil {
			return err
		}
		if r.Status != ReviewPending {
			return errs.New(errs.Conflict, "review.error.decided").With("status", r.Status)
		}
		status := ReviewReturned
		if approve {
			status = ReviewApproved
		}
		// The status in the WHERE makes a second decision racing this one
		// on SQLite (no row lock) change nothing.
		res := tx.Model(&CourseReview{}).Where("id = ? AND status = ?", id, ReviewPending).Updates(map[string]any{
			"status": status, "decided_by": by, "decided_at": now, "comment": comment,
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return errs.New(errs.Conflict, "review.error.decided").With("status", "")
		}
		if approve {
			if err := tx.Model(&Course{}).Where("id = ?", r.CourseID).
				Updates(map[string]any{"visibility": r.Visibility, "updated_at": now}).Error; err != nil {
				return err
			}
		}
		r.Status, r.DecidedBy, r.DecidedAt, r.Comment = status, &by, &now, comment
		return s.auditIn(tx, audit, now)
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// VersionSummary is one version in a course's history.
type VersionSummary struct {
	ID          int64
	Version     int
	Title       string
	PublishedAt time.Time
	PublishedBy *int64
	ByName      string
	ByUsername  string
	Lessons     int
}

// VersionHistory lists a course's versions, newest first. A course has a
// version per publication, tens at most, so the list is not paginated.
func (s *Store) VersionHistory(ctx context.Context, courseID int64) ([]VersionSummary, error) {
	var out []VersionSummary
	err := s.r.WithContext(ctx).Table("course_versions AS v").
		Select("v.id, v.version, v.title, v.published_at, v.published_by, "+
			"COALESCE(u.display_name, '') AS by_name, COALESCE(u.username, '') AS by_username, "+
			"(SELECT COUNT(*) FROM lessons l WHERE l.course_version_id = v.id) AS lessons").
		Joins("LEFT JOIN users u ON u.id = v.published_by").
		Where("v.course_id = ?", courseID).Order("v.version DESC").Scan(&out).Error
	return out, classify(err)
}

// SetCoursePublished withdraws a course (false: out of the catalogue, no
// new enrolments; records kept) or publishes it again, with its audit
// entry in the same transaction. Asking for the state it is in is a
// conflict.
func (s *Store) SetCoursePublished(ctx context.Context, courseID int64, published bool, audit *AuditEntry) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		res := tx.Model(&Course{}).Where("id = ? AND published = ?", courseID, !published).
			Updates(map[string]any{"published": published, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			key := "author.error.already_withdrawn"
			if published {
				key = "author.error.not_withdrawn"
			}
			return errs.New(errs.Conflict, key)
		}
		return s.auditIn(tx, audit, now)
	})
}
