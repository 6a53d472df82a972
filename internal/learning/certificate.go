package learning

import (
	"context"
	"crypto/rand"
	"strings"
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
	// HolderRemoved: the holder's account was deleted; the certificate was
	// issued and still stands, but names nobody.
	HolderRemoved bool `json:"holder_removed"`
}

// Certificate looks up a certificate by serial for anyone; unknown is errs.NotFound.
func (s *Service) Certificate(ctx context.Context, serial string) (*CertificateView, error) {
	serial = NormalizeSerial(serial)
	c, err := s.certificates.CertificateBySerial(ctx, serial)
	if err != nil {
		if errs.CodeOf(err) == errs.NotFound {
			return nil, errs.New(errs.NotFound, "error.certificate_not_found")
		}
		return nil, err
	}
	course, err := s.courses.CourseByID(ctx, c.CourseID)
	if err != nil {
		return nil, err
	}
	return &CertificateView{Serial: c.Serial, LearnerName: c.LearnerName, CourseTitle: c.CourseTitle,
		CourseSlug: course.Slug, Language: course.Language, StudyHours: c.StudyHours, IssuedAt: c.IssuedAt,
		InstitutionName: c.InstitutionName, VerifyURL: s.VerifyURL(c.Serial), TimeZone: s.loc.String(),
		RevokedAt: c.RevokedAt, RevokedReason: c.RevokedReason, HolderRemoved: c.HolderRemovedAt != nil}, nil
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

// serialOf is the serial of a learner's certificate for a course; "" when
// they have none.
func (s *Service) serialOf(ctx context.Context, userID, courseID int64) (string, error) {
	certs, err := s.certificates.CertificatesOf(ctx, userID)
	if err != nil {
		return "", err
	}
	for _, c := range certs {
		if c.CourseID == courseID {
			return c.Serial, nil
		}
	}
	return "", nil
}

// Crockford's base32 without I, L, O, U: serials are read aloud and typed
// by hand on the verification page.
const serialAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewSerial returns an unguessable certificate serial with 80 random bits,
// e.g. XT-7KQ2-M9WD-3HPA-TX6C.
func NewSerial() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return SerialOf(b)
}

// SerialOf spells 16 bytes as a serial (5 bits of each): NewSerial with
// random ones, the data generator with seeded ones.
func SerialOf(b [16]byte) string {
	var sb strings.Builder
	sb.WriteString("XT")
	for i := 0; i < 16; i++ {
		if i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(serialAlphabet[b[i]&31])
	}
	return sb.String()
}

// NormalizeSerial accepts what people type: lower case, spaces, and the
// letters Crockford maps to digits.
func NormalizeSerial(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.NewReplacer(" ", "", "O", "0", "I", "1", "L", "1").Replace(s)
	// XT: certificates; XS: yearly study-hour statements.
	if !strings.HasPrefix(s, "XT") && !strings.HasPrefix(s, "XS") {
		return s
	}
	body := strings.ReplaceAll(s[2:], "-", "")
	if len(body) != 16 {
		return s
	}
	return s[:2] + "-" + body[0:4] + "-" + body[4:8] + "-" + body[8:12] + "-" + body[12:16]
}
