package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/xuetang-edu/xuetang/internal/errs"
)

// CourseDraft is a course being edited in the browser. Body is the editor's
// structured course (JSON, internal/authoring/draft.go); publishing turns it
// into the next immutable version. Learners never read drafts.
type CourseDraft struct {
	ID   int64
	Slug string `gorm:"size:64"`
	// CourseID is the published course the draft edits; nil for a course
	// not published yet.
	CourseID           *int64
	OwnerInstitutionID *int64
	// BaseVersion is the version the draft started from (0: none).
	BaseVersion int
	Body        string
	Revision    int
	CreatedBy   int64
	UpdatedBy   int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (CourseDraft) TableName() string { return "course_drafts" }

// DraftAsset is an image of a draft, already made safe to serve.
type DraftAsset struct {
	ID          int64
	DraftID     int64
	Path        string `gorm:"size:255"`
	ContentType string `gorm:"size:64"`
	Data        []byte
	CreatedAt   time.Time
}

func (DraftAsset) TableName() string { return "draft_assets" }

// CreateDraft stores a new draft with its first assets (copied from the
// version it starts from). A slug that already has a draft is a conflict,
// and so is a new course's slug that a published course holds.
func (s *Store) CreateDraft(ctx context.Context, d *CourseDraft, assets []DraftAsset, audit *AuditEntry) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		if d.CourseID == nil {
			var n int64
			if err := tx.Model(&Course{}).Where("slug = ?", d.Slug).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return errs.New(errs.Conflict, "author.error.slug_taken").With("slug", d.Slug)
			}
		}
		d.CreatedAt, d.UpdatedAt = now, now
		if d.Revision == 0 {
			d.Revision = 1
		}
		if err := tx.Create(d).Error; err != nil {
			if isDuplicate(err) {
				return errs.New(errs.Conflict, "author.error.draft_exists").With("slug", d.Slug)
			}
			return err
		}
		for i := range assets {
			a := assets[i]
			a.ID, a.DraftID, a.CreatedAt = 0, d.ID, now
			if err := tx.Create(&a).Error; err != nil {
				return err
			}
		}
		return s.auditIn(tx, audit, now)
	})
}

// DraftBySlug returns the draft of a course, or ErrNotFound.
func (s *Store) DraftBySlug(ctx context.Context, slug string) (*CourseDraft, error) {
	var d CourseDraft
	if err := s.w.WithContext(ctx).Where("slug = ?", slug).Take(&d).Error; err != nil {
		return nil, classify(err)
	}
	return &d, nil
}

// SaveDraft replaces a draft's body if it is still at baseRevision and
// returns the new revision. Any other revision means someone saved in
// between: errs.Conflict, nothing written.
func (s *Store) SaveDraft(ctx context.Context, id int64, baseRevision int, body string, by int64, audit *AuditEntry) (int, error) {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		res := tx.Model(&CourseDraft{}).Where("id = ? AND revision = ?", id, baseRevision).
			Updates(map[string]any{"body": body, "revision": baseRevision + 1, "updated_by": by, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errs.New(errs.Conflict, "author.error.draft_stale")
		}
		return s.auditIn(tx, audit, now)
	})
	return baseRevision + 1, err
}

// AddDraftAsset stores an image; the same path again keeps the first
// (paths carry a hash of the content, so the same path is the same image).
func (s *Store) AddDraftAsset(ctx context.Context, a *DraftAsset, audit *AuditEntry) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		a.CreatedAt = now
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(a).Error; err != nil {
			return err
		}
		return s.auditIn(tx, audit, now)
	})
}

// DraftAssets lists a draft's images by path, with their bytes when data.
func (s *Store) DraftAssets(ctx context.Context, draftID int64, data bool) ([]DraftAsset, error) {
	var out []DraftAsset
	q := s.w.WithContext(ctx).Where("draft_id = ?", draftID).Order("path")
	if !data {
		q = q.Select("id", "draft_id", "path", "content_type", "created_at")
	}
	return out, classify(q.Find(&out).Error)
}

// DraftAsset returns one image of a draft.
func (s *Store) DraftAsset(ctx context.Context, draftID int64, path string) (*DraftAsset, error) {
	var a DraftAsset
	if err := s.w.WithContext(ctx).Where("draft_id = ? AND path = ?", draftID, path).Take(&a).Error; err != nil {
		return nil, classify(err)
	}
	return &a, nil
}

// DeleteDraft drops a draft and its images.
func (s *Store) DeleteDraft(ctx context.Context, id int64, audit *AuditEntry) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := deleteDraftIn(tx, id); err != nil {
			return err
		}
		return s.auditIn(tx, audit, s.now())
	})
}

func deleteDraftIn(tx *gorm.DB, id int64) error {
	if err := tx.Where("draft_id = ?", id).Delete(&DraftAsset{}).Error; err != nil {
		return err
	}
	res := tx.Where("id = ?", id).Delete(&CourseDraft{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return errs.New(errs.NotFound, "author.error.draft_not_found")
	}
	return nil
}

// LatestVersion is the highest version number a course ever had (0: none),
// which the next published version must exceed even when the current one
// is older.
func (s *Store) LatestVersion(ctx context.Context, courseID int64) (int, error) {
	var v int
	err := s.w.WithContext(ctx).Model(&CourseVersion{}).Where("course_id = ?", courseID).
		Select("COALESCE(MAX(version), 0)").Scan(&v).Error
	return v, classify(err)
}
