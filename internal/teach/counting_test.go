package teach_test

// Generated from teach.Store: every method is one SQL statement, counted.

import (
	"context"
	"sync/atomic"

	"github.com/xuetang-edu/xuetang/internal/store"
)

// counting is the store counting the statements teach sends it.
type counting struct {
	st *store.Store
	n  atomic.Int64
}

func (w *counting) InstitutionByID(ctx context.Context, id int64) (*store.Institution, error) {
	w.n.Add(1)
	return w.st.InstitutionByID(ctx, id)
}

func (w *counting) UserByID(ctx context.Context, id int64) (*store.User, error) {
	w.n.Add(1)
	return w.st.UserByID(ctx, id)
}

func (w *counting) UserByUsername(ctx context.Context, username string) (*store.User, error) {
	w.n.Add(1)
	return w.st.UserByUsername(ctx, username)
}

func (w *counting) CourseBySlug(ctx context.Context, slug string) (*store.Course, *store.CourseVersion, error) {
	w.n.Add(1)
	return w.st.CourseBySlug(ctx, slug)
}

func (w *counting) LessonByID(ctx context.Context, id int64) (*store.Lesson, error) {
	w.n.Add(1)
	return w.st.LessonByID(ctx, id)
}

func (w *counting) VersionByID(ctx context.Context, id int64) (*store.CourseVersion, error) {
	w.n.Add(1)
	return w.st.VersionByID(ctx, id)
}

func (w *counting) CreateClassAudited(ctx context.Context, c *store.Class, e *store.AuditEntry) error {
	w.n.Add(1)
	return w.st.CreateClassAudited(ctx, c, e)
}

func (w *counting) ClassByID(ctx context.Context, id int64) (*store.Class, error) {
	w.n.Add(1)
	return w.st.ClassByID(ctx, id)
}

func (w *counting) ClassByJoinCode(ctx context.Context, code string) (*store.Class, error) {
	w.n.Add(1)
	return w.st.ClassByJoinCode(ctx, code)
}

func (w *counting) SaveClass(ctx context.Context, c *store.Class, e *store.AuditEntry) error {
	w.n.Add(1)
	return w.st.SaveClass(ctx, c, e)
}

func (w *counting) ListClasses(ctx context.Context, q store.ClassQuery) ([]store.ClassRow, error) {
	w.n.Add(1)
	return w.st.ListClasses(ctx, q)
}

func (w *counting) JoinClass(ctx context.Context, classID, userID int64) (bool, error) {
	w.n.Add(1)
	return w.st.JoinClass(ctx, classID, userID)
}

func (w *counting) AddClassMembers(ctx context.Context, classID int64, userIDs []int64, addedBy int64, e *store.AuditEntry) (int, error) {
	w.n.Add(1)
	return w.st.AddClassMembers(ctx, classID, userIDs, addedBy, e)
}

func (w *counting) RemoveClassMember(ctx context.Context, classID, userID int64, e *store.AuditEntry) error {
	w.n.Add(1)
	return w.st.RemoveClassMember(ctx, classID, userID, e)
}

func (w *counting) ClassMembers(ctx context.Context, classID int64) ([]store.ClassMemberRow, error) {
	w.n.Add(1)
	return w.st.ClassMembers(ctx, classID)
}

func (w *counting) ClassMemberOf(ctx context.Context, classID, userID int64) (*store.ClassMemberRow, error) {
	w.n.Add(1)
	return w.st.ClassMemberOf(ctx, classID, userID)
}

func (w *counting) AssignAudited(ctx context.Context, a *store.Assignment, audit func(created bool) *store.AuditEntry) (bool, error) {
	w.n.Add(1)
	return w.st.AssignAudited(ctx, a, audit)
}

func (w *counting) Unassign(ctx context.Context, classID, courseID int64, e *store.AuditEntry) error {
	w.n.Add(1)
	return w.st.Unassign(ctx, classID, courseID, e)
}

func (w *counting) ClassAssignments(ctx context.Context, classID int64) ([]store.ClassAssignment, error) {
	w.n.Add(1)
	return w.st.ClassAssignments(ctx, classID)
}

func (w *counting) LessonsOfVersions(ctx context.Context, versionIDs []int64) ([]store.VersionLesson, error) {
	w.n.Add(1)
	return w.st.LessonsOfVersions(ctx, versionIDs)
}

func (w *counting) LearnerAttempts(ctx context.Context, userID int64, courseIDs []int64) ([]store.QuizAttempt, error) {
	w.n.Add(1)
	return w.st.LearnerAttempts(ctx, userID, courseIDs)
}

func (w *counting) QuestionsOfLessons(ctx context.Context, lessonIDs []int64) ([]store.Question, error) {
	w.n.Add(1)
	return w.st.QuestionsOfLessons(ctx, lessonIDs)
}

func (w *counting) ScopeAttempts(ctx context.Context, sc store.ClassScope, courseID int64, lessonSlug string, limit int) ([]store.QuizAttempt, error) {
	w.n.Add(1)
	return w.st.ScopeAttempts(ctx, sc, courseID, lessonSlug, limit)
}

func (w *counting) MembersEnrollments(ctx context.Context, userIDs, courseIDs []int64) ([]store.Enrollment, error) {
	w.n.Add(1)
	return w.st.MembersEnrollments(ctx, userIDs, courseIDs)
}

func (w *counting) MembersProgress(ctx context.Context, userIDs, courseIDs []int64) ([]store.LessonProgress, error) {
	w.n.Add(1)
	return w.st.MembersProgress(ctx, userIDs, courseIDs)
}

func (w *counting) MembersAttempts(ctx context.Context, userIDs []int64, courseID int64, lessonSlug string) ([]store.QuizAttempt, error) {
	w.n.Add(1)
	return w.st.MembersAttempts(ctx, userIDs, courseID, lessonSlug)
}
