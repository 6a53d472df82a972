package stats

import (
	"time"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Range is an inclusive range of days (yyyymmdd) in the deployment's time
// zone; All: no dates were given.
type Range struct {
	All      bool
	From, To int
}

// ParseRange reads from/to (YYYY-MM-DD, either may be empty). Without
// from the range starts at the first day anything can have happened
// (2000-01-01); without to it ends today.
func ParseRange(from, to string, today int) (Range, error) {
	if from == "" && to == "" {
		return Range{All: true}, nil
	}
	r := Range{From: 20000101, To: today}
	var err error
	if from != "" {
		if r.From, err = parseDay(from, "from"); err != nil {
			return Range{}, err
		}
	}
	if to != "" {
		if r.To, err = parseDay(to, "to"); err != nil {
			return Range{}, err
		}
	}
	if r.From > r.To {
		return Range{}, errs.New(errs.Invalid, "stats.error.dates_order").With("field", "from")
	}
	return r, nil
}

func parseDay(s, field string) (int, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil || t.Year() < 1900 || t.Year() > 9999 {
		return 0, errs.New(errs.Invalid, "stats.error.date").With("field", field).With("value", s)
	}
	return store.DayNumber(t), nil
}

// wholePeriod reports whether the range is exactly one calendar period
// (the longest that fits), whose counters then answer exactly.
func (r Range) wholePeriod() (string, bool) {
	for _, p := range []string{store.PeriodYear, store.PeriodQuarter, store.PeriodMonth, store.PeriodDay} {
		if store.PeriodStart(p, r.From) == r.From && periodEnd(p, r.From) == r.To {
			return p, true
		}
	}
	return "", false
}

// periodEnd is the last day of the period of kind p that starts on start.
func periodEnd(p string, start int) int {
	t := store.DayTime(start, time.UTC)
	switch p {
	case store.PeriodMonth:
		t = t.AddDate(0, 1, -1)
	case store.PeriodQuarter:
		t = t.AddDate(0, 3, -1)
	case store.PeriodYear:
		t = t.AddDate(1, 0, -1)
	}
	return store.DayNumber(t)
}

// nextPeriod is the start of the period after the one starting on start.
func nextPeriod(p string, start int) int {
	t := store.DayTime(start, time.UTC)
	switch p {
	case store.PeriodDay:
		t = t.AddDate(0, 0, 1)
	case store.PeriodMonth:
		t = t.AddDate(0, 1, 0)
	case store.PeriodQuarter:
		t = t.AddDate(0, 3, 0)
	case store.PeriodYear:
		t = t.AddDate(1, 0, 0)
	}
	return store.DayNumber(t)
}

// dayString formats yyyymmdd as YYYY-MM-DD.
func dayString(d int) string {
	return store.DayTime(d, time.UTC).Format("2006-01-02")
}
