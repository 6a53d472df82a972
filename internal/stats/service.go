// Package stats answers the administrators' statistics (docs/INDICATORS.md)
// from the counters the upkeep keeps (internal/store/statsupkeep.go), each
// request within the caller's scope.
package stats

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Store is what the statistics read and write.
type Store interface {
	StatsCounters(ctx context.Context, q store.CounterQuery) ([]store.StatsCounter, error)
	StatsActiveBetween(ctx context.Context, from, to int, scope, dim string) (map[string]int64, error)
	StatsAsOf(ctx context.Context) (*time.Time, error)
	RegionByCode(ctx context.Context, code string) (*store.Region, error)
	RegionsUnder(ctx context.Context, code string) ([]store.Region, error)
	InstitutionsAt(ctx context.Context, code string) ([]store.Institution, error)
	InstitutionByCode(ctx context.Context, code string) (*store.Institution, error)
	InstitutionByID(ctx context.Context, id int64) (*store.Institution, error)
	CourseBySlug(ctx context.Context, slug string) (*store.Course, *store.CourseVersion, error)
	CourseNames(ctx context.Context, ids []int64) (map[int64][2]string, error)
	CourseAudiences(ctx context.Context, ids []int64) (map[int64][]string, error)
	InstitutionClassStats(ctx context.Context, institutionID int64, since *time.Time, from, to int) ([]store.ClassStats, error)
	StudyHourTargets(ctx context.Context) ([]store.StudyHourTarget, error)
	SetTargetAudited(ctx context.Context, t store.StudyHourTarget, e *store.AuditEntry) error
	UserByUsername(ctx context.Context, username string) (*store.User, error)
	AddManualCredit(ctx context.Context, mc *store.ManualCredit, e *store.AuditEntry) error
	ManualCreditsOf(ctx context.Context, userID int64) ([]store.ManualCredit, error)
}

// Reads is what the dashboard's answers read; it may be a read replica.
// Scope checks, targets and credits stay on the Store (the primary): who
// may see what, and what an administrator has just saved, must not lag.
type Reads interface {
	StatsCounters(ctx context.Context, q store.CounterQuery) ([]store.StatsCounter, error)
	StatsActiveBetween(ctx context.Context, from, to int, scope, dim string) (map[string]int64, error)
	StatsAsOf(ctx context.Context) (*time.Time, error)
	RegionByCode(ctx context.Context, code string) (*store.Region, error)
	RegionsUnder(ctx context.Context, code string) ([]store.Region, error)
	InstitutionsAt(ctx context.Context, code string) ([]store.Institution, error)
	CourseNames(ctx context.Context, ids []int64) (map[int64][2]string, error)
}

// Config sets the time zone of dates and periods, the clock and where the
// dashboard reads.
type Config struct {
	Location *time.Location
	Now      func() time.Time
	// Reader picks the dashboard's Reads once per request: a fit read
	// replica or the primary (store.Store.Reader). Nil: the Store.
	Reader func() (Reads, store.ReadSource)
}

// Service answers the statistics API.
type Service struct {
	db     Store
	loc    *time.Location
	now    func() time.Time
	reader func() (Reads, store.ReadSource)
}

// Freshness is how current an answer is: the time the counters are
// complete up to, where they were read, and how far that replica was
// behind the primary.
type Freshness struct {
	AsOf              *time.Time
	Source            string // store.SourcePrimary or store.SourceReplica
	ReplicaLagSeconds *int64 // nil on the primary
}

// answer reads one dashboard answer with f, from the request's reader
// taken once, and its as-of time from the same place. A replica that fails
// under it (gone since the last check; the store then stops using it) is
// not the caller's problem: the answer is read again from the primary.
func answer[T any](ctx context.Context, s *Service, f func(Reads, Freshness) (T, error)) (T, error) {
	rd, src := s.reader()
	v, err := answerFrom(ctx, rd, src, f)
	if err != nil && src.Source == store.SourceReplica && errs.As(err).Code == errs.Unavailable {
		return answerFrom(ctx, Reads(s.db), store.ReadSource{Source: store.SourcePrimary}, f)
	}
	return v, err
}

func answerFrom[T any](ctx context.Context, rd Reads, src store.ReadSource, f func(Reads, Freshness) (T, error)) (T, error) {
	asOf, err := rd.StatsAsOf(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	return f(rd, Freshness{AsOf: asOf, Source: src.Source, ReplicaLagSeconds: src.LagSeconds})
}

// New wires the service.
func New(db Store, c Config) *Service {
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Reader == nil {
		c.Reader = func() (Reads, store.ReadSource) { return db, store.ReadSource{Source: store.SourcePrimary} }
	}
	return &Service{db: db, loc: c.Location, now: c.Now, reader: c.Reader}
}

// Filter is a request's query: region and institution codes, course slug,
// dates YYYY-MM-DD (inclusive).
type Filter struct {
	Region, Institution, Course, From, To string
}

var (
	errForbidden   = errs.New(errs.Forbidden, "error.forbidden")
	errOutOfRegion = errs.New(errs.Forbidden, "error.region_out_of_scope").With("field", "region")
	errNoInst      = errs.New(errs.NotFound, "error.institution_not_found").With("field", "institution")
)

// where is a resolved scope: its counter key and what it names.
type where struct {
	key         string
	regionCode  string             // the region the scope is (or lies in for an institution)
	institution *store.Institution // set for an institution scope
}

// root is the widest scope a principal may read; ok false: no statistics.
func root(p account.Principal) (prefix string, instID int64, all bool, ok bool) {
	switch p.Role {
	case account.RoleAdmin:
		return "", 0, true, true
	case account.RoleRegionAdmin:
		if p.RegionCode == "" {
			return "", 0, false, false
		}
		pr := account.RegionPrefix(p.RegionCode)
		return pr, 0, pr == "", true
	case account.RoleInstitutionAdmin:
		if p.InstitutionID == 0 {
			return "", 0, false, false
		}
		return "", p.InstitutionID, false, true
	}
	return "", 0, false, false
}

// resolve checks the caller may read statistics and that the filter lies
// in their scope. An institution outside it is not found (as in the
// institutions API, so codes cannot be probed); a region outside it is
// forbidden (regions are public).
func (s *Service) resolve(ctx context.Context, p account.Principal, f Filter) (where, error) {
	prefix, instID, all, ok := root(p)
	if !ok {
		return where{}, errForbidden
	}
	var w where
	if f.Region != "" {
		r, err := s.db.RegionByCode(ctx, f.Region)
		if errors.Is(err, errs.ErrNotFound) {
			return where{}, errs.New(errs.Invalid, "error.region_unknown").With("code", f.Region).With("field", "region")
		} else if err != nil {
			return where{}, err
		}
		rp := account.RegionPrefix(r.Code)
		if instID != 0 || !all && (rp == "" || !strings.HasPrefix(rp, prefix)) {
			return where{}, errOutOfRegion
		}
		w = where{key: store.ScopeAll, regionCode: r.Code}
		if rp != "" {
			w.key = store.ScopeRegion(rp)
		}
	}
	if f.Institution != "" {
		in, err := s.db.InstitutionByCode(ctx, f.Institution)
		if errors.Is(err, errs.ErrNotFound) {
			return where{}, errNoInst
		} else if err != nil {
			return where{}, err
		}
		covered := all || instID == in.ID || instID == 0 && prefix != "" && strings.HasPrefix(in.RegionCode, prefix)
		if !covered {
			return where{}, errNoInst
		}
		if w.key != "" && w.key != store.ScopeAll && !strings.HasPrefix(in.RegionCode, w.key[1:]) {
			return where{}, errs.New(errs.Invalid, "stats.error.institution_not_in_region").With("field", "institution")
		}
		return where{key: store.ScopeInstitution(in.ID), regionCode: in.RegionCode, institution: in}, nil
	}
	if w.key != "" {
		return w, nil
	}
	switch {
	case all:
		return where{key: store.ScopeAll, regionCode: store.CountryCode}, nil
	case instID != 0:
		in, err := s.db.InstitutionByID(ctx, instID)
		if err != nil {
			return where{}, err
		}
		return where{key: store.ScopeInstitution(in.ID), regionCode: in.RegionCode, institution: in}, nil
	}
	return where{key: store.ScopeRegion(prefix), regionCode: p.RegionCode}, nil
}

func (s *Service) today() int { return store.DayNumber(s.now().In(s.loc)) }

func (s *Service) parseRange(f Filter) (Range, error) { return ParseRange(f.From, f.To, s.today()) }
