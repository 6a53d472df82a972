package authoring

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Review is a request for wider visibility as reviewers and editors see it.
type Review struct {
	ID                int64      `json:"id"`
	Slug              string     `json:"slug"`
	Title             string     `json:"title"`
	Institution       string     `json:"institution"`
	Visibility        string     `json:"visibility"`         // asked for
	CurrentVisibility string     `json:"current_visibility"` // the course's now
	Status            string     `json:"status"`
	RequestedBy       string     `json:"requested_by"`
	RequestedAt       time.Time  `json:"requested_at"`
	DecidedBy         string     `json:"decided_by,omitempty"`
	DecidedAt         *time.Time `json:"decided_at,omitempty"`
	Comment           string     `json:"comment"`
}

func reviewsOf(rs []store.ReviewListing) []Review {
	out := make([]Review, 0, len(rs))
	for _, r := range rs {
		out = append(out, Review{ID: r.ID, Slug: r.Slug, Title: r.Title, Institution: r.Institution,
			Visibility: r.Visibility, CurrentVisibility: r.CurrentVisibility, Status: r.Status,
			RequestedBy: r.RequestedByName, RequestedAt: r.RequestedAt, DecidedBy: r.DecidedByName,
			DecidedAt: r.DecidedAt, Comment: r.Comment})
	}
	return out
}

// MaxCommentRunes bounds a reviewer's comment (the column holds 1000).
const MaxCommentRunes = 1000

// SetVisibility changes who sees a course. What the actor may grant is
// applied at once; more files a review request and leaves the course as it
// is. It returns the request filed, if one was.
func (s *Service) SetVisibility(ctx context.Context, actor account.Principal, slug, vis, ip string) (*ReviewRef, error) {
	if visibilityRank[vis] == 0 {
		return nil, errs.New(errs.Invalid, "author.error.visibility_invalid").With("field", "visibility")
	}
	c, _, a, err := s.editable(ctx, actor, slug)
	if err != nil {
		return nil, err
	}
	if a.OwnerInstitutionID == 0 {
		// The operator's courses are for everyone.
		return nil, errs.New(errs.Invalid, "author.error.owner_required").With("field", "visibility")
	}
	if visibilityRank[vis] <= visibilityRank[widest(actor)] {
		entry := actor.AuditEntry("course.visibility", "course:"+slug, ip, "visibility "+vis)
		targetOf(entry, a)
		if err := s.st.SetCourseVisibility(ctx, c.ID, vis, actor.UserID, entry); err != nil {
			return nil, err
		}
		s.changed()
		return nil, nil
	}
	if c.Visibility == vis {
		return nil, nil
	}
	id := a.OwnerInstitutionID
	r := &store.CourseReview{CourseID: c.ID, Visibility: vis, RequestedBy: actor.UserID,
		OwnerInstitutionID: &id, OwnerRegionCode: a.OwnerRegion}
	entry := actor.AuditEntry("course.review_request", "course:"+slug, ip, "visibility "+vis)
	targetOf(entry, a)
	if err := s.st.RequestReview(ctx, r, entry); err != nil {
		return nil, err
	}
	return &ReviewRef{ID: r.ID, Visibility: r.Visibility, Status: r.Status}, nil
}

// reviewQueue is what a reviewer's queue holds: admins every request; region
// admins the requests for region visibility of courses owned in their
// region (public is for admins to grant). ok is false for anyone else.
func reviewQueue(p account.Principal) (store.ReviewQuery, bool) {
	sc := p.Scope()
	switch {
	case p.Role == account.RoleAdmin:
		return store.ReviewQuery{Owned: store.OwnedFilter{All: true}}, true
	case p.Role == account.RoleRegionAdmin && sc.All:
		return store.ReviewQuery{Owned: store.OwnedFilter{All: true}, Visibility: store.VisibilityRegion}, true
	case p.Role == account.RoleRegionAdmin && sc.RegionPrefix != "":
		return store.ReviewQuery{Owned: store.OwnedFilter{RegionPrefix: sc.RegionPrefix}, Visibility: store.VisibilityRegion}, true
	}
	return store.ReviewQuery{}, false
}

// ReviewPageSize is how many requests one page of the queue holds.
const ReviewPageSize = 50

// Reviews lists the requests the actor decides, newest first, after the
// cursor (the last id of the previous page); status "" lists all. next is
// "" on the last page.
func (s *Service) Reviews(ctx context.Context, actor account.Principal, status, cursor string) ([]Review, string, error) {
	q, ok := reviewQueue(actor)
	if !ok {
		return nil, "", errs.New(errs.Forbidden, "error.forbidden")
	}
	switch status {
	case "", store.ReviewPending, store.ReviewApproved, store.ReviewReturned:
		q.Status = status
	default:
		return nil, "", errs.New(errs.Invalid, "review.error.status_invalid").With("field", "status")
	}
	if cursor != "" {
		n, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || n <= 0 {
			return nil, "", errs.New(errs.Invalid, "error.cursor_invalid").With("field", "cursor")
		}
		q.BeforeID = n
	}
	q.Limit = ReviewPageSize + 1
	rows, err := s.st.ListReviews(ctx, q)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > ReviewPageSize {
		rows = rows[:ReviewPageSize]
		next = strconv.FormatInt(rows[ReviewPageSize-1].ID, 10)
	}
	return reviewsOf(rows), next, nil
}

// Decide approves a request (the course takes the visibility asked for) or
// sends it back with a comment, audited in the same transaction. A request
// out of the reviewer's queue is not found; one already decided is a
// conflict.
func (s *Service) Decide(ctx context.Context, actor account.Principal, id int64, approve bool, comment, ip string) (*Review, error) {
	q, ok := reviewQueue(actor)
	if !ok {
		return nil, errs.New(errs.Forbidden, "error.forbidden")
	}
	if utf8.RuneCountInString(comment) > MaxCommentRunes {
		return nil, errs.New(errs.Invalid, "review.error.comment_too_long").With("field", "comment").With("max", MaxCommentRunes)
	}
	if !approve && comment == "" {
		return nil, errs.New(errs.Invalid, "review.error.comment_required").With("field", "comment")
	}
	notFound := errs.New(errs.NotFound, "review.error.not_found")
	r, err := s.st.ReviewByID(ctx, id)
	if errors.Is(err, errs.ErrNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	outside := !q.Owned.All && (q.Owned.RegionPrefix == "" || !strings.HasPrefix(r.OwnerRegionCode, q.Owned.RegionPrefix))
	if outside || q.Visibility != "" && r.Visibility != q.Visibility {
		return nil, notFound
	}
	action := "course.review_return"
	if approve {
		action = "course.review_approve"
	}
	c, err := s.st.CourseByID(ctx, r.CourseID)
	if err != nil {
		return nil, err
	}
	entry := actor.AuditEntry(action, "course:"+c.Slug, ip, "visibility "+r.Visibility)
	if r.OwnerInstitutionID != nil {
		iid, rc := *r.OwnerInstitutionID, r.OwnerRegionCode
		entry.TargetInstitutionID, entry.TargetRegionCode = &iid, &rc
	}
	if _, err := s.st.DecideReview(ctx, id, approve, actor.UserID, comment, entry); err != nil {
		return nil, err
	}
	if approve {
		s.changed()
	}
	rows, err := s.st.ListReviews(ctx, store.ReviewQuery{Owned: store.OwnedFilter{All: true}, CourseID: r.CourseID, BeforeID: id + 1, Limit: 1})
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	out := reviewsOf(rows)[0]
	return &out, nil
}
