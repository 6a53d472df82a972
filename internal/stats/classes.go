package stats

import (
	"context"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// ClassRow is one class of the drill-down below an institution: the
// indicators of its members who are counted learners.
type ClassRow struct {
	ID       int64
	Name     string
	Archived bool
	Indicators
}

// ClassTable is an institution's classes.
type ClassTable struct {
	Code, Name string
	Rows       []ClassRow
	AsOf       *time.Time
}

// Classes answers the drill-down below an institution (the filter's, or an
// institution admin's own): its classes not archived, and those archived
// during or after the range (every archived class for all time), each with
// its members' indicators. A learner in two classes counts in both rows,
// so rows need not add up to the institution's; members from elsewhere
// (classes may admit outsiders) count in the class, not in the
// institution's row. Targets are per learner and not kept per class, so
// the rows carry none.
func (s *Service) Classes(ctx context.Context, p account.Principal, f Filter) (*ClassTable, error) {
	w, err := s.resolve(ctx, p, f)
	if err != nil {
		return nil, err
	}
	if w.institution == nil {
		return nil, errs.New(errs.Invalid, "stats.error.institution_required").With("field", "institution")
	}
	r, err := s.parseRange(f)
	if err != nil {
		return nil, err
	}
	var since *time.Time
	from, to := 0, 0
	if !r.All {
		t := store.DayTime(r.From, s.loc)
		since, from, to = &t, r.From, r.To
	}
	cs, err := s.db.InstitutionClassStats(ctx, w.institution.ID, since, from, to)
	if err != nil {
		return nil, err
	}
	t := &ClassTable{Code: w.institution.Code, Name: w.institution.Name, Rows: make([]ClassRow, 0, len(cs))}
	for _, c := range cs {
		a := sums{store.StatsCounter{Learners: c.Learners, Active: c.Active, Enrolled: c.Enrolled, EnrolledDone: c.EnrolledDone,
			Completed: c.Completed, Certificates: c.Certificates, HoursCenti: c.HoursCenti, CreditedSeconds: c.CreditedSeconds,
			OfflineCenti: c.OfflineCenti}}
		in := a.indicators(s.targetYear(r))
		in.TargetReached = nil
		t.Rows = append(t.Rows, ClassRow{ID: c.ID, Name: c.Name, Archived: c.ArchivedAt != nil, Indicators: in})
	}
	if t.AsOf, err = s.db.StatsAsOf(ctx); err != nil {
		return nil, err
	}
	return t, nil
}
