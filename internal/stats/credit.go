package stats

import (
	"context"
	"errors"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Credit is face-to-face training (线下培训学时) credited to a learner by hand.
type Credit struct {
	ID        int64
	Username  string
	Date      string // YYYY-MM-DD, the day of the training
	Hours     float64
	Title     string
	CreatedAt time.Time
}

// MaxCreditHours bounds one entry either way (a negative entry corrects).
const MaxCreditHours = 200

var errNoUser = errs.New(errs.NotFound, "error.user_not_found").With("field", "username")

// creditLearner finds a learner in the caller's scope; anyone else, or
// anyone outside it, is not found (so usernames cannot be probed).
func (s *Service) creditLearner(ctx context.Context, p account.Principal, username string) (*store.User, error) {
	prefix, instID, all, ok := root(p)
	if !ok {
		return nil, errForbidden
	}
	u, err := s.db.UserByUsername(ctx, strings.ToLower(strings.TrimSpace(username)))
	if errors.Is(err, errs.ErrNotFound) {
		return nil, errNoUser
	} else if err != nil {
		return nil, err
	}
	if u.Role != account.RoleLearner {
		return nil, errNoUser
	}
	if all {
		return u, nil
	}
	var inst int64
	region := ""
	if u.InstitutionID != nil {
		inst = *u.InstitutionID
		in, err := s.db.InstitutionByID(ctx, inst)
		if err != nil {
			return nil, err
		}
		region = in.RegionCode
	} else if u.RegionCode != nil {
		region = *u.RegionCode
	}
	if instID != 0 && inst == instID || instID == 0 && prefix != "" && strings.HasPrefix(region, prefix) {
		return u, nil
	}
	return nil, errNoUser
}

// AddCredit records face-to-face training for a learner in the caller's
// scope, audited as stats.credit.add.
func (s *Service) AddCredit(ctx context.Context, p account.Principal, ip string, c Credit) (*Credit, error) {
	u, err := s.creditLearner(ctx, p, c.Username)
	if err != nil {
		return nil, err
	}
	day, err := parseDay(c.Date, "date")
	if err != nil {
		return nil, err
	}
	if day > s.today() {
		return nil, errs.New(errs.Invalid, "stats.error.credit_future").With("field", "date")
	}
	c.Hours = math.Round(c.Hours*100) / 100
	if math.IsNaN(c.Hours) || c.Hours == 0 || math.Abs(c.Hours) > MaxCreditHours {
		return nil, errs.New(errs.Invalid, "stats.error.credit_hours").With("field", "hours").With("max", MaxCreditHours)
	}
	c.Title = strings.TrimSpace(c.Title)
	if c.Title == "" || utf8.RuneCountInString(c.Title) > 200 {
		return nil, errs.New(errs.Invalid, "stats.error.credit_title").With("field", "title")
	}
	mc := &store.ManualCredit{UserID: u.ID, Day: day, Hours: c.Hours, Title: c.Title}
	e := p.AuditEntry("stats.credit.add", account.UserTarget(u.ID), ip, "")
	mc.CreatedBy = e.ActorID
	if u.InstitutionID != nil {
		id := *u.InstitutionID
		e.TargetInstitutionID = &id
		if in, err := s.db.InstitutionByID(ctx, id); err == nil {
			rc := in.RegionCode
			e.TargetRegionCode = &rc
		}
	}
	if err := s.db.AddManualCredit(ctx, mc, e); err != nil {
		return nil, err
	}
	c.ID, c.Username, c.CreatedAt = mc.ID, u.Username, mc.CreatedAt
	return &c, nil
}

// Credits lists a learner's manual credits, newest first.
func (s *Service) Credits(ctx context.Context, p account.Principal, username string) ([]Credit, error) {
	u, err := s.creditLearner(ctx, p, username)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.ManualCreditsOf(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	out := make([]Credit, len(rows))
	for i, r := range rows {
		out[i] = Credit{ID: r.ID, Username: u.Username, Date: dayString(r.Day), Hours: r.Hours, Title: r.Title, CreatedAt: r.CreatedAt}
	}
	return out, nil
}
