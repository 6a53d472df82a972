package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/learning"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// TestYearlyStatement: a cadre prints the 2026 statement (a course and a
// face-to-face credit against the cadre target), gets the same serial while
// nothing changes and a new one when it does; both verify publicly and say
// what they said when printed.
func TestYearlyStatement(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		cs := newCourseServer(t, b, coursetest.Simple("hours"))
		if err := cs.st.CreateInstitution(ctx, &store.Institution{Code: "dangxiao", Name: "区委党校", Kind: "cadre_centre",
			RegionCode: "000000", CreatedAt: cs.clk.Now()}); err != nil {
			t.Fatal(err)
		}
		cadre, u := cs.learner(t, "cadre", "dangxiao")
		year := cs.clk.Now().In(learning.China).Year()
		cs.finishCourse(t, cadre)
		credit := func(day int, hours float64, title string) {
			t.Helper()
			if err := cs.st.AddManualCredit(ctx, &store.ManualCredit{UserID: u.ID, Day: day, Hours: hours, Title: title},
				&store.AuditEntry{Action: "stats.manual_credit", Target: "user"}); err != nil {
				t.Fatal(err)
			}
		}
		credit(year*10000+301, 1.5, "党史专题讲座")
		credit((year-1)*10000+301, 4, "去年的培训")

		var s learning.StatementView
		cadre.callJSON(t, "POST", "/api/v1/me/statements", map[string]int{"year": year}, 200, &s)
		if !strings.HasPrefix(s.Serial, "XS-") || s.Year != year || s.LearnerName != "学员cadre" || s.InstitutionName != "区委党校" {
			t.Fatalf("statement = %+v", s)
		}
		if len(s.Courses) != 1 || s.Courses[0].Slug != "hours" || s.Courses[0].Hours != 2 || len(s.Courses[0].CompletedOn) != 10 {
			t.Errorf("courses = %+v", s.Courses)
		}
		if len(s.Manual) != 1 || s.Manual[0].Title != "党史专题讲座" || s.Manual[0].Day != fmt.Sprintf("%d-03-01", year) {
			t.Errorf("manual = %+v", s.Manual)
		}
		if s.CourseHours != 2 || s.ManualHours != 1.5 || s.Total != 3.5 || s.Target == nil || *s.Target != 50 || s.Reached {
			t.Errorf("totals = %v + %v = %v of %v (reached %v)", s.CourseHours, s.ManualHours, s.Total, s.Target, s.Reached)
		}
		if s.TimeZone != "Asia/Shanghai" || !strings.HasSuffix(s.VerifyURL, "/verify/"+s.Serial) {
			t.Errorf("zone %q, verify URL %q", s.TimeZone, s.VerifyURL)
		}

		var again learning.StatementView
		cadre.callJSON(t, "POST", "/api/v1/me/statements", map[string]int{"year": year}, 200, &again)
		if again.Serial != s.Serial {
			t.Errorf("unchanged numbers, new serial %s (was %s)", again.Serial, s.Serial)
		}

		credit(year*10000+302, 0.5, "读书会")
		var changed learning.StatementView
		cadre.callJSON(t, "POST", "/api/v1/me/statements", map[string]int{"year": year}, 200, &changed)
		if changed.Serial == s.Serial || changed.Total != 4 || len(changed.Manual) != 2 {
			t.Errorf("after a new credit: serial %s (old %s), total %v, manual %+v", changed.Serial, s.Serial, changed.Total, changed.Manual)
		}

		// Anyone verifies, by the serial as typed; the old one says what it said.
		anon := cs.client()
		var v learning.StatementView
		anon.callJSON(t, "GET", "/api/v1/statements/"+strings.ToLower(strings.ReplaceAll(s.Serial, "-", "")), nil, 200, &v)
		if v.Serial != s.Serial || v.Total != 3.5 || v.LearnerName != "学员cadre" || len(v.Manual) != 1 || !v.IssuedAt.Equal(s.IssuedAt) {
			t.Errorf("verified old statement = %+v", v)
		}
		anon.callJSON(t, "GET", "/api/v1/statements/"+changed.Serial, nil, 200, &v)
		if v.Total != 4 {
			t.Errorf("verified new statement total = %v", v.Total)
		}
		rec := anon.callJSON(t, "GET", "/api/v1/statements/XS-0000-0000-0000-0000", nil, 404, nil)
		if !strings.Contains(rec.Body.String(), `"code":"not_found"`) {
			t.Errorf("unknown serial: %s", rec.Body)
		}

		// Last year: the credit of that year only, no course.
		var last learning.StatementView
		cadre.callJSON(t, "POST", "/api/v1/me/statements", map[string]int{"year": year - 1}, 200, &last)
		if len(last.Courses) != 0 || len(last.Manual) != 1 || last.Total != 4 || last.Serial == s.Serial {
			t.Errorf("last year = %+v", last)
		}
		// Years outside 2000..this year are a user mistake, not a 500.
		for _, y := range []int{1999, year + 1} {
			rec := cadre.callJSON(t, "POST", "/api/v1/me/statements", map[string]int{"year": y}, 400, nil)
			if !strings.Contains(rec.Body.String(), `"code":"invalid"`) {
				t.Errorf("year %d: %s", y, rec.Body)
			}
		}
		cadre.callJSON(t, "POST", "/api/v1/me/statements", map[string]string{"year": "x"}, 400, nil)
		anon.callJSON(t, "POST", "/api/v1/me/statements", map[string]int{"year": year}, 401, nil)
	})
}
