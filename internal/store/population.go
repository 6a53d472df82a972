package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A generated population (xuetang dev generate) is written here in bulk:
// multi-row INSERTs of literal values, a few thousand rows per statement,
// each batch in one transaction. Literals instead of placeholders: at a
// million learners the driver's per-value interpolation and SQLite's
// variable limit both cost more than writing the text once.

// PopulationUser is a generated account with the guardian consent columns
// the User model does not carry (learners under 14 need them).
type PopulationUser struct {
	User
	GuardianName        *string
	GuardianConsentDate *string // YYYY-MM-DD
}

// Population is one batch of generated rows. Rows that others refer to
// (institutions, users, classes, enrolments) carry their ids, chosen by the
// generator from PopulationState; the rest get theirs from the database.
type Population struct {
	Institutions []Institution
	Users        []PopulationUser
	Classes      []Class
	ClassMembers []ClassMember
	Assignments  []Assignment
	Enrollments  []Enrollment
	Progress     []LessonProgress
	Events       []ProgressEvent
	Attempts     []QuizAttempt
	Certificates []Certificate
}

// Rows counts the rows of a batch.
func (p *Population) Rows() int {
	return len(p.Institutions) + len(p.Users) + len(p.Classes) + len(p.ClassMembers) + len(p.Assignments) +
		len(p.Enrollments) + len(p.Progress) + len(p.Events) + len(p.Attempts) + len(p.Certificates)
}

// GeneratedAction is the audit action a generator run records, and what
// PopulationState looks for.
const GeneratedAction = "dev.generate"

// GeneratedUsernamePrefix starts every generated account's username.
const GeneratedUsernamePrefix = "gen-"

// PopulationState is what a generator run needs to know before it starts.
type PopulationState struct {
	// Generated: an earlier run left its audit entry or its accounts.
	Generated bool
	// The next free id of each table whose ids the generator chooses.
	NextInstitutionID, NextUserID, NextClassID, NextEnrollmentID int64
}

// PopulationState reads whether the database holds generated data and
// where new ids can start.
func (s *Store) PopulationState(ctx context.Context) (PopulationState, error) {
	var st PopulationState
	for _, q := range []struct {
		sql string
		arg any
	}{{"SELECT 1 FROM audit_log WHERE action = ? LIMIT 1", GeneratedAction},
		{"SELECT 1 FROM users WHERE username LIKE ? LIMIT 1", GeneratedUsernamePrefix + "%"}} {
		var found []int
		if err := s.w.WithContext(ctx).Raw(q.sql, q.arg).Scan(&found).Error; err != nil {
			return st, classify(err)
		}
		st.Generated = st.Generated || len(found) > 0
	}
	for _, t := range []struct {
		table string
		into  *int64
	}{{"institutions", &st.NextInstitutionID}, {"users", &st.NextUserID}, {"classes", &st.NextClassID}, {"enrollments", &st.NextEnrollmentID}} {
		var max sql.NullInt64
		if err := s.w.WithContext(ctx).Raw("SELECT MAX(id) FROM " + t.table).Scan(&max).Error; err != nil {
			return st, classify(err)
		}
		*t.into = max.Int64 + 1
	}
	return st, nil
}

// InsertPopulation writes a batch in one transaction, parents first.
func (s *Store) InsertPopulation(ctx context.Context, p *Population) error {
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		return classify(err)
	}
	w := &bulkWriter{ctx: ctx, tx: tx, mysql: s.dialect == MySQL}
	if w.mysql {
		var mode string
		if err := tx.QueryRowContext(ctx, "SELECT @@SESSION.sql_mode").Scan(&mode); err != nil {
			_ = tx.Rollback()
			return classify(err)
		}
		w.backslash = !strings.Contains(mode, "NO_BACKSLASH_ESCAPES")
	}
	if err := w.population(p); err != nil {
		_ = tx.Rollback()
		return classify(err)
	}
	return classify(tx.Commit())
}

// bulkWriter builds and runs multi-row INSERT statements.
type bulkWriter struct {
	ctx   context.Context
	tx    *sql.Tx
	mysql bool
	// backslash: the server reads a backslash in a string as an escape.
	backslash bool
	buf       []byte
	head      int // length of "INSERT INTO t (...) VALUES "
	rows      int
	err       error
}

// Each statement stays well under max_allowed_packet (16 MB by default).
const (
	bulkRowsPerStatement  = 2000
	bulkBytesPerStatement = 1 << 20
)

func (w *bulkWriter) population(p *Population) error {
	w.start("institutions", "id, code, name, kind, region_code, created_at, closed_at, self_registration")
	for _, r := range p.Institutions {
		w.row()
		w.int(r.ID).str(r.Code).str(r.Name).str(r.Kind).str(r.RegionCode).time(r.CreatedAt).timePtr(r.ClosedAt).bool(r.SelfRegistration)
	}
	w.start("users", "id, username, display_name, password_hash, role, institution_id, region_code, locale, birth_year, "+
		"disabled, must_change_password, guardian_name, guardian_consent_date, created_at, updated_at")
	for _, r := range p.Users {
		w.row()
		w.int(r.ID).str(r.Username).str(r.DisplayName).str(r.PasswordHash).str(r.Role).intPtr(r.InstitutionID).
			strPtr(r.RegionCode).str(r.Locale).intPtr(intPtr64(r.BirthYear)).bool(r.Disabled).bool(r.MustChangePassword).
			strPtr(r.GuardianName).strPtr(r.GuardianConsentDate).time(r.CreatedAt).time(r.UpdatedAt)
	}
	w.start("classes", "id, institution_id, name, teacher_id, created_at")
	for _, r := range p.Classes {
		w.row()
		w.int(r.ID).int(r.InstitutionID).str(r.Name).intPtr(r.TeacherID).time(r.CreatedAt)
	}
	w.start("class_members", "class_id, user_id, joined_at")
	for _, r := range p.ClassMembers {
		w.row()
		w.int(r.ClassID).int(r.UserID).time(r.JoinedAt)
	}
	w.start("assignments", "class_id, course_id, due_at, created_by, created_at")
	for _, r := range p.Assignments {
		w.row()
		w.int(r.ClassID).int(r.CourseID).timePtr(r.DueAt).intPtr(r.CreatedBy).time(r.CreatedAt)
	}
	w.start("enrollments", "id, user_id, course_id, course_version_id, enrolled_at, completed_at, hours_credited, institution_id, region_code")
	for _, r := range p.Enrollments {
		w.row()
		w.int(r.ID).int(r.UserID).int(r.CourseID).int(r.CourseVersionID).time(r.EnrolledAt).timePtr(r.CompletedAt).
			hours(r.HoursCredited).intPtr(r.InstitutionID).strPtr(r.RegionCode)
	}
	w.start("lesson_progress", "user_id, course_id, lesson_slug, first_opened_at, last_seen_at, completed_at, active_seconds, best_score, attempts")
	for _, r := range p.Progress {
		w.row()
		w.int(r.UserID).int(r.CourseID).str(r.LessonSlug).time(r.FirstOpenedAt).time(r.LastSeenAt).timePtr(r.CompletedAt).
			int(int64(r.ActiveSeconds)).intPtr(intPtr64(r.BestScore)).int(int64(r.Attempts))
	}
	w.start("progress_events", "event_key, user_id, lesson_id, type, seconds, credited_seconds, received_at")
	for _, r := range p.Events {
		w.row()
		w.bytes(r.EventKey).int(r.UserID).int(r.LessonID).str(r.Type).int(int64(r.Seconds)).
			int(int64(r.CreditedSeconds)).time(r.ReceivedAt)
	}
	w.start("quiz_attempts", "user_id, course_id, lesson_id, lesson_slug, score, passed, answers, created_at, attempt_id, variant, result")
	for _, r := range p.Attempts {
		w.row()
		w.int(r.UserID).int(r.CourseID).int(r.LessonID).str(r.LessonSlug).int(int64(r.Score)).bool(r.Passed).str(r.Answers).
			time(r.CreatedAt).strPtr(r.AttemptID).int(int64(r.Variant))
		if r.Result == "" {
			w.null()
		} else {
			w.str(r.Result)
		}
	}
	w.start("certificates", "serial, enrollment_id, user_id, course_id, course_version_id, learner_name, course_title, "+
		"institution_name, study_hours, issued_at, revoked_at, revoked_reason")
	for _, r := range p.Certificates {
		w.row()
		w.str(r.Serial).int(r.EnrollmentID).int(r.UserID).int(r.CourseID).int(r.CourseVersionID).str(r.LearnerName).
			str(r.CourseTitle).str(r.InstitutionName).hours(r.StudyHours).time(r.IssuedAt).timePtr(r.RevokedAt).str(r.RevokedReason)
	}
	w.flush()
	return w.err
}

// start begins the statements of a table, ending those of the previous one.
func (w *bulkWriter) start(table, columns string) {
	w.flush()
	w.buf = append(w.buf[:0], "INSERT INTO "...)
	w.buf = append(w.buf, table...)
	w.buf = append(w.buf, " ("...)
	w.buf = append(w.buf, columns...)
	w.buf = append(w.buf, ") VALUES "...)
	w.head = len(w.buf)
}

// row opens the next row, sending the statement first when it is full.
func (w *bulkWriter) row() {
	if w.rows > 0 && (w.rows >= bulkRowsPerStatement || len(w.buf) >= bulkBytesPerStatement) {
		w.flush()
	}
	if w.rows > 0 {
		w.buf = append(w.buf, "),("...)
	} else {
		w.buf = append(w.buf, '(')
	}
	w.rows++
}

// flush runs the statement built so far, if it has rows.
func (w *bulkWriter) flush() {
	if w.rows == 0 {
		return
	}
	w.buf = append(w.buf, ')')
	if w.err == nil {
		if _, err := w.tx.ExecContext(w.ctx, string(w.buf)); err != nil {
			w.err = err
		}
	}
	w.buf, w.rows = w.buf[:w.head], 0
}

// sep separates values within a row.
func (w *bulkWriter) sep() {
	if c := w.buf[len(w.buf)-1]; c != '(' {
		w.buf = append(w.buf, ',')
	}
}

func (w *bulkWriter) int(v int64) *bulkWriter {
	w.sep()
	w.buf = strconv.AppendInt(w.buf, v, 10)
	return w
}

func (w *bulkWriter) intPtr(v *int64) *bulkWriter {
	if v == nil {
		return w.null()
	}
	return w.int(*v)
}

func (w *bulkWriter) null() *bulkWriter {
	w.sep()
	w.buf = append(w.buf, "NULL"...)
	return w
}

func (w *bulkWriter) bool(v bool) *bulkWriter {
	if v {
		return w.int(1)
	}
	return w.int(0)
}

// hours writes a DECIMAL(6,2).
func (w *bulkWriter) hours(v float64) *bulkWriter {
	w.sep()
	w.buf = strconv.AppendFloat(w.buf, v, 'f', 2, 64)
	return w
}

// str writes a quoted string. Quotes are doubled, which both dialects read
// the same way; MySQL also reads a backslash as an escape (unless the
// session's sql_mode has NO_BACKSLASH_ESCAPES), so there it is doubled too.
// A NUL byte is refused: no generated text has one.
func (w *bulkWriter) str(v string) *bulkWriter {
	w.sep()
	if strings.IndexByte(v, 0) >= 0 && w.err == nil {
		w.err = fmt.Errorf("bulk insert: value %q has a NUL byte", v)
	}
	w.buf = append(w.buf, '\'')
	for i := 0; i < len(v); i++ {
		if v[i] == '\'' || v[i] == '\\' && w.backslash {
			w.buf = append(w.buf, v[i])
		}
		w.buf = append(w.buf, v[i])
	}
	w.buf = append(w.buf, '\'')
	return w
}

func (w *bulkWriter) strPtr(v *string) *bulkWriter {
	if v == nil {
		return w.null()
	}
	return w.str(*v)
}

// bytes writes a binary value as a hex literal (X'..' in both dialects).
func (w *bulkWriter) bytes(v []byte) *bulkWriter {
	if v == nil {
		return w.null()
	}
	w.sep()
	w.buf = append(w.buf, "X'"...)
	w.buf = hex.AppendEncode(w.buf, v)
	w.buf = append(w.buf, '\'')
	return w
}

// time writes an instant in UTC to the millisecond, as each driver would:
// MySQL a DATETIME(3) literal, SQLite the text the SQLite driver stores
// (_time_format=sqlite) so that comparisons with its parameters hold.
func (w *bulkWriter) time(v time.Time) *bulkWriter {
	w.sep()
	v = v.UTC().Truncate(time.Millisecond)
	w.buf = append(w.buf, '\'')
	if w.mysql {
		w.buf = v.AppendFormat(w.buf, "2006-01-02 15:04:05.000")
	} else {
		w.buf = v.AppendFormat(w.buf, "2006-01-02 15:04:05.999999999-07:00")
	}
	w.buf = append(w.buf, '\'')
	return w
}

func (w *bulkWriter) timePtr(v *time.Time) *bulkWriter {
	if v == nil {
		return w.null()
	}
	return w.time(*v)
}

func intPtr64(v *int) *int64 {
	if v == nil {
		return nil
	}
	x := int64(*v)
	return &x
}
