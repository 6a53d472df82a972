package store

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// AcceptPrivacy records that a user accepted a version of the privacy
// notice, now.
func (s *Store) AcceptPrivacy(ctx context.Context, userID int64, version string) error {
	now := s.now()
	res := s.w.WithContext(ctx).Model(&User{}).Where("id = ? AND deleted_at IS NULL", userID).
		Updates(map[string]any{"privacy_version": version, "privacy_accepted_at": now, "updated_at": now})
	if res.Error == nil && res.RowsAffected == 0 {
		return classify(gorm.ErrRecordNotFound)
	}
	return classify(res.Error)
}

// RecordSignIn keeps the time of a user's latest sign-in, which the
// retention rule for inactive accounts reads.
func (s *Store) RecordSignIn(ctx context.Context, userID int64) error {
	return classify(s.w.WithContext(ctx).Model(&User{}).Where("id = ?", userID).
		Update("last_sign_in_at", s.now()).Error)
}

// DeletedUsername is what an erased account is called: unique, and it
// says nothing about the person.
func DeletedUsername(id int64) string { return "deleted-" + strconv.FormatInt(id, 10) }

// unusableHash matches no password: CheckPassword refuses anything that
// is not a PHC argon2id string.
const unusableHash = "!"

// AnonymiseUsers erases the personal fields of every user in ids, in one
// transaction with their audit entries: username, name, password, guardian
// and privacy record go; the account is disabled and marked deleted;
// their certificates keep course, hours and dates but lose the name and
// verify as "holder removed"; their sessions end; their problem reports
// lose their notes. Enrolments, progress,
// attempts and the birth year (only an age band in statistics) stay, so
// every number reported before reads the same after. Already deleted
// accounts are left as they are and not counted.
func (s *Store) AnonymiseUsers(ctx context.Context, ids []int64, audit func(id int64) *AuditEntry) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	now := s.now()
	done := 0
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var live []int64
		if err := tx.Model(&User{}).Where("id IN ? AND deleted_at IS NULL", ids).Order("id").Pluck("id", &live).Error; err != nil {
			return err
		}
		for _, id := range live {
			if err := tx.Model(&User{}).Where("id = ?", id).Updates(map[string]any{
				"username": DeletedUsername(id), "display_name": "", "password_hash": unusableHash,
				"guardian_name": nil, "guardian_consent_date": nil, "privacy_version": nil, "privacy_accepted_at": nil,
				"locale": "zh-CN", "disabled": true, "must_change_password": false, "deleted_at": now, "updated_at": now,
			}).Error; err != nil {
				return err
			}
		}
		if len(live) == 0 {
			return nil
		}
		if err := tx.Model(&Certificate{}).Where("user_id IN ?", live).
			Updates(map[string]any{"learner_name": "", "holder_removed_at": now}).Error; err != nil {
			return err
		}
		if err := tx.Where("user_id IN ?", live).Delete(&SessionRow{}).Error; err != nil {
			return err
		}
		if err := eraseStatementNames(tx, live); err != nil {
			return err
		}
		// A problem report's note is the learner's own words and may name
		// them; the reason and the lesson stay for the course's editors.
		if err := tx.Model(&LessonReport{}).Where("user_id IN ?", live).Update("text", "").Error; err != nil {
			return err
		}
		entries := make([]*AuditEntry, len(live))
		for i, id := range live {
			e := audit(id)
			e.At = now
			if e.Outcome == "" {
				e.Outcome = OutcomeOK
			}
			entries[i] = e
		}
		done = len(live)
		return tx.Create(entries).Error
	})
	return done, classify(err)
}

// InactiveQuery selects learners of a scope inactive since Before: no
// sign-in (or, never signed in, no account created) and no learning on or
// after it. Deleted accounts are not listed.
type InactiveQuery struct {
	Scope   UserScope
	Before  time.Time
	AfterID int64
	Limit   int
	// IDs, when set, keeps only these accounts: the re-check before
	// anonymising the ones an admin chose.
	IDs []int64
}

// InactiveUsers is a keyset page of the accounts the retention rule would
// anonymise.
func (s *Store) InactiveUsers(ctx context.Context, q InactiveQuery) ([]UserListing, error) {
	sc := q.Scope
	if !sc.All && sc.RegionPrefix == "" && sc.InstitutionID == 0 {
		return nil, nil
	}
	var out []UserListing
	db := s.scopedUsers(ctx, sc).
		Where("u.id > ? AND u.role = ? AND u.deleted_at IS NULL", q.AfterID, "learner").
		Where("COALESCE(u.last_sign_in_at, u.created_at) < ?", q.Before).
		Where("NOT EXISTS (SELECT 1 FROM lesson_progress lp WHERE lp.user_id = u.id AND lp.last_seen_at >= ?)", q.Before)
	if len(q.IDs) > 0 {
		db = db.Where("u.id IN ?", q.IDs)
	}
	err := db.Order("u.id").Limit(q.Limit).Scan(&out).Error
	return out, classify(err)
}

// PersonalData is everything stored about one learner's learning, for
// their own download.
type PersonalData struct {
	User         User
	Enrollments  []EnrollmentRow
	Progress     []LessonProgress
	Attempts     []QuizAttempt
	Certificates []Certificate
}

// EnrollmentRow is an enrolment with its course's slug and title.
type EnrollmentRow struct {
	Enrollment
	CourseSlug  string
	CourseTitle string
}

// PersonalDataOf reads a user's data for their download. The reads are
// not one snapshot; a download taken while learning may miss the newest
// event, which the next download has.
func (s *Store) PersonalDataOf(ctx context.Context, userID int64) (*PersonalData, error) {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	if u.DeletedAt != nil {
		return nil, classify(gorm.ErrRecordNotFound)
	}
	d := &PersonalData{User: *u}
	db := s.r.WithContext(ctx)
	if err := db.Table("enrollments AS e").
		Select("e.*, c.slug AS course_slug, COALESCE(v.title, '') AS course_title").
		Joins("JOIN courses c ON c.id = e.course_id").
		Joins("LEFT JOIN course_versions v ON v.id = e.course_version_id").
		Where("e.user_id = ?", userID).Order("e.id").Scan(&d.Enrollments).Error; err != nil {
		return nil, classify(err)
	}
	if err := db.Where("user_id = ?", userID).Order("id").Find(&d.Progress).Error; err != nil {
		return nil, classify(err)
	}
	if err := db.Where("user_id = ?", userID).Order("id").Find(&d.Attempts).Error; err != nil {
		return nil, classify(err)
	}
	if err := db.Where("user_id = ?", userID).Order("id").Find(&d.Certificates).Error; err != nil {
		return nil, classify(err)
	}
	return d, nil
}

// eraseStatementNames removes the learner's name from the yearly
// statements kept for verification: like a certificate, a statement of a
// deleted account still verifies, naming nobody.
func eraseStatementNames(tx *gorm.DB, users []int64) error {
	var sts []Statement
	if err := tx.Where("user_id IN ?", users).Find(&sts).Error; err != nil {
		return err
	}
	for _, st := range sts {
		var content map[string]any
		if err := json.Unmarshal([]byte(st.Content), &content); err != nil {
			return err
		}
		content["learner_name"] = ""
		b, err := json.Marshal(content)
		if err != nil {
			return err
		}
		if err := tx.Model(&Statement{}).Where("id = ?", st.ID).Update("content", string(b)).Error; err != nil {
			return err
		}
	}
	return nil
}
