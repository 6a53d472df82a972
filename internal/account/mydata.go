package account

import (
	"archive/zip"
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
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

// WriteCSVZip writes the data as a zip of CSV files, one per kind of
// record, each UTF-8 with a byte-order mark so spreadsheet programs on
// Chinese Windows read the names right, and with formula-looking cells
// neutralised.
func (d *MyData) WriteCSVZip(w io.Writer) error {
	z := zip.NewWriter(w)
	files := []struct {
		name   string
		header []string
		rows   [][]string
	}{
		{"profile.csv", []string{"username", "display_name", "role", "locale", "birth_year", "institution_id", "region_code",
			"guardian_name", "guardian_consent_date", "privacy_version", "privacy_accepted_at", "last_sign_in_at", "created_at"},
			[][]string{{d.Profile.Username, d.Profile.DisplayName, d.Profile.Role, d.Profile.Locale, intp(d.Profile.BirthYear),
				int64p(d.Profile.InstitutionID), strp(d.Profile.RegionCode), strp(d.Profile.GuardianName),
				datep(d.Profile.GuardianConsentDate), strp(d.Profile.PrivacyVersion), timep(d.Profile.PrivacyAcceptedAt),
				timep(d.Profile.LastSignInAt), stamp(d.Profile.CreatedAt)}}},
		{"enrolments.csv", []string{"course", "course_title", "enrolled_at", "completed_at", "hours_credited"}, nil},
		{"lesson_progress.csv", []string{"course_id", "lesson", "first_opened_at", "last_seen_at", "completed_at",
			"active_seconds", "best_score", "attempts"}, nil},
		{"quiz_attempts.csv", []string{"course_id", "lesson", "score", "passed", "answers", "created_at"}, nil},
		{"certificates.csv", []string{"serial", "course_title", "learner_name", "study_hours", "issued_at", "revoked_at"}, nil},
	}
	for _, e := range d.Enrolments {
		files[1].rows = append(files[1].rows, []string{e.Course, e.CourseTitle, stamp(e.EnrolledAt), timep(e.CompletedAt),
			strconv.FormatFloat(e.HoursCredited, 'f', 2, 64)})
	}
	for _, p := range d.Progress {
		files[2].rows = append(files[2].rows, []string{strconv.FormatInt(p.CourseID, 10), p.Lesson, stamp(p.FirstOpenedAt),
			stamp(p.LastSeenAt), timep(p.CompletedAt), strconv.Itoa(p.ActiveSeconds), intp(p.BestScore), strconv.Itoa(p.Attempts)})
	}
	for _, a := range d.Attempts {
		files[3].rows = append(files[3].rows, []string{strconv.FormatInt(a.CourseID, 10), a.Lesson, strconv.Itoa(a.Score),
			strconv.FormatBool(a.Passed), a.Answers, stamp(a.CreatedAt)})
	}
	for _, c := range d.Certificates {
		files[4].rows = append(files[4].rows, []string{c.Serial, c.CourseTitle, c.LearnerName,
			strconv.FormatFloat(c.StudyHours, 'f', 2, 64), stamp(c.IssuedAt), timep(c.RevokedAt)})
	}
	for _, f := range files {
		fw, err := z.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: d.Exported})
		if err != nil {
			return err
		}
		if _, err := io.WriteString(fw, "\ufeff"); err != nil {
			return err
		}
		cw := csv.NewWriter(fw)
		cw.UseCRLF = true
		if err := cw.Write(f.header); err != nil {
			return err
		}
		for _, r := range f.rows {
			for i := range r {
				r[i] = SafeCell(r[i])
			}
			if err := cw.Write(r); err != nil {
				return err
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
	}
	return z.Close()
}

// SafeCell keeps a spreadsheet from running a cell as a formula: a leading
// = + - @ tab or carriage return gets an apostrophe before it.
func SafeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func timep(t *time.Time) string {
	if t == nil {
		return ""
	}
	return stamp(*t)
}

func datep(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.DateOnly)
}

func intp(v *int) string {
	if v == nil {
		return ""
	}
	return strconv.Itoa(*v)
}

func int64p(v *int64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatInt(*v, 10)
}

func strp(v *string) string {
	if v == nil {
		return ""
	}
	return *v
}
