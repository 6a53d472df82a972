package store

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/xuetang-edu/xuetang/internal/errs"
)

// Certificate is issued once per completed enrolment. Names and titles are
// copied at issue so the certificate reads the same forever.
type Certificate struct {
	ID              int64
	Serial          string `gorm:"size:32"`
	EnrollmentID    int64
	UserID          int64
	CourseID        int64
	CourseVersionID int64
	LearnerName     string `gorm:"size:100"`
	CourseTitle     string `gorm:"size:200"`
	InstitutionName string `gorm:"size:200"`
	StudyHours      float64
	IssuedAt        time.Time
	RevokedAt       *time.Time
	RevokedReason   string `gorm:"size:500"`
	// HolderRemovedAt: the holder's account was deleted; the certificate
	// still verifies as issued, without a name.
	HolderRemovedAt *time.Time
}

func (Certificate) TableName() string { return "certificates" }

// CertificateBySerial finds a certificate.
func (s *Store) CertificateBySerial(ctx context.Context, serial string) (*Certificate, error) {
	var c Certificate
	if err := s.r.WithContext(ctx).Where("serial = ?", serial).Take(&c).Error; err != nil {
		return nil, classify(err)
	}
	return &c, nil
}

// CertificatesOf lists a learner's certificates, newest first.
func (s *Store) CertificatesOf(ctx context.Context, userID int64) ([]Certificate, error) {
	var out []Certificate
	err := s.readRows(ctx, `SELECT id, serial, enrollment_id, user_id, course_id, course_version_id, learner_name,
  course_title, institution_name, study_hours, issued_at, revoked_at, revoked_reason, holder_removed_at
  FROM certificates WHERE user_id = ?`, []any{userID},
		func(r *sql.Rows) error {
			var c Certificate
			err := r.Scan(&c.ID, &c.Serial, &c.EnrollmentID, &c.UserID, &c.CourseID, &c.CourseVersionID, &c.LearnerName,
				&c.CourseTitle, &c.InstitutionName, &c.StudyHours, &c.IssuedAt, &c.RevokedAt, &c.RevokedReason, &c.HolderRemovedAt)
			out = append(out, c)
			return err
		})
	sort.Slice(out, func(i, j int) bool {
		if !out[i].IssuedAt.Equal(out[j].IssuedAt) {
			return out[i].IssuedAt.After(out[j].IssuedAt)
		}
		return out[i].ID > out[j].ID
	})
	return out, err
}

// MaxRevokeReason bounds the reason kept with a revocation (its column).
const MaxRevokeReason = 500

// RevokeCertificate marks a certificate revoked, with the reason shown on
// the public verification page, audited in the same transaction. Revoking
// twice is a conflict: the first date and reason stand.
func (s *Store) RevokeCertificate(ctx context.Context, serial, reason string, actorID *int64) (*Certificate, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || len([]rune(reason)) > MaxRevokeReason {
		return nil, errs.New(errs.Invalid, "error.revoke_reason").With("field", "reason")
	}
	var c Certificate
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("serial = ?", serial).Take(&c).Error; err != nil {
			return err
		}
		if c.RevokedAt != nil {
			return errs.New(errs.Conflict, "error.certificate_revoked_already")
		}
		now := s.now()
		res := tx.Model(&Certificate{}).Where("id = ? AND revoked_at IS NULL", c.ID).
			Updates(map[string]any{"revoked_at": now, "revoked_reason": reason})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return errs.New(errs.Conflict, "error.certificate_revoked_already")
		}
		c.RevokedAt, c.RevokedReason = &now, reason
		return tx.Create(&AuditEntry{At: now, ActorID: actorID, Action: "certificate.revoke",
			Target: "certificate:" + serial, Detail: reason}).Error
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, errs.New(errs.NotFound, "error.certificate_not_found")
	}
	if err != nil {
		return nil, classify(err)
	}
	return &c, nil
}
