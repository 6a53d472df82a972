package store

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// The statistics tables (docs/INDICATORS.md). stats_learner_days holds one
// row per learner, day and course; stats_counters the indicators per
// period, scope and dimension, kept equal to the sum of every counted
// learner's contribution (see contribution in statsupkeep.go).

// StatsState is the worker's single row: its lock and how far it got.
type StatsState struct {
	ID             int64
	AsOf           *time.Time
	UsersCheckedAt *time.Time
	TargetsSum     string `gorm:"size:64"`
	// EventsPrunedTo is how far PruneEvents has walked progress_events.
	EventsPrunedTo int64
	// RebuildAt is the last renewal of a running rebuild's claim.
	RebuildAt *time.Time
}

func (StatsState) TableName() string { return "stats_state" }

// StatsTail is how far the worker has read one raw table, by id.
type StatsTail struct {
	Source string `gorm:"primaryKey;size:32"`
	LastID int64
}

func (StatsTail) TableName() string { return "stats_tails" }

// StatsGap is an id a tail skipped because it was not (yet) committed.
type StatsGap struct {
	Source string `gorm:"primaryKey;size:32"`
	ID     int64  `gorm:"primaryKey;autoIncrement:false"`
	SeenAt time.Time
}

func (StatsGap) TableName() string { return "stats_gaps" }

// StatsLearner is where a counted learner is attributed now.
type StatsLearner struct {
	UserID        int64 `gorm:"primaryKey;autoIncrement:false"`
	InstitutionID *int64
	RegionCode    string `gorm:"size:6"`
	Kind          string `gorm:"size:20"`
	BirthYear     *int
}

func (StatsLearner) TableName() string { return "stats_learners" }

// StatsLearnerDay is one learner's facts on one day (yyyymmdd in the
// deployment's time zone) for one course.
type StatsLearnerDay struct {
	UserID          int64 `gorm:"primaryKey;autoIncrement:false"`
	Day             int   `gorm:"primaryKey;autoIncrement:false"`
	CourseID        int64 `gorm:"primaryKey;autoIncrement:false"`
	CreditedSeconds int64
	Enrolled        int64
	// EnrolledDone: of the enrolments made this day, those completed since.
	EnrolledDone int64
	Completed    int64
	Certificates int64
	HoursCenti   int64 // 学时 × 100, so sums stay exact
	// OfflineCenti: manual credit for face-to-face training (course 0).
	OfflineCenti int64
}

func (StatsLearnerDay) TableName() string { return "stats_learner_days" }

// StatsCounter is one row of indicators.
type StatsCounter struct {
	Period          string `gorm:"primaryKey;size:1"`
	Start           int    `gorm:"primaryKey;autoIncrement:false"`
	Scope           string `gorm:"primaryKey;size:24"`
	Dim             string `gorm:"primaryKey;size:1"`
	Val             string `gorm:"primaryKey;size:24"`
	Learners        int64
	Active          int64
	Enrolled        int64
	EnrolledDone    int64
	Completed       int64
	Certificates    int64
	HoursCenti      int64
	CreditedSeconds int64
	Reached         int64
	OfflineCenti    int64
}

func (StatsCounter) TableName() string { return "stats_counters" }

// Period kinds and dimensions as stored in stats_counters.
const (
	PeriodDay     = "d"
	PeriodMonth   = "m"
	PeriodQuarter = "q"
	PeriodYear    = "y"
	PeriodAll     = "a"

	DimTotal     = "t"
	DimCourse    = "c"
	DimKind      = "k"
	DimBirthYear = "b"

	// ScopeAll is the whole country.
	ScopeAll = "*"
)

// ScopeRegion is the counter scope of a GB/T 2260 prefix ("51", "5101", "510104").
func ScopeRegion(prefix string) string { return "r" + prefix }

// ScopeInstitution is the counter scope of one institution.
func ScopeInstitution(id int64) string { return "i" + strconv.FormatInt(id, 10) }

// DayNumber is a date as yyyymmdd.
func DayNumber(t time.Time) int { return t.Year()*10000 + int(t.Month())*100 + t.Day() }

// DayTime is the midnight starting a yyyymmdd day in loc.
func DayTime(d int, loc *time.Location) time.Time {
	return time.Date(d/10000, time.Month(d/100%100), d%100, 0, 0, 0, 0, loc)
}

// PeriodStart is the first day (yyyymmdd) of the period of kind p holding day d.
func PeriodStart(p string, d int) int {
	y, m := d/10000, d/100%100
	switch p {
	case PeriodDay:
		return d
	case PeriodMonth:
		return y*10000 + m*100 + 1
	case PeriodQuarter:
		return y*10000 + ((m-1)/3*3+1)*100 + 1
	case PeriodYear:
		return y*10000 + 101
	}
	return 0
}

var periodKinds = []string{PeriodDay, PeriodMonth, PeriodQuarter, PeriodYear, PeriodAll}

// RegionPrefix strips trailing "00" pairs: 510000 -> 51, 510100 -> 5101;
// the root 000000 gives "". account.RegionPrefix is this rule, kept here
// because the store's scope queries need it and account imports store.
func RegionPrefix(code string) string {
	p := code
	for len(p) > 2 && strings.HasSuffix(p, "00") {
		p = p[:len(p)-2]
	}
	if p == "00" {
		return ""
	}
	return p
}

// CounterQuery selects counter rows.
type CounterQuery struct {
	Period   string
	From, To int // period starts, inclusive
	Scopes   []string
	Dim      string
	Val      string // "" with AnyVal false: the empty value only
	AnyVal   bool
}

// StatsCounters returns the counter rows matching q.
func (s *Store) StatsCounters(ctx context.Context, q CounterQuery) ([]StatsCounter, error) {
	if len(q.Scopes) == 0 {
		return nil, nil
	}
	db := s.r.WithContext(ctx).Where("period = ? AND start >= ? AND start <= ? AND scope IN ? AND dim = ?",
		q.Period, q.From, q.To, q.Scopes, q.Dim)
	if !q.AnyVal {
		db = db.Where("val = ?", q.Val)
	}
	var out []StatsCounter
	err := db.Order("scope, val, start").Find(&out).Error
	return out, classify(err)
}

// StatsActiveBetween counts exactly, from the per-learner days, the counted
// learners in scope with credited activity between two days (inclusive), per
// value of the dimension (DimTotal: one entry under ""). It reads an index
// range of days, not raw progress; the summary uses it only for ranges that
// are not one whole calendar period.
func (s *Store) StatsActiveBetween(ctx context.Context, from, to int, scope, dim string) (map[string]int64, error) {
	col := "''"
	switch dim {
	case DimCourse:
		col = "d.course_id"
	case DimKind:
		col = "l.kind"
	case DimBirthYear:
		col = "COALESCE(l.birth_year, 0)"
	}
	db := s.r.WithContext(ctx).Table("stats_learner_days d").
		Joins("JOIN stats_learners l ON l.user_id = d.user_id").
		Select(fmt.Sprintf("%s AS val, COUNT(DISTINCT d.user_id) AS n", col)).
		Where("d.day >= ? AND d.day <= ? AND d.credited_seconds > 0", from, to)
	switch {
	case scope == ScopeAll:
	case strings.HasPrefix(scope, "r"):
		db = db.Where("l.region_code LIKE ?", likePrefix(scope[1:]))
	case strings.HasPrefix(scope, "i"):
		id, _ := strconv.ParseInt(scope[1:], 10, 64)
		db = db.Where("l.institution_id = ?", id)
	default:
		return nil, fmt.Errorf("stats: unknown scope %q", scope)
	}
	var rows []struct {
		Val string
		N   int64
	}
	if err := db.Group("val").Scan(&rows).Error; err != nil {
		return nil, classify(err)
	}
	out := map[string]int64{}
	for _, r := range rows {
		v := r.Val
		if dim == DimBirthYear && v == "0" {
			v = ""
		}
		out[v] += r.N
	}
	return out, nil
}

// StatsAsOf is the time the counters are complete up to; nil before the
// worker's first complete pass.
func (s *Store) StatsAsOf(ctx context.Context) (*time.Time, error) {
	var st StatsState
	if err := s.r.WithContext(ctx).Take(&st, 1).Error; err != nil {
		return nil, classify(err)
	}
	return st.AsOf, nil
}

// RegionsUnder lists the divisions directly under a region; under the
// country root (or ""), the provinces.
func (s *Store) RegionsUnder(ctx context.Context, code string) ([]Region, error) {
	var out []Region
	db := s.r.WithContext(ctx)
	if code == "" || code == CountryCode {
		db = db.Where("level = 1")
	} else {
		db = db.Where("parent_code = ?", code)
	}
	err := db.Order("code").Find(&out).Error
	return out, classify(err)
}

// InstitutionsAt lists the institutions registered exactly at a region code.
func (s *Store) InstitutionsAt(ctx context.Context, code string) ([]Institution, error) {
	var out []Institution
	err := s.r.WithContext(ctx).Where("region_code = ?", code).Order("code").Find(&out).Error
	return out, classify(err)
}

// CourseNames maps course ids to their slugs and current titles.
func (s *Store) CourseNames(ctx context.Context, ids []int64) (map[int64][2]string, error) {
	out := map[int64][2]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID    int64
		Slug  string
		Title string
	}
	err := s.r.WithContext(ctx).Table("courses c").Select("c.id, c.slug, COALESCE(v.title, c.slug) AS title").
		Joins("LEFT JOIN course_versions v ON v.id = c.current_version_id").Where("c.id IN ?", ids).Scan(&rows).Error
	if err != nil {
		return nil, classify(err)
	}
	for _, r := range rows {
		out[r.ID] = [2]string{r.Slug, r.Title}
	}
	return out, nil
}

// YearTotal is a learner's credited study in one calendar year (in the
// deployment's time zone), from the statistics upkeep.
type YearTotal struct {
	Year            int
	HoursCenti      int64
	CreditedSeconds int64
	Completed       int64
	OfflineCenti    int64 // face-to-face training credited by hand
}

// LearnerYearTotals returns a learner's totals per year, oldest first: a
// few hundred rows at most, whatever the number of raw events.
func (s *Store) LearnerYearTotals(ctx context.Context, userID int64) ([]YearTotal, error) {
	var rows []StatsLearnerDay
	if err := s.r.WithContext(ctx).Where("user_id = ?", userID).Find(&rows).Error; err != nil {
		return nil, classify(err)
	}
	by := map[int]*YearTotal{}
	for _, r := range rows {
		y := r.Day / 10000
		t := by[y]
		if t == nil {
			t = &YearTotal{Year: y}
			by[y] = t
		}
		t.HoursCenti += r.HoursCenti
		t.CreditedSeconds += r.CreditedSeconds
		t.Completed += r.Completed
		t.OfflineCenti += r.OfflineCenti
	}
	out := make([]YearTotal, 0, len(by))
	for _, t := range by {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Year < out[j].Year })
	return out, nil
}

// StudyHourTargets lists every target, by scope and year.
func (s *Store) StudyHourTargets(ctx context.Context) ([]StudyHourTarget, error) {
	var out []StudyHourTarget
	err := s.r.WithContext(ctx).Order("scope, year").Find(&out).Error
	return out, classify(err)
}

// SetTargetAudited creates or replaces a target and appends e to the audit
// log in one transaction.
func (s *Store) SetTargetAudited(ctx context.Context, t StudyHourTarget, e *AuditEntry) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&StudyHourTarget{}).Where("year = ? AND scope = ?", t.Year, t.Scope).Update("hours", t.Hours)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			var n int64
			if err := tx.Model(&StudyHourTarget{}).Where("year = ? AND scope = ?", t.Year, t.Scope).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				t.ID = 0
				if err := tx.Create(&t).Error; err != nil {
					return err
				}
			}
		}
		return s.auditIn(tx, e, s.now())
	})
}

// ManualCredit is face-to-face training (线下培训学时) credited to a learner by
// an admin: it counts toward yearly targets and is always shown as such.
// Entries are never changed; a negative one corrects a mistake.
type ManualCredit struct {
	ID        int64
	UserID    int64
	Day       int // yyyymmdd, in the deployment's time zone
	Hours     float64
	Title     string `gorm:"size:200"`
	CreatedBy *int64
	CreatedAt time.Time
}

func (ManualCredit) TableName() string { return "manual_credits" }

// AddManualCredit records a credit and its audit entry in one transaction.
func (s *Store) AddManualCredit(ctx context.Context, mc *ManualCredit, e *AuditEntry) error {
	return classify(s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		mc.ID, mc.CreatedAt = 0, now
		if err := tx.Create(mc).Error; err != nil {
			return err
		}
		e.Detail = fmt.Sprintf("id=%d day=%d hours=%.2f title=%s", mc.ID, mc.Day, mc.Hours, mc.Title)
		return s.auditIn(tx, e, now)
	}))
}

// ManualCreditsOf lists a learner's manual credits, newest first.
func (s *Store) ManualCreditsOf(ctx context.Context, userID int64) ([]ManualCredit, error) {
	var out []ManualCredit
	err := s.r.WithContext(ctx).Where("user_id = ?", userID).Order("day DESC, id DESC").Find(&out).Error
	return out, classify(err)
}

// CourseAudiences maps course ids to the audiences of their current
// version (course.yaml's list, stored comma-separated); a course without a
// current version maps to nothing.
func (s *Store) CourseAudiences(ctx context.Context, ids []int64) (map[int64][]string, error) {
	out := map[int64][]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID       int64
		Audience string
	}
	err := s.r.WithContext(ctx).Table("courses c").Select("c.id, v.audience").
		Joins("JOIN course_versions v ON v.id = c.current_version_id").Where("c.id IN ?", ids).Scan(&rows).Error
	if err != nil {
		return nil, classify(err)
	}
	for _, r := range rows {
		for _, a := range strings.Split(r.Audience, ",") {
			if a = strings.TrimSpace(a); a != "" {
				out[r.ID] = append(out[r.ID], a)
			}
		}
	}
	return out, nil
}

// ClassStats is one class of an institution with its members' facts
// (counted learners only) summed from the per-learner days.
type ClassStats struct {
	ID              int64
	Name            string
	ArchivedAt      *time.Time
	Learners        int64 // counted learners among the members, now
	Active          int64 // of them, those with credited time in the range
	Enrolled        int64
	EnrolledDone    int64
	Completed       int64
	Certificates    int64
	HoursCenti      int64
	CreditedSeconds int64
	OfflineCenti    int64
}

// InstitutionClassStats lists an institution's classes, by name, that are
// not archived or were archived at or after since (nil: every archived
// class too), with their members' facts between two days (inclusive; 0, 0:
// all time). Three reads, each bounded by the institution: its classes (by
// idx_classes_institution), their counted members (class_members' primary
// key, stats_learners'), and those members' days (stats_learner_days'
// primary key, which starts with the user). Raw progress is never read.
func (s *Store) InstitutionClassStats(ctx context.Context, institutionID int64, since *time.Time, from, to int) ([]ClassStats, error) {
	db := s.r.WithContext(ctx)
	classes := func() *gorm.DB {
		q := db.Table("classes c").Where("c.institution_id = ?", institutionID)
		if since != nil {
			q = q.Where("c.archived_at IS NULL OR c.archived_at >= ?", since.UTC())
		}
		return q
	}
	var out []ClassStats
	if err := classes().Select("c.id, c.name, c.archived_at").Order("c.name, c.id").Scan(&out).Error; err != nil {
		return nil, classify(err)
	}
	if len(out) == 0 {
		return out, nil
	}
	type row struct {
		ClassID         int64
		Learners        int64
		Active          int64
		Enrolled        int64
		EnrolledDone    int64
		Completed       int64
		Certificates    int64
		HoursCenti      int64
		CreditedSeconds int64
		OfflineCenti    int64
	}
	members := func() *gorm.DB {
		return classes().Joins("JOIN class_members m ON m.class_id = c.id").
			Joins("JOIN stats_learners l ON l.user_id = m.user_id")
	}
	var counts []row
	if err := members().Select("c.id AS class_id, COUNT(*) AS learners").Group("c.id").Scan(&counts).Error; err != nil {
		return nil, classify(err)
	}
	days := members().Joins("JOIN stats_learner_days d ON d.user_id = m.user_id").
		Select("c.id AS class_id, COUNT(DISTINCT CASE WHEN d.credited_seconds > 0 THEN d.user_id END) AS active, " +
			"SUM(d.enrolled) AS enrolled, SUM(d.enrolled_done) AS enrolled_done, SUM(d.completed) AS completed, " +
			"SUM(d.certificates) AS certificates, SUM(d.hours_centi) AS hours_centi, " +
			"SUM(d.credited_seconds) AS credited_seconds, SUM(d.offline_centi) AS offline_centi")
	if from != 0 || to != 0 {
		days = days.Where("d.day >= ? AND d.day <= ?", from, to)
	}
	var facts []row
	if err := days.Group("c.id").Scan(&facts).Error; err != nil {
		return nil, classify(err)
	}
	at := map[int64]*ClassStats{}
	for i := range out {
		at[out[i].ID] = &out[i]
	}
	for _, r := range counts {
		if c := at[r.ClassID]; c != nil {
			c.Learners = r.Learners
		}
	}
	for _, r := range facts {
		if c := at[r.ClassID]; c != nil {
			c.Active, c.Enrolled, c.EnrolledDone, c.Completed = r.Active, r.Enrolled, r.EnrolledDone, r.Completed
			c.Certificates, c.HoursCenti, c.CreditedSeconds, c.OfflineCenti = r.Certificates, r.HoursCenti, r.CreditedSeconds, r.OfflineCenti
		}
	}
	return out, nil
}
