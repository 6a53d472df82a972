package authoring

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Report is a learner's problem report as a course's editors see it; the
// learner is not named, as fixing the lesson does not need them.
type Report struct {
	ID          int64      `json:"id"`
	Slug        string     `json:"slug"`
	CourseTitle string     `json:"course_title"`
	LessonID    int64      `json:"lesson_id"`
	LessonSlug  string     `json:"lesson_slug"`
	LessonTitle string     `json:"lesson_title"`
	Reason      string     `json:"reason"`
	Text        string     `json:"text"`
	CreatedAt   time.Time  `json:"created_at"`
	ResolvedAt  *time.Time `json:"resolved_at"`
}

// ownedBy is the courses the actor edits, as edits() decides one by one.
func ownedBy(p account.Principal) (store.OwnedFilter, bool) {
	sc := p.Scope()
	switch {
	case p.Role == account.RoleAdmin || (canAuthor(p) && sc.All):
		return store.OwnedFilter{All: true}, true
	case p.Role == account.RoleRegionAdmin && sc.RegionPrefix != "":
		return store.OwnedFilter{RegionPrefix: sc.RegionPrefix}, true
	case p.Is(account.RoleTeacher, account.RoleInstitutionAdmin) && sc.InstitutionID != 0:
		return store.OwnedFilter{InstitutionID: sc.InstitutionID}, true
	}
	return store.OwnedFilter{}, false
}

// ReportPageSize is how many reports one page holds.
const ReportPageSize = 50

// Reports lists problem reports on the courses the actor edits, newest
// first, open ones only unless all; slug "" for every course. cursor is the
// last id of the previous page; next is "" on the last page.
func (s *Service) Reports(ctx context.Context, actor account.Principal, slug string, all bool, cursor string) ([]Report, string, error) {
	if !canAuthor(actor) {
		return nil, "", errs.New(errs.Forbidden, "error.forbidden")
	}
	owned, ok := ownedBy(actor)
	if !ok {
		return []Report{}, "", nil
	}
	q := store.ReportQuery{Owned: owned, Open: !all, Limit: ReportPageSize + 1}
	if slug != "" {
		c, _, _, err := s.editable(ctx, actor, slug)
		if err != nil {
			return nil, "", err
		}
		q.CourseID = c.ID
	}
	if cursor != "" {
		n, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || n <= 0 {
			return nil, "", errs.New(errs.Invalid, "error.cursor_invalid").With("field", "cursor")
		}
		q.BeforeID = n
	}
	rows, err := s.st.ListLessonReports(ctx, q)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > ReportPageSize {
		rows = rows[:ReportPageSize]
		next = strconv.FormatInt(rows[ReportPageSize-1].ID, 10)
	}
	out := make([]Report, 0, len(rows))
	for _, r := range rows {
		out = append(out, Report{ID: r.ID, Slug: r.Slug, CourseTitle: r.CourseTitle, LessonID: r.LessonID,
			LessonSlug: r.LessonSlug, LessonTitle: r.LessonTitle, Reason: r.Reason, Text: r.Text,
			CreatedAt: r.CreatedAt, ResolvedAt: r.ResolvedAt})
	}
	return out, next, nil
}

// Resolve marks a report on a course the actor edits resolved, audited in
// the same transaction; any other report is not found.
func (s *Service) Resolve(ctx context.Context, actor account.Principal, id int64, ip string) error {
	if !canAuthor(actor) {
		return errs.New(errs.Forbidden, "error.forbidden")
	}
	notFound := errs.New(errs.NotFound, "report.error.not_found")
	r, err := s.st.LessonReportByID(ctx, id)
	if errors.Is(err, errs.ErrNotFound) {
		return notFound
	}
	if err != nil {
		return err
	}
	a, err := s.st.AudienceOf(ctx, r.CourseID)
	if err != nil {
		return err
	}
	if !edits(actor, a) {
		return notFound
	}
	c, err := s.st.CourseByID(ctx, r.CourseID)
	if err != nil {
		return err
	}
	entry := actor.AuditEntry("lesson_report.resolve", "course:"+c.Slug, ip, "report "+strconv.FormatInt(id, 10)+", lesson "+r.LessonSlug)
	targetOf(entry, a)
	return s.st.ResolveLessonReport(ctx, id, actor.UserID, entry)
}
