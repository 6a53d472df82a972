package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Export job statuses.
const (
	ExportQueued    = "queued"
	ExportRunning   = "running"
	ExportDone      = "done"
	ExportFailed    = "failed"
	ExportCancelled = "cancelled"
)

// ExportJob is one background export. The row is all of its state, so any
// instance reports it; the file itself lives in the data directory.
type ExportJob struct {
	ID            string `gorm:"primaryKey;size:32"`
	ActorID       int64
	Kind          string `gorm:"size:16"`
	Format        string `gorm:"size:8"`
	Lang          string `gorm:"size:10"`
	Filters       string `gorm:"size:500"` // JSON, as asked, for the audit log and the listing
	Status        string `gorm:"size:16"`
	RowsDone      int64
	RowsEstimated int64
	ErrorKey      string `gorm:"size:64"`
	FileName      string `gorm:"size:100"` // "": no file to download
	FileSize      int64
	CreatedAt     time.Time
	StartedAt     *time.Time
	HeartbeatAt   *time.Time
	FinishedAt    *time.Time
	ExpiresAt     *time.Time
}

func (ExportJob) TableName() string { return "export_jobs" }

// ExportScope selects whose records an export holds, by the learner's
// current institution. Every non-empty field narrows it; RegionPrefixes all
// apply (the reader's scope and the filter asked for). With nothing set it
// holds everyone, learners without an institution too.
type ExportScope struct {
	RegionPrefixes []string
	InstitutionID  int64
	CourseID       int64
	// From and To bound the period, To exclusive; zero is open.
	From, To time.Time
}

// CompletionRow is one learner × course enrolment as exported.
type CompletionRow struct {
	EnrollmentID    int64
	RegionCode      string
	RegionName      string
	InstitutionCode string
	InstitutionName string
	Username        string
	DisplayName     string
	CourseSlug      string
	CourseTitle     string
	EnrolledAt      time.Time
	CompletedAt     *time.Time
	HoursCredited   float64
	ActiveSeconds   int64
	QuizAverage     *float64 // nil: the course has no quiz
	// CertificateSerial is "" when none was issued or it was revoked.
	CertificateSerial string
}

func (sc ExportScope) placeWhere(b *strings.Builder, args *[]any) {
	for _, p := range sc.RegionPrefixes {
		b.WriteString(" AND i.region_code LIKE ? ESCAPE '!'")
		*args = append(*args, likeEscape(p)+"%")
	}
	if sc.InstitutionID != 0 {
		b.WriteString(" AND u.institution_id = ?")
		*args = append(*args, sc.InstitutionID)
	}
}

// completionWhere: enrolments made or completed within the period, of
// learners whose current institution is in scope.
func (sc ExportScope) completionWhere(args *[]any) string {
	var b strings.Builder
	b.WriteString(" WHERE 1=1")
	sc.placeWhere(&b, args)
	if sc.CourseID != 0 {
		b.WriteString(" AND e.course_id = ?")
		*args = append(*args, sc.CourseID)
	}
	if !sc.From.IsZero() || !sc.To.IsZero() {
		within := func(col string) string {
			var parts []string
			if !sc.From.IsZero() {
				parts = append(parts, col+" >= ?")
				*args = append(*args, sc.From.UTC())
			}
			if !sc.To.IsZero() {
				parts = append(parts, col+" < ?")
				*args = append(*args, sc.To.UTC())
			}
			return strings.Join(parts, " AND ")
		}
		b.WriteString(" AND ((" + within("e.enrolled_at") + ") OR (" + within("e.completed_at") + "))")
	}
	return b.String()
}

const completionFrom = ` FROM enrollments e
JOIN users u ON u.id = e.user_id
LEFT JOIN institutions i ON i.id = u.institution_id`

// completionSelect is the export's one query. The quiz average follows the
// completion rule (learning/completion.go): the mean best score over the
// enrolled version's lessons that have a quiz, a quiz never taken counting
// 0; NULL when the version has no quiz.
const completionSelect = `SELECT e.id, COALESCE(i.region_code, ''), COALESCE(r.name, ''), COALESCE(i.code, ''), COALESCE(i.name, ''),
 u.username, u.display_name, c.slug, cv.title, e.enrolled_at, e.completed_at, e.hours_credited,
 (SELECT COALESCE(SUM(lp.active_seconds), 0) FROM lesson_progress lp WHERE lp.user_id = e.user_id AND lp.course_id = e.course_id),
 (SELECT AVG(COALESCE(lq.best_score, 0)) FROM lessons l
   LEFT JOIN lesson_progress lq ON lq.user_id = e.user_id AND lq.course_id = e.course_id AND lq.lesson_slug = l.slug
   WHERE l.course_version_id = e.course_version_id AND EXISTS (SELECT 1 FROM questions q WHERE q.lesson_id = l.id)),
 COALESCE(ct.serial, '')` + completionFrom + `
LEFT JOIN regions r ON r.code = i.region_code
JOIN courses c ON c.id = e.course_id
JOIN course_versions cv ON cv.id = e.course_version_id
LEFT JOIN certificates ct ON ct.enrollment_id = e.id AND ct.revoked_at IS NULL`

// CompletionQuery returns the export's SQL with its arguments bound, for
// the benchmark that dumps the same rows with the mysql client.
func (s *Store) CompletionQuery(sc ExportScope) string {
	var args []any
	q := completionSelect + sc.completionWhere(&args) + " ORDER BY e.id"
	return s.r.ToSQL(func(tx *gorm.DB) *gorm.DB { return tx.Raw(q, args...).Scan(&[]CompletionRow{}) })
}

// CountCompletions estimates how many rows EachCompletion will give.
func (s *Store) CountCompletions(ctx context.Context, sc ExportScope) (int64, error) {
	var args []any
	q := "SELECT COUNT(*)" + completionFrom + sc.completionWhere(&args)
	var n int64
	return n, classify(s.r.WithContext(ctx).Raw(q, args...).Scan(&n).Error)
}

// EachCompletion streams the completion rows in scope, by enrolment, to fn
// one at a time: the result is read from the server as fn consumes it,
// never held whole. fn's row is reused between calls. An error from fn
// stops the query and is returned.
func (s *Store) EachCompletion(ctx context.Context, sc ExportScope, fn func(*CompletionRow) error) error {
	var args []any
	q := completionSelect + sc.completionWhere(&args) + " ORDER BY e.id"
	rows, err := s.r.WithContext(ctx).Raw(q, args...).Rows()
	if err != nil {
		return classify(err)
	}
	defer rows.Close()
	var (
		r         CompletionRow
		completed sql.NullTime
		quiz      sql.NullFloat64
		hours     sql.NullFloat64
		enrolled  sql.NullTime
	)
	for rows.Next() {
		if err := rows.Scan(&r.EnrollmentID, &r.RegionCode, &r.RegionName, &r.InstitutionCode, &r.InstitutionName,
			&r.Username, &r.DisplayName, &r.CourseSlug, &r.CourseTitle, &enrolled, &completed, &hours,
			&r.ActiveSeconds, &quiz, &r.CertificateSerial); err != nil {
			return classify(err)
		}
		r.EnrolledAt = enrolled.Time
		r.CompletedAt = nil
		if completed.Valid {
			t := completed.Time
			r.CompletedAt = &t
		}
		r.HoursCredited = hours.Float64
		r.QuizAverage = nil
		if quiz.Valid {
			v := quiz.Float64
			r.QuizAverage = &v
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return classify(rows.Err())
}

// IndicatorRow is one institution's indicators for a period.
type IndicatorRow struct {
	RegionCode      string
	RegionName      string
	InstitutionCode string
	InstitutionName string
	Learners        int64 // learner accounts whose current institution this is
	Enrolled        int64 // enrolments made in the period
	Completed       int64 // enrolments completed in the period
	Certificates    int64 // issued in the period, not revoked
	HoursCredited   float64
}

// period adds "col within the period" to a subquery.
func (sc ExportScope) period(col string, args *[]any) string {
	var b strings.Builder
	if !sc.From.IsZero() {
		b.WriteString(" AND " + col + " >= ?")
		*args = append(*args, sc.From.UTC())
	}
	if !sc.To.IsZero() {
		b.WriteString(" AND " + col + " < ?")
		*args = append(*args, sc.To.UTC())
	}
	return b.String()
}

func (sc ExportScope) course(col string, args *[]any) string {
	if sc.CourseID == 0 {
		return ""
	}
	*args = append(*args, sc.CourseID)
	return " AND " + col + " = ?"
}

// indicatorQuery groups the raw tables per institution. It answers today;
// when the statistics aggregates exist, EachIndicator reads them instead
// and keeps this signature (the export does not change).
func (sc ExportScope) indicatorQuery() (string, []any) {
	var args []any
	var b strings.Builder
	b.WriteString(`SELECT i.region_code, COALESCE(r.name, ''), i.code, i.name,
 (SELECT COUNT(*) FROM users lu WHERE lu.institution_id = i.id AND lu.role = 'learner'),
 (SELECT COUNT(*) FROM enrollments e JOIN users u ON u.id = e.user_id WHERE u.institution_id = i.id`)
	b.WriteString(sc.course("e.course_id", &args) + sc.period("e.enrolled_at", &args) + `),
 (SELECT COUNT(*) FROM enrollments e JOIN users u ON u.id = e.user_id WHERE u.institution_id = i.id AND e.completed_at IS NOT NULL`)
	b.WriteString(sc.course("e.course_id", &args) + sc.period("e.completed_at", &args) + `),
 (SELECT COUNT(*) FROM certificates ct JOIN users u ON u.id = ct.user_id WHERE u.institution_id = i.id AND ct.revoked_at IS NULL`)
	b.WriteString(sc.course("ct.course_id", &args) + sc.period("ct.issued_at", &args) + `),
 (SELECT COALESCE(SUM(e.hours_credited), 0) FROM enrollments e JOIN users u ON u.id = e.user_id WHERE u.institution_id = i.id AND e.completed_at IS NOT NULL`)
	b.WriteString(sc.course("e.course_id", &args) + sc.period("e.completed_at", &args) + `)
FROM institutions i
LEFT JOIN regions r ON r.code = i.region_code
WHERE 1=1`)
	for _, p := range sc.RegionPrefixes {
		b.WriteString(" AND i.region_code LIKE ? ESCAPE '!'")
		args = append(args, likeEscape(p)+"%")
	}
	if sc.InstitutionID != 0 {
		b.WriteString(" AND i.id = ?")
		args = append(args, sc.InstitutionID)
	}
	b.WriteString(" ORDER BY i.region_code, i.code")
	return b.String(), args
}

// CountIndicators is how many rows EachIndicator will give.
func (s *Store) CountIndicators(ctx context.Context, sc ExportScope) (int64, error) {
	var args []any
	var b strings.Builder
	b.WriteString("SELECT COUNT(*) FROM institutions i WHERE 1=1")
	for _, p := range sc.RegionPrefixes {
		b.WriteString(" AND i.region_code LIKE ? ESCAPE '!'")
		args = append(args, likeEscape(p)+"%")
	}
	if sc.InstitutionID != 0 {
		b.WriteString(" AND i.id = ?")
		args = append(args, sc.InstitutionID)
	}
	var n int64
	return n, classify(s.r.WithContext(ctx).Raw(b.String(), args...).Scan(&n).Error)
}

// EachIndicator streams one row per institution in scope, by region code,
// to fn. Learners without an institution belong to no row.
func (s *Store) EachIndicator(ctx context.Context, sc ExportScope, fn func(*IndicatorRow) error) error {
	q, args := sc.indicatorQuery()
	rows, err := s.r.WithContext(ctx).Raw(q, args...).Rows()
	if err != nil {
		return classify(err)
	}
	defer rows.Close()
	var r IndicatorRow
	var hours sql.NullFloat64
	for rows.Next() {
		if err := rows.Scan(&r.RegionCode, &r.RegionName, &r.InstitutionCode, &r.InstitutionName,
			&r.Learners, &r.Enrolled, &r.Completed, &r.Certificates, &hours); err != nil {
			return classify(err)
		}
		r.HoursCredited = hours.Float64
		if err := fn(&r); err != nil {
			return err
		}
	}
	return classify(rows.Err())
}

// CreateExportJob records a queued job.
func (s *Store) CreateExportJob(ctx context.Context, j *ExportJob) error {
	if j.CreatedAt.IsZero() {
		j.CreatedAt = s.now()
	}
	return classify(s.w.WithContext(ctx).Create(j).Error)
}

// ExportJobByID finds a job.
func (s *Store) ExportJobByID(ctx context.Context, id string) (*ExportJob, error) {
	var j ExportJob
	if err := s.r.WithContext(ctx).Where("id = ?", id).Take(&j).Error; err != nil {
		return nil, classify(err)
	}
	return &j, nil
}

// ClaimExportJob takes the oldest queued job for this process and marks it
// running; ErrNotFound when none waits. Two instances claiming at once
// cannot both win: the update only succeeds on a still-queued row.
func (s *Store) ClaimExportJob(ctx context.Context) (*ExportJob, error) {
	for range 5 {
		var j ExportJob
		err := s.w.WithContext(ctx).Where("status = ?", ExportQueued).Order("created_at, id").Take(&j).Error
		if err != nil {
			return nil, classify(err)
		}
		now := s.now()
		res := s.w.WithContext(ctx).Model(&ExportJob{}).Where("id = ? AND status = ?", j.ID, ExportQueued).
			Updates(map[string]any{"status": ExportRunning, "started_at": now, "heartbeat_at": now})
		if res.Error != nil {
			return nil, classify(res.Error)
		}
		if res.RowsAffected == 1 {
			j.Status, j.StartedAt, j.HeartbeatAt = ExportRunning, &now, &now
			return &j, nil
		}
	}
	return nil, classify(gorm.ErrRecordNotFound)
}

// ExportJobProgress records a running job's progress and renews its
// heartbeat. still is false when the job is no longer running (cancelled
// from any instance, or given up as stale): the runner then stops.
func (s *Store) ExportJobProgress(ctx context.Context, id string, rowsDone, rowsEstimated int64) (still bool, err error) {
	upd := map[string]any{"rows_done": rowsDone, "heartbeat_at": s.now()}
	if rowsEstimated >= 0 {
		upd["rows_estimated"] = rowsEstimated
	}
	res := s.w.WithContext(ctx).Model(&ExportJob{}).Where("id = ? AND status = ?", id, ExportRunning).Updates(upd)
	return res.RowsAffected == 1, classify(res.Error)
}

// FinishExportJob marks a running job done with its file, in the same
// transaction as the audit entry that records it. ErrNotFound when the job
// stopped running meanwhile (cancelled): the caller then deletes the file.
func (s *Store) FinishExportJob(ctx context.Context, id string, rows int64, fileName string, size int64, expires time.Time, audit *AuditEntry) error {
	now := s.now()
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&ExportJob{}).Where("id = ? AND status = ?", id, ExportRunning).Updates(map[string]any{
			"status": ExportDone, "rows_done": rows, "rows_estimated": rows, "file_name": fileName, "file_size": size,
			"finished_at": now, "heartbeat_at": now, "expires_at": expires.UTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return gorm.ErrRecordNotFound
		}
		return s.auditIn(tx, audit, now)
	})
}

// EndExportJob moves an unfinished (queued or running) job to status
// (failed or cancelled) with the reason's key; ended is false when it had
// already finished.
func (s *Store) EndExportJob(ctx context.Context, id, status, errorKey string) (ended bool, err error) {
	res := s.w.WithContext(ctx).Model(&ExportJob{}).Where("id = ? AND status IN ?", id, []string{ExportQueued, ExportRunning}).
		Updates(map[string]any{"status": status, "error_key": errorKey, "finished_at": s.now()})
	return res.RowsAffected == 1, classify(res.Error)
}

// DiscardExportFile forgets a finished job's file (expired or thrown away
// by its owner); status, when not "", replaces the job's.
func (s *Store) DiscardExportFile(ctx context.Context, id, status string) error {
	upd := map[string]any{"file_name": "", "file_size": 0}
	if status != "" {
		upd["status"] = status
	}
	return classify(s.w.WithContext(ctx).Model(&ExportJob{}).Where("id = ?", id).Updates(upd).Error)
}

// FailStaleExportJobs marks failed the running jobs whose heartbeat is older
// than before: the process running them stopped (crash, kill, power) without
// saying so. Queued jobs stay queued: any instance may still run them.
func (s *Store) FailStaleExportJobs(ctx context.Context, before time.Time, errorKey string) ([]ExportJob, error) {
	var stale []ExportJob
	err := s.w.WithContext(ctx).Where("status = ? AND (heartbeat_at IS NULL OR heartbeat_at < ?)", ExportRunning, before.UTC()).
		Find(&stale).Error
	if err != nil {
		return nil, classify(err)
	}
	var failed []ExportJob
	for _, j := range stale {
		res := s.w.WithContext(ctx).Model(&ExportJob{}).
			Where("id = ? AND status = ? AND (heartbeat_at IS NULL OR heartbeat_at < ?)", j.ID, ExportRunning, before.UTC()).
			Updates(map[string]any{"status": ExportFailed, "error_key": errorKey, "finished_at": s.now()})
		if res.Error != nil {
			return failed, classify(res.Error)
		}
		if res.RowsAffected == 1 {
			failed = append(failed, j)
		}
	}
	return failed, nil
}

// ExpiredExportJobs lists jobs whose file is past its expiry.
func (s *Store) ExpiredExportJobs(ctx context.Context, now time.Time, limit int) ([]ExportJob, error) {
	var out []ExportJob
	err := s.w.WithContext(ctx).Where("file_name <> '' AND expires_at < ?", now.UTC()).Order("expires_at").Limit(limit).Find(&out).Error
	return out, classify(err)
}
