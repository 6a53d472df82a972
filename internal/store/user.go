package store

import (
	"context"
	"time"

	"gorm.io/gorm"
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
	CreatedAt     time.Time
	UpdatedAt     time.Time
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

// SetUserPassword replaces the password hash.
func (s *Store) SetUserPassword(ctx context.Context, id int64, hash string) error {
	res := s.w.WithContext(ctx).Model(&User{}).Where("id = ?", id).
		Updates(map[string]any{"password_hash": hash, "updated_at": s.now()})
	if res.Error == nil && res.RowsAffected == 0 {
		return classify(gorm.ErrRecordNotFound)
	}
	return classify(res.Error)
}
