package store

import (
	"context"
	"time"
)

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
