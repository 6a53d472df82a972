package store

import (
	"context"
	"strconv"
	"time"

	"gorm.io/gorm"
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
	// JoinCode is nil until one is made; JoinCodeEnabled false keeps the
	// code but refuses it.
	JoinCode        *string `gorm:"size:12"`
	JoinCodeEnabled bool    `gorm:"default:true"`
	AllowOutside    bool
	StartsOn        *string `gorm:"size:10"` // YYYY-MM-DD
	EndsOn          *string `gorm:"size:10"`
	ArchivedAt      *time.Time
	UpdatedAt       *time.Time
}

func (Class) TableName() string { return "classes" }

// ClassMember puts a learner in a class.
type ClassMember struct {
	ClassID  int64 `gorm:"primaryKey;autoIncrement:false"`
	UserID   int64 `gorm:"primaryKey;autoIncrement:false"`
	JoinedAt time.Time
	AddedBy  *int64 // nil: joined by code or by import
}

func (ClassMember) TableName() string { return "class_members" }

// CreateClass inserts a class.
func (s *Store) CreateClass(ctx context.Context, c *Class) error {
	return s.CreateClassAudited(ctx, c, nil)
}

// CreateClassAudited inserts a class and its audit entry in one
// transaction; a join code already taken is errs.Conflict.
func (s *Store) CreateClassAudited(ctx context.Context, c *Class, e *AuditEntry) error {
	now := s.now()
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	// Set again after the insert: GORM leaves a false bool out of it, and
	// the column default (read back into c) would switch the code on.
	enabled := c.JoinCodeEnabled
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(c).Error; err != nil {
			return err
		}
		if !enabled {
			if err := tx.Model(c).Update("join_code_enabled", false).Error; err != nil {
				return err
			}
			c.JoinCodeEnabled = false
		}
		if e != nil {
			e.Target = classTarget(c.ID)
		}
		return s.auditIn(tx, e, now)
	})
}

func classTarget(id int64) string { return "class:" + strconv.FormatInt(id, 10) }

// ClassTarget names a class in the audit log.
func ClassTarget(id int64) string { return classTarget(id) }

// ClassByID finds a class.
func (s *Store) ClassByID(ctx context.Context, id int64) (*Class, error) {
	var c Class
	if err := s.r.WithContext(ctx).Where("id = ?", id).Take(&c).Error; err != nil {
		return nil, classify(err)
	}
	return &c, nil
}

// ClassByJoinCode finds the class with a code (stored upper case).
func (s *Store) ClassByJoinCode(ctx context.Context, code string) (*Class, error) {
	var c Class
	if err := s.r.WithContext(ctx).Where("join_code = ?", code).Take(&c).Error; err != nil {
		return nil, classify(err)
	}
	return &c, nil
}

// SaveClass writes every field of c and its audit entry in one
// transaction; a join code already taken is errs.Conflict.
func (s *Store) SaveClass(ctx context.Context, c *Class, e *AuditEntry) error {
	now := s.now()
	c.UpdatedAt = &now
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&Class{}).Where("id = ?", c.ID).Updates(map[string]any{
			"name": c.Name, "teacher_id": c.TeacherID, "join_code": c.JoinCode, "join_code_enabled": c.JoinCodeEnabled,
			"allow_outside": c.AllowOutside, "starts_on": c.StartsOn, "ends_on": c.EndsOn, "archived_at": c.ArchivedAt,
			"updated_at": now,
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return gorm.ErrRecordNotFound
		}
		return s.auditIn(tx, e, now)
	})
}

// ClassScope is which classes a reader may see. The zero value sees none.
type ClassScope struct {
	All           bool
	RegionPrefix  string
	InstitutionID int64
	TeacherID     int64 // with InstitutionID: that teacher's classes there
}

// ClassQuery is a keyset page of classes by ascending id.
type ClassQuery struct {
	Scope    ClassScope
	Archived bool // archived classes instead of the active ones
	AfterID  int64
	Limit    int
}

// ClassRow is a class as lists show it.
type ClassRow struct {
	Class
	InstitutionCode string
	InstitutionName string
	RegionCode      string
	TeacherName     string
	Members         int
	Assignments     int
}

// ListClasses returns a page of the classes in scope with their counts:
// one query, the counts as correlated subqueries on the members' primary
// key and uq_assignments.
func (s *Store) ListClasses(ctx context.Context, q ClassQuery) ([]ClassRow, error) {
	sc := q.Scope
	db := s.r.WithContext(ctx).Table("classes AS c").
		Select(`c.*, i.code AS institution_code, i.name AS institution_name, i.region_code AS region_code,
			COALESCE(u.display_name, '') AS teacher_name,
			(SELECT COUNT(*) FROM class_members m WHERE m.class_id = c.id) AS members,
			(SELECT COUNT(*) FROM assignments a WHERE a.class_id = c.id) AS assignments`).
		Joins("JOIN institutions i ON i.id = c.institution_id").
		Joins("LEFT JOIN users u ON u.id = c.teacher_id")
	switch {
	case sc.All:
	case sc.RegionPrefix != "":
		db = db.Where("i.region_code LIKE ? ESCAPE '!'", likeEscape(sc.RegionPrefix)+"%")
	case sc.InstitutionID != 0 && sc.TeacherID != 0:
		db = db.Where("c.institution_id = ? AND c.teacher_id = ?", sc.InstitutionID, sc.TeacherID)
	case sc.InstitutionID != 0:
		db = db.Where("c.institution_id = ?", sc.InstitutionID)
	default:
		return nil, nil
	}
	if q.Archived {
		db = db.Where("c.archived_at IS NOT NULL")
	} else {
		db = db.Where("c.archived_at IS NULL")
	}
	if q.AfterID > 0 {
		db = db.Where("c.id > ?", q.AfterID)
	}
	var out []ClassRow
	return out, classify(db.Order("c.id").Limit(q.Limit).Scan(&out).Error)
}

// AddClassMember puts a learner in a class; adding them twice changes nothing.
func (s *Store) AddClassMember(ctx context.Context, classID, userID int64) error {
	_, err := s.JoinClass(ctx, classID, userID)
	return err
}

// JoinClass puts a learner in a class; created is false when they were
// already in it, which changes nothing.
func (s *Store) JoinClass(ctx context.Context, classID, userID int64) (created bool, err error) {
	m := &ClassMember{ClassID: classID, UserID: userID, JoinedAt: s.now()}
	res := s.w.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(m)
	return res.RowsAffected == 1, classify(res.Error)
}

// AddClassMembers puts learners in a class (those already in it stay as
// they were) and writes the audit entry, in one transaction; it returns
// how many were new.
func (s *Store) AddClassMembers(ctx context.Context, classID int64, userIDs []int64, addedBy int64, e *AuditEntry) (int, error) {
	now := s.now()
	n := 0
	err := s.tx(ctx, func(tx *gorm.DB) error {
		n = 0
		for _, id := range userIDs {
			res := tx.Clauses(clause.OnConflict{DoNothing: true}).
				Create(&ClassMember{ClassID: classID, UserID: id, JoinedAt: now, AddedBy: &addedBy})
			if res.Error != nil {
				return res.Error
			}
			n += int(res.RowsAffected)
		}
		return s.auditIn(tx, e, now)
	})
	return n, err
}

// RemoveClassMember takes a learner out of a class with its audit entry;
// someone not in the class is errs.NotFound. Their enrolments and progress
// are theirs and stay.
func (s *Store) RemoveClassMember(ctx context.Context, classID, userID int64, e *AuditEntry) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("class_id = ? AND user_id = ?", classID, userID).Delete(&ClassMember{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return gorm.ErrRecordNotFound
		}
		return s.auditIn(tx, e, s.now())
	})
}

// ClassMemberRow is a member with what the class page shows of them.
type ClassMemberRow struct {
	UserID        int64
	Username      string
	DisplayName   string
	Role          string
	InstitutionID *int64
	Disabled      bool
	JoinedAt      time.Time
}

// ClassMembers lists a class's members by username: one query on the
// members' primary key (class_id, user_id) and the users' primary key.
func (s *Store) ClassMembers(ctx context.Context, classID int64) ([]ClassMemberRow, error) {
	var out []ClassMemberRow
	err := s.r.WithContext(ctx).Table("class_members AS m").
		Select("m.user_id, u.username, u.display_name, u.role, u.institution_id, u.disabled, m.joined_at").
		Joins("JOIN users u ON u.id = m.user_id").
		Where("m.class_id = ?", classID).Order("u.username").Scan(&out).Error
	return out, classify(err)
}

// ClassMemberOf returns one member of a class, errs.NotFound when the user
// is not in it.
func (s *Store) ClassMemberOf(ctx context.Context, classID, userID int64) (*ClassMemberRow, error) {
	var out []ClassMemberRow
	err := s.r.WithContext(ctx).Table("class_members AS m").
		Select("m.user_id, u.username, u.display_name, u.role, u.institution_id, u.disabled, m.joined_at").
		Joins("JOIN users u ON u.id = m.user_id").
		Where("m.class_id = ? AND m.user_id = ?", classID, userID).Scan(&out).Error
	if err != nil {
		return nil, classify(err)
	}
	if len(out) == 0 {
		return nil, classify(gorm.ErrRecordNotFound)
	}
	return &out[0], nil
}

// Assign sets a course for a class; assigning it again replaces the due date,
// so a teacher can move a deadline without removing the assignment.
func (s *Store) Assign(ctx context.Context, a *Assignment) error {
	_, err := s.AssignAudited(ctx, a, func(bool) *AuditEntry { return nil })
	return err
}

// AssignAudited sets a course for a class or moves its due date, with the
// audit entry audit gives for what happened, in one transaction; created
// says which it was.
func (s *Store) AssignAudited(ctx context.Context, a *Assignment, audit func(created bool) *AuditEntry) (created bool, err error) {
	now := s.now()
	if a.CreatedAt.IsZero() {
		a.CreatedAt = now
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		var old []Assignment
		if err := tx.Where("class_id = ? AND course_id = ?", a.ClassID, a.CourseID).Find(&old).Error; err != nil {
			return err
		}
		created = len(old) == 0
		if created {
			if err := tx.Create(a).Error; err != nil {
				return err
			}
		} else {
			if err := tx.Model(&Assignment{}).Where("id = ?", old[0].ID).
				Updates(map[string]any{"due_at": a.DueAt, "updated_by": a.CreatedBy, "updated_at": now}).Error; err != nil {
				return err
			}
			a.ID, a.CreatedAt, a.CreatedBy = old[0].ID, old[0].CreatedAt, old[0].CreatedBy
		}
		return s.auditIn(tx, audit(created), now)
	})
	return created, err
}

// Unassign removes a course from a class with its audit entry; a course not
// assigned is errs.NotFound.
func (s *Store) Unassign(ctx context.Context, classID, courseID int64, e *AuditEntry) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("class_id = ? AND course_id = ?", classID, courseID).Delete(&Assignment{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return gorm.ErrRecordNotFound
		}
		return s.auditIn(tx, e, s.now())
	})
}

// ClassAssignment is an assignment with its course's current version.
type ClassAssignment struct {
	ID               int64
	CourseID         int64
	Slug             string
	Language         string
	VersionID        int64
	Title            string
	StudyHours       float64
	DueAt            *time.Time
	CreatedAt        time.Time
	CurrentVersionID *int64
}

// ClassAssignments lists a class's courses, earliest due date first (none
// last): one query on uq_assignments and the courses' primary keys.
func (s *Store) ClassAssignments(ctx context.Context, classID int64) ([]ClassAssignment, error) {
	var out []ClassAssignment
	err := s.r.WithContext(ctx).Table("assignments AS a").
		Select(`a.id, a.course_id, c.slug, c.language, v.id AS version_id, v.title, v.study_hours, a.due_at, a.created_at`).
		Joins("JOIN courses c ON c.id = a.course_id").
		Joins("JOIN course_versions v ON v.id = c.current_version_id").
		Where("a.class_id = ?", classID).
		Order("CASE WHEN a.due_at IS NULL THEN 1 ELSE 0 END, a.due_at, c.slug").Scan(&out).Error
	return out, classify(err)
}

// VersionLesson is a lesson of a version without its body.
type VersionLesson struct {
	ID              int64
	CourseVersionID int64
	Slug            string
	Title           string
	Position        int
	Minutes         int
}

// LessonsOfVersions lists the lessons of several versions in order: one
// query on idx_lessons_position.
func (s *Store) LessonsOfVersions(ctx context.Context, versionIDs []int64) ([]VersionLesson, error) {
	if len(versionIDs) == 0 {
		return nil, nil
	}
	var out []VersionLesson
	err := s.r.WithContext(ctx).Model(&Lesson{}).Select("id, course_version_id, slug, title, position, minutes").
		Where("course_version_id IN ?", versionIDs).Order("course_version_id, position").Scan(&out).Error
	return out, classify(err)
}

// memberBatch keeps IN lists of member ids to a size every server plans
// as index look-ups and that stays far under placeholder limits.
const memberBatch = 1000

// inBatches runs q over userIDs a batch at a time and appends the rows.
func inBatches[T any](userIDs []int64, q func(ids []int64, out *[]T) error) ([]T, error) {
	var out []T
	for start := 0; start < len(userIDs); start += memberBatch {
		var part []T
		if err := q(userIDs[start:min(start+memberBatch, len(userIDs))], &part); err != nil {
			return nil, classify(err)
		}
		out = append(out, part...)
	}
	return out, nil
}

// MembersEnrollments lists the enrolments of some learners (a class's
// members) in some courses: one query per 1,000 learners on
// uq_enrollments (user_id, course_id), so its cost follows the class, not
// the table. The ids are given rather than joined from class_members:
// with a join the planner may pick the course's index and read every
// enrolment in the course.
func (s *Store) MembersEnrollments(ctx context.Context, userIDs, courseIDs []int64) ([]Enrollment, error) {
	if len(courseIDs) == 0 {
		return nil, nil
	}
	return inBatches(userIDs, func(ids []int64, out *[]Enrollment) error {
		return s.r.WithContext(ctx).Where("user_id IN ? AND course_id IN ?", ids, courseIDs).Find(out).Error
	})
}

// MembersProgress lists the lesson progress of some learners in some
// courses: one query per 1,000 learners on uq_lesson_progress (user_id,
// course_id, lesson_slug), whatever the table's size. EXPLAIN on MariaDB
// 10.11 with 1M progress rows, 200 ids and 10 courses: type range, key
// uq_lesson_progress, about 4,000 rows; the same for MembersEnrollments
// on uq_enrollments.
func (s *Store) MembersProgress(ctx context.Context, userIDs, courseIDs []int64) ([]LessonProgress, error) {
	if len(courseIDs) == 0 {
		return nil, nil
	}
	return inBatches(userIDs, func(ids []int64, out *[]LessonProgress) error {
		return s.r.WithContext(ctx).Where("user_id IN ? AND course_id IN ?", ids, courseIDs).Find(out).Error
	})
}

// MembersAttempts lists some learners' quiz attempts at one lesson of a
// course (all versions: attempts carry the lesson's slug), oldest first
// per learner: one query per 1,000 learners on idx_quiz_attempts_user
// (user_id, course_id, lesson_slug).
func (s *Store) MembersAttempts(ctx context.Context, userIDs []int64, courseID int64, lessonSlug string) ([]QuizAttempt, error) {
	return inBatches(userIDs, func(ids []int64, out *[]QuizAttempt) error {
		return s.r.WithContext(ctx).
			Select("id, user_id, course_id, lesson_id, lesson_slug, score, passed, answers, created_at").
			Where("user_id IN ? AND course_id = ? AND lesson_slug = ?", ids, courseID, lessonSlug).
			Order("user_id, id").Find(out).Error
	})
}

// LearnerAttempts lists one learner's attempts in some courses, newest
// first (idx_quiz_attempts_user).
func (s *Store) LearnerAttempts(ctx context.Context, userID int64, courseIDs []int64) ([]QuizAttempt, error) {
	if len(courseIDs) == 0 {
		return nil, nil
	}
	var out []QuizAttempt
	err := s.r.WithContext(ctx).Select("id, user_id, course_id, lesson_id, lesson_slug, score, passed, created_at").
		Where("user_id = ? AND course_id IN ?", userID, courseIDs).Order("id DESC").Limit(500).Find(&out).Error
	return out, classify(err)
}

// QuestionsOfLessons lists the questions of several lessons in order.
func (s *Store) QuestionsOfLessons(ctx context.Context, lessonIDs []int64) ([]Question, error) {
	if len(lessonIDs) == 0 {
		return nil, nil
	}
	var out []Question
	err := s.r.WithContext(ctx).Where("lesson_id IN ?", lessonIDs).Order("lesson_id, position").Find(&out).Error
	return out, classify(err)
}

// ScopeAttempts lists the attempts at one lesson of a course (all
// versions) by learners whose current institution is in scope, oldest
// first per learner: one query on idx_quiz_attempts_lesson (course_id,
// lesson_slug), the users' and institutions' primary keys. At most limit
// rows: beyond, the learners of the highest ids are left out.
func (s *Store) ScopeAttempts(ctx context.Context, sc ClassScope, courseID int64, lessonSlug string, limit int) ([]QuizAttempt, error) {
	db := s.r.WithContext(ctx).Table("quiz_attempts AS q").
		Select("q.id, q.user_id, q.course_id, q.lesson_id, q.lesson_slug, q.score, q.passed, q.answers, q.created_at").
		Joins("JOIN users u ON u.id = q.user_id").
		Where("q.course_id = ? AND q.lesson_slug = ?", courseID, lessonSlug)
	switch {
	case sc.All:
	case sc.RegionPrefix != "":
		db = db.Joins("JOIN institutions i ON i.id = u.institution_id").
			Where("i.region_code LIKE ? ESCAPE '!'", likeEscape(sc.RegionPrefix)+"%")
	case sc.InstitutionID != 0:
		db = db.Where("u.institution_id = ?", sc.InstitutionID)
	default:
		return nil, nil
	}
	var out []QuizAttempt
	err := db.Order("q.user_id, q.id").Limit(limit).Scan(&out).Error
	return out, classify(err)
}
