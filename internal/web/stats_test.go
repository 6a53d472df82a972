package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// statsEndpoint is one statistics endpoint as a table row: the request
// aimed inside the caller's scope (Sichuan, cd-lib) or outside it
// (Guangdong, gz-lib).
type statsEndpoint struct {
	name, method string
	path         func(in bool) string
	body         func(in bool) string
}

func statsGet(format string) func(bool) string {
	return func(in bool) string {
		inst, region, learner := "gz-lib", "440000", "remote-learner"
		if in {
			inst, region, learner = "cd-lib", "510000", "home-learner"
		}
		return strings.NewReplacer("{inst}", inst, "{region}", region, "{learner}", learner).Replace(format)
	}
}

var statsEndpoints = []statsEndpoint{
	{name: "summary", method: "GET", path: statsGet("/api/v1/admin/stats/summary?institution={inst}")},
	{name: "summary by region", method: "GET", path: statsGet("/api/v1/admin/stats/summary?region={region}&from=2026-01-01&to=2026-12-31")},
	{name: "regions", method: "GET", path: statsGet("/api/v1/admin/stats/regions?region={region}")},
	{name: "regions of an institution", method: "GET", path: statsGet("/api/v1/admin/stats/regions?institution={inst}")},
	{name: "trend", method: "GET", path: statsGet("/api/v1/admin/stats/trend?institution={inst}&period=month")},
	{name: "breakdown", method: "GET", path: statsGet("/api/v1/admin/stats/breakdown?by=age_band&institution={inst}")},
	{name: "breakdown by audience", method: "GET", path: statsGet("/api/v1/admin/stats/breakdown?by=audience&institution={inst}")},
	{name: "classes", method: "GET", path: statsGet("/api/v1/admin/stats/classes?institution={inst}&from=2026-01-01&to=2026-12-31")},
	{name: "set target", method: "PUT", path: statsGet("/api/v1/admin/stats/targets"),
		body: statsGet(`{"scope":"institution:{inst}","year":2026,"hours":30}`)},
	{name: "credit", method: "POST", path: statsGet("/api/v1/admin/stats/credits"),
		body: statsGet(`{"username":"{learner}","date":"2026-03-01","hours":2.5,"title":"线下培训：防诈骗讲座"}`)},
	{name: "credits", method: "GET", path: statsGet("/api/v1/admin/stats/credits?username={learner}")},
}

// TestStatsByRoleAndScope runs every statistics endpoint for every role on
// a target inside and outside the caller's scope.
func TestStatsByRoleAndScope(t *testing.T) {
	t.Parallel()
	byInst := map[string][2]int{account.RoleLearner: {403, 403}, account.RoleTeacher: {403, 403},
		account.RoleInstitutionAdmin: {200, 404}, account.RoleRegionAdmin: {200, 404}, account.RoleAdmin: {200, 200}, "signed out": {401, 401}}
	// Regions are public names, so one outside the scope is forbidden,
	// not hidden; institution admins filter by institution only.
	byRegion := map[string][2]int{account.RoleLearner: {403, 403}, account.RoleTeacher: {403, 403},
		account.RoleInstitutionAdmin: {403, 403}, account.RoleRegionAdmin: {200, 403}, account.RoleAdmin: {200, 200}, "signed out": {401, 401}}
	want := map[string]map[string][2]int{"summary": byInst, "summary by region": byRegion, "regions": byRegion,
		"regions of an institution": byInst, "trend": byInst, "breakdown": byInst, "breakdown by audience": byInst, "classes": byInst, "set target": byInst, "credits": byInst,
		"credit": {account.RoleLearner: {403, 403}, account.RoleTeacher: {403, 403}, account.RoleInstitutionAdmin: {201, 404},
			account.RoleRegionAdmin: {201, 404}, account.RoleAdmin: {201, 201}, "signed out": {401, 401}}}
	for _, role := range []string{account.RoleLearner, account.RoleTeacher, account.RoleInstitutionAdmin,
		account.RoleRegionAdmin, account.RoleAdmin, "signed out"} {
		t.Run(role, func(t *testing.T) {
			t.Parallel()
			w := newUnlockWorld(t)
			if _, err := w.ts.st.StatsCatchUp(context.Background(), time.UTC); err != nil {
				t.Fatal(err)
			}
			c := w.ts.client()
			if staff := w.staff[role]; staff != nil {
				c.login(t, staff.Username, staffPassword)
			} else {
				c.prepareCSRF(t)
			}
			for _, ep := range statsEndpoints {
				for i, in := range []bool{true, false} {
					body := ""
					if ep.body != nil {
						body = ep.body(in)
					}
					rec := c.do(request{method: ep.method, path: ep.path(in), body: body, csrf: true})
					if wantCode := want[ep.name][role][i]; rec.Code != wantCode {
						t.Errorf("%s (in scope %v): status %d, want %d: %s", ep.name, in, rec.Code, wantCode, rec.Body)
						continue
					}
					if rec.Code >= 400 {
						errorOf(t, rec)
					}
					if ep.name == "credits" && rec.Code == 200 && !strings.Contains(rec.Body.String(), `"kind":"offline"`) {
						t.Errorf("credits after a credit: %s", rec.Body)
					}
				}
			}
			entries, err := w.ts.st.AuditEntries(context.Background(), "stats.target.set", 10)
			if err != nil {
				t.Fatal(err)
			}
			wantEntries := map[string]int{account.RoleInstitutionAdmin: 1, account.RoleRegionAdmin: 1, account.RoleAdmin: 2}[role]
			if len(entries) != wantEntries {
				t.Errorf("%d target changes audited, want %d", len(entries), wantEntries)
			}
			credits, err := w.ts.st.AuditEntries(context.Background(), "stats.credit.add", 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(credits) != wantEntries {
				t.Errorf("%d credits audited, want %d", len(credits), wantEntries)
			}
			for _, e := range append(entries, credits...) {
				if e.ActorID == nil || *e.ActorID != w.staff[role].ID {
					t.Errorf("audit entry without the actor: %+v", e)
				}
			}
			rec := c.do(request{method: "GET", path: "/api/v1/admin/stats/targets"})
			switch role {
			case account.RoleLearner, account.RoleTeacher:
				if rec.Code != 403 {
					t.Errorf("targets: %d", rec.Code)
				}
			case "signed out":
				if rec.Code != 401 {
					t.Errorf("targets: %d", rec.Code)
				}
			default:
				if rec.Code != 200 {
					t.Fatalf("targets: %d %s", rec.Code, rec.Body)
				}
				seesRemote := strings.Contains(rec.Body.String(), "institution:gz-lib")
				if seesRemote != (role == account.RoleAdmin) {
					t.Errorf("%s sees the other province's target: %v: %s", role, seesRemote, rec.Body)
				}
			}
		})
	}
}

func statsJSON(t *testing.T, c *client, path string) map[string]any {
	t.Helper()
	rec := c.do(request{method: "GET", path: path})
	if rec.Code != 200 {
		t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// A region admin's numbers hold only their region; the country's admin
// sees both provinces; bad dates and options are the caller's mistake.
func TestStatsNumbersAndBadInput(t *testing.T) {
	t.Parallel()
	w := newUnlockWorld(t)
	if _, err := w.ts.st.StatsCatchUp(context.Background(), time.UTC); err != nil {
		t.Fatal(err)
	}
	admin, region := w.ts.client(), w.ts.client()
	admin.login(t, w.staff[account.RoleAdmin].Username, staffPassword)
	region.login(t, w.staff[account.RoleRegionAdmin].Username, staffPassword)

	// Learners: zhangwei (no institution, no region), s-learner and
	// home-learner at cd-lib, remote-learner at gz-lib.
	if m := statsJSON(t, admin, "/api/v1/admin/stats/summary"); m["learners"] != 4.0 || m["as_of"] == nil {
		t.Errorf("admin summary = %v", m)
	}
	m := statsJSON(t, region, "/api/v1/admin/stats/summary")
	for _, k := range []string{"learners", "active", "enrolled", "completed", "certificates", "hours_credited", "active_hours", "as_of"} {
		if _, ok := m[k]; !ok {
			t.Errorf("summary without %q: %v", k, m)
		}
	}
	if m["learners"] != 2.0 {
		t.Errorf("region admin's learners = %v, want the 2 of Sichuan", m["learners"])
	}
	// Without a read replica every answer is the primary's, with no lag.
	for _, path := range []string{"summary", "regions", "trend", "breakdown?by=kind"} {
		m := statsJSON(t, region, "/api/v1/admin/stats/"+path)
		if lag, ok := m["replica_lag_seconds"]; m["source"] != "primary" || !ok || lag != nil {
			t.Errorf("%s: source %v, replica_lag_seconds %v (present %v); want primary and null", path, m["source"], lag, ok)
		}
	}
	tbl := statsJSON(t, admin, "/api/v1/admin/stats/regions")
	rows := fmt.Sprint(tbl["rows"])
	if !strings.Contains(rows, "四川省") || !strings.Contains(rows, "广东省") {
		t.Errorf("country table rows = %s", rows)
	}
	tbl = statsJSON(t, region, "/api/v1/admin/stats/regions")
	if rows := fmt.Sprint(tbl["rows"]); !strings.Contains(rows, "成都市") || strings.Contains(rows, "广") {
		t.Errorf("Sichuan table rows = %s", rows)
	}
	tbl = statsJSON(t, region, "/api/v1/admin/stats/regions?region=510104")
	if rows := fmt.Sprint(tbl["rows"]); !strings.Contains(rows, "cd-lib") || !strings.Contains(rows, "learners:2") {
		t.Errorf("county table rows = %s", rows)
	}
	tr := statsJSON(t, region, "/api/v1/admin/stats/trend?period=quarter&from=2025-11-15&to=2026-06-30")
	if pts, _ := tr["points"].([]any); len(pts) != 3 || !strings.Contains(fmt.Sprint(pts[0]), "start:2025-10-01") {
		t.Errorf("trend points = %v", tr["points"])
	}

	// cd-lib's class holds home-learner and s-learner.
	cl := statsJSON(t, region, "/api/v1/admin/stats/classes?institution=cd-lib")
	if rows := fmt.Sprint(cl["rows"]); !strings.Contains(rows, "name:一班") || !strings.Contains(rows, "learners:2") ||
		!strings.Contains(rows, "target_reached_share:<nil>") {
		t.Errorf("cd-lib's classes = %s", rows)
	}
	inst := w.ts.client()
	inst.login(t, w.staff[account.RoleInstitutionAdmin].Username, staffPassword)
	if cl := statsJSON(t, inst, "/api/v1/admin/stats/classes"); fmt.Sprint(cl["institution"]) != "map[code:cd-lib name:成都图书馆]" {
		t.Errorf("an institution admin's own classes: %v", cl)
	}

	// By audience: a course for seniors and adults counts under both, with
	// no learner counts (they do not add up over courses).
	aud := coursetest.Simple("for-two")
	aud.Audience = []string{"senior", "adult"}
	coursetest.Import(t, w.ts.st, aud)
	course, version, err := w.ts.st.CourseBySlug(context.Background(), "for-two")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ts.st.Enroll(context.Background(), &store.Enrollment{UserID: w.home.ID, CourseID: course.ID, CourseVersionID: version.ID,
		EnrolledAt: time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.ts.st.StatsCatchUp(context.Background(), time.UTC); err != nil {
		t.Fatal(err)
	}
	bd := statsJSON(t, region, "/api/v1/admin/stats/breakdown?by=audience")
	if rows := fmt.Sprint(bd["rows"]); !strings.Contains(rows, "active:<nil>") || !strings.Contains(rows, "learners:<nil>") ||
		strings.Count(rows, "enrolled:1 ") != 2 || !strings.Contains(rows, "key:adult") || !strings.Contains(rows, "key:senior") {
		t.Errorf("by audience = %s", rows)
	}
	bd = statsJSON(t, region, "/api/v1/admin/stats/breakdown?by=course")
	if rows := fmt.Sprint(bd["rows"]); !strings.Contains(rows, "active:0") || !strings.Contains(rows, "key:for-two") {
		t.Errorf("by course = %s", rows)
	}

	for _, bad := range []struct{ path, key string }{
		{"/api/v1/admin/stats/classes", "stats.error.institution_required"},
		{"/api/v1/admin/stats/summary?from=2026-13-01", "stats.error.date"},
		{"/api/v1/admin/stats/summary?from=yesterday", "stats.error.date"},
		{"/api/v1/admin/stats/summary?from=2026-03-02&to=2026-03-01", "stats.error.dates_order"},
		{"/api/v1/admin/stats/trend?period=week", "stats.error.period"},
		{"/api/v1/admin/stats/trend?period=day&from=2000-01-01&to=2026-01-01", "stats.error.range_too_long"},
		{"/api/v1/admin/stats/breakdown?by=colour", "stats.error.breakdown"},
		{"/api/v1/admin/stats/summary?region=999999", "error.region_unknown"},
	} {
		rec := admin.do(request{method: "GET", path: bad.path})
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), `"key":"`+bad.key+`"`) {
			t.Errorf("%s: %d %s, want 400 %s", bad.path, rec.Code, rec.Body, bad.key)
		}
	}
	if rec := admin.do(request{method: "GET", path: "/api/v1/admin/stats/trend?course=no-such-course"}); rec.Code != 404 {
		t.Errorf("trend of an unknown course: %d %s", rec.Code, rec.Body)
	}
	for _, body := range []string{`{"scope":"galaxy","year":2026,"hours":1}`, `{"scope":"default","year":1999,"hours":1}`,
		`{"scope":"default","year":2026,"hours":-1}`, `{"scope":"kind:castle","year":0,"hours":1}`} {
		if rec := admin.do(request{method: "PUT", path: "/api/v1/admin/stats/targets", body: body, csrf: true}); rec.Code != 400 {
			t.Errorf("target %s: %d %s", body, rec.Code, rec.Body)
		}
	}
	// Face-to-face training counts apart from course 学时 and toward targets.
	if rec := admin.do(request{method: "PUT", path: "/api/v1/admin/stats/targets", body: `{"scope":"institution:cd-lib","year":2026,"hours":3}`, csrf: true}); rec.Code != 200 {
		t.Fatalf("set target: %d %s", rec.Code, rec.Body)
	}
	if rec := admin.do(request{method: "POST", path: "/api/v1/admin/stats/credits",
		body: `{"username":"home-learner","date":"2026-03-01","hours":3,"title":"线下培训"}`, csrf: true}); rec.Code != 201 {
		t.Fatalf("credit: %d %s", rec.Code, rec.Body)
	}
	if _, err := w.ts.st.StatsCatchUp(context.Background(), time.UTC); err != nil {
		t.Fatal(err)
	}
	m = statsJSON(t, region, "/api/v1/admin/stats/summary?institution=cd-lib&from=2026-01-01&to=2026-12-31")
	if m["offline_hours"] != 3.0 || m["hours_credited"] != 0.0 || m["target_reached_share"] != 0.5 {
		t.Errorf("after 3 h of training at cd-lib (target 3 h, 2 learners): %v", m)
	}
	for _, body := range []string{`{"username":"home-learner","date":"2026-03-01","hours":0,"title":"x"}`,
		`{"username":"home-learner","date":"2099-03-01","hours":1,"title":"x"}`,
		`{"username":"home-learner","date":"2026-03-01","hours":1,"title":" "}`,
		`{"username":"home-learner","date":"1 March","hours":1,"title":"x"}`} {
		if rec := admin.do(request{method: "POST", path: "/api/v1/admin/stats/credits", body: body, csrf: true}); rec.Code != 400 {
			t.Errorf("credit %s: %d %s", body, rec.Code, rec.Body)
		}
	}
	if rec := admin.do(request{method: "POST", path: "/api/v1/admin/stats/credits", body: `{"username":"s-teacher","date":"2026-03-01","hours":1,"title":"x"}`, csrf: true}); rec.Code != 404 {
		t.Errorf("credit for a teacher: %d", rec.Code)
	}
	// National targets are the country admin's.
	if rec := region.do(request{method: "PUT", path: "/api/v1/admin/stats/targets", body: `{"scope":"default","year":0,"hours":5}`, csrf: true}); rec.Code != 403 {
		t.Errorf("region admin sets the default target: %d", rec.Code)
	}
}

// The indicator answers are kept until the statistics generation changes
// (a pass of the upkeep), per user: a new learner shows after the next pass,
// not before, and a region admin never gets the admin's kept answer.
func TestStatsAnswersKeptUntilThePassChanges(t *testing.T) {
	t.Parallel()
	var gen atomic.Uint64
	w := newUnlockWorldWith(t, withStatsGeneration(gen.Load))
	w.teacherClass(t)
	ctx := context.Background()
	if _, err := w.ts.st.StatsCatchUp(ctx, time.UTC); err != nil {
		t.Fatal(err)
	}
	admin, region := w.ts.client(), w.ts.client()
	admin.login(t, w.staff[account.RoleAdmin].Username, staffPassword)
	region.login(t, w.staff[account.RoleRegionAdmin].Username, staffPassword)
	const path = "/api/v1/admin/stats/summary"
	if m := statsJSON(t, admin, path); m["learners"] != 4.0 {
		t.Fatalf("admin summary = %v", m)
	}
	if m := statsJSON(t, region, path); m["learners"] != 2.0 {
		t.Errorf("region admin's summary after the admin's = %v, want their own 2", m)
	}
	if _, err := w.ts.accounts.Create(ctx, account.NewUser{Username: "newcomer", DisplayName: "新来的", Password: zhangPassword,
		Role: account.RoleLearner}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.ts.st.StatsCatchUp(ctx, time.UTC); err != nil {
		t.Fatal(err)
	}
	if m := statsJSON(t, admin, path); m["learners"] != 4.0 {
		t.Errorf("summary before the generation changed = %v, want the kept 4", m)
	}
	if m := statsJSON(t, admin, path+"?from=2020-01-01"); m["learners"] != 5.0 {
		t.Errorf("another query = %v, want a fresh 5", m)
	}
	gen.Add(1)
	if m := statsJSON(t, admin, path); m["learners"] != 5.0 {
		t.Errorf("summary after the generation changed = %v, want 5", m)
	}
}
