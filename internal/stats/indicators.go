package stats

import (
	"context"
	"errors"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Indicators are the numbers of docs/INDICATORS.md for one scope and range.
type Indicators struct {
	Learners      int64
	Active        int64
	Enrolled      int64
	Completed     int64
	Certificates  int64
	HoursCredited float64 // 学时
	ActiveHours   float64 // clock hours of credited activity
	// OfflineHours: 学时 of face-to-face training credited by hand, apart
	// from HoursCredited (both count toward targets).
	OfflineHours float64
	// CompletionRate: of the enrolments made in the range, the share
	// completed since; nil when there were none.
	CompletionRate *float64
	// TargetYear and TargetReached: the share of the learners who reached
	// their yearly study-hour target in that year; nil without learners.
	TargetYear    int
	TargetReached *float64
}

// Summary is the headline numbers with the time they are complete up to.
type Summary struct {
	Indicators
	Freshness
}

// sums are counter rows added up.
type sums struct{ store.StatsCounter }

func (a *sums) add(r store.StatsCounter, learners, period, reached bool) {
	if learners {
		a.Learners += r.Learners
	}
	if period {
		a.Active += r.Active
		a.Enrolled += r.Enrolled
		a.EnrolledDone += r.EnrolledDone
		a.Completed += r.Completed
		a.Certificates += r.Certificates
		a.HoursCenti += r.HoursCenti
		a.CreditedSeconds += r.CreditedSeconds
		a.OfflineCenti += r.OfflineCenti
	}
	if reached {
		a.Reached += r.Reached
	}
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

func ratio(n, d int64) *float64 {
	if d <= 0 {
		return nil
	}
	v := math.Round(float64(n)/float64(d)*10000) / 10000
	return &v
}

func (a *sums) indicators(year int) Indicators {
	return Indicators{Learners: a.Learners, Active: a.Active, Enrolled: a.Enrolled, Completed: a.Completed,
		Certificates: a.Certificates, HoursCredited: float64(a.HoursCenti) / 100, ActiveHours: round2(float64(a.CreditedSeconds) / 3600),
		OfflineHours:   float64(a.OfflineCenti) / 100,
		CompletionRate: ratio(a.EnrolledDone, a.Enrolled), TargetYear: year, TargetReached: ratio(a.Reached, a.Learners)}
}

// targetYear is the year whose targets a range is measured against: the
// year of its last day, this year for all time.
func (s *Service) targetYear(r Range) int {
	if r.All {
		return s.today() / 10000
	}
	return r.To / 10000
}

// compute adds up the counters of each scope (and each value of the
// dimension) over the range: learners as of now, the period's sums and
// distinct active learners exactly, and who reached the target year's
// target. A range that is one whole calendar period (or all time) reads its
// own counters; any other range sums its days and counts its distinct
// active learners from the per-learner days.
func (s *Service) compute(ctx context.Context, rd Reads, scopes []string, dim string, r Range) (map[string]map[string]*sums, error) {
	out := map[string]map[string]*sums{}
	get := func(scope, val string) *sums {
		if out[scope] == nil {
			out[scope] = map[string]*sums{}
		}
		a := out[scope][val]
		if a == nil {
			a = &sums{}
			out[scope][val] = a
		}
		return a
	}
	for _, sc := range scopes {
		out[sc] = map[string]*sums{}
	}
	anyVal := dim != store.DimTotal
	read := func(period string, from, to int, learners, sums, reached bool) error {
		rows, err := rd.StatsCounters(ctx, store.CounterQuery{Period: period, From: from, To: to, Scopes: scopes, Dim: dim, AnyVal: anyVal})
		if err != nil {
			return err
		}
		for _, row := range rows {
			get(row.Scope, row.Val).add(row, learners, sums, reached)
		}
		return nil
	}
	if dim != store.DimCourse {
		if err := read(store.PeriodAll, 0, 0, true, r.All, false); err != nil {
			return nil, err
		}
	} else if r.All {
		if err := read(store.PeriodAll, 0, 0, false, true, false); err != nil {
			return nil, err
		}
	}
	if !r.All {
		if p, ok := r.wholePeriod(); ok {
			if err := read(p, r.From, r.From, false, true, false); err != nil {
				return nil, err
			}
		} else {
			if err := read(store.PeriodDay, r.From, r.To, false, true, false); err != nil {
				return nil, err
			}
			// Day counters over-count a learner active on several days.
			for _, sc := range scopes {
				for _, a := range out[sc] {
					a.Active = 0
				}
				act, err := rd.StatsActiveBetween(ctx, r.From, r.To, sc, dim)
				if err != nil {
					return nil, err
				}
				for val, n := range act {
					get(sc, val).Active = n
				}
			}
		}
	}
	if dim != store.DimCourse {
		y := s.targetYear(r)*10000 + 101
		if err := read(store.PeriodYear, y, y, false, false, true); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Summary answers the headline numbers for the filter's scope.
func (s *Service) Summary(ctx context.Context, p account.Principal, f Filter) (*Summary, error) {
	w, err := s.resolve(ctx, p, f)
	if err != nil {
		return nil, err
	}
	r, err := s.parseRange(f)
	if err != nil {
		return nil, err
	}
	return answer(ctx, s, func(rd Reads, fresh Freshness) (*Summary, error) {
		res, err := s.compute(ctx, rd, []string{w.key}, store.DimTotal, r)
		if err != nil {
			return nil, err
		}
		a := res[w.key][""]
		if a == nil {
			a = &sums{}
		}
		return &Summary{Indicators: a.indicators(s.targetYear(r)), Freshness: fresh}, nil
	})
}

// Place is a row of the drill-down table: a region or an institution.
type Place struct {
	Type  string // "region" or "institution"
	Code  string
	Name  string
	Level int    // regions: 1 province, 2 prefecture, 3 county
	Kind  string // institutions
	Indicators
}

// RegionTable is a region (or institution) and the rows under it.
type RegionTable struct {
	Code, Name string
	Level      int
	Rows       []Place
	TargetYear int
	Freshness
}

// Regions answers the drill-down table: the divisions directly under the
// filter's region (by default the caller's scope root) and the institutions
// registered at that region itself; for an institution scope, its one row.
func (s *Service) Regions(ctx context.Context, p account.Principal, f Filter) (*RegionTable, error) {
	w, err := s.resolve(ctx, p, f)
	if err != nil {
		return nil, err
	}
	r, err := s.parseRange(f)
	if err != nil {
		return nil, err
	}
	return answer(ctx, s, func(rd Reads, fresh Freshness) (*RegionTable, error) {
		t := &RegionTable{Rows: []Place{}, Freshness: fresh}
		var places []Place
		var scopes []string
		if w.institution != nil {
			in := w.institution
			t.Code, t.Name = in.Code, in.Name
			places = append(places, Place{Type: "institution", Code: in.Code, Name: in.Name, Kind: in.Kind})
			scopes = append(scopes, store.ScopeInstitution(in.ID))
		} else {
			code := w.regionCode
			t.Code = code
			if reg, err := rd.RegionByCode(ctx, code); err == nil {
				t.Name, t.Level = reg.Name, reg.Level
			}
			children, err := rd.RegionsUnder(ctx, code)
			if err != nil {
				return nil, err
			}
			for _, c := range children {
				pr := account.RegionPrefix(c.Code)
				if pr == "" || pr == account.RegionPrefix(code) && code != store.CountryCode {
					continue // a division coded like its parent adds nothing to drill into
				}
				places = append(places, Place{Type: "region", Code: c.Code, Name: c.Name, Level: c.Level})
				scopes = append(scopes, store.ScopeRegion(pr))
			}
			if code != store.CountryCode {
				ins, err := rd.InstitutionsAt(ctx, code)
				if err != nil {
					return nil, err
				}
				for _, in := range ins {
					places = append(places, Place{Type: "institution", Code: in.Code, Name: in.Name, Kind: in.Kind})
					scopes = append(scopes, store.ScopeInstitution(in.ID))
				}
			}
		}
		res, err := s.compute(ctx, rd, scopes, store.DimTotal, r)
		if err != nil {
			return nil, err
		}
		year := s.targetYear(r)
		t.TargetYear = year
		for i, pl := range places {
			a := res[scopes[i]][""]
			if a == nil {
				a = &sums{}
			}
			pl.Indicators = a.indicators(year)
			t.Rows = append(t.Rows, pl)
		}
		return t, nil
	})
}

// Point is one period of a trend.
type Point struct {
	Start, End    string
	Active        int64
	Enrolled      int64
	Completed     int64
	Certificates  int64
	HoursCredited float64
	ActiveHours   float64
	OfflineHours  float64
}

// Trend is a series of whole calendar periods.
type Trend struct {
	Period string // day, month, quarter, year
	Points []Point
	Freshness
}

// MaxTrendPoints bounds a trend's length.
const MaxTrendPoints = 1000

var periodNames = map[string]string{"day": store.PeriodDay, "month": store.PeriodMonth, "quarter": store.PeriodQuarter, "year": store.PeriodYear}

// Trend answers one series point per calendar period overlapping the range
// (whole periods, exact). Without dates: the last 30 days, 12 months, 8
// quarters or 5 years up to today.
func (s *Service) Trend(ctx context.Context, p account.Principal, f Filter, period string) (*Trend, error) {
	w, err := s.resolve(ctx, p, f)
	if err != nil {
		return nil, err
	}
	if period == "" {
		period = "month"
	}
	pk, ok := periodNames[period]
	if !ok {
		return nil, errs.New(errs.Invalid, "stats.error.period").With("field", "period")
	}
	r, err := s.parseRange(f)
	if err != nil {
		return nil, err
	}
	if r.All {
		today := store.DayTime(s.today(), time.UTC)
		back := map[string]time.Time{store.PeriodDay: today.AddDate(0, 0, -29), store.PeriodMonth: today.AddDate(0, -11, 0),
			store.PeriodQuarter: today.AddDate(0, -21, 0), store.PeriodYear: today.AddDate(-4, 0, 0)}[pk]
		r = Range{From: store.DayNumber(back), To: s.today()}
	}
	dim, val := store.DimTotal, ""
	if f.Course != "" {
		c, _, err := s.db.CourseBySlug(ctx, f.Course)
		if errors.Is(err, errs.ErrNotFound) {
			return nil, errs.New(errs.NotFound, "error.course_not_found").With("field", "course")
		} else if err != nil {
			return nil, err
		}
		dim, val = store.DimCourse, strconv.FormatInt(c.ID, 10)
	}
	var starts []int
	for st := store.PeriodStart(pk, r.From); st <= r.To; st = nextPeriod(pk, st) {
		if len(starts) == MaxTrendPoints {
			return nil, errs.New(errs.Invalid, "stats.error.range_too_long").With("max", MaxTrendPoints)
		}
		starts = append(starts, st)
	}
	return answer(ctx, s, func(rd Reads, fresh Freshness) (*Trend, error) {
		rows, err := rd.StatsCounters(ctx, store.CounterQuery{Period: pk, From: starts[0], To: starts[len(starts)-1],
			Scopes: []string{w.key}, Dim: dim, Val: val})
		if err != nil {
			return nil, err
		}
		by := map[int]store.StatsCounter{}
		for _, row := range rows {
			by[row.Start] = row
		}
		t := &Trend{Period: period, Points: make([]Point, 0, len(starts)), Freshness: fresh}
		for _, st := range starts {
			c := by[st]
			t.Points = append(t.Points, Point{Start: dayString(st), End: dayString(periodEnd(pk, st)), Active: c.Active,
				Enrolled: c.Enrolled, Completed: c.Completed, Certificates: c.Certificates, HoursCredited: float64(c.HoursCenti) / 100,
				ActiveHours: round2(float64(c.CreditedSeconds) / 3600), OfflineHours: float64(c.OfflineCenti) / 100})
		}
		return t, nil
	})
}

// Row is one row of a breakdown.
type Row struct {
	Key   string // course slug, institution kind ("" none), age band
	Label string // course title; "" for kinds and bands (the page translates the key)
	Indicators
	// HasLearners: false for course and audience rows, which count
	// enrolments and activity, not registered learners.
	HasLearners bool
	// HasActive: false for audience rows, whose courses' distinct active
	// learners cannot be added up (one learner active in two courses).
	HasActive bool
}

// Breakdown is a scope's indicators per course, course audience,
// institution kind or age band.
type Breakdown struct {
	By         string
	Rows       []Row
	TargetYear int
	Freshness
}

// Age bands, by age reached in the target year (the year of the range's
// last day; this year for all time).
const (
	BandUnder14 = "under_14"
	Band14To17  = "14_17"
	Band18To59  = "18_59"
	Band60Plus  = "60_plus"
	BandUnknown = "unknown"
)

// AgeBand names the band of someone born in birthYear (0: unknown) in year.
func AgeBand(birthYear, year int) string {
	if birthYear <= 0 {
		return BandUnknown
	}
	switch age := year - birthYear; {
	case age < 14:
		return BandUnder14
	case age < 18:
		return Band14To17
	case age < 60:
		return Band18To59
	}
	return Band60Plus
}

// Audiences in the order docs/COURSES.md lists them.
var audienceOrder = map[string]int{"pupil": 0, "adult": 1, "senior": 2, "cadre": 3}

// Breakdown answers the filter scope's indicators per course, audience,
// kind or age band. Audience rows are the course rows added up by the
// audiences of each course's current version: a course for several
// audiences counts in each, so they overlap and need not add up to the
// total; nothing new is kept for them.
func (s *Service) Breakdown(ctx context.Context, p account.Principal, f Filter, by string) (*Breakdown, error) {
	w, err := s.resolve(ctx, p, f)
	if err != nil {
		return nil, err
	}
	dim := map[string]string{"course": store.DimCourse, "audience": store.DimCourse, "kind": store.DimKind, "age_band": store.DimBirthYear}[by]
	if dim == "" {
		return nil, errs.New(errs.Invalid, "stats.error.breakdown").With("field", "by")
	}
	r, err := s.parseRange(f)
	if err != nil {
		return nil, err
	}
	return answer(ctx, s, func(rd Reads, fresh Freshness) (*Breakdown, error) {
		res, err := s.compute(ctx, rd, []string{w.key}, dim, r)
		if err != nil {
			return nil, err
		}
		year := s.targetYear(r)
		var audiences map[int64][]string
		if by == "audience" {
			ids := make([]int64, 0, len(res[w.key]))
			for val := range res[w.key] {
				id, _ := strconv.ParseInt(val, 10, 64)
				ids = append(ids, id)
			}
			if audiences, err = s.db.CourseAudiences(ctx, ids); err != nil {
				return nil, err
			}
		}
		groups := map[string]*sums{}
		for val, a := range res[w.key] {
			keys := []string{val}
			switch {
			case dim == store.DimBirthYear:
				by, _ := strconv.Atoi(val)
				keys[0] = AgeBand(by, year)
			case by == "audience":
				id, _ := strconv.ParseInt(val, 10, 64)
				if keys = audiences[id]; len(keys) == 0 {
					keys = []string{""} // no current version: no audience to file it under
				}
			}
			for _, key := range keys {
				g := groups[key]
				if g == nil {
					g = &sums{}
					groups[key] = g
				}
				g.add(a.StatsCounter, true, true, true)
			}
		}
		out := &Breakdown{By: by, Rows: []Row{}, TargetYear: year, Freshness: fresh}
		var names map[int64][2]string
		if by == "course" {
			var ids []int64
			for k := range groups {
				id, _ := strconv.ParseInt(k, 10, 64)
				ids = append(ids, id)
			}
			if names, err = rd.CourseNames(ctx, ids); err != nil {
				return nil, err
			}
		}
		for k, g := range groups {
			if *g == (sums{}) {
				continue
			}
			row := Row{Key: k, Indicators: g.indicators(year), HasLearners: dim != store.DimCourse, HasActive: by != "audience"}
			if !row.HasActive {
				row.Active = 0
			}
			if by == "course" {
				id, _ := strconv.ParseInt(k, 10, 64)
				n := names[id]
				row.Key, row.Label = n[0], n[1]
			}
			out.Rows = append(out.Rows, row)
		}
		order := map[string]int{BandUnder14: 0, Band14To17: 1, Band18To59: 2, Band60Plus: 3, BandUnknown: 4}
		sort.Slice(out.Rows, func(i, j int) bool {
			a, b := out.Rows[i], out.Rows[j]
			switch {
			case dim == store.DimBirthYear:
				return order[a.Key] < order[b.Key]
			case by == "audience":
				oa, okA := audienceOrder[a.Key]
				ob, okB := audienceOrder[b.Key]
				if okA != okB || okA && oa != ob {
					return okA && (!okB || oa < ob)
				}
			}
			return a.Key < b.Key
		})
		return out, nil
	})
}
