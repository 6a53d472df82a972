package store

import (
	"context"
	"time"

	"gorm.io/gorm/clause"
)

// Class is a group of learners at an institution that a teacher assigns
// courses to.
type Class struct {
	ID            int64
	InstitutionID int64
	Name          string `gorm:"size:100"`
	TeacherID     *int64
	CreatedAt     time.Time
}

func (Class) TableName() string { return "classes" }

// ClassMember puts a learner in a class.
type ClassMember struct {
	ClassID  int64 `gorm:"primaryKey;autoIncrement:false"`
	UserID   int64 `gorm:"primaryKey;autoIncrement:false"`
	JoinedAt time.Time
}

func (ClassMember) TableName() string { return "class_members" }

// CreateClass inserts a class.
func (s *Store) CreateClass(ctx context.Context, c *Class) error {
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now()
	}
	return classify(s.w.WithContext(ctx).Create(c).Error)
}

// AddClassMember puts a learner in a class; adding them twice changes nothing.
func (s *Store) AddClassMember(ctx context.Context, classID, userID int64) error {
	m := &ClassMember{ClassID: classID, UserID: userID, JoinedAt: s.now()}
	return classify(s.w.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(m).Error)
}

// Assign sets a course for a class; assigning it again replaces the due date,
// so a teacher can move a deadline without removing the assignment.
func (s *Store) Assign(ctx context.Context, a *Assignment) error {
	if a.CreatedAt.IsZero() {
		a.CreatedAt = s.now()
	}
	return classify(s.w.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "class_id"}, {Name: "course_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"due_at"}),
	}).Create(a).Error)
}
