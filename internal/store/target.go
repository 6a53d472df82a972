package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"gorm.io/gorm/clause"
)

// HoursBetween sums credited study hours and active seconds of a learner in [from, to).
func (s *Store) HoursBetween(ctx context.Context, userID int64, from, to time.Time) (hours float64, activeSeconds int64, err error) {
	var h struct{ H float64 }
	if err := s.r.WithContext(ctx).Model(&Enrollment{}).Select("COALESCE(SUM(hours_credited), 0) AS h").
		Where("user_id = ? AND completed_at >= ? AND completed_at < ?", userID, from, to).Scan(&h).Error; err != nil {
		return 0, 0, classify(err)
	}
	var a struct{ A int64 }
	if err := s.r.WithContext(ctx).Model(&ProgressEvent{}).Select("COALESCE(SUM(credited_seconds), 0) AS a").
		Where("user_id = ? AND received_at >= ? AND received_at < ?", userID, from, to).Scan(&a).Error; err != nil {
		return 0, 0, classify(err)
	}
	return h.H, a.A, nil
}

// StudyHourTarget is a yearly target for a scope ("default", "kind:cadre_centre",
// "institution:CODE"); year 0 applies to every year.
type StudyHourTarget struct {
	ID    int64
	Year  int
	Scope string `gorm:"size:80"`
	Hours float64
}

func (StudyHourTarget) TableName() string { return "study_hour_targets" }

// TargetFor returns the most specific target: scopes are in priority order
// and a year-specific row beats the every-year row of the same scope.
func (s *Store) TargetFor(ctx context.Context, year int, scopes []string) (float64, bool, error) {
	if len(scopes) == 0 {
		return 0, false, nil
	}
	args := []any{year}
	for _, sc := range scopes {
		args = append(args, sc)
	}
	var rows []StudyHourTarget
	err := s.readRows(ctx, "SELECT year, scope, hours FROM study_hour_targets WHERE year IN (0, ?) AND scope IN (?"+
		strings.Repeat(", ?", len(scopes)-1)+")", args,
		func(r *sql.Rows) error {
			var t StudyHourTarget
			err := r.Scan(&t.Year, &t.Scope, &t.Hours)
			rows = append(rows, t)
			return err
		})
	if err != nil {
		return 0, false, err
	}
	for _, sc := range scopes {
		var found *StudyHourTarget
		for i := range rows {
			if rows[i].Scope == sc && (found == nil || rows[i].Year > found.Year) {
				found = &rows[i]
			}
		}
		if found != nil {
			return found.Hours, true, nil
		}
	}
	return 0, false, nil
}

// SetTarget creates or replaces a target.
func (s *Store) SetTarget(ctx context.Context, t StudyHourTarget) error {
	return classify(s.w.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "year"}, {Name: "scope"}},
		DoUpdates: clause.AssignmentColumns([]string{"hours"}),
	}).Create(&t).Error)
}

// YearHours is HoursBetween for one calendar year in loc, without reading a
// learner's whole history: days the statistics upkeep has counted come from
// stats_learner_days, and only the events past its watermark (and the ids it
// is still waiting for) are read raw, through the (user_id, id) index.
//
// The first statement reads the aggregates and the watermark together, so
// they describe one moment (a single statement reads one snapshot on both
// databases); the events read after it by id past that
// watermark are exactly the ones those aggregates leave out, however far the
// upkeep moved in between. The learner sees the minutes they just spent.
func (s *Store) YearHours(ctx context.Context, userID int64, year int, loc *time.Location) (hours float64, activeSeconds int64, err error) {
	from := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	to := from.AddDate(1, 0, 0)
	db, err := s.r.DB()
	if err != nil {
		return 0, 0, classify(err)
	}
	hours, activeSeconds, gaps, err := yearHoursAt(ctx, db, userID, year, from, to, false)
	if err == nil && gaps {
		// Ids the upkeep still waits for (rare, short-lived): their list
		// must come from the same moment as the aggregates, so read it all
		// in one read transaction.
		var tx *sql.Tx
		if tx, err = db.BeginTx(ctx, nil); err != nil {
			return 0, 0, classify(err)
		}
		defer func() { _ = tx.Rollback() }()
		hours, activeSeconds, _, err = yearHoursAt(ctx, tx, userID, year, from, to, true)
	}
	return hours, activeSeconds, classify(err)
}

func yearHoursAt(ctx context.Context, db querier, userID int64, year int, from, to time.Time, withGaps bool) (hours float64, activeSeconds int64, gaps bool, err error) {
	var last, nGaps int64
	err = scanRows(ctx, db, `SELECT
  (SELECT COALESCE(SUM(hours_credited), 0) FROM enrollments WHERE user_id = ? AND completed_at >= ? AND completed_at < ?) AS h,
  (SELECT COALESCE(SUM(credited_seconds), 0) FROM stats_learner_days WHERE user_id = ? AND day >= ? AND day < ?) AS a,
  (SELECT COALESCE(MAX(last_id), 0) FROM stats_tails WHERE source = 'progress_events') AS last,
  (SELECT COUNT(*) FROM stats_gaps WHERE source = 'progress_events') AS n_gaps`,
		[]any{userID, from.UTC(), to.UTC(), userID, year * 10000, (year + 1) * 10000},
		func(r *sql.Rows) error { return r.Scan(&hours, &activeSeconds, &last, &nGaps) })
	if err != nil {
		return 0, 0, false, err
	}
	if nGaps > 0 && !withGaps {
		return 0, 0, true, nil
	}
	// Only the (user_id, id) range in WHERE: with received_at there a
	// planner may pick the (user_id, received_at) index and read the whole
	// year. The rows past the watermark are a few seconds' worth, summed
	// in SQL as the upkeep counts them (nothing for non-positive credit).
	const tail = `SELECT COALESCE(SUM(CASE WHEN credited_seconds > 0 AND received_at >= ? AND received_at < ?
  THEN credited_seconds ELSE 0 END), 0) FROM progress_events WHERE user_id = ? AND `
	add := func(r *sql.Rows) error {
		var n int64
		err := r.Scan(&n)
		activeSeconds += n
		return err
	}
	if err := scanRows(ctx, db, tail+"id > ?", []any{from.UTC(), to.UTC(), userID, last}, add); err != nil {
		return 0, 0, false, err
	}
	if nGaps > 0 {
		if err := scanRows(ctx, db, tail+"id IN (SELECT id FROM stats_gaps WHERE source = 'progress_events' AND id <= ?)",
			[]any{from.UTC(), to.UTC(), userID, last}, add); err != nil {
			return 0, 0, false, err
		}
	}
	return hours, activeSeconds, false, nil
}
