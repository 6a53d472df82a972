package store_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

// statsRows reads every non-zero row of the derived tables as text, so two
// states compare with one map comparison.
func statsRows(t *testing.T, st *store.Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	read := func(q string, key func([]int64, []string) string) {
		rows, err := st.DB().Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			for i := range vals {
				vals[i] = new(any)
			}
			if err := rows.Scan(vals...); err != nil {
				t.Fatal(err)
			}
			var nums []int64
			var strs []string
			for _, v := range vals {
				x := *(v.(*any))
				switch x := x.(type) {
				case int64:
					nums = append(nums, x)
				case []byte:
					strs = append(strs, string(x))
				case string:
					strs = append(strs, x)
				case nil:
					strs = append(strs, "NULL")
				default:
					strs = append(strs, fmt.Sprint(x))
				}
			}
			k := key(nums, strs)
			out[k] = fmt.Sprint(nums, strs)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	read("SELECT period, scope, dim, val, start, learners, active, enrolled, enrolled_done, completed, certificates, hours_centi, "+
		"credited_seconds, reached, offline_centi FROM stats_counters WHERE learners <> 0 OR active <> 0 OR enrolled <> 0 "+
		"OR enrolled_done <> 0 OR completed <> 0 OR certificates <> 0 OR hours_centi <> 0 OR credited_seconds <> 0 OR reached <> 0 "+
		"OR offline_centi <> 0",
		func(n []int64, s []string) string {
			return fmt.Sprintf("c %s %d %s %s %s", s[0], n[0], s[1], s[2], s[3])
		})
	read("SELECT user_id, day, course_id, credited_seconds, enrolled, enrolled_done, completed, certificates, hours_centi, "+
		"offline_centi FROM stats_learner_days",
		func(n []int64, _ []string) string { return fmt.Sprintf("d %d %d %d", n[0], n[1], n[2]) })
	read("SELECT user_id, COALESCE(institution_id, 0), COALESCE(birth_year, 0), region_code, kind FROM stats_learners",
		func(n []int64, _ []string) string { return fmt.Sprintf("l %d", n[0]) })
	for k, v := range out {
		if strings.HasPrefix(k, "c ") && strings.Contains(v, "[]") {
			delete(out, k)
		}
	}
	return out
}

func diffRows(t *testing.T, what string, a, b map[string]string) {
	t.Helper()
	n := 0
	for _, k := range slices.Sorted(maps.Keys(a)) {
		if a[k] != b[k] {
			if n < 20 {
				t.Errorf("%s: %s: incremental %s, rebuild %s", what, k, a[k], b[k])
			}
			n++
		}
	}
	for _, k := range slices.Sorted(maps.Keys(b)) {
		if _, ok := a[k]; !ok {
			if n < 20 {
				t.Errorf("%s: %s: only after rebuild: %s", what, k, b[k])
			}
			n++
		}
	}
	if n > 0 {
		t.Errorf("%s: %d rows differ (of %d and %d)", what, n, len(a), len(b))
	}
}

// statsWorld is a small country: two provinces, three institutions, two
// courses (one gains a second version), learners of every age.
// statsClock is a test clock safe to read from passes running beside the
// scenario.
type statsClock struct {
	mu sync.Mutex
	t  time.Time
}

func newStatsClock() *statsClock { return &statsClock{t: storetest.NewClock().Now()} }

func (c *statsClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *statsClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type statsWorld struct {
	st      *store.Store
	clk     *statsClock
	rnd     *rand.Rand
	insts   []*store.Institution
	courses map[string]*store.Course
	lessons map[string][]store.Lesson
	users   []*store.User
}

func newStatsWorld(t *testing.T, b storetest.Backend, seed int64) *statsWorld {
	t.Helper()
	clk := newStatsClock()
	return newStatsWorldOn(t, b.Open(t, clk.Now), clk, seed)
}

func newStatsWorldOn(t *testing.T, st *store.Store, clk *statsClock, seed int64) *statsWorld {
	t.Helper()
	ctx := context.Background()
	w := &statsWorld{st: st, clk: clk, rnd: rand.New(rand.NewSource(seed)), courses: map[string]*store.Course{}, lessons: map[string][]store.Lesson{}}
	sc, cd, gd := "510000", "510100", "440000"
	if err := st.UpsertRegions(ctx, []store.Region{{Code: sc, Name: "四川省"}, {Code: cd, Name: "成都市", ParentCode: &sc},
		{Code: "510104", Name: "锦江区", ParentCode: &cd}, {Code: gd, Name: "广东省"}, {Code: "440100", Name: "广州市", ParentCode: &gd}}); err != nil {
		t.Fatal(err)
	}
	for _, in := range []store.Institution{{Code: "cd-lib", Name: "成都图书馆", Kind: "library", RegionCode: "510104"},
		{Code: "gz-school", Name: "广州学校", Kind: "school", RegionCode: "440100"},
		{Code: "cd-cadre", Name: "成都干部学院", Kind: "cadre_centre", RegionCode: "510100"}} {
		in.CreatedAt = clk.Now()
		if err := st.CreateInstitution(ctx, &in); err != nil {
			t.Fatal(err)
		}
		w.insts = append(w.insts, &in)
	}
	for _, slug := range []string{"alpha", "beta"} {
		coursetest.Import(t, st, coursetest.Simple(slug))
		c, _, err := st.CourseBySlug(ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		w.courses[slug] = c
		w.lessons[slug] = coursetest.Lessons(t, st, slug)
	}
	years := []int{0, 2015, 2010, 1990, 1960, 1950, 2000, 1985}
	for i, by := range years {
		in := w.insts[i%len(w.insts)].ID
		role := "learner"
		if i == 7 {
			role = "teacher" // active, never counted
		}
		u := &store.User{Username: fmt.Sprintf("u%d", i), DisplayName: "学员", PasswordHash: "x", Role: role, Locale: "zh-CN",
			InstitutionID: &in, CreatedAt: clk.Now(), UpdatedAt: clk.Now()}
		if by != 0 {
			u.BirthYear = &by
		}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		w.users = append(w.users, u)
	}
	// A learner with no institution, counted under their own region.
	rc := "440100"
	u := &store.User{Username: "walkin", DisplayName: "访客", PasswordHash: "x", Role: "learner", Locale: "zh-CN",
		RegionCode: &rc, CreatedAt: clk.Now(), UpdatedAt: clk.Now()}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	w.users = append(w.users, u)
	return w
}

func (w *statsWorld) enroll(t *testing.T, u *store.User, slug string) {
	t.Helper()
	ctx := context.Background()
	c, v, err := w.st.CourseBySlug(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.Enroll(ctx, &store.Enrollment{UserID: u.ID, CourseID: c.ID, CourseVersionID: v.ID, EnrolledAt: w.clk.Now()}); err != nil {
		t.Fatal(err)
	}
}

func (w *statsWorld) event(t *testing.T, u *store.User, slug string, lesson int, typ string, seconds int) {
	t.Helper()
	ctx := context.Background()
	c := w.courses[slug]
	e, err := w.st.EnrollmentOf(ctx, u.ID, c.ID)
	if err != nil {
		return // not enrolled: the server would refuse the event
	}
	ls := w.lessons[slug]
	l := ls[lesson%len(ls)]
	if _, err := w.st.RecordProgress(ctx, []store.ProgressInput{{EventID: cxEventID(), UserID: u.ID, CourseID: c.ID,
		LessonID: l.ID, LessonSlug: l.Slug, Type: typ, Seconds: seconds, EnrolledAt: e.EnrolledAt}}, cxFinisher()); err != nil {
		t.Fatal(err)
	}
}

func (w *statsWorld) finish(t *testing.T, u *store.User, slug string) {
	t.Helper()
	if _, err := w.st.EnrollmentOf(context.Background(), u.ID, w.courses[slug].ID); err != nil {
		return
	}
	ls := w.lessons[slug]
	for i := range ls {
		w.event(t, u, slug, i, "complete", 0)
	}
	for i := 0; i < 2 && i < len(ls); i++ {
		cxAttempt(t, w.st, u, w.courses[slug], ls[i], 100)
	}
}

// TestStatsRebuildEqualsUpkeep drives a random history through the upkeep,
// a pass now and then, and checks a rebuild from the raw tables ends with
// the same tables; and that the all-time totals match the raw tables.
func TestStatsRebuildEqualsUpkeep(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		for _, seed := range []int64{1, 2, 3} {
			t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { statsScenario(t, b, seed) })
		}
	})
}

func statsScenario(t *testing.T, b storetest.Backend, seed int64) {
	ctx := context.Background()
	w := newStatsWorld(t, b, seed)
	st, clk, rnd := w.st, w.clk, w.rnd
	pass := func() {
		for {
			p, err := st.StatsCatchUp(ctx, shanghai)
			if err != nil {
				t.Fatal(err)
			}
			if !p.More {
				return
			}
		}
	}
	slugs := []string{"alpha", "beta"}
	var revoked, moved, deleted, kindChanged, targetSet, newVersion bool
	for step := 0; step < 160; step++ {
		u := w.users[rnd.Intn(len(w.users))]
		slug := slugs[rnd.Intn(2)]
		switch r := rnd.Intn(20); {
		case r < 3:
			w.enroll(t, u, slug)
		case r < 13:
			w.event(t, u, slug, rnd.Intn(3), "heartbeat", 30)
		case r < 15:
			w.finish(t, u, slug)
		case r == 15:
			clk.Add(time.Duration(rnd.Intn(20)) * 24 * time.Hour)
		default:
			clk.Add(time.Duration(rnd.Intn(600)) * time.Minute)
		}
		clk.Add(time.Duration(1+rnd.Intn(90)) * time.Second)
		if step >= 60 && !revoked {
			w.enroll(t, w.users[3], "beta")
			w.finish(t, w.users[3], "beta")
		}
		switch {
		case step >= 60 && !revoked:
			// A certificate revoked.
			var c store.Certificate
			if err := st.DB().QueryRow("SELECT serial FROM certificates WHERE user_id = ? ORDER BY id LIMIT 1", w.users[3].ID).Scan(&c.Serial); err == nil {
				if _, err := st.RevokeCertificate(ctx, c.Serial, "抄袭", nil); err != nil {
					t.Fatal(err)
				}
				revoked = true
			}
		case step == 80:
			// A learner moves to the other province, history and all.
			to := w.insts[1].ID
			if _, err := st.ChangeUser(ctx, w.users[0].ID, store.UserChange{InstitutionID: &to}, nil); err != nil {
				t.Fatal(err)
			}
			moved = true
		case step == 90:
			if n, err := st.AnonymiseUsers(ctx, []int64{w.users[1].ID}, func(int64) *store.AuditEntry {
				return &store.AuditEntry{Action: "user.delete", Target: "user"}
			}); err != nil || n != 1 {
				t.Fatal(n, err)
			}
			deleted = true
		case step == 95, step == 105:
			// A learner becomes a teacher (out of every statistic), then
			// a learner again (back in, history and all).
			role := map[bool]string{true: "teacher", false: "learner"}[step == 95]
			if _, err := st.ChangeUser(ctx, w.users[4].ID, store.UserChange{Role: &role}, nil); err != nil {
				t.Fatal(err)
			}
		case step == 100:
			in := *w.insts[2]
			in.Kind = "community_centre"
			if err := st.SaveInstitution(ctx, &in, store.AuditEntry{Action: "institution.update"}); err != nil {
				t.Fatal(err)
			}
			kindChanged = true
		case step == 110:
			if err := st.SetTargetAudited(ctx, store.StudyHourTarget{Year: clk.Now().Year(), Scope: "default", Hours: 2},
				&store.AuditEntry{Action: "stats.target.set", Target: "target:default"}); err != nil {
				t.Fatal(err)
			}
			targetSet = true
		case step == 120:
			v2 := coursetest.Simple("alpha")
			v2.Version, v2.StudyHours = 2, 1.5
			coursetest.Import(t, st, v2)
			w.lessons["alpha"] = coursetest.Lessons(t, st, "alpha")
			newVersion = true
		case step == 130:
			clk.Add(300 * 24 * time.Hour) // into the next year
		}
		if step%37 == 5 {
			// Face-to-face training credited by hand, and a correction.
			hours := float64(1+rnd.Intn(8)) / 2
			for _, h := range []float64{hours, -hours / 2} {
				if err := st.AddManualCredit(ctx, &store.ManualCredit{UserID: u.ID, Day: store.DayNumber(clk.Now().In(shanghai)),
					Hours: h, Title: "线下培训"}, &store.AuditEntry{Action: "stats.credit.add", Target: "user"}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if rnd.Intn(4) == 0 {
			pass()
		}
	}
	// Everyone finishes both courses, under alpha's second version.
	for _, u := range w.users {
		for _, slug := range slugs {
			w.enroll(t, u, slug)
			w.event(t, u, slug, 0, "heartbeat", 20)
			clk.Add(time.Minute)
			w.finish(t, u, slug)
		}
		pass()
	}
	if !revoked || !moved || !deleted || !kindChanged || !targetSet || !newVersion {
		t.Fatal("the scenario missed a case")
	}
	pass()
	incremental := statsRows(t, st)
	if err := st.StatsRebuild(ctx, shanghai); err != nil {
		t.Fatal(err)
	}
	rebuilt := statsRows(t, st)
	diffRows(t, "rebuild vs upkeep", incremental, rebuilt)

	// The all-time country totals against the raw tables.
	var want [6]int64
	q := `SELECT (SELECT COUNT(*) FROM users WHERE role = 'learner' AND deleted_at IS NULL),
		(SELECT COUNT(*) FROM enrollments e JOIN users u ON u.id = e.user_id WHERE u.role = 'learner' AND u.deleted_at IS NULL),
		(SELECT COUNT(*) FROM enrollments e JOIN users u ON u.id = e.user_id WHERE u.role = 'learner' AND u.deleted_at IS NULL AND e.completed_at IS NOT NULL),
		(SELECT COUNT(*) FROM certificates c JOIN users u ON u.id = c.user_id WHERE u.role = 'learner' AND u.deleted_at IS NULL AND c.revoked_at IS NULL),
		(SELECT COALESCE(SUM(p.credited_seconds), 0) FROM progress_events p JOIN users u ON u.id = p.user_id WHERE u.role = 'learner' AND u.deleted_at IS NULL),
		(SELECT COUNT(DISTINCT p.user_id) FROM progress_events p JOIN users u ON u.id = p.user_id WHERE u.role = 'learner' AND u.deleted_at IS NULL AND p.credited_seconds > 0)`
	if err := st.DB().QueryRow(q).Scan(&want[0], &want[1], &want[2], &want[3], &want[4], &want[5]); err != nil {
		t.Fatal(err)
	}
	rows, err := st.StatsCounters(ctx, store.CounterQuery{Period: store.PeriodAll, Scopes: []string{store.ScopeAll}, Dim: store.DimTotal})
	if err != nil || len(rows) != 1 {
		t.Fatalf("all-time row: %v %v", rows, err)
	}
	r := rows[0]
	got := [6]int64{r.Learners, r.Enrolled, r.Completed, r.Certificates, r.CreditedSeconds, r.Active}
	if got != want {
		t.Errorf("all-time totals (learners, enrolled, completed, certificates, credited seconds, active) = %v, raw tables %v", got, want)
	}
	if want[3] >= want[2] && revoked {
		t.Errorf("the revoked certificate still counts: %d certificates for %d completions", want[3], want[2])
	}
	var offline float64
	if err := st.DB().QueryRow("SELECT COALESCE(SUM(m.hours), 0) FROM manual_credits m JOIN users u ON u.id = m.user_id " +
		"WHERE u.role = 'learner' AND u.deleted_at IS NULL").Scan(&offline); err != nil {
		t.Fatal(err)
	}
	if int64(offline*100+0.5) != r.OfflineCenti || offline == 0 {
		t.Errorf("offline training: counters %d centi-hours, raw table %.2f h", r.OfflineCenti, offline)
	}
	if rows, _ := st.LearnerYearTotals(ctx, w.users[2].ID); len(rows) == 0 || rows[len(rows)-1].HoursCenti == 0 {
		t.Errorf("year totals of a learner who completed courses: %+v", rows)
	}
}

// An event whose transaction commits after a later event's is counted once
// it commits (the pass in between records its id as a gap), and passes run
// by two app instances at once never count anything twice.
func TestStatsLateCommitAndConcurrentPasses(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clk := newStatsClock()
		st, other := b.Open(t, clk.Now), (*store.Store)(nil)
		if b.URL != "" {
			// A second app instance on the same database.
			url := storetest.FreshMySQLURL(t, b.URL)
			for _, p := range []**store.Store{&st, &other} {
				s, err := store.Open(ctx, store.Options{DatabaseURL: url, Now: clk.Now})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				if _, err := s.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
				*p = s
			}
		} else {
			other = st
		}
		w := newStatsWorldOn(t, st, clk, 9)
		u := w.users[2]
		w.enroll(t, u, "beta")
		w.event(t, u, "beta", 0, "heartbeat", 30)
		if _, err := st.StatsCatchUp(ctx, shanghai); err != nil {
			t.Fatal(err)
		}
		if b.URL != "" {
			// MySQL: hold an event's id in an open transaction while a
			// later one commits.
			w.enroll(t, w.users[3], "beta")
			tx, err := st.DB().BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback() // after a failure; a no-op once committed
			l := w.lessons["beta"][1]
			if _, err := tx.Exec("INSERT INTO progress_events (event_key, user_id, lesson_id, type, seconds, credited_seconds, received_at) "+
				"VALUES (?, ?, ?, 'heartbeat', 40, 40, ?)", keyOf(t, cxEventID()), u.ID, l.ID, w.clk.Now()); err != nil {
				t.Fatal(err)
			}
			w.clk.Add(time.Minute)
			w.event(t, w.users[3], "beta", 0, "heartbeat", 30)
			if _, err := st.StatsCatchUp(ctx, shanghai); err != nil {
				t.Fatal(err)
			}
			var gaps int
			if err := st.DB().QueryRow("SELECT COUNT(*) FROM stats_gaps WHERE source = 'progress_events'").Scan(&gaps); err != nil || gaps != 1 {
				t.Fatalf("gaps = %d (%v), want the open transaction's id", gaps, err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		// Two instances' workers race while learners keep learning.
		done := make(chan error, 2)
		stop := make(chan struct{})
		for _, s := range []*store.Store{st, other} {
			go func(s *store.Store) {
				for {
					select {
					case <-stop:
						done <- nil
						return
					default:
					}
					if _, err := s.StatsCatchUp(ctx, shanghai); err != nil {
						done <- err
						return
					}
				}
			}(s)
		}
		for i := 0; i < 40; i++ {
			u := w.users[i%len(w.users)]
			w.enroll(t, u, "alpha")
			w.clk.Add(time.Minute)
			w.event(t, u, "alpha", i, "heartbeat", 30)
			if i%10 == 0 {
				w.finish(t, u, "alpha")
			}
		}
		close(stop)
		for i := 0; i < 2; i++ {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.StatsCatchUp(ctx, shanghai); err != nil {
			t.Fatal(err)
		}
		incremental := statsRows(t, st)
		if err := st.StatsRebuild(ctx, shanghai); err != nil {
			t.Fatal(err)
		}
		diffRows(t, "after a late commit and concurrent passes", incremental, statsRows(t, st))
	})
}

// An institution that changes kind and region takes its learners' history
// along at the next pass, with nothing else happening to them.
func TestStatsFollowsInstitutionChange(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		w := newStatsWorld(t, b, 4)
		w.clk.Add(time.Hour)                                      // the accounts' creation is long checked
		for _, u := range []*store.User{w.users[2], w.users[5]} { // at cd-cadre
			w.enroll(t, u, "alpha")
			w.clk.Add(time.Minute)
			w.event(t, u, "alpha", 0, "heartbeat", 30)
		}
		if _, err := w.st.StatsCatchUp(ctx, shanghai); err != nil {
			t.Fatal(err)
		}
		w.clk.Add(time.Hour)
		if _, err := w.st.StatsCatchUp(ctx, shanghai); err != nil {
			t.Fatal(err)
		}
		w.clk.Add(time.Hour)
		in := *w.insts[2]
		in.Kind, in.RegionCode = "school", "440100"
		if err := w.st.SaveInstitution(ctx, &in, store.AuditEntry{Action: "institution.update"}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.st.StatsCatchUp(ctx, shanghai); err != nil {
			t.Fatal(err)
		}
		rows, err := w.st.StatsCounters(ctx, store.CounterQuery{Period: store.PeriodAll, Scopes: []string{store.ScopeRegion("51")},
			Dim: store.DimKind, AnyVal: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.Val == "cadre_centre" && (r.Learners != 0 || r.Active != 0) {
				t.Errorf("Sichuan still counts the moved cadre centre: %+v", r)
			}
		}
		incremental := statsRows(t, w.st)
		if err := w.st.StatsRebuild(ctx, shanghai); err != nil {
			t.Fatal(err)
		}
		diffRows(t, "after an institution changed kind and region", incremental, statsRows(t, w.st))
	})
}
