package learning

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"time"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// StatementCourse is a course completed in the statement's year.
type StatementCourse struct {
	Title       string  `json:"title"`
	Slug        string  `json:"slug"`
	CompletedOn string  `json:"completed_on"` // YYYY-MM-DD in the deployment's time zone
	Hours       float64 `json:"hours"`
}

// StatementCredit is face-to-face training (线下培训) credited by hand.
type StatementCredit struct {
	Title string  `json:"title"`
	Day   string  `json:"day"` // YYYY-MM-DD
	Hours float64 `json:"hours"`
}

// StatementContent is what a yearly study-hour statement says; it is kept
// verbatim as the snapshot the serial verifies.
type StatementContent struct {
	Year            int               `json:"year"`
	LearnerName     string            `json:"learner_name"`
	InstitutionName string            `json:"institution_name"`
	Courses         []StatementCourse `json:"courses"`
	Manual          []StatementCredit `json:"manual"`
	CourseHours     float64           `json:"course_hours"`
	ManualHours     float64           `json:"manual_hours"`
	Total           float64           `json:"total"`
	// Target is the yearly target; null when none applies.
	Target  *float64 `json:"target"`
	Reached bool     `json:"reached"`
}

// StatementView is a statement as printed and as verified.
type StatementView struct {
	StatementContent
	Serial    string    `json:"serial"`
	IssuedAt  time.Time `json:"issued_at"`
	VerifyURL string    `json:"verify_url"`
	TimeZone  string    `json:"time_zone"`
	// HolderRemoved: the account was deleted since; the statement was issued
	// but the page names nobody.
	HolderRemoved bool `json:"holder_removed"`
}

// StatementHolder is who asks for a statement, as the session knows them.
type StatementHolder struct {
	UserID          int64
	Name            string
	InstitutionName string
	Scopes          TargetScopes
}

// FirstStatementYear bounds the years a statement may be asked for.
const FirstStatementYear = 2000

// IssueStatement returns the learner's statement for a year: the one issued
// before when nothing it says has changed, otherwise a new one with a new
// serial (the old serial keeps verifying what it said then).
func (s *Service) IssueStatement(ctx context.Context, h StatementHolder, year int) (*StatementView, error) {
	now := s.now().In(s.loc)
	if year < FirstStatementYear || year > now.Year() {
		return nil, errs.New(errs.Invalid, "statement.error_year")
	}
	from := time.Date(year, 1, 1, 0, 0, 0, 0, s.loc)
	to := from.AddDate(1, 0, 0)
	c := StatementContent{Year: year, LearnerName: h.Name, InstitutionName: h.InstitutionName,
		Courses: []StatementCourse{}, Manual: []StatementCredit{}}
	done, err := s.hours.CompletedBetween(ctx, h.UserID, from, to)
	if err != nil {
		return nil, err
	}
	var centi int64
	for _, d := range done {
		c.Courses = append(c.Courses, StatementCourse{Title: d.Title, Slug: d.Slug,
			CompletedOn: d.CompletedAt.In(s.loc).Format(time.DateOnly), Hours: d.HoursCredited})
		centi += toCenti(d.HoursCredited)
	}
	c.CourseHours = float64(centi) / 100
	credits, err := s.hours.ManualCreditsOf(ctx, h.UserID)
	if err != nil {
		return nil, err
	}
	var manual int64
	for i := len(credits) - 1; i >= 0; i-- { // oldest first
		m := credits[i]
		if m.Day/10000 != year {
			continue
		}
		c.Manual = append(c.Manual, StatementCredit{Title: m.Title, Day: store.DayTime(m.Day, s.loc).Format(time.DateOnly), Hours: m.Hours})
		manual += toCenti(m.Hours)
	}
	c.ManualHours = float64(manual) / 100
	c.Total = float64(centi+manual) / 100
	if target, ok, err := s.hours.TargetFor(ctx, year, h.Scopes.list()); err != nil {
		return nil, err
	} else if ok {
		c.Target = &target
		c.Reached = c.Total >= target
	}
	body, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	st, _, err := s.hours.IssueStatement(ctx, &store.Statement{Serial: NewStatementSerial(), UserID: h.UserID, Year: year,
		Total: c.Total, Content: string(body), IssuedAt: s.now().UTC()})
	if err != nil {
		return nil, err
	}
	return s.statementView(st, false)
}

// Statement looks a statement up by serial for anyone; unknown is errs.NotFound.
func (s *Service) Statement(ctx context.Context, serial string) (*StatementView, error) {
	st, removed, err := s.hours.StatementBySerial(ctx, NormalizeSerial(serial))
	if err != nil {
		if errs.CodeOf(err) == errs.NotFound {
			return nil, errs.New(errs.NotFound, "statement.not_found")
		}
		return nil, err
	}
	return s.statementView(st, removed)
}

func (s *Service) statementView(st *store.Statement, removed bool) (*StatementView, error) {
	v := &StatementView{Serial: st.Serial, IssuedAt: st.IssuedAt, VerifyURL: s.VerifyURL(st.Serial),
		TimeZone: s.loc.String(), HolderRemoved: removed}
	if err := json.Unmarshal([]byte(st.Content), &v.StatementContent); err != nil {
		return nil, err
	}
	if removed {
		v.LearnerName = ""
	}
	return v, nil
}

// NewStatementSerial is NewSerial with the XS prefix, so the verification
// page knows which register to ask.
func NewStatementSerial() string { return "XS" + strings.TrimPrefix(NewSerial(), "XT") }

func toCenti(h float64) int64 { return int64(math.Round(h * 100)) }
