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
// is still waiting for) are read raw, through the (user_id, id) index. One
// read transaction keeps the watermark and the aggregates it describes
// consistent, so an event is counted exactly once and the learner sees the
// minutes they just spent.
func (s *Store) YearHours(ctx context.Context, userID int64, year int, loc *time.Location) (hours float64, activeSeconds int64, err error) {
	from := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	to := from.AddDate(1, 0, 0)
	err = s.r.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var h struct{ H float64 }
		if err := tx.Model(&Enrollment{}).Select("COALESCE(SUM(hours_credited), 0) AS h").
			Where("user_id = ? AND completed_at >= ? AND completed_at < ?", userID, from.UTC(), to.UTC()).Scan(&h).Error; err != nil {
			return err
		}
		hours = h.H
		var tails []StatsTail
		if err := tx.Where("source = ?", "progress_events").Limit(1).Find(&tails).Error; err != nil {
			return err
		}
		var last int64
		if len(tails) == 1 {
			last = tails[0].LastID
		}
		var a struct{ A int64 }
		if err := tx.Model(&StatsLearnerDay{}).Select("COALESCE(SUM(credited_seconds), 0) AS a").
			Where("user_id = ? AND day >= ? AND day < ?", userID, year*10000, (year+1)*10000).Scan(&a).Error; err != nil {
			return err
		}
		activeSeconds = a.A
		if err := tx.Model(&ProgressEvent{}).Select("COALESCE(SUM(credited_seconds), 0) AS a").
			Where("user_id = ? AND id > ? AND credited_seconds > 0 AND received_at >= ? AND received_at < ?", userID, last, from.UTC(), to.UTC()).
			Scan(&a).Error; err != nil {
			return err
		}
		activeSeconds += a.A
		var gaps []int64
		if err := tx.Model(&StatsGap{}).Where("source = ? AND id <= ?", "progress_events", last).Pluck("id", &gaps).Error; err != nil {
			return err
		}
		for _, ch := range chunks(gaps, 500) {
			if err := tx.Model(&ProgressEvent{}).Select("COALESCE(SUM(credited_seconds), 0) AS a").
				Where("user_id = ? AND id IN ? AND credited_seconds > 0 AND received_at >= ? AND received_at < ?", userID, ch, from.UTC(), to.UTC()).
				Scan(&a).Error; err != nil {
				return err
			}
			activeSeconds += a.A
		}
		return nil
	})
	return hours, activeSeconds, classify(err)
}
