package store

import (
	"context"
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
