package store

import (
	"context"
	"time"

	"gorm.io/gorm"
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
	var rows []StudyHourTarget
	if err := s.r.WithContext(ctx).Where("year IN ? AND scope IN ?", []int{0, year}, scopes).Find(&rows).Error; err != nil {
		return 0, false, classify(err)
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
	db := s.r.WithContext(ctx)
	hours, activeSeconds, gaps, err := yearHoursAt(db, userID, year, from, to, false)
	if err == nil && gaps {
		// Ids the upkeep still waits for (rare, short-lived): their list
		// must come from the same moment as the aggregates, so read it all
		// in one read transaction.
		err = db.Transaction(func(tx *gorm.DB) error {
			var err error
			hours, activeSeconds, _, err = yearHoursAt(tx, userID, year, from, to, true)
			return err
		})
	}
	return hours, activeSeconds, classify(err)
}

func yearHoursAt(db *gorm.DB, userID int64, year int, from, to time.Time, withGaps bool) (hours float64, activeSeconds int64, gaps bool, err error) {
	var agg struct {
		H     float64
		A     int64
		Last  int64
		NGaps int64
	}
	if err := db.Raw(`SELECT
  (SELECT COALESCE(SUM(hours_credited), 0) FROM enrollments WHERE user_id = ? AND completed_at >= ? AND completed_at < ?) AS h,
  (SELECT COALESCE(SUM(credited_seconds), 0) FROM stats_learner_days WHERE user_id = ? AND day >= ? AND day < ?) AS a,
  (SELECT COALESCE(MAX(last_id), 0) FROM stats_tails WHERE source = 'progress_events') AS last,
  (SELECT COUNT(*) FROM stats_gaps WHERE source = 'progress_events') AS n_gaps`,
		userID, from.UTC(), to.UTC(), userID, year*10000, (year+1)*10000).Scan(&agg).Error; err != nil {
		return 0, 0, false, err
	}
	if agg.NGaps > 0 && !withGaps {
		return 0, 0, true, nil
	}
	hours, activeSeconds = agg.H, agg.A
	// Only the (user_id, id) range in SQL: with received_at beside it a
	// planner may pick the (user_id, received_at) index and read the whole
	// year. The rows past the watermark are a few seconds' worth.
	var tail []ProgressEvent
	if err := db.Select("credited_seconds, received_at").Where("user_id = ? AND id > ?", userID, agg.Last).Find(&tail).Error; err != nil {
		return 0, 0, false, err
	}
	activeSeconds += creditedIn(tail, from, to)
	if agg.NGaps > 0 {
		var late []ProgressEvent
		if err := db.Select("credited_seconds, received_at").Where("user_id = ? AND id IN (?)", userID,
			db.Model(&StatsGap{}).Select("id").Where("source = ? AND id <= ?", "progress_events", agg.Last)).Find(&late).Error; err != nil {
			return 0, 0, false, err
		}
		activeSeconds += creditedIn(late, from, to)
	}
	return hours, activeSeconds, false, nil
}

// creditedIn sums the credited seconds of events received in [from, to),
// counting as the upkeep does (nothing for non-positive credit).
func creditedIn(evs []ProgressEvent, from, to time.Time) int64 {
	var n int64
	for _, e := range evs {
		if e.CreditedSeconds > 0 && !e.ReceivedAt.Before(from) && e.ReceivedAt.Before(to) {
			n += int64(e.CreditedSeconds)
		}
	}
	return n
}
