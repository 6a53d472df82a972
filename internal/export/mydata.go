package export

import (
	"archive/zip"
	"io"
	"strconv"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/sheet"
)

// MyDataZip writes a person's own data (account.MyData) as a zip of CSV files, one per kind of
// record, each UTF-8 with a byte-order mark so spreadsheet programs on
// Chinese Windows read the names right, and with formula-looking cells
// neutralised.
func MyDataZip(w io.Writer, d *account.MyData) error {
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
		cw, err := sheet.NewCSV(fw, f.header)
		if err != nil {
			return err
		}
		for _, r := range f.rows {
			if err := cw.WriteRow(sheet.Strings(r)); err != nil {
				return err
			}
		}
		if err := cw.Close(); err != nil {
			return err
		}
	}
	return z.Close()
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
