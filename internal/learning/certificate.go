package learning

import (
	"context"
	"time"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// CertificateView is the public verification of a certificate.
type CertificateView struct {
	Serial          string    `json:"serial"`
	LearnerName     string    `json:"learner_name"`
	CourseTitle     string    `json:"course_title"`
	CourseSlug      string    `json:"course_slug"`
	Language        string    `json:"language"`
	StudyHours      float64   `json:"study_hours"`
	IssuedAt        time.Time `json:"issued_at"`
	InstitutionName string    `json:"institution_name"`
	VerifyURL       string    `json:"verify_url"`
	// TimeZone is the deployment's: the page shows the issue date as the
	// issuing institution saw it, wherever the reader is.
	TimeZone string `json:"time_zone"`
	// RevokedAt and RevokedReason say a certificate no longer stands.
	RevokedAt     *time.Time `json:"revoked_at,omitempty"`
	RevokedReason string     `json:"revoked_reason,omitempty"`
}

// Certificate looks up a certificate by serial for anyone; unknown is errs.NotFound.
func (s *Service) Certificate(ctx context.Context, serial string) (*CertificateView, error) {
	serial = NormalizeSerial(serial)
	c, err := s.st.CertificateBySerial(ctx, serial)
	if err != nil {
		if errs.CodeOf(err) == errs.NotFound {
			return nil, errs.New(errs.NotFound, "error.certificate_not_found")
		}
		return nil, err
	}
	course, err := s.st.CourseByID(ctx, c.CourseID)
	if err != nil {
		return nil, err
	}
	return &CertificateView{Serial: c.Serial, LearnerName: c.LearnerName, CourseTitle: c.CourseTitle,
		CourseSlug: course.Slug, Language: course.Language, StudyHours: c.StudyHours, IssuedAt: c.IssuedAt,
		InstitutionName: c.InstitutionName, VerifyURL: s.VerifyURL(c.Serial), TimeZone: s.loc.String(),
		RevokedAt: c.RevokedAt, RevokedReason: c.RevokedReason}, nil
}

// VerifyURL is the public page that verifies a certificate.
func (s *Service) VerifyURL(serial string) string { return s.baseURL + "/verify/" + serial }

// Revoker is what revoking a certificate needs from the database.
type Revoker interface {
	RevokeCertificate(ctx context.Context, serial, reason string, actorID *int64) (*store.Certificate, error)
}

// Revoke withdraws a certificate (issued in error, or obtained dishonestly):
// the verification page then says "revoked" with the date and reason. The
// learner's completion and hours are not touched; that is a separate,
// audited decision.
func Revoke(ctx context.Context, st Revoker, serial, reason string, actorID *int64) (*store.Certificate, error) {
	return st.RevokeCertificate(ctx, NormalizeSerial(serial), reason, actorID)
}
