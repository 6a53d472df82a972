package account

import (
	"context"
	"time"
)

// MyData is everything kept about a person's account and learning, as they
// download it (PIPL: a right to a copy). Times are UTC, RFC 3339.
type MyData struct {
	Exported     time.Time       `json:"exported_at"`
	Profile      MyProfile       `json:"profile"`
	Enrolments   []MyEnrolment   `json:"enrolments"`
	Progress     []MyProgress    `json:"lesson_progress"`
	Attempts     []MyAttempt     `json:"quiz_attempts"`
	Certificates []MyCertificate `json:"certificates"`
}

// MyProfile is the account itself, without the password hash.
type MyProfile struct {
	Username            string     `json:"username"`
	DisplayName         string     `json:"display_name"`
	Role                string     `json:"role"`
	Locale              string     `json:"locale"`
	BirthYear           *int       `json:"birth_year"`
	InstitutionID       *int64     `json:"institution_id"`
	RegionCode          *string    `json:"region_code"`
	GuardianName        *string    `json:"guardian_name"`
	GuardianConsentDate *time.Time `json:"guardian_consent_date"`
	PrivacyVersion      *string    `json:"privacy_version"`
	PrivacyAcceptedAt   *time.Time `json:"privacy_accepted_at"`
	LastSignInAt        *time.Time `json:"last_sign_in_at"`
	CreatedAt           time.Time  `json:"created_at"`
}

// MyEnrolment is one course the person enrolled in.
type MyEnrolment struct {
	Course        string     `json:"course"`
	CourseTitle   string     `json:"course_title"`
	EnrolledAt    time.Time  `json:"enrolled_at"`
	CompletedAt   *time.Time `json:"completed_at"`
	HoursCredited float64    `json:"hours_credited"`
}

// MyProgress is the person's state on one lesson.
type MyProgress struct {
	CourseID      int64      `json:"course_id"`
	Lesson        string     `json:"lesson"`
	FirstOpenedAt time.Time  `json:"first_opened_at"`
	LastSeenAt    time.Time  `json:"last_seen_at"`
	CompletedAt   *time.Time `json:"completed_at"`
	ActiveSeconds int        `json:"active_seconds"`
	BestScore     *int       `json:"best_score"`
	Attempts      int        `json:"attempts"`
}

// MyAttempt is one graded quiz submission with the answers given.
type MyAttempt struct {
	CourseID  int64     `json:"course_id"`
	Lesson    string    `json:"lesson"`
	Score     int       `json:"score"`
	Passed    bool      `json:"passed"`
	Answers   string    `json:"answers"`
	CreatedAt time.Time `json:"created_at"`
}

// MyCertificate is one certificate issued to the person.
type MyCertificate struct {
	Serial      string     `json:"serial"`
	CourseTitle string     `json:"course_title"`
	LearnerName string     `json:"learner_name"`
	StudyHours  float64    `json:"study_hours"`
	IssuedAt    time.Time  `json:"issued_at"`
	RevokedAt   *time.Time `json:"revoked_at"`
}

// MyData gathers the signed-in person's own records.
func (s *Service) MyData(ctx context.Context, userID int64) (*MyData, error) {
	now := s.now()
	d, err := s.db.PersonalDataOf(ctx, userID)
	if err != nil {
		return nil, err
	}
	u := d.User
	out := &MyData{Exported: now.UTC(), Profile: MyProfile{Username: u.Username, DisplayName: u.DisplayName, Role: u.Role,
		Locale: u.Locale, BirthYear: u.BirthYear, InstitutionID: u.InstitutionID, RegionCode: u.RegionCode,
		GuardianName: u.GuardianName, GuardianConsentDate: u.GuardianConsentDate, PrivacyVersion: u.PrivacyVersion,
		PrivacyAcceptedAt: u.PrivacyAcceptedAt, LastSignInAt: u.LastSignInAt, CreatedAt: u.CreatedAt},
		Enrolments: []MyEnrolment{}, Progress: []MyProgress{}, Attempts: []MyAttempt{}, Certificates: []MyCertificate{}}
	for _, e := range d.Enrollments {
		out.Enrolments = append(out.Enrolments, MyEnrolment{Course: e.CourseSlug, CourseTitle: e.CourseTitle,
			EnrolledAt: e.EnrolledAt, CompletedAt: e.CompletedAt, HoursCredited: e.HoursCredited})
	}
	for _, p := range d.Progress {
		out.Progress = append(out.Progress, MyProgress{CourseID: p.CourseID, Lesson: p.LessonSlug, FirstOpenedAt: p.FirstOpenedAt,
			LastSeenAt: p.LastSeenAt, CompletedAt: p.CompletedAt, ActiveSeconds: p.ActiveSeconds, BestScore: p.BestScore, Attempts: p.Attempts})
	}
	for _, a := range d.Attempts {
		out.Attempts = append(out.Attempts, MyAttempt{CourseID: a.CourseID, Lesson: a.LessonSlug, Score: a.Score, Passed: a.Passed,
			Answers: a.Answers, CreatedAt: a.CreatedAt})
	}
	for _, c := range d.Certificates {
		out.Certificates = append(out.Certificates, MyCertificate{Serial: c.Serial, CourseTitle: c.CourseTitle,
			LearnerName: c.LearnerName, StudyHours: c.StudyHours, IssuedAt: c.IssuedAt, RevokedAt: c.RevokedAt})
	}
	return out, nil
}
