package store

import (
	"context"
	"errors"
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
	err := s.r.WithContext(ctx).Where("user_id = ?", userID).Order("issued_at DESC").Find(&out).Error
	return out, classify(err)
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
