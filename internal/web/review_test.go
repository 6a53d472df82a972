package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// v2 is a second version of a Simple course: lesson 1 edited (body, a
// question's prompt), lesson 2 renamed in title, lesson 3 removed, a new
// lesson 4, and the pass score raised.
func v2Of(slug string) coursetest.Course {
	c := coursetest.Simple(slug)
	c.Version, c.PassScore = 2, 80
	c.Lessons[0].Body = "# Intro\n\nHello again.\n\nA new paragraph.\n"
	c.Lessons[0].Questions[0].Prompt = "Pick the letter B"
	c.Lessons[1].Title = "Practice time"
	c.Lessons = append(c.Lessons[:2], coursetest.Lesson{File: "04-more.md", Title: "More", Minutes: 40, Body: "More text.\n"})
	return c
}

// TestCourseManagementByRoleAndScope: every new course endpoint for every
// role, on a course of sc-city (in scope for its teachers, its institution
// admin, Sichuan's region admin and the admin) and out of scope for the
// others.
func TestCourseManagementByRoleAndScope(t *testing.T) {
	t.Parallel()
	w := newAuthorWorld(t)
	w.publish(t, "teacher-sc", "managed", "institution")
	if rec := uploadPackage(w.c["teacher-sc"], packageZip(t, v2Of("managed")), nil); rec.Code != 201 {
		t.Fatalf("v2 = %d %s", rec.Code, rec.Body)
	}
	ls := coursetest.Lessons(t, w.cs.st, "managed")
	w.c["learner-sc"].callJSON(t, "POST", "/api/v1/courses/managed/enroll", nil, 201, nil)
	// One report per user who will try to resolve one.
	users := []string{"learner-sc", "teacher-sc", "teacher-gd", "instadmin-sc", "instadmin-gd", "region-sc", "region-gd", "admin"}
	var reportIDs []int64
	for range users {
		w.c["learner-sc"].callJSON(t, "POST", fmt.Sprintf("/api/v1/lessons/%d/reports", ls[0].ID),
			map[string]any{"reason": "unclear", "text": "?"}, 201, nil)
		var out struct{ Reports []struct{ ID int64 } }
		w.c["admin"].callJSON(t, "GET", "/api/v1/teach/reports?course=managed", nil, 200, &out)
		reportIDs = append(reportIDs, out.Reports[0].ID)
	}
	type call struct {
		name, method, path, body string
	}
	for i, user := range users {
		in := map[string]bool{"teacher-sc": true, "instadmin-sc": true, "region-sc": true, "admin": true}[user]
		learner := user == "learner-sc"
		t.Run(user, func(t *testing.T) {
			calls := []call{
				{"versions", "GET", "/api/v1/teach/courses/managed/versions", ""},
				{"diff", "GET", "/api/v1/teach/courses/managed/diff?from=1&to=2", ""},
				{"withdraw", "POST", "/api/v1/teach/courses/managed/withdraw", ""},
				{"unwithdraw", "POST", "/api/v1/teach/courses/managed/unwithdraw", ""},
				{"visibility", "PUT", "/api/v1/teach/courses/managed/visibility", `{"visibility":"institution"}`},
				{"republish", "POST", "/api/v1/teach/courses/managed/republish", `{"version":1}`},
				{"reports of the course", "GET", "/api/v1/teach/reports?course=managed", ""},
				{"resolve", "POST", fmt.Sprintf("/api/v1/teach/reports/%d/resolve", reportIDs[i]), ""},
			}
			for _, cl := range calls {
				want := 404
				switch {
				case learner:
					want = 403
				case in && cl.name == "republish":
					want = 201
				case in:
					want = 200
				}
				if cl.name == "reports of the course" && !in && !learner {
					want = 404
				}
				r := request{method: cl.method, path: cl.path, body: cl.body, csrf: cl.method != "GET"}
				if cl.body != "" {
					r.headers = map[string]string{"Content-Type": "application/json"}
				}
				if rec := w.c[user].do(r); rec.Code != want {
					t.Errorf("%s = %d, want %d: %s", cl.name, rec.Code, want, truncate(rec.Body.String()))
				}
			}
			// The list of all reports answers every staff member, holding
			// only their courses' reports.
			var out struct{ Reports []struct{ Slug string } }
			rec := w.c[user].do(request{method: "GET", path: "/api/v1/teach/reports?all=1"})
			if learner {
				if rec.Code != 403 {
					t.Errorf("learner's report list = %d", rec.Code)
				}
				return
			}
			if rec.Code != 200 {
				t.Fatalf("report list = %d", rec.Code)
			}
			_ = json.Unmarshal(rec.Body.Bytes(), &out)
			if (len(out.Reports) > 0) != in {
				t.Errorf("%d reports listed, in scope %v", len(out.Reports), in)
			}
		})
	}
	// Every decision was audited: four republishes, four withdrawals.
	if n := w.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = 'course.republish' AND target = 'course:managed'"); n != 4 {
		t.Errorf("%d republish entries", n)
	}
	if n := w.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = 'course.withdraw' AND target = 'course:managed'"); n != 4 {
		t.Errorf("%d withdraw entries", n)
	}
	if n := w.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = 'lesson_report.resolve'"); n != 4 {
		t.Errorf("%d resolve entries", n)
	}
	if n := w.count(t, "SELECT COUNT(*) FROM lesson_reports WHERE resolved_at IS NOT NULL"); n != 4 {
		t.Errorf("%d reports resolved", n)
	}
}

func TestReviewQueueByRoleAndScope(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) { testReviewQueueByRoleAndScope(t, newAuthorWorldOn(t, b)) })
}

type reviewRow struct {
	ID         int64  `json:"id"`
	Slug       string `json:"slug"`
	Visibility string `json:"visibility"`
	Status     string `json:"status"`
	Comment    string `json:"comment"`
}

func testReviewQueueByRoleAndScope(t *testing.T, w *authorWorld) {
	// A teacher asks for region and for public on import: both stored at
	// institution visibility, each with a pending request.
	for slug, vis := range map[string]string{"ask-region": "region", "ask-public": "public"} {
		rec := uploadPackage(w.c["teacher-sc"], packageZip(t, coursetest.Simple(slug)), map[string]string{"visibility": vis})
		if rec.Code != 201 {
			t.Fatalf("%s = %d %s", slug, rec.Code, rec.Body)
		}
		var out struct {
			Review *struct{ Visibility, Status string }
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		if out.Review == nil || out.Review.Visibility != vis || out.Review.Status != "pending" {
			t.Errorf("%s: review %s", slug, rec.Body)
		}
		if n := w.count(t, "SELECT COUNT(*) FROM courses WHERE slug = ? AND visibility = 'institution'", slug); n != 1 {
			t.Errorf("%s is not at institution visibility before review", slug)
		}
	}
	w.visibility(t, w.c["learner-county"], "ask-region", false)
	// A Guangdong teacher asks for region through the separate action.
	w.publish(t, "teacher-gd", "gd-ask", "institution")
	var vr struct{ Review *reviewRow }
	w.c["teacher-gd"].callJSON(t, "PUT", "/api/v1/teach/courses/gd-ask/visibility", map[string]string{"visibility": "region"}, 200, &vr)
	if vr.Review == nil || vr.Review.Status != "pending" {
		t.Fatalf("visibility request: %+v", vr.Review)
	}

	queue := func(user string) map[string]reviewRow {
		var out struct {
			Reviews []reviewRow
			Next    string
		}
		w.c[user].callJSON(t, "GET", "/api/v1/admin/reviews?status=pending", nil, 200, &out)
		m := map[string]reviewRow{}
		for _, r := range out.Reviews {
			m[r.Slug] = r
		}
		return m
	}
	for _, tc := range []struct {
		user string
		sees []string
	}{
		{"region-sc", []string{"ask-region"}}, // public is for admins
		{"region-gd", []string{"gd-ask"}},
		{"admin", []string{"ask-region", "ask-public", "gd-ask"}},
	} {
		got := queue(tc.user)
		if len(got) != len(tc.sees) {
			t.Errorf("%s sees %v, want %v", tc.user, got, tc.sees)
		}
		for _, s := range tc.sees {
			if _, ok := got[s]; !ok {
				t.Errorf("%s does not see %s", tc.user, s)
			}
		}
	}
	for _, user := range []string{"learner-sc", "teacher-sc", "instadmin-sc"} {
		if rec := w.c[user].do(request{method: "GET", path: "/api/v1/admin/reviews"}); rec.Code != 403 {
			t.Errorf("%s lists reviews = %d", user, rec.Code)
		}
	}
	all := queue("admin")
	decide := func(user string, id int64, verb, comment string) int {
		body, _ := json.Marshal(map[string]string{"comment": comment})
		return w.c[user].do(request{method: "POST", path: fmt.Sprintf("/api/v1/admin/reviews/%d/%s", id, verb), body: string(body), csrf: true,
			headers: map[string]string{"Content-Type": "application/json"}}).Code
	}
	// Out of scope: not found; roles without a queue: forbidden.
	for _, tc := range []struct {
		user, slug string
		want       int
	}{
		{"region-gd", "ask-region", 404},
		{"region-sc", "ask-public", 404},
		{"region-sc", "gd-ask", 404},
		{"teacher-sc", "ask-region", 403},
		{"instadmin-sc", "ask-region", 403},
		{"learner-sc", "ask-region", 403},
	} {
		if got := decide(tc.user, all[tc.slug].ID, "approve", ""); got != tc.want {
			t.Errorf("%s approves %s = %d, want %d", tc.user, tc.slug, got, tc.want)
		}
	}
	if got := decide("admin", 999999, "approve", ""); got != 404 {
		t.Errorf("unknown review = %d", got)
	}
	if got := decide("region-gd", all["gd-ask"].ID, "return", strings.Repeat("长", 1001)); got != 400 {
		t.Errorf("comment too long = %d", got)
	}
	if got := decide("region-gd", all["gd-ask"].ID, "return", ""); got != 400 {
		t.Errorf("return without comment = %d", got)
	}
	if got := decide("region-gd", all["gd-ask"].ID, "return", "请补充图片说明"); got != 200 {
		t.Errorf("return = %d", got)
	}
	if got := decide("region-sc", all["ask-region"].ID, "approve", ""); got != 200 {
		t.Errorf("region approves = %d", got)
	}
	if got := decide("region-sc", all["ask-region"].ID, "approve", ""); got != 409 {
		t.Errorf("approve twice = %d", got)
	}
	if got := decide("admin", all["ask-public"].ID, "approve", "好"); got != 200 {
		t.Errorf("admin approves public = %d", got)
	}
	// Approved: the region's other institution and, for public, another
	// province see the course; returned stays at institution.
	w.visibility(t, w.c["learner-county"], "ask-region", true)
	w.visibility(t, w.c["learner-gd"], "ask-region", false)
	w.visibility(t, w.c["learner-gd"], "ask-public", true)
	if n := w.count(t, "SELECT COUNT(*) FROM courses WHERE slug = 'gd-ask' AND visibility = 'institution'"); n != 1 {
		t.Error("a returned request changed the course")
	}
	var h struct {
		Reviews []reviewRow
	}
	w.c["teacher-gd"].callJSON(t, "GET", "/api/v1/teach/courses/gd-ask/versions", nil, 200, &h)
	if len(h.Reviews) != 1 || h.Reviews[0].Status != "returned" || h.Reviews[0].Comment != "请补充图片说明" {
		t.Errorf("teacher's view of the returned request: %+v", h.Reviews)
	}
	for action, n := range map[string]int{"course.review_approve": 2, "course.review_return": 1, "course.review_request": 1} {
		if got := w.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = ?", action); got != n {
			t.Errorf("%d %s entries, want %d", got, action, n)
		}
	}
	// Once approved, a new version keeps the audience without a new review.
	v2 := coursetest.Simple("ask-public")
	v2.Version = 2
	rec := uploadPackage(w.c["teacher-sc"], packageZip(t, v2), map[string]string{"visibility": "public"})
	if rec.Code != 201 || strings.Contains(rec.Body.String(), "review") {
		t.Errorf("v2 of an approved course = %d %s", rec.Code, rec.Body)
	}
	w.visibility(t, w.c["learner-gd"], "ask-public", true)
}

func TestVersionHistoryAndDiff(t *testing.T) {
	t.Parallel()
	w := newAuthorWorld(t)
	w.publish(t, "teacher-sc", "hist", "institution")
	if rec := uploadPackage(w.c["instadmin-sc"], packageZip(t, v2Of("hist")), nil); rec.Code != 201 {
		t.Fatalf("v2 = %d %s", rec.Code, rec.Body)
	}
	c := w.c["teacher-sc"]
	var h struct {
		Visibility string
		Withdrawn  bool
		Versions   []struct {
			Version     int
			PublishedBy string `json:"published_by"`
			Lessons     int
			Current     bool
		}
	}
	c.callJSON(t, "GET", "/api/v1/teach/courses/hist/versions", nil, 200, &h)
	if len(h.Versions) != 2 || h.Versions[0].Version != 2 || !h.Versions[0].Current || h.Versions[0].PublishedBy != "instadmin-sc" ||
		h.Versions[1].PublishedBy != "teacher-sc" || h.Versions[0].Lessons != 3 || h.Versions[1].Lessons != 3 || h.Withdrawn {
		t.Errorf("history %+v", h)
	}
	var d struct {
		Fields  []struct{ Field, From, To string }
		Lessons []struct {
			Slug, Change string
			Fields       []struct{ Field, From, To string }
			Lines        []struct {
				Op   string
				Text string
			}
			Questions []struct{ ID, Change string }
		}
		Unchanged int `json:"unchanged_lessons"`
	}
	c.callJSON(t, "GET", "/api/v1/teach/courses/hist/diff?from=1&to=2", nil, 200, &d)
	if len(d.Fields) != 1 || d.Fields[0].Field != "pass_score" || d.Fields[0].From != "60" || d.Fields[0].To != "80" {
		t.Errorf("fields %+v", d.Fields)
	}
	changes := map[string]string{}
	for _, l := range d.Lessons {
		changes[l.Slug] = l.Change
		switch l.Slug {
		case "intro":
			var ins, del []string
			for _, x := range l.Lines {
				switch x.Op {
				case "ins":
					ins = append(ins, x.Text)
				case "del":
					del = append(del, x.Text)
				}
			}
			if strings.Join(del, "|") != "Hello." || strings.Join(ins, "|") != "Hello again.||A new paragraph." {
				t.Errorf("intro lines del %q ins %q", del, ins)
			}
			if len(l.Questions) != 1 || l.Questions[0].ID != "q1" || l.Questions[0].Change != "changed" {
				t.Errorf("intro questions %+v", l.Questions)
			}
		case "practice":
			if len(l.Fields) != 1 || l.Fields[0].Field != "title" || l.Fields[0].To != "Practice time" || len(l.Lines) != 0 {
				t.Errorf("practice %+v", l)
			}
		}
	}
	if fmt.Sprint(changes) != "map[intro:changed more:added practice:changed wrapup:removed]" {
		t.Errorf("lesson changes %v", changes)
	}
	// The same version twice is an empty diff, not an error.
	var same struct {
		Fields  []any
		Lessons []any
	}
	c.callJSON(t, "GET", "/api/v1/teach/courses/hist/diff?from=2&to=2", nil, 200, &same)
	if len(same.Fields) != 0 || len(same.Lessons) != 0 {
		t.Errorf("same version diff %+v", same)
	}
	for path, want := range map[string]int{
		"/api/v1/teach/courses/hist/diff?from=1&to=9": 404,
		"/api/v1/teach/courses/hist/diff?from=0&to=2": 400,
		"/api/v1/teach/courses/hist/diff?from=x&to=2": 400,
		"/api/v1/teach/courses/nope/diff?from=1&to=2": 404,
		"/api/v1/teach/courses/nope/versions":         404,
	} {
		if rec := c.do(request{method: "GET", path: path}); rec.Code != want {
			t.Errorf("GET %s = %d, want %d", path, rec.Code, want)
		}
	}
	for body, want := range map[string]int{`{"version":9}`: 404, `{"version":0}`: 400, `{"version":2}`: 409} {
		rec := c.do(request{method: "POST", path: "/api/v1/teach/courses/hist/republish", body: body, csrf: true,
			headers: map[string]string{"Content-Type": "application/json"}})
		if rec.Code != want {
			t.Errorf("republish %s = %d, want %d: %s", body, rec.Code, want, rec.Body)
		}
	}
}

// Republishing version 1 over version 2 brings lesson 3 back and keeps
// learners' progress on the lessons both versions share.
func TestRepublishKeepsProgress(t *testing.T) {
	t.Parallel()
	w := newAuthorWorld(t)
	w.publish(t, "teacher-sc", "again", "institution")
	if rec := uploadPackage(w.c["teacher-sc"], packageZip(t, v2Of("again")), nil); rec.Code != 201 {
		t.Fatalf("v2 = %d %s", rec.Code, rec.Body)
	}
	l := w.c["learner-sc"]
	l.callJSON(t, "POST", "/api/v1/courses/again/enroll", nil, 201, nil)
	v2 := coursetest.Lessons(t, w.cs.st, "again")
	l.submitQuiz(t, v2[0].ID, map[string]any{"q1": 1, "q2": true})
	var out struct {
		Slug    string
		Version int
	}
	w.c["teacher-sc"].callJSON(t, "POST", "/api/v1/teach/courses/again/republish", map[string]int{"version": 1}, 201, &out)
	if out.Version != 3 {
		t.Fatalf("republished as %+v", out)
	}
	// Version 3 has version 1's content exactly: its export equals version
	// 1's apart from the number.
	v1 := coursetest.Simple("again")
	v1.Version = 3
	rec := w.c["teacher-sc"].do(request{method: "GET", path: "/api/v1/teach/courses/again/export?version=3"})
	if rec.Code != 200 || rec.Body.String() != string(packageZip(t, v1)) {
		t.Errorf("version 3 differs from version 1's content")
	}
	var course struct {
		Version int
		Lessons []struct {
			Slug      string
			BestScore *int `json:"best_score"`
		}
	}
	l.callJSON(t, "GET", "/api/v1/courses/again", nil, 200, &course)
	if course.Version != 3 || len(course.Lessons) != 3 || course.Lessons[2].Slug != "wrapup" {
		t.Fatalf("course after republish %+v", course)
	}
	if course.Lessons[0].BestScore == nil || *course.Lessons[0].BestScore != 100 {
		t.Errorf("progress on the shared lesson lost: %+v", course.Lessons[0])
	}
	var d struct{ Lessons []any }
	w.c["teacher-sc"].callJSON(t, "GET", "/api/v1/teach/courses/again/diff?from=1&to=3", nil, 200, &d)
	if len(d.Lessons) != 0 {
		t.Errorf("v1 and v3 differ: %+v", d.Lessons)
	}
}

// A withdrawn course leaves the catalogue and enrolment; its enrolled
// learners keep reading it with their records.
func TestWithdrawHidesCourseKeepsRecords(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		w := newAuthorWorldOn(t, b)
		w.publish(t, "teacher-sc", "gone", "institution")
		ls := coursetest.Lessons(t, w.cs.st, "gone")
		enrolled := w.c["learner-sc"]
		enrolled.callJSON(t, "POST", "/api/v1/courses/gone/enroll", nil, 201, nil)
		enrolled.submitQuiz(t, ls[0].ID, map[string]any{"q1": 1, "q2": true})
		w.c["teacher-sc"].callJSON(t, "POST", "/api/v1/teach/courses/gone/withdraw", nil, 200, nil)
		if rec := w.c["teacher-sc"].do(request{method: "POST", path: "/api/v1/teach/courses/gone/withdraw", csrf: true}); rec.Code != 409 {
			t.Errorf("withdraw twice = %d", rec.Code)
		}
		// Another learner of the institution: gone everywhere.
		w.visibility(t, w.c["learner-county"], "gone", false)
		other := w.c["instadmin-sc"]
		var cat struct{ Courses []struct{ Slug string } }
		enrolled.callJSON(t, "GET", "/api/v1/courses", nil, 200, &cat)
		for _, c := range cat.Courses {
			if c.Slug == "gone" {
				t.Error("withdrawn course listed for its enrolled learner")
			}
		}
		if got := w.enrol(t, other, "gone"); got != 404 {
			t.Errorf("new enrolment = %d", got)
		}
		// The enrolled learner still reads it, with their progress.
		var page struct {
			Withdrawn bool
			Lessons   []struct {
				BestScore *int `json:"best_score"`
			}
		}
		enrolled.callJSON(t, "GET", "/api/v1/courses/gone", nil, 200, &page)
		if !page.Withdrawn || page.Lessons[0].BestScore == nil {
			t.Errorf("enrolled learner's page %+v", page)
		}
		enrolled.callJSON(t, "GET", fmt.Sprintf("/api/v1/lessons/%d", ls[1].ID), nil, 200, nil)
		if got := w.enrol(t, enrolled, "gone"); got != 200 {
			t.Errorf("enrolling again = %d", got)
		}
		if n := w.count(t, "SELECT COUNT(*) FROM enrollments e JOIN courses c ON c.id = e.course_id WHERE c.slug = 'gone'"); n != 1 {
			t.Errorf("%d enrolments", n)
		}
		if n := w.count(t, "SELECT COUNT(*) FROM quiz_attempts"); n != 1 {
			t.Errorf("%d attempts kept", n)
		}
		// A new version does not bring it back; un-withdrawing does.
		v2 := coursetest.Simple("gone")
		v2.Version = 2
		if rec := uploadPackage(w.c["teacher-sc"], packageZip(t, v2), nil); rec.Code != 201 {
			t.Fatalf("v2 = %d", rec.Code)
		}
		if n := w.count(t, "SELECT COUNT(*) FROM courses WHERE slug = 'gone' AND published = ?", false); n != 1 {
			t.Error("a new version published the withdrawn course")
		}
		w.c["teacher-sc"].callJSON(t, "POST", "/api/v1/teach/courses/gone/unwithdraw", nil, 200, nil)
		if rec := w.c["teacher-sc"].do(request{method: "POST", path: "/api/v1/teach/courses/gone/unwithdraw", csrf: true}); rec.Code != 409 {
			t.Errorf("unwithdraw twice = %d", rec.Code)
		}
		if got := w.enrol(t, other, "gone"); got != 201 {
			t.Errorf("enrolment after un-withdrawing = %d", got)
		}
	})
}

func TestProblemReports(t *testing.T) {
	t.Parallel()
	w := newAuthorWorld(t)
	w.publish(t, "teacher-sc", "rep", "institution")
	ls := coursetest.Lessons(t, w.cs.st, "rep")
	post := func(c *client, lesson int64, body string) *http.Response {
		rec := c.do(request{method: "POST", path: fmt.Sprintf("/api/v1/lessons/%d/reports", lesson), body: body, csrf: true,
			headers: map[string]string{"Content-Type": "application/json"}})
		return rec.Result()
	}
	l := w.c["learner-sc"]
	for body, want := range map[string]int{
		`{"reason":"wrong_fact","text":"` + strings.Repeat("错", 1001) + `"}`: 400,
		`{"reason":"nonsense"}`: 400,
		`{"reason":"wrong_fact","text":"` + strings.Repeat("错", 1000) + `"}`: 201,
	} {
		if got := post(l, ls[0].ID, body).StatusCode; got != want {
			t.Errorf("report %.40s = %d, want %d", body, got, want)
		}
	}
	// A lesson the learner may not see is not found.
	if got := post(w.c["learner-gd"], ls[0].ID, `{"reason":"other"}`).StatusCode; got != 404 {
		t.Errorf("out of audience = %d", got)
	}
	if got := w.cs.client().do(request{method: "POST", path: fmt.Sprintf("/api/v1/lessons/%d/reports", ls[0].ID), body: `{"reason":"other"}`,
		csrf: true, headers: map[string]string{"Content-Type": "application/json"}}).Code; got != 401 && got != 403 {
		t.Errorf("signed out = %d", got)
	}
	// The rate limit: ten an hour, then 429 with retry_after.
	for i := 1; i < 10; i++ {
		if got := post(l, ls[1].ID, `{"reason":"unclear"}`).StatusCode; got != 201 {
			t.Fatalf("report %d = %d", i, got)
		}
	}
	res := post(l, ls[1].ID, `{"reason":"unclear"}`)
	if res.StatusCode != 429 || res.Header.Get("Retry-After") == "" {
		t.Errorf("eleventh report = %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	w.cs.clk.Add(61 * time.Minute)
	if got := post(l, ls[1].ID, `{"reason":"broken_link","text":"图片打不开"}`).StatusCode; got != 201 {
		t.Errorf("after an hour = %d", got)
	}
	var out struct {
		Reports []struct {
			ID          int64
			LessonTitle string `json:"lesson_title"`
			Reason      string
			Text        string
			CreatedAt   string `json:"created_at"`
		}
		Next string
	}
	w.c["teacher-sc"].callJSON(t, "GET", "/api/v1/teach/reports?course=rep", nil, 200, &out)
	if len(out.Reports) != 11 || out.Reports[0].Reason != "broken_link" || out.Reports[0].Text != "图片打不开" || out.Reports[0].LessonTitle != "Practice" {
		t.Fatalf("reports %+v", out.Reports)
	}
	id := out.Reports[0].ID
	w.c["teacher-sc"].callJSON(t, "POST", fmt.Sprintf("/api/v1/teach/reports/%d/resolve", id), nil, 200, nil)
	if rec := w.c["teacher-sc"].do(request{method: "POST", path: fmt.Sprintf("/api/v1/teach/reports/%d/resolve", id), csrf: true}); rec.Code != 409 {
		t.Errorf("resolve twice = %d", rec.Code)
	}
	w.c["teacher-sc"].callJSON(t, "GET", "/api/v1/teach/reports?course=rep", nil, 200, &out)
	if len(out.Reports) != 10 {
		t.Errorf("%d open reports after resolving one", len(out.Reports))
	}
	w.c["teacher-sc"].callJSON(t, "GET", "/api/v1/teach/reports?course=rep&all=1", nil, 200, &out)
	if len(out.Reports) != 11 {
		t.Errorf("%d reports in all", len(out.Reports))
	}
}
