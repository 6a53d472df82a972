package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// QuizAttempt is one graded submission.
type QuizAttempt struct {
	ID         int64
	UserID     int64
	CourseID   int64
	LessonID   int64
	LessonSlug string `gorm:"size:64"`
	Score      int
	Passed     bool
	Answers    string // JSON in authored option order, for review
	CreatedAt  time.Time
	AttemptID  *string `gorm:"size:36"` // the client's id, unique per learner
	Variant    int     // the option order the learner saw
	Result     string  // the graded answer as returned, replayed for a resent attempt_id
}

func (QuizAttempt) TableName() string { return "quiz_attempts" }

// RecordAttempt stores a graded attempt, keeps the lesson's best score, and
// completes the course when that was the last thing missing.
func (s *Store) RecordAttempt(ctx context.Context, a QuizAttempt, f Rules) (Completion, error) {
	var c Completion
	s.activity.forget([]int64{a.UserID})
	err := s.txReadCommitted(ctx, func(tx *gorm.DB) error {
		now := s.now()
		a.ID, a.CreatedAt = 0, now
		if s.dialect == MySQL {
			// The attempt may add the learner's newest lesson row: their
			// activity row must not keep vouching for an older time, or
			// another instance would credit heartbeats from it. Locked
			// first, as progress batches do. A time newer than the
			// lesson rows only sends the next batch the general way,
			// which sets it right.
			if err := tx.Exec("INSERT INTO learner_activity (user_id, last_at) VALUES (?, ?) "+
				"ON DUPLICATE KEY UPDATE last_at = GREATEST(COALESCE(last_at, VALUES(last_at)), VALUES(last_at)), "+
				"prev_at = NULL, seq = seq + 1", a.UserID, now).Error; err != nil {
				return err
			}
		}
		if err := tx.Create(&a).Error; err != nil {
			return err
		}
		greatest := "GREATEST"
		if s.dialect == SQLite {
			greatest = "MAX"
		}
		score := a.Score
		row := LessonProgress{UserID: a.UserID, CourseID: a.CourseID, LessonSlug: a.LessonSlug,
			FirstOpenedAt: now, LastSeenAt: now, BestScore: &score, Attempts: 1}
		if err := tx.Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "user_id"}, {Name: "course_id"}, {Name: "lesson_slug"}},
			DoUpdates: clause.Assignments(map[string]any{
				"best_score": gorm.Expr(greatest+"(COALESCE(lesson_progress.best_score, 0), ?)", score),
				"attempts":   gorm.Expr("lesson_progress.attempts + 1"),
			}),
		}).Create(&row).Error; err != nil {
			return err
		}
		var err error
		c, err = s.finishIfDone(tx, a.UserID, a.CourseID, f, now)
		return err
	})
	return c, err
}

// ClientAttempt finds the attempt a learner's client sent with attemptID.
func (s *Store) ClientAttempt(ctx context.Context, userID int64, attemptID string) (*QuizAttempt, error) {
	var a QuizAttempt
	err := s.r.WithContext(ctx).Where("user_id = ? AND attempt_id = ?", userID, attemptID).Take(&a).Error
	if err != nil {
		return nil, classify(err)
	}
	return &a, nil
}

// RecentAttempts lists a learner's attempts at a lesson made since a time,
// newest first, at most limit of them.
func (s *Store) RecentAttempts(ctx context.Context, userID, courseID int64, slug string, since time.Time, limit int) ([]QuizAttempt, error) {
	var out []QuizAttempt
	err := s.r.WithContext(ctx).Select("id, created_at, passed").
		Where("user_id = ? AND course_id = ? AND lesson_slug = ? AND created_at >= ?", userID, courseID, slug, since).
		Order("id DESC").Limit(limit).Find(&out).Error
	return out, classify(err)
}
