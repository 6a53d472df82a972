package stats_test

import (
	"context"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/learning"
	"github.com/xuetang-edu/xuetang/internal/stats"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// fixture: learners at two institutions of two provinces, heartbeats on
// random days over four months in Shanghai time, some completions.
type fixture struct {
	st   *store.Store
	svc  *stats.Service
	loc  *time.Location
	days map[int64]map[string]int64 // user -> day -> credited seconds (from the raw table)
}

func newFixture(t *testing.T, b storetest.Backend) *fixture {
	t.Helper()
	ctx := context.Background()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	clk := storetest.NewClock() // 2026-03-02 09:00 UTC
	st := b.Open(t, clk.Now)
	sc, gd := "510000", "440000"
	if err := st.UpsertRegions(ctx, []store.Region{{Code: sc, Name: "四川省"}, {Code: "510100", Name: "成都市", ParentCode: &sc},
		{Code: gd, Name: "广东省"}, {Code: "440100", Name: "广州市", ParentCode: &gd}}); err != nil {
		t.Fatal(err)
	}
	var insts []int64
	for _, in := range []store.Institution{{Code: "a", Name: "A", Kind: "library", RegionCode: "510100"},
		{Code: "b", Name: "B", Kind: "school", RegionCode: "440100"}} {
		in.CreatedAt = clk.Now()
		if err := st.CreateInstitution(ctx, &in); err != nil {
			t.Fatal(err)
		}
		insts = append(insts, in.ID)
	}
	coursetest.Import(t, st, coursetest.Simple("c1"))
	c, v, err := st.CourseBySlug(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	lessons := coursetest.Lessons(t, st, "c1")
	rules := learning.NewRules(0, nil)
	rnd := rand.New(rand.NewSource(7))
	var users []*store.User
	for i := 0; i < 12; i++ {
		in := insts[i%2]
		by := []int{2015, 2010, 1980, 1950}[i%4]
		u := &store.User{Username: fmt.Sprint("l", i), DisplayName: "x", PasswordHash: "x", Role: "learner", Locale: "zh-CN",
			InstitutionID: &in, BirthYear: &by, CreatedAt: clk.Now(), UpdatedAt: clk.Now()}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
	}
	n := 0
	for step := 0; step < 300; step++ {
		clk.Add(time.Duration(rnd.Intn(12*60)) * time.Minute)
		u := users[rnd.Intn(len(users))]
		if _, err := st.Enroll(ctx, &store.Enrollment{UserID: u.ID, CourseID: c.ID, CourseVersionID: v.ID, EnrolledAt: clk.Now()}); err != nil {
			t.Fatal(err)
		}
		e, _ := st.EnrollmentOf(ctx, u.ID, c.ID)
		l := lessons[rnd.Intn(len(lessons))]
		typ := "heartbeat"
		if rnd.Intn(10) == 0 {
			typ = "complete"
		}
		n++
		if _, err := st.RecordProgress(ctx, []store.ProgressInput{{EventID: fmt.Sprintf("00000000-0000-4000-8000-%012d", n),
			UserID: u.ID, CourseID: c.ID, LessonID: l.ID, LessonSlug: l.Slug, Type: typ, Seconds: 30, EnrolledAt: e.EnrolledAt}}, rules); err != nil {
			t.Fatal(err)
		}
		if step%50 == 0 {
			if _, err := st.StatsCatchUp(ctx, loc); err != nil {
				t.Fatal(err)
			}
		}
	}
	w := stats.NewWorker(st, loc, nil, 0)
	if err := w.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, loc: loc, days: map[int64]map[string]int64{},
		svc: stats.New(st, stats.Config{Location: loc, Now: clk.Now})}
	rows, err := st.DB().Query("SELECT user_id, credited_seconds, received_at FROM progress_events")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var uid, sec int64
		var at time.Time
		if err := rows.Scan(&uid, &sec, &at); err != nil {
			t.Fatal(err)
		}
		if f.days[uid] == nil {
			f.days[uid] = map[string]int64{}
		}
		f.days[uid][at.In(loc).Format("2006-01-02")] += sec
	}
	return f
}

// want counts from the raw events: distinct learners with credited time
// and the credited seconds in [from, to].
func (f *fixture) want(from, to string) (active int64, seconds int64) {
	for _, days := range f.days {
		on := false
		for d, s := range days {
			if d >= from && d <= to {
				seconds += s
				on = on || s > 0
			}
		}
		if on {
			active++
		}
	}
	return active, seconds
}

// Every kind of range (a whole month, a quarter, a day, any odd span, all
// time) gives the distinct active learners and the hours the raw events
// give; breakdowns add up to the total.
func TestSummaryRangesAreExact(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b)
		admin := account.Principal{UserID: 1, Role: account.RoleAdmin}
		for _, r := range [][2]string{{"2026-03-01", "2026-03-31"}, {"2026-04-01", "2026-06-30"}, {"2026-03-05", "2026-03-05"},
			{"2026-03-03", "2026-04-17"}, {"2026-01-01", "2026-12-31"}, {"", ""}} {
			s, err := f.svc.Summary(ctx, admin, stats.Filter{From: r[0], To: r[1]})
			if err != nil {
				t.Fatal(err)
			}
			from, to := r[0], r[1]
			if from == "" {
				from, to = "0000", "9999"
			}
			active, secs := f.want(from, to)
			if s.Active != active || s.ActiveHours != float64(int64(float64(secs)/36+0.5))/100 {
				t.Errorf("%v: active %d, %.2f h; raw events: %d, %d s", r, s.Active, s.ActiveHours, active, secs)
			}
			if s.Learners != 12 {
				t.Errorf("%v: learners %d", r, s.Learners)
			}
			for _, by := range []string{"kind", "age_band"} {
				bd, err := f.svc.Breakdown(ctx, admin, stats.Filter{From: r[0], To: r[1]}, by)
				if err != nil {
					t.Fatal(err)
				}
				var a, l, e int64
				for _, row := range bd.Rows {
					a, l, e = a+row.Active, l+row.Learners, e+row.Enrolled
				}
				if a != s.Active || l != s.Learners || e != s.Enrolled {
					t.Errorf("%v by %s: rows add up to active %d, learners %d, enrolled %d; summary %d, %d, %d",
						r, by, a, l, e, s.Active, s.Learners, s.Enrolled)
				}
			}
			tbl, err := f.svc.Regions(ctx, admin, stats.Filter{From: r[0], To: r[1]})
			if err != nil {
				t.Fatal(err)
			}
			var a int64
			for _, row := range tbl.Rows {
				a += row.Active
			}
			if a != s.Active {
				t.Errorf("%v: provinces' active add up to %d, country %d", r, a, s.Active)
			}
		}
		// A monthly trend's points are the months' own summaries, for the
		// one course as for everything.
		for _, course := range []string{"", "c1"} {
			tr, err := f.svc.Trend(ctx, admin, stats.Filter{From: "2026-03-10", To: "2026-05-20", Course: course}, "month")
			if err != nil {
				t.Fatal(err)
			}
			if len(tr.Points) != 3 {
				t.Fatalf("points %+v", tr.Points)
			}
			for _, pt := range tr.Points {
				s, err := f.svc.Summary(ctx, admin, stats.Filter{From: pt.Start, To: pt.End})
				if err != nil {
					t.Fatal(err)
				}
				if pt.Active != s.Active || pt.Enrolled != s.Enrolled || pt.ActiveHours != s.ActiveHours || pt.Completed != s.Completed {
					t.Errorf("course %q, month %s: point %+v, summary %+v", course, pt.Start, pt, s.Indicators)
				}
			}
		}
		// Ages in 2026: 11, 16, 46, 76 — one band each, three learners each.
		bd, err := f.svc.Breakdown(ctx, admin, stats.Filter{}, "age_band")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, row := range bd.Rows {
			got[row.Key] = row.Learners
		}
		if want := map[string]int64{stats.BandUnder14: 3, stats.Band14To17: 3, stats.Band18To59: 3, stats.Band60Plus: 3}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("learners by age band = %v, want %v", got, want)
		}
		// A region admin of Sichuan: half the learners.
		sc := account.Principal{UserID: 2, Role: account.RoleRegionAdmin, RegionCode: "510000"}
		s, err := f.svc.Summary(ctx, sc, stats.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if s.Learners != 6 {
			t.Errorf("Sichuan learners = %d", s.Learners)
		}
	})
}

// The worker started on a database with history counts it (by a first
// rebuild), keeps up with what follows, and stops cleanly.
func TestWorkerStartsAndStops(t *testing.T) {
	ctx := context.Background()
	loc := time.UTC
	st := storetest.OpenSQLite(t, nil)
	u := &store.User{Username: "w1", DisplayName: "x", PasswordHash: "x", Role: "learner", Locale: "zh-CN"}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	w := stats.NewWorker(st, loc, nil, 20*time.Millisecond)
	w.Start()
	svc := stats.New(st, stats.Config{Location: loc})
	admin := account.Principal{UserID: 1, Role: account.RoleAdmin}
	learners := func() int64 {
		s, err := svc.Summary(ctx, admin, stats.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		return s.Learners
	}
	deadline := time.Now().Add(10 * time.Second)
	for learners() != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := st.CreateUser(ctx, &store.User{Username: "w2", DisplayName: "x", PasswordHash: "x", Role: "learner", Locale: "zh-CN"}); err != nil {
		t.Fatal(err)
	}
	for learners() != 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	w.Close()
	if n := learners(); n != 2 {
		t.Errorf("learners = %d after the worker ran, want 2", n)
	}
	stats.NewWorker(st, loc, nil, 0).Close() // never started: Close returns
}

// With a retention set, the worker prunes heartbeat detail older than it
// (and only that), and the summary reads the same afterwards.
func TestWorkerPrunesOldEvents(t *testing.T) {
	ctx := context.Background()
	clk := storetest.NewClock()
	st := storetest.OpenSQLite(t, clk.Now)
	coursetest.Import(t, st, coursetest.Simple("prune"))
	ls := coursetest.Lessons(t, st, "prune")
	c, v, err := st.CourseBySlug(ctx, "prune")
	if err != nil {
		t.Fatal(err)
	}
	u := &store.User{Username: "p1", DisplayName: "x", PasswordHash: "x", Role: "learner", Locale: "zh-CN"}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Enroll(ctx, &store.Enrollment{UserID: u.ID, CourseID: c.ID, CourseVersionID: v.ID, EnrolledAt: clk.Now()}); err != nil {
		t.Fatal(err)
	}
	heartbeats := func(n int) {
		for i := 0; i < n; i++ {
			clk.Add(30 * time.Second)
			if _, err := st.RecordProgress(ctx, []store.ProgressInput{{EventID: fmt.Sprintf("00000000-0000-4000-8000-%012d", clk.Now().Unix()),
				UserID: u.ID, CourseID: c.ID, LessonID: ls[0].ID, LessonSlug: ls[0].Slug, Type: "heartbeat", Seconds: 30,
				EnrolledAt: v.PublishedAt}}, learning.NewRules(0, nil)); err != nil {
				t.Fatal(err)
			}
		}
	}
	heartbeats(4)
	clk.Add(40 * 24 * time.Hour)
	heartbeats(3)
	w := stats.NewWorker(st, time.UTC, nil, 0)
	if err := w.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	svc := stats.New(st, stats.Config{Location: time.UTC, Now: clk.Now})
	admin := account.Principal{UserID: 1, Role: account.RoleAdmin}
	before, err := svc.Summary(ctx, admin, stats.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if n, more, err := w.Prune(ctx); n != 0 || more || err != nil {
		t.Fatalf("prune with no retention set = %d, %v, %v", n, more, err)
	}
	w.SetRetention(30*24*time.Hour, clk.Now)
	if n, more, err := w.Prune(ctx); n != 4 || more || err != nil {
		t.Fatalf("prune = %d rows, more %v, %v; want the 4 old heartbeats", n, more, err)
	}
	after, err := svc.Summary(ctx, admin, stats.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if after.HoursCredited != before.HoursCredited || after.ActiveHours != before.ActiveHours || after.Active != before.Active {
		t.Errorf("summary changed by pruning: before %+v, after %+v", before, after)
	}
}

// vanished is a read replica that has gone since its last check.
type vanished struct{ stats.Reads }

func (vanished) StatsCounters(context.Context, store.CounterQuery) ([]store.StatsCounter, error) {
	return nil, errs.New(errs.Unavailable, "error.unavailable")
}

// The dashboard's numbers and as-of time come from the Reader (a read
// replica in production), taken once per request, and each answer says
// where it was read and how far behind; without a Reader, the primary.
func TestAnswersComeFromTheReader(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, storetest.Backend{Name: "sqlite", Open: storetest.OpenSQLite})
	admin := account.Principal{UserID: 1, Role: account.RoleAdmin}
	// The primary is empty; the "replica" holds the learners.
	primary := storetest.OpenSQLite(t, nil)
	lag := int64(7)
	picks := 0
	svc := stats.New(primary, stats.Config{Location: f.loc, Reader: func() (stats.Reads, store.ReadSource) {
		picks++
		return f.st, store.ReadSource{Source: store.SourceReplica, LagSeconds: &lag}
	}})
	check := func(what string, fr stats.Freshness, n int64) {
		t.Helper()
		if fr.Source != store.SourceReplica || fr.ReplicaLagSeconds == nil || *fr.ReplicaLagSeconds != 7 || fr.AsOf == nil {
			t.Errorf("%s: freshness %+v, want the replica 7 s behind with an as-of time", what, fr)
		}
		if n == 0 {
			t.Errorf("%s: nothing read from the replica", what)
		}
	}
	s, err := svc.Summary(ctx, admin, stats.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	check("summary", s.Freshness, s.Learners)
	tbl, err := svc.Regions(ctx, admin, stats.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	check("regions", tbl.Freshness, int64(len(tbl.Rows)))
	tr, err := svc.Trend(ctx, admin, stats.Filter{From: "2026-03-01", To: "2026-06-30"}, "month")
	if err != nil {
		t.Fatal(err)
	}
	var active int64
	for _, p := range tr.Points {
		active += p.Active
	}
	check("trend", tr.Freshness, active)
	bd, err := svc.Breakdown(ctx, admin, stats.Filter{}, "course")
	if err != nil {
		t.Fatal(err)
	}
	check("breakdown", bd.Freshness, int64(len(bd.Rows)))
	if len(bd.Rows) > 0 && bd.Rows[0].Label == "" {
		t.Error("course names not read from the replica")
	}
	if picks != 4 {
		t.Errorf("reader taken %d times for 4 requests, want once each", picks)
	}
	// A replica gone since the last check: the answer is read again from
	// the (empty) primary and says so.
	broken := stats.New(primary, stats.Config{Location: f.loc, Reader: func() (stats.Reads, store.ReadSource) {
		return vanished{f.st}, store.ReadSource{Source: store.SourceReplica, LagSeconds: &lag}
	}})
	s, err = broken.Summary(ctx, admin, stats.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Source != store.SourcePrimary || s.ReplicaLagSeconds != nil || s.Learners != 0 {
		t.Errorf("replica gone: %+v, want the empty primary's answer", s)
	}
	// Without a Reader: the store itself, reported as the primary.
	s, err = f.svc.Summary(ctx, admin, stats.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Source != store.SourcePrimary || s.ReplicaLagSeconds != nil || s.Learners != 12 {
		t.Errorf("without a reader: %+v, want the primary's 12 learners and no lag", s)
	}
}
