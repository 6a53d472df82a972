package stats_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/stats"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// rawEnrolment is one row of the enrollments table, its days in the
// fixture's time zone ("" for not completed).
type rawEnrolment struct {
	user, course        int64
	enrolled, completed string
	hours               float64
}

func (f *fixture) enrolments(t *testing.T) []rawEnrolment {
	t.Helper()
	rows, err := f.st.DB().Query("SELECT user_id, course_id, enrolled_at, completed_at, hours_credited FROM enrollments")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []rawEnrolment
	for rows.Next() {
		var e rawEnrolment
		var at time.Time
		var done *time.Time
		if err := rows.Scan(&e.user, &e.course, &at, &done, &e.hours); err != nil {
			t.Fatal(err)
		}
		e.enrolled = at.In(f.loc).Format("2006-01-02")
		if done != nil {
			e.completed = done.In(f.loc).Format("2006-01-02")
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// complete marks the named learners' enrolments completed on their
// enrolment day with 2 学时 (the fixture's heartbeats complete none) and
// recounts the statistics from the raw tables.
func (f *fixture) complete(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := f.st.DB().Exec("UPDATE enrollments SET completed_at = enrolled_at, hours_credited = 2 WHERE user_id = ?", f.user(t, n).ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.st.StatsRebuild(context.Background(), f.loc); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) user(t *testing.T, name string) *store.User {
	t.Helper()
	u, err := f.st.UserByUsername(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// The audience breakdown is the course rows added up by audience (a course
// for two audiences in both), equal to the raw enrolments; it gives no
// learner counts.
func TestBreakdownByAudience(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b)
		c2 := coursetest.Simple("c2")
		c2.Audience = []string{"senior", "adult"}
		coursetest.Import(t, f.st, c2)
		c, v, err := f.st.CourseBySlug(ctx, "c2")
		if err != nil {
			t.Fatal(err)
		}
		for i, at := range []time.Time{time.Date(2026, 3, 10, 4, 0, 0, 0, time.UTC), time.Date(2026, 4, 2, 4, 0, 0, 0, time.UTC)} {
			u := f.user(t, fmt.Sprint("l", i))
			if _, err := f.st.Enroll(ctx, &store.Enrollment{UserID: u.ID, CourseID: c.ID, CourseVersionID: v.ID, EnrolledAt: at}); err != nil {
				t.Fatal(err)
			}
		}
		f.complete(t, "l0", "l3")
		c1, _, err := f.st.CourseBySlug(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		audiences := map[int64][]string{c1.ID: {"adult"}, c.ID: {"senior", "adult"}}
		raw := f.enrolments(t)
		admin := account.Principal{UserID: 1, Role: account.RoleAdmin}
		for _, r := range [][2]string{{"", ""}, {"2026-03-01", "2026-03-31"}, {"2026-03-05", "2026-04-20"}} {
			bd, err := f.svc.Breakdown(ctx, admin, stats.Filter{From: r[0], To: r[1]}, "audience")
			if err != nil {
				t.Fatal(err)
			}
			from, to := r[0], r[1]
			if from == "" {
				from, to = "0000", "9999"
			}
			want := map[string][3]int64{}
			for _, e := range raw {
				for _, a := range audiences[e.course] {
					w := want[a]
					if e.enrolled >= from && e.enrolled <= to {
						w[0]++
					}
					if e.completed != "" && e.completed >= from && e.completed <= to {
						w[1]++
						w[2] += int64(e.hours * 100)
					}
					want[a] = w
				}
			}
			got := map[string][3]int64{}
			var keys []string
			for _, row := range bd.Rows {
				got[row.Key] = [3]int64{row.Enrolled, row.Completed, int64(row.HoursCredited * 100)}
				keys = append(keys, row.Key)
				if row.HasLearners || row.HasActive || row.Active != 0 || row.Learners != 0 {
					t.Errorf("%v: audience row %s reports learners or active: %+v", r, row.Key, row)
				}
			}
			for a, w := range want {
				if w == ([3]int64{}) {
					delete(want, a)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%v: enrolled, completed, 学时×100 by audience %v; raw enrolments %v", r, got, want)
			}
			if len(keys) == 2 && (keys[0] != "adult" || keys[1] != "senior") {
				t.Errorf("%v: rows in order %v", r, keys)
			}
		}
		if _, err := f.svc.Breakdown(ctx, admin, stats.Filter{}, "colour"); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("unknown breakdown: %v", err)
		}
	})
}

// A class row holds its counted members' facts, equal to the raw tables:
// members from elsewhere count, a teacher member does not, a learner in two
// classes counts in both; an archived class shows for ranges it was live in.
func TestClassesOfAnInstitution(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b)
		a, err := f.st.InstitutionByCode(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		bInst, err := f.st.InstitutionByCode(ctx, "b")
		if err != nil {
			t.Fatal(err)
		}
		teacher := &store.User{Username: "t0", DisplayName: "x", PasswordHash: "x", Role: "teacher", Locale: "zh-CN", InstitutionID: &a.ID}
		if err := f.st.CreateUser(ctx, teacher); err != nil {
			t.Fatal(err)
		}
		// l0, l2, l4 are at a; l1 at b, admitted from outside.
		members := map[string][]string{"X": {"l0", "l2", "l4", "l1", "t0"}, "Y": {"l2", "l6"}, "Z": {"l3"}}
		ids := map[string]int64{}
		for _, name := range []string{"Y", "X", "Z"} {
			cl := &store.Class{InstitutionID: a.ID, Name: name}
			if name == "Z" {
				cl.InstitutionID = bInst.ID
			}
			if err := f.st.CreateClass(ctx, cl); err != nil {
				t.Fatal(err)
			}
			ids[name] = cl.ID
			for _, m := range members[name] {
				if err := f.st.AddClassMember(ctx, cl.ID, f.user(t, m).ID); err != nil {
					t.Fatal(err)
				}
			}
			if name == "Y" {
				at := time.Date(2026, 3, 20, 2, 0, 0, 0, time.UTC)
				cl.ArchivedAt = &at
				if err := f.st.SaveClass(ctx, cl, nil); err != nil {
					t.Fatal(err)
				}
			}
		}
		f.complete(t, "l2", "l1")
		raw := f.enrolments(t)
		admin := account.Principal{UserID: 1, Role: account.RoleAdmin}
		for _, tc := range []struct {
			from, to string
			classes  []string
		}{{"", "", []string{"X", "Y"}}, {"2026-03-01", "2026-03-31", []string{"X", "Y"}},
			{"2026-04-01", "2026-04-30", []string{"X"}}, {"2026-03-03", "2026-05-17", []string{"X", "Y"}}} {
			tbl, err := f.svc.Classes(ctx, admin, stats.Filter{Institution: "a", From: tc.from, To: tc.to})
			if err != nil {
				t.Fatal(err)
			}
			from, to := tc.from, tc.to
			if from == "" {
				from, to = "0000", "9999"
			}
			var names []string
			for _, row := range tbl.Rows {
				names = append(names, row.Name)
				var want stats.Indicators
				var secs int64
				for _, m := range members[row.Name] {
					u := f.user(t, m)
					if u.Role != "learner" {
						continue
					}
					want.Learners++
					on := false
					for d, s := range f.days[u.ID] {
						if d >= from && d <= to {
							secs += s
							on = on || s > 0
						}
					}
					if on {
						want.Active++
					}
					for _, e := range raw {
						if e.user != u.ID {
							continue
						}
						if e.enrolled >= from && e.enrolled <= to {
							want.Enrolled++
						}
						if e.completed != "" && e.completed >= from && e.completed <= to {
							want.Completed++
							want.HoursCredited += e.hours
						}
					}
				}
				want.ActiveHours = float64(int64(float64(secs)/36+0.5)) / 100
				got := row.Indicators
				if got.Learners != want.Learners || got.Active != want.Active || got.Enrolled != want.Enrolled ||
					got.Completed != want.Completed || got.HoursCredited != want.HoursCredited || got.ActiveHours != want.ActiveHours ||
					got.TargetReached != nil || want.Completed == 0 && row.Name == "X" && tc.from == "" {
					t.Errorf("%s–%s class %s: %+v; raw tables: %+v", tc.from, tc.to, row.Name, got, want)
				}
				if row.Archived != (row.Name == "Y") || row.ID != ids[row.Name] {
					t.Errorf("class %s: %+v", row.Name, row)
				}
			}
			if fmt.Sprint(names) != fmt.Sprint(tc.classes) {
				t.Errorf("%s–%s: classes %v, want %v", tc.from, tc.to, names, tc.classes)
			}
		}
		// Who may read them: the institution's admin (by default), the
		// region's admin; not another institution's or region's, not a
		// teacher; an admin must name the institution.
		for _, tc := range []struct {
			p    account.Principal
			f    stats.Filter
			want error
		}{
			{account.Principal{UserID: 2, Role: account.RoleInstitutionAdmin, InstitutionID: a.ID}, stats.Filter{}, nil},
			{account.Principal{UserID: 2, Role: account.RoleInstitutionAdmin, InstitutionID: a.ID}, stats.Filter{Institution: "a"}, nil},
			{account.Principal{UserID: 2, Role: account.RoleInstitutionAdmin, InstitutionID: bInst.ID}, stats.Filter{Institution: "a"}, errs.ErrNotFound},
			{account.Principal{UserID: 2, Role: account.RoleRegionAdmin, RegionCode: "510000"}, stats.Filter{Institution: "a"}, nil},
			{account.Principal{UserID: 2, Role: account.RoleRegionAdmin, RegionCode: "440000"}, stats.Filter{Institution: "a"}, errs.ErrNotFound},
			{account.Principal{UserID: 2, Role: account.RoleRegionAdmin, RegionCode: "510000"}, stats.Filter{}, errs.ErrInvalid},
			{account.Principal{UserID: 2, Role: account.RoleTeacher, InstitutionID: a.ID}, stats.Filter{Institution: "a"}, &errs.Error{Code: errs.Forbidden}},
			{admin, stats.Filter{}, errs.ErrInvalid},
		} {
			tbl, err := f.svc.Classes(ctx, tc.p, tc.f)
			if tc.want == nil && (err != nil || len(tbl.Rows) != 2 || tbl.Code != "a") || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("%+v %+v: %v, want %v", tc.p, tc.f, err, tc.want)
			}
		}
	})
}
