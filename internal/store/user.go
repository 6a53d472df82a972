package store

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/xuetang-edu/xuetang/internal/errs"
)

// User is an account. PasswordHash is a PHC-format argon2id string.
type User struct {
	ID            int64
	Username      string `gorm:"size:64"`
	DisplayName   string `gorm:"size:100"`
	PasswordHash  string `gorm:"size:255"`
	Role          string `gorm:"size:20"`
	InstitutionID *int64
	RegionCode    *string `gorm:"size:6"`
	Locale        string  `gorm:"size:10"`
	BirthYear     *int
	Disabled      bool
	// MustChangePassword: the password was chosen by someone else (a reset
	// or an import); the user must replace it before doing anything else.
	MustChangePassword bool
	PasswordChangedAt  *time.Time
	// Guardian consent for a child's account (who gave it, on which day).
	GuardianName        *string    `gorm:"size:100"`
	GuardianConsentDate *time.Time `gorm:"type:date"`
	// PrivacyVersion is the privacy notice the user accepted, and when.
	PrivacyVersion    *string `gorm:"size:16"`
	PrivacyAcceptedAt *time.Time
	LastSignInAt      *time.Time
	// LargeText and HighContrast: the age-friendly display the user chose.
	LargeText    bool
	HighContrast bool
	// DeletedAt: personal fields erased; the learning records stay,
	// anonymised, so statistics stay right.
	DeletedAt *time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (User) TableName() string { return "users" }

// CreateUser inserts u; a taken username is errs.Conflict.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	return classify(s.w.WithContext(ctx).Create(u).Error)
}

// UserByUsername finds an account by its normalised username.
func (s *Store) UserByUsername(ctx context.Context, username string) (*User, error) {
	var u User
	err := s.r.WithContext(ctx).Where("username = ?", username).Take(&u).Error
	if err != nil {
		return nil, classify(err)
	}
	return &u, nil
}

// UserByID finds an account.
func (s *Store) UserByID(ctx context.Context, id int64) (*User, error) {
	var u User
	if err := s.r.WithContext(ctx).Take(&u, id).Error; err != nil {
		return nil, classify(err)
	}
	return &u, nil
}

// CountAdmins reports how many enabled admins exist, for the first-run hint.
func (s *Store) CountAdmins(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.WithContext(ctx).Model(&User{}).Where("role = ? AND disabled = ?", "admin", false).Count(&n).Error
	return n, classify(err)
}

// SetUserLocale stores the language a user picked.
func (s *Store) SetUserLocale(ctx context.Context, id int64, locale string) error {
	return classify(s.w.WithContext(ctx).Model(&User{}).Where("id = ?", id).
		Updates(map[string]any{"locale": locale, "updated_at": s.now()}).Error)
}

// SetUserDisplay stores the user's age-friendly display choice.
func (s *Store) SetUserDisplay(ctx context.Context, id int64, largeText, highContrast bool) error {
	return classify(s.w.WithContext(ctx).Model(&User{}).Where("id = ?", id).
		Updates(map[string]any{"large_text": largeText, "high_contrast": highContrast, "updated_at": s.now()}).Error)
}

// SetUserPassword replaces the password hash.
func (s *Store) SetUserPassword(ctx context.Context, id int64, hash string) error {
	res := s.w.WithContext(ctx).Model(&User{}).Where("id = ?", id).
		Updates(map[string]any{"password_hash": hash, "updated_at": s.now()})
	if res.Error == nil && res.RowsAffected == 0 {
		return classify(gorm.ErrRecordNotFound)
	}
	return classify(res.Error)
}

// UserScope is the set of users a staff member may see, in the database's
// terms. The zero value covers nobody, so a forgotten field hides rather
// than reveals.
type UserScope struct {
	All bool
	// RegionPrefix: users whose region (their own, else their
	// institution's) starts with it.
	RegionPrefix string
	// InstitutionID: users of this institution.
	InstitutionID int64
	// Roles, when set, keeps only users with one of these roles.
	Roles []string
	// HideRegionAdminsAt hides the region admins of exactly this region: a
	// region admin's peers are not theirs to manage.
	HideRegionAdminsAt string
	// TeacherID, when set, keeps only members of that teacher's classes
	// that are not archived. Covers cannot tell (it sees one user, not the
	// classes): callers check one user with TeachesLearner.
	TeacherID int64
}

// Covers is the same rule as the query in ListUsers, for one user already
// loaded: role, institution and region (own, else the institution's).
func (sc UserScope) Covers(role string, institutionID int64, region string) bool {
	if len(sc.Roles) > 0 && !contains(sc.Roles, role) {
		return false
	}
	if sc.HideRegionAdminsAt != "" && role == "region_admin" && region == sc.HideRegionAdminsAt {
		return false
	}
	switch {
	case sc.All:
		return true
	case sc.RegionPrefix != "":
		return strings.HasPrefix(region, sc.RegionPrefix)
	case sc.InstitutionID != 0:
		return institutionID == sc.InstitutionID
	}
	return false
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// UserQuery selects a page of users in id order.
type UserQuery struct {
	Scope UserScope
	// Text matches a substring of the username or display name.
	Text    string
	Role    string
	AfterID int64
	Limit   int
}

// UserListing is a user with their institution, as staff lists show them.
type UserListing struct {
	User
	InstitutionCode string
	InstitutionName string
	// Region is the user's own region, else their institution's.
	Region string
}

// likeEscape makes s match literally inside a LIKE pattern that declares
// ESCAPE '!', the same on SQLite and MySQL.
func likeEscape(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}

// ListUsers returns up to q.Limit users after q.AfterID, by id: a keyset
// page, so page 100 costs what page 1 does.
func (s *Store) ListUsers(ctx context.Context, q UserQuery) ([]UserListing, error) {
	sc := q.Scope
	if !sc.All && sc.RegionPrefix == "" && sc.InstitutionID == 0 {
		return nil, nil
	}
	db := s.scopedUsers(ctx, sc).Where("u.id > ?", q.AfterID)
	if q.Role != "" {
		db = db.Where("u.role = ?", q.Role)
	}
	if q.Text != "" {
		pat := "%" + likeEscape(q.Text) + "%"
		db = db.Where("(u.username LIKE ? ESCAPE '!' OR u.display_name LIKE ? ESCAPE '!')", pat, pat)
	}
	var out []UserListing
	err := db.Order("u.id").Limit(q.Limit).Scan(&out).Error
	return out, classify(err)
}

// scopedUsers selects the users of sc with their institution, aliased u
// and i, in the shape of UserListing.
func (s *Store) scopedUsers(ctx context.Context, sc UserScope) *gorm.DB {
	db := s.r.WithContext(ctx).Table("users AS u").
		Select("u.*, COALESCE(i.code, '') AS institution_code, COALESCE(i.name, '') AS institution_name, " +
			"COALESCE(u.region_code, i.region_code, '') AS region").
		Joins("LEFT JOIN institutions i ON i.id = u.institution_id")
	switch {
	case sc.All:
	case sc.RegionPrefix != "":
		db = db.Where("COALESCE(u.region_code, i.region_code) LIKE ? ESCAPE '!'", likeEscape(sc.RegionPrefix)+"%")
	default:
		db = db.Where("u.institution_id = ?", sc.InstitutionID)
	}
	if len(sc.Roles) > 0 {
		db = db.Where("u.role IN ?", sc.Roles)
	}
	if sc.HideRegionAdminsAt != "" {
		db = db.Where("NOT (u.role = ? AND COALESCE(u.region_code, i.region_code, '') = ?)", "region_admin", sc.HideRegionAdminsAt)
	}
	if sc.TeacherID != 0 {
		db = db.Where("EXISTS (SELECT 1 FROM class_members cm JOIN classes c ON c.id = cm.class_id "+
			"WHERE cm.user_id = u.id AND c.teacher_id = ? AND c.archived_at IS NULL)", sc.TeacherID)
	}
	return db
}

// TeachesLearner reports whether userID is a member of one of teacherID's
// classes that are not archived.
func (s *Store) TeachesLearner(ctx context.Context, teacherID, userID int64) (bool, error) {
	var n int64
	err := s.r.WithContext(ctx).Table("class_members AS cm").Joins("JOIN classes c ON c.id = cm.class_id").
		Where("cm.user_id = ? AND c.teacher_id = ? AND c.archived_at IS NULL", userID, teacherID).Limit(1).Count(&n).Error
	return n > 0, classify(err)
}

// UserChange is a set of fields to change on one user; nil fields stay.
type UserChange struct {
	DisplayName *string
	Role        *string
	// RegionCode: a pointer to "" clears the region.
	RegionCode    *string
	InstitutionID *int64
	Disabled      *bool
	// PasswordHash also records when the password changed.
	PasswordHash       *string
	MustChangePassword *bool
}

func (ch UserChange) columns(now time.Time) map[string]any {
	m := map[string]any{"updated_at": now}
	if ch.DisplayName != nil {
		m["display_name"] = *ch.DisplayName
	}
	if ch.Role != nil {
		m["role"] = *ch.Role
	}
	if ch.RegionCode != nil {
		if *ch.RegionCode == "" {
			m["region_code"] = nil
		} else {
			m["region_code"] = *ch.RegionCode
		}
	}
	if ch.InstitutionID != nil {
		m["institution_id"] = *ch.InstitutionID
	}
	if ch.Disabled != nil {
		m["disabled"] = *ch.Disabled
	}
	if ch.PasswordHash != nil {
		m["password_hash"] = *ch.PasswordHash
		m["password_changed_at"] = now
	}
	if ch.MustChangePassword != nil {
		m["must_change_password"] = *ch.MustChangePassword
	}
	return m
}

// ChangeUser applies ch and appends e to the audit log in one
// transaction: a change is never made without its entry, nor recorded
// without being made. The user is returned as stored afterwards.
func (s *Store) ChangeUser(ctx context.Context, id int64, ch UserChange, es ...*AuditEntry) (*User, error) {
	var u User
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		res := tx.Model(&User{}).Where("id = ?", id).Updates(ch.columns(now))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return gorm.ErrRecordNotFound
		}
		for _, e := range es {
			if err := s.auditIn(tx, e, now); err != nil {
				return err
			}
		}
		return tx.Take(&u, id).Error
	})
	if err != nil {
		return nil, classify(err)
	}
	return &u, nil
}

// CreateUsers inserts every user or none, with the audit entry audit
// returns for each (it sees the user with its id), in one transaction. A
// username already taken is errs.Conflict and nothing is created.
func (s *Store) CreateUsers(ctx context.Context, us []*User, audit func(*User) *AuditEntry) error {
	if len(us) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := insertUsers(tx, us); err != nil {
			return err
		}
		now := s.now()
		entries := make([]*AuditEntry, 0, len(us))
		for _, u := range us {
			if u.ID == 0 {
				return errs.New(errs.Internal, "error.internal")
			}
			e := audit(u)
			if e.At.IsZero() {
				e.At = now
			}
			if e.Outcome == "" {
				e.Outcome = OutcomeOK
			}
			entries = append(entries, e)
		}
		return tx.CreateInBatches(entries, 500).Error
	})
}

// userBatch keeps each multi-row INSERT of users well under MySQL's
// 65,535 placeholders and SQLite's statement limits.
const userBatch = 500

// insertUsers is the one way accounts are inserted (one at a time by
// staff, thousands by an import): multi-row INSERTs, then each user's id
// read back by username. The ids GORM derives from a multi-row insert
// assume consecutive values, which MySQL 8's default interleaved
// auto-increment locking does not promise while other inserts run.
func insertUsers(tx *gorm.DB, us []*User) error {
	for start := 0; start < len(us); start += userBatch {
		batch := us[start:min(start+userBatch, len(us))]
		if err := tx.Create(batch).Error; err != nil {
			return err
		}
		names := make([]string, len(batch))
		for i, u := range batch {
			names[i] = u.Username
		}
		var rows []struct {
			ID       int64
			Username string
		}
		if err := tx.Model(&User{}).Select("id, username").Where("username IN ?", names).Scan(&rows).Error; err != nil {
			return err
		}
		ids := make(map[string]int64, len(rows))
		for _, r := range rows {
			ids[r.Username] = r.ID
		}
		for _, u := range batch {
			if u.ID = ids[u.Username]; u.ID == 0 {
				return errs.New(errs.Internal, "error.internal")
			}
		}
	}
	return nil
}

// UsernamesInUse returns which of names are already accounts.
func (s *Store) UsernamesInUse(ctx context.Context, names []string) ([]string, error) {
	var out []string
	for start := 0; start < len(names); start += 500 {
		end := min(start+500, len(names))
		var got []string
		if err := s.r.WithContext(ctx).Model(&User{}).Where("username IN ?", names[start:end]).
			Pluck("username", &got).Error; err != nil {
			return nil, classify(err)
		}
		out = append(out, got...)
	}
	return out, nil
}
