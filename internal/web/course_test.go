package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xuetang-edu/xuetang/courses"
	"github.com/xuetang-edu/xuetang/frontend"
	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/course"
	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/i18n"
	"github.com/xuetang-edu/xuetang/internal/learning"
	"github.com/xuetang-edu/xuetang/internal/session"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
	"github.com/xuetang-edu/xuetang/internal/web"
)

// courseServer is the real router with the learner API wired as in
// cmd/xuetang/app.go, over a database on a settable clock. It reuses the
// spine tests' testServer and client, adding the learning service.
type courseServer struct {
	*testServer
	clk   *storetest.Clock
	learn *learning.Service
}

const learnerPassword = "learner-password-2026"

func newCourseServer(t testing.TB, b storetest.Backend, cs ...coursetest.Course) *courseServer {
	t.Helper()
	return newCourseServerWith(t, b, learning.Config{}, cs...)
}

// newCourseServerWith is newCourseServer with learning settings (the clock,
// base URL and serials are set here).
func newCourseServerWith(t testing.TB, b storetest.Backend, lc learning.Config, cs ...coursetest.Course) *courseServer {
	t.Helper()
	clk := storetest.NewClock()
	st := b.Open(t, clk.Now)
	if len(cs) > 0 {
		coursetest.Import(t, st, cs...)
	}
	fe := frontend.FS("")
	cat, err := i18n.Load(fe, "i18n")
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	// Sessions run on real time: their expiry is not what these tests are about.
	sessions := session.NewSQL(st, nil)
	accounts := account.NewService(st, sessions, session.NewSQLThrottle(st), account.Config{
		Params: fastParams, SessionIdle: 2 * time.Hour, SessionMaxAge: 24 * time.Hour, SharedSessionIdle: 10 * time.Minute,
	})
	lc.Now, lc.BaseURL = clk.Now, "https://xuetang.example"
	learn := learning.New(st, lc)
	learn.Start()
	t.Cleanup(learn.Close)
	logs := &syncBuffer{}
	e, err := web.New(web.Deps{
		Logger: slog.New(slog.NewJSONHandler(logs, nil)), Catalog: cat, Frontend: fe, Registry: reg,
		Auth:    &web.AuthAPI{Accounts: accounts, Sessions: sessions, Users: st},
		Health:  &web.HealthAPI{Database: st, Sessions: sessions, Registry: reg},
		Courses: &web.CourseAPI{Learning: learn},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return &courseServer{
		testServer: &testServer{e: e, st: st, sessions: sessions, accounts: accounts, cat: cat, logs: logs},
		clk:        clk, learn: learn,
	}
}

// learner creates an account (in the institution with that code, if any)
// and returns a browser signed in as it.
func (cs *courseServer) learner(t *testing.T, username, institution string) (*client, *store.User) {
	t.Helper()
	u, err := cs.accounts.Create(context.Background(), account.NewUser{Username: username, Password: learnerPassword,
		Role: account.RoleLearner, DisplayName: "学员" + username, InstitutionCode: institution})
	if err != nil {
		t.Fatal(err)
	}
	c := cs.client()
	c.login(t, username, learnerPassword)
	return c, u
}

// api sends a JSON request (with the CSRF header when it changes state),
// checks the status, and decodes the body into out when out is not nil.
func (c *client) callJSON(t *testing.T, method, path string, body any, wantStatus int, out any) *httptest.ResponseRecorder {
	t.Helper()
	r := request{method: method, path: path, csrf: method != http.MethodGet}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r.body = string(b)
	}
	rec := c.do(r)
	if rec.Code != wantStatus {
		t.Fatalf("%s %s = %d, want %d: %s", method, path, rec.Code, wantStatus, truncate(rec.Body.String()))
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, truncate(rec.Body.String()))
		}
	}
	return rec
}

// fieldOf returns the error code and field of an error response.
func fieldOf(t *testing.T, rec *httptest.ResponseRecorder) (code, field string) {
	t.Helper()
	var body struct {
		Error struct{ Code, Field string } `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("not an error body: %s", rec.Body)
	}
	return body.Error.Code, body.Error.Field
}

var courseEvents atomic.Int64

func newEventID() string { return fmt.Sprintf("00000000-0000-4000-b000-%012d", courseEvents.Add(1)) }

type eventResult struct {
	Status            string  `json:"status"`
	CreditedSeconds   int     `json:"credited_seconds"`
	LessonCompleted   bool    `json:"lesson_completed"`
	CourseCompleted   bool    `json:"course_completed"`
	CertificateSerial *string `json:"certificate_serial"`
}

func (c *client) sendEvent(t *testing.T, id string, lesson int64, typ string, seconds int) eventResult {
	t.Helper()
	var r eventResult
	c.callJSON(t, "POST", "/api/v1/progress", map[string]any{"event_id": id, "lesson_id": lesson, "type": typ, "seconds": seconds}, 200, &r)
	return r
}

type attemptResult struct {
	Score   int  `json:"score"`
	Passed  bool `json:"passed"`
	Results []struct {
		QuestionID  string `json:"question_id"`
		Correct     bool   `json:"correct"`
		Explanation string `json:"explanation"`
	} `json:"results"`
	CourseCompleted   bool    `json:"course_completed"`
	CertificateSerial *string `json:"certificate_serial"`
}

// Answers to the Simple course's quizzes.
var (
	rightIntro    = map[string]any{"q1": 1, "q2": true}
	wrongIntro    = map[string]any{"q1": 0, "q2": false}
	rightPractice = map[string]any{"q3": []int{2, 0}, "q4": " １１０ "}
)

func (c *client) submitQuiz(t *testing.T, lesson int64, answers map[string]any) attemptResult {
	t.Helper()
	var r attemptResult
	c.callJSON(t, "POST", fmt.Sprintf("/api/v1/lessons/%d/attempts", lesson), map[string]any{"answers": answers}, 200, &r)
	return r
}

type catalogue struct {
	Courses []struct {
		Slug         string     `json:"slug"`
		Title        string     `json:"title"`
		Language     string     `json:"language"`
		LessonsCount int        `json:"lessons_count"`
		StudyHours   float64    `json:"study_hours"`
		Enrolled     bool       `json:"enrolled"`
		Assigned     bool       `json:"assigned"`
		DueAt        *time.Time `json:"due_at"`
		Translations []struct {
			Slug, Language string
		} `json:"translations"`
	} `json:"courses"`
}

func (c catalogue) slugs() string {
	var out []string
	for _, x := range c.Courses {
		out = append(out, x.Slug)
	}
	return strings.Join(out, ",")
}

type myLearning struct {
	Courses []struct {
		Slug              string     `json:"slug"`
		ProgressPercent   int        `json:"progress_percent"`
		CompletedAt       *time.Time `json:"completed_at"`
		CertificateSerial *string    `json:"certificate_serial"`
		HoursCredited     float64    `json:"hours_credited"`
		ActiveSeconds     int        `json:"active_seconds"`
		DueAt             *time.Time `json:"due_at"`
	} `json:"courses"`
	Hours struct {
		Year   int     `json:"year"`
		Earned float64 `json:"earned"`
		Target float64 `json:"target"`
	} `json:"hours"`
	Certificates []struct {
		Serial string `json:"serial"`
	} `json:"certificates"`
}

func courseVariant(slug, lang, title, summary, level string, audience ...string) coursetest.Course {
	c := coursetest.Simple(slug)
	c.Language, c.Title, c.Summary, c.Level, c.Audience = lang, title, summary, level, audience
	return c
}

func TestCatalogueFilters(t *testing.T) {
	t.Parallel()
	caEN := courseVariant("ca-en", "en", "Computer Basics", "Using the keyboard", "beginner", "senior")
	caEN.TranslationOf = "ca-zh"
	cs := newCourseServer(t, storetest.Backends(t)[0],
		courseVariant("ca-zh", "zh-CN", "电脑入门", "学习使用键盘", "beginner", "senior", "adult"),
		caEN,
		courseVariant("cadre-zh", "zh-CN", "领导干部信息化", "电子政务规划", "advanced", "cadre"),
		courseVariant("pupil-en", "en", "Staying Safe Online", "Passwords and phishing", "intermediate", "pupil"),
	)
	anon := cs.client()
	for query, want := range map[string]string{
		"":                    "ca-en,pupil-en,ca-zh,cadre-zh", // by title
		"?lang=en":            "ca-en,pupil-en",
		"?lang=zh-CN":         "ca-zh,cadre-zh",
		"?audience=cadre":     "cadre-zh",
		"?audience=senior":    "ca-en,ca-zh",
		"?level=intermediate": "pupil-en",
		"?q=phishing":         "pupil-en",
		"?q=PHISHING":         "pupil-en",
		"?q=%E7%94%B5%E5%AD%90%E6%94%BF%E5%8A%A1": "cadre-zh", // 电子政务, in the summary
		"?q=computer":                "ca-en",
		"?lang=en&audience=senior":   "ca-en",
		"?lang=zh-CN&level=beginner": "ca-zh",
		"?q=nothing-matches":         "",
	} {
		var cat catalogue
		anon.callJSON(t, "GET", "/api/v1/courses"+query, nil, 200, &cat)
		if got := cat.slugs(); got != want {
			t.Errorf("GET /api/v1/courses%s = %s, want %s", query, got, want)
		}
	}
	var cat catalogue
	anon.callJSON(t, "GET", "/api/v1/courses?lang=en&q=basics", nil, 200, &cat)
	if len(cat.Courses) != 1 || cat.Courses[0].LessonsCount != 3 || cat.Courses[0].StudyHours != 2 ||
		len(cat.Courses[0].Translations) != 1 || cat.Courses[0].Translations[0].Slug != "ca-zh" {
		t.Errorf("catalogue card = %+v", cat.Courses)
	}
	var detail struct {
		Slug    string `json:"slug"`
		Lessons []struct {
			ID      int64  `json:"id"`
			Slug    string `json:"slug"`
			Minutes int    `json:"minutes"`
			HasQuiz bool   `json:"has_quiz"`
		} `json:"lessons"`
		Progress *struct{} `json:"progress"`
	}
	anon.callJSON(t, "GET", "/api/v1/courses/ca-zh", nil, 200, &detail)
	if len(detail.Lessons) != 3 || detail.Lessons[0].Minutes != 30 || !detail.Lessons[0].HasQuiz || detail.Lessons[2].HasQuiz || detail.Progress != nil {
		t.Errorf("course page = %+v", detail)
	}
	if rec := anon.do(request{method: "GET", path: "/api/v1/courses/no-such"}); rec.Code != 404 {
		t.Errorf("unknown course = %d", rec.Code)
	}
}

var slugOf = map[string]string{"Alpha": "e-alpha", "Beta": "d-beta", "Gamma": "c-gamma", "Delta": "b-delta", "Epsilon": "a-epsilon"}

// Courses a learner's classes assign come first, earliest due date first,
// then the rest by title; other learners see plain title order.
func TestCatalogueAssignedFirst(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		// Slugs run opposite to titles, so the order the store lists
		// courses in (by slug) is no help to the sort.
		var list []coursetest.Course
		for _, title := range []string{"Alpha", "Beta", "Gamma", "Delta", "Epsilon"} {
			list = append(list, courseVariant(slugOf[title], "en", title, "s", "beginner", "adult"))
		}
		cs := newCourseServer(t, b, list...)
		inst := &store.Institution{Code: "lib-1", Name: "图书馆", Kind: "library", RegionCode: "000000", CreatedAt: cs.clk.Now()}
		if err := cs.st.CreateInstitution(ctx, inst); err != nil {
			t.Fatal(err)
		}
		c, u := cs.learner(t, "pupil", "lib-1")
		other, _ := cs.learner(t, "other", "")
		class := &store.Class{InstitutionID: inst.ID, Name: "周三班"}
		if err := cs.st.CreateClass(ctx, class); err != nil {
			t.Fatal(err)
		}
		if err := cs.st.AddClassMember(ctx, class.ID, u.ID); err != nil {
			t.Fatal(err)
		}
		late, soon := cs.clk.Now().Add(30*24*time.Hour), cs.clk.Now().Add(7*24*time.Hour)
		for slug, due := range map[string]*time.Time{"e-alpha": &late, "d-beta": &soon, "c-gamma": nil} {
			crs, _, err := cs.st.CourseBySlug(ctx, slug)
			if err != nil {
				t.Fatal(err)
			}
			if err := cs.st.Assign(ctx, &store.Assignment{ClassID: class.ID, CourseID: crs.ID, DueAt: due}); err != nil {
				t.Fatal(err)
			}
		}
		var cat catalogue
		c.callJSON(t, "GET", "/api/v1/courses", nil, 200, &cat)
		if got := cat.slugs(); got != "d-beta,e-alpha,c-gamma,b-delta,a-epsilon" {
			t.Errorf("assigned learner sees %s, want Beta (due soon), Alpha (due later), Gamma (no date), Delta, Epsilon", got)
		}
		for _, x := range cat.Courses {
			wantAssigned := x.Title == "Alpha" || x.Title == "Beta" || x.Title == "Gamma"
			if x.Assigned != wantAssigned {
				t.Errorf("%s assigned = %v", x.Slug, x.Assigned)
			}
			if x.Title == "Beta" && (x.DueAt == nil || !x.DueAt.Equal(soon)) {
				t.Errorf("beta due_at = %v, want %v", x.DueAt, soon)
			}
		}
		var others catalogue
		other.callJSON(t, "GET", "/api/v1/courses", nil, 200, &others)
		if got := others.slugs(); got != "e-alpha,d-beta,b-delta,a-epsilon,c-gamma" {
			t.Errorf("unassigned learner sees %s", got)
		}
		// The due date follows the course onto "my learning".
		c.callJSON(t, "POST", "/api/v1/courses/d-beta/enroll", nil, 201, nil)
		var mine myLearning
		c.callJSON(t, "GET", "/api/v1/me/courses", nil, 200, &mine)
		if len(mine.Courses) != 1 || mine.Courses[0].DueAt == nil || !mine.Courses[0].DueAt.Equal(soon) {
			t.Errorf("my learning = %+v", mine.Courses)
		}
	})
}

func TestEnrollCreatedThenOK(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		cs := newCourseServer(t, b, coursetest.Simple("enrol"))
		c, _ := cs.learner(t, "wang", "")
		var first, second struct{ Enrolled, Created bool }
		c.callJSON(t, "POST", "/api/v1/courses/enrol/enroll", nil, 201, &first)
		c.callJSON(t, "POST", "/api/v1/courses/enrol/enroll", nil, 200, &second)
		if !first.Enrolled || !first.Created || !second.Enrolled || second.Created {
			t.Errorf("first %+v, second %+v", first, second)
		}
		var mine myLearning
		c.callJSON(t, "GET", "/api/v1/me/courses", nil, 200, &mine)
		if len(mine.Courses) != 1 {
			t.Errorf("enrolled in %d courses, want 1", len(mine.Courses))
		}
		var cat catalogue
		c.callJSON(t, "GET", "/api/v1/courses", nil, 200, &cat)
		if len(cat.Courses) != 1 || !cat.Courses[0].Enrolled {
			t.Errorf("catalogue after enrolling = %+v", cat.Courses)
		}
		if rec := c.do(request{method: "POST", path: "/api/v1/courses/nope/enroll", csrf: true}); rec.Code != 404 {
			t.Errorf("unknown course = %d", rec.Code)
		}
		if rec := c.do(request{method: "POST", path: "/api/v1/courses/enrol/enroll"}); rec.Code != 403 {
			t.Errorf("without the CSRF header = %d, want 403", rec.Code)
		}
		anon := cs.client()
		anon.prepareCSRF(t)
		if rec := anon.do(request{method: "POST", path: "/api/v1/courses/enrol/enroll", csrf: true}); rec.Code != 401 {
			t.Errorf("signed out = %d, want 401", rec.Code)
		}
	})
}

func TestLessonNeverShowsAnswers(t *testing.T) {
	t.Parallel()
	cs := newCourseServer(t, storetest.Backends(t)[0], coursetest.Simple("secret"))
	ls := coursetest.Lessons(t, cs.st, "secret")
	c, _ := cs.learner(t, "li", "")
	check := func(t *testing.T, rec *httptest.ResponseRecorder) {
		t.Helper()
		raw := rec.Body.String()
		for _, bad := range []string{`"answer"`, `"answers"`, `"explanation"`, "EXPLAIN-"} {
			if strings.Contains(raw, bad) {
				t.Errorf("lesson JSON contains %s: %s", bad, truncate(raw))
			}
		}
		var v struct {
			Questions []map[string]json.RawMessage `json:"questions"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		for _, q := range v.Questions {
			for k := range q {
				if k != "id" && k != "type" && k != "prompt" && k != "options" {
					t.Errorf("question carries %q", k)
				}
			}
		}
	}
	// Before enrolling (a preview) and after.
	check(t, c.callJSON(t, "GET", fmt.Sprintf("/api/v1/lessons/%d", ls[0].ID), nil, 200, nil))
	c.callJSON(t, "POST", "/api/v1/courses/secret/enroll", nil, 201, nil)
	for _, l := range ls {
		check(t, c.callJSON(t, "GET", fmt.Sprintf("/api/v1/lessons/%d", l.ID), nil, 200, nil))
	}
	var v struct {
		Title     string `json:"title"`
		HTML      string `json:"html"`
		Questions []struct {
			ID      string   `json:"id"`
			Type    string   `json:"type"`
			Options []string `json:"options"`
		} `json:"questions"`
		Prev   *struct{ ID int64 }     `json:"prev"`
		Next   *struct{ ID int64 }     `json:"next"`
		Course struct{ Enrolled bool } `json:"course"`
	}
	c.callJSON(t, "GET", fmt.Sprintf("/api/v1/lessons/%d", ls[0].ID), nil, 200, &v)
	if len(v.Questions) != 2 || v.Questions[0].ID != "q1" || len(v.Questions[0].Options) != 3 || v.Questions[1].Options == nil ||
		v.Prev != nil || v.Next == nil || v.Next.ID != ls[1].ID || !v.Course.Enrolled || !strings.Contains(v.HTML, "<h1") {
		t.Errorf("lesson view = %+v", v)
	}
	if rec := c.do(request{method: "GET", path: "/api/v1/lessons/999999"}); rec.Code != 404 {
		t.Errorf("unknown lesson = %d", rec.Code)
	}
	if rec := cs.client().do(request{method: "GET", path: fmt.Sprintf("/api/v1/lessons/%d", ls[0].ID)}); rec.Code != 401 {
		t.Errorf("signed out = %d, want 401", rec.Code)
	}
}

func TestProgressEvents(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		cs := newCourseServer(t, b, coursetest.Simple("prog"))
		ls := coursetest.Lessons(t, cs.st, "prog")
		c, _ := cs.learner(t, "zhou", "")

		// Not enrolled: 403, and nothing stored.
		rec := c.do(request{method: "POST", path: "/api/v1/progress", csrf: true,
			body: fmt.Sprintf(`{"event_id":%q,"lesson_id":%d,"type":"open","seconds":0}`, newEventID(), ls[0].ID)})
		if code, _ := fieldOf(t, rec); rec.Code != 403 || code != "forbidden" {
			t.Fatalf("progress before enrolling = %d %s", rec.Code, rec.Body)
		}

		c.callJSON(t, "POST", "/api/v1/courses/prog/enroll", nil, 201, nil)
		cs.clk.Add(time.Minute)
		id := newEventID()
		if r := c.sendEvent(t, id, ls[0].ID, "heartbeat", 30); r.Status != "recorded" || r.CreditedSeconds != 30 {
			t.Fatalf("first event = %+v", r)
		}
		cs.clk.Add(time.Minute)
		if r := c.sendEvent(t, id, ls[0].ID, "heartbeat", 30); r.Status != "duplicate" || r.CreditedSeconds != 0 {
			t.Errorf("the same event again = %+v, want duplicate", r)
		}
		active := func() int {
			var d struct {
				Progress struct {
					ActiveSeconds int `json:"active_seconds"`
				} `json:"progress"`
			}
			c.callJSON(t, "GET", "/api/v1/courses/prog", nil, 200, &d)
			return d.Progress.ActiveSeconds
		}
		if got := active(); got != 30 {
			t.Errorf("active seconds = %d, want 30 (the duplicate counted once)", got)
		}

		// The minute spent since the last recorded event is honest time.
		if r := c.sendEvent(t, newEventID(), ls[0].ID, "heartbeat", 60); r.CreditedSeconds != 60 {
			t.Errorf("heartbeat after a minute = %+v", r)
		}
		// A flood: 100 heartbeats claiming a minute each within 10 s.
		credited := 0
		for i := 0; i < 100; i++ {
			cs.clk.Add(100 * time.Millisecond)
			credited += c.sendEvent(t, newEventID(), ls[i%2].ID, "heartbeat", 60).CreditedSeconds
		}
		if credited > 10 {
			t.Errorf("flood credited %d s in 10 s", credited)
		}
		if got := active(); got > 30+60+10 {
			t.Errorf("active seconds after the flood = %d, want at most 100", got)
		}

		for _, bad := range []struct{ body, field string }{
			{`{"event_id":"x","lesson_id":1,"type":"open"}`, "event_id"},
			{fmt.Sprintf(`{"event_id":%q,"lesson_id":%d,"type":"dance"}`, newEventID(), ls[0].ID), "type"},
			{fmt.Sprintf(`{"event_id":%q,"lesson_id":999999,"type":"open"}`, newEventID()), "lesson_id"},
			{`{"event_id":1}`, "event_id"},
		} {
			rec := c.do(request{method: "POST", path: "/api/v1/progress", body: bad.body, csrf: true})
			if code, field := fieldOf(t, rec); rec.Code != 400 || code != "invalid" || field != bad.field {
				t.Errorf("%s = %d %s, want 400 naming %s", bad.body, rec.Code, rec.Body, bad.field)
			}
		}
	})
}

func TestAttempts(t *testing.T) {
	t.Parallel()
	cs := newCourseServer(t, storetest.Backends(t)[0], coursetest.Simple("quiz"))
	ls := coursetest.Lessons(t, cs.st, "quiz")
	c, _ := cs.learner(t, "chen", "")
	path := fmt.Sprintf("/api/v1/lessons/%d/attempts", ls[0].ID)

	rec := c.do(request{method: "POST", path: path, body: `{"answers":{"q1":1}}`, csrf: true})
	if rec.Code != 403 {
		t.Fatalf("attempt before enrolling = %d", rec.Code)
	}
	c.callJSON(t, "POST", "/api/v1/courses/quiz/enroll", nil, 201, nil)

	for _, bad := range []struct {
		lesson int64
		body   string
		field  string
	}{
		{ls[0].ID, `{"answers":{"q1":"B"}}`, "q1"},
		{ls[0].ID, `{"answers":{"q1":7}}`, "q1"},
		{ls[0].ID, `{"answers":{"q1":1.5}}`, "q1"},
		{ls[0].ID, `{"answers":{"q2":"yes"}}`, "q2"},
		{ls[1].ID, `{"answers":{"q3":2}}`, "q3"},
		{ls[1].ID, `{"answers":{"q4":110}}`, "q4"},
		{ls[0].ID, `{"answers":{"q9":1}}`, "q9"},
		{ls[0].ID, `{"answers":{"q3":[0]}}`, "q3"}, // another lesson's question
		{ls[0].ID, `{}`, "answers"},
	} {
		rec := c.do(request{method: "POST", path: fmt.Sprintf("/api/v1/lessons/%d/attempts", bad.lesson), body: bad.body, csrf: true})
		if code, field := fieldOf(t, rec); rec.Code != 400 || code != "invalid" || field != bad.field {
			t.Errorf("%s = %d %s, want 400 naming %s", bad.body, rec.Code, rec.Body, bad.field)
		}
	}
	if rec := c.do(request{method: "POST", path: fmt.Sprintf("/api/v1/lessons/%d/attempts", ls[2].ID), body: `{"answers":{}}`, csrf: true}); rec.Code != 400 {
		t.Errorf("attempt on a lesson without a quiz = %d", rec.Code)
	}

	r := c.submitQuiz(t, ls[0].ID, map[string]any{"q1": 1})
	if r.Score != 50 || r.Passed || len(r.Results) != 2 || !r.Results[0].Correct || r.Results[1].Correct ||
		r.Results[0].Explanation != coursetest.Explanation("q1") {
		t.Errorf("half right, one unanswered = %+v", r)
	}
	if r := c.submitQuiz(t, ls[1].ID, rightPractice); r.Score != 100 || !r.Passed {
		t.Errorf("all right (fullwidth digits, any order) = %+v", r)
	}
}

// completeAll marks every lesson read; it returns the last event's result.
func (cs *courseServer) completeAll(t *testing.T, c *client, ls []store.Lesson) eventResult {
	t.Helper()
	var r eventResult
	for _, l := range ls {
		cs.clk.Add(time.Minute)
		r = c.sendEvent(t, newEventID(), l.ID, "complete", 60)
		if !r.LessonCompleted {
			t.Fatalf("complete event = %+v", r)
		}
	}
	return r
}

func TestCourseCompletionAndCertificate(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		cs := newCourseServer(t, b, coursetest.Simple("finish"))
		ls := coursetest.Lessons(t, cs.st, "finish")
		c, u := cs.learner(t, "sun", "")
		c.callJSON(t, "POST", "/api/v1/courses/finish/enroll", nil, 201, nil)
		if r := cs.completeAll(t, c, ls); r.CourseCompleted {
			t.Fatal("complete without taking the quizzes")
		}
		// Average (0 + 100) / 2 = 50 < 60: not complete.
		if r := c.submitQuiz(t, ls[0].ID, wrongIntro); r.Score != 0 || r.CourseCompleted {
			t.Fatalf("failed quiz = %+v", r)
		}
		if r := c.submitQuiz(t, ls[1].ID, rightPractice); r.CourseCompleted || r.CertificateSerial != nil {
			t.Fatalf("average 50 completed the course: %+v", r)
		}
		var mine myLearning
		c.callJSON(t, "GET", "/api/v1/me/courses", nil, 200, &mine)
		if mine.Hours.Earned != 0 || mine.Courses[0].CompletedAt != nil || len(mine.Certificates) != 0 {
			t.Fatalf("before passing: %+v", mine)
		}
		// The retry passes.
		cs.clk.Add(time.Minute)
		r := c.submitQuiz(t, ls[0].ID, rightIntro)
		if !r.CourseCompleted || r.CertificateSerial == nil {
			t.Fatalf("retry = %+v, want the course complete with a certificate", r)
		}
		serial := *r.CertificateSerial
		// Completing again reports the same certificate.
		if again := c.submitQuiz(t, ls[0].ID, rightIntro); !again.CourseCompleted || again.CertificateSerial == nil || *again.CertificateSerial != serial {
			t.Errorf("later attempt = %+v", again)
		}
		if ev := c.sendEvent(t, newEventID(), ls[2].ID, "complete", 0); !ev.CourseCompleted || ev.CertificateSerial == nil || *ev.CertificateSerial != serial {
			t.Errorf("later complete event = %+v", ev)
		}

		c.callJSON(t, "GET", "/api/v1/me/courses", nil, 200, &mine)
		if len(mine.Courses) != 1 || mine.Courses[0].ProgressPercent != 100 || mine.Courses[0].CompletedAt == nil ||
			mine.Courses[0].CertificateSerial == nil || *mine.Courses[0].CertificateSerial != serial || mine.Courses[0].HoursCredited != 2 {
			t.Errorf("my course = %+v", mine.Courses)
		}
		if mine.Hours.Year != 2026 || mine.Hours.Earned != 2 || mine.Hours.Target != 12 {
			t.Errorf("hours = %+v, want 2 of 12 in 2026", mine.Hours)
		}
		if len(mine.Certificates) != 1 || mine.Certificates[0].Serial != serial {
			t.Errorf("certificates = %+v", mine.Certificates)
		}

		var page struct {
			Progress struct {
				Percent           int     `json:"percent"`
				CertificateSerial *string `json:"certificate_serial"`
			} `json:"progress"`
		}
		c.callJSON(t, "GET", "/api/v1/courses/finish", nil, 200, &page)
		if page.Progress.Percent != 100 || page.Progress.CertificateSerial == nil || *page.Progress.CertificateSerial != serial {
			t.Errorf("course page progress = %+v", page.Progress)
		}

		// Anyone can verify it, signed out, typing it in lower case.
		anon := cs.client()
		var cert struct {
			Serial      string  `json:"serial"`
			LearnerName string  `json:"learner_name"`
			CourseTitle string  `json:"course_title"`
			CourseSlug  string  `json:"course_slug"`
			VerifyURL   string  `json:"verify_url"`
			StudyHours  float64 `json:"study_hours"`
		}
		anon.callJSON(t, "GET", "/api/v1/certificates/"+strings.ToLower(serial), nil, 200, &cert)
		if cert.Serial != serial || cert.LearnerName != u.DisplayName || cert.CourseTitle != "Course finish" ||
			cert.CourseSlug != "finish" || cert.StudyHours != 2 || cert.VerifyURL != "https://xuetang.example/verify/"+serial {
			t.Errorf("certificate = %+v", cert)
		}
		rec := anon.do(request{method: "GET", path: "/api/v1/certificates/XT-0000-0000-0000-0000"})
		if code, _ := fieldOf(t, rec); rec.Code != 404 || code != "not_found" {
			t.Errorf("unknown serial = %d %s", rec.Code, rec.Body)
		}
		var n int
		if err := cs.st.DB().QueryRow("SELECT COUNT(*) FROM certificates").Scan(&n); err != nil || n != 1 {
			t.Errorf("%d certificates, %v", n, err)
		}
	})
}

// Many tabs submitting the last quiz at once still get one certificate, and
// all of them are told its serial.
func TestConcurrentCompletionOneCertificate(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		cs := newCourseServer(t, b, coursetest.Simple("race"))
		ls := coursetest.Lessons(t, cs.st, "race")
		c, _ := cs.learner(t, "qian", "")
		c.callJSON(t, "POST", "/api/v1/courses/race/enroll", nil, 201, nil)
		cs.completeAll(t, c, ls)
		c.submitQuiz(t, ls[1].ID, rightPractice)

		// The client's cookie jar is not safe for concurrent use: each
		// request gets its own copy.
		const n = 10
		body, _ := json.Marshal(map[string]any{"answers": rightIntro})
		serials := make([]string, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req := httptest.NewRequest("POST", fmt.Sprintf("/api/v1/lessons/%d/attempts", ls[0].ID), strings.NewReader(string(body)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-CSRF-Token", c.cookies["xuetang_csrf"])
				for k, v := range c.cookies {
					req.AddCookie(&http.Cookie{Name: k, Value: v})
				}
				rec := httptest.NewRecorder()
				cs.e.ServeHTTP(rec, req)
				var r attemptResult
				if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &r) != nil || !r.CourseCompleted || r.CertificateSerial == nil {
					t.Errorf("concurrent attempt %d = %d %s", i, rec.Code, rec.Body)
					return
				}
				serials[i] = *r.CertificateSerial
			}()
		}
		wg.Wait()
		var count int
		if err := cs.st.DB().QueryRow("SELECT COUNT(*) FROM certificates").Scan(&count); err != nil || count != 1 {
			t.Fatalf("%d certificates, %v; want 1", count, err)
		}
		for i := 1; i < n; i++ {
			if serials[i] != serials[0] {
				t.Errorf("attempt %d got serial %q, attempt 0 %q", i, serials[i], serials[0])
			}
		}
	})
}

// finishCourse takes a learner through the whole Simple course "hours".
func (cs *courseServer) finishCourse(t *testing.T, c *client) {
	t.Helper()
	ls := coursetest.Lessons(t, cs.st, "hours")
	c.callJSON(t, "POST", "/api/v1/courses/hours/enroll", nil, 201, nil)
	cs.completeAll(t, c, ls)
	c.submitQuiz(t, ls[1].ID, rightPractice)
	if r := c.submitQuiz(t, ls[0].ID, rightIntro); !r.CourseCompleted {
		t.Fatalf("course not completed: %+v", r)
	}
}

func (c *client) studyHours(t *testing.T) (year int, earned, target float64) {
	t.Helper()
	var m myLearning
	c.callJSON(t, "GET", "/api/v1/me/courses", nil, 200, &m)
	return m.Hours.Year, m.Hours.Earned, m.Hours.Target
}

func TestStudyHoursTargetsAndYears(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		cs := newCourseServer(t, b, coursetest.Simple("hours"))
		if err := cs.st.CreateInstitution(ctx, &store.Institution{Code: "dangxiao", Name: "区委党校", Kind: "cadre_centre",
			RegionCode: "000000", CreatedAt: cs.clk.Now()}); err != nil {
			t.Fatal(err)
		}
		cadre, _ := cs.learner(t, "cadre", "dangxiao")
		if y, e, target := cadre.studyHours(t); y != 2026 || e != 0 || target != 50 {
			t.Errorf("cadre: %d %v/%v, want 0/50 in 2026", y, e, target)
		}
		early, _ := cs.learner(t, "early", "")
		late, _ := cs.learner(t, "late", "")
		if _, _, target := early.studyHours(t); target != 12 {
			t.Errorf("default target = %v, want 12", target)
		}

		// 23:5x on New Year's Eve in Beijing: still 2026.
		cs.clk.Add(time.Date(2026, 12, 31, 15, 50, 0, 0, time.UTC).Sub(cs.clk.Now()))
		cs.finishCourse(t, early) // takes a few clock minutes
		if y, e, _ := early.studyHours(t); y != 2026 || e != 2 {
			t.Errorf("completed 2026-12-31 ~23:55 Beijing: year %d earned %v, want 2 in 2026", y, e)
		}
		// 2026-12-31T17:00Z is 01:00 on 1 January 2027 in Beijing.
		cs.clk.Add(time.Date(2026, 12, 31, 16, 57, 0, 0, time.UTC).Sub(cs.clk.Now()))
		cs.finishCourse(t, late) // completes at 17:00Z
		if y, e, _ := late.studyHours(t); y != 2027 || e != 2 {
			t.Errorf("completed 2026-12-31T17:00Z: year %d earned %v, want 2 in 2027", y, e)
		}
		if y, e, _ := early.studyHours(t); y != 2027 || e != 0 {
			t.Errorf("the 2026 completion in 2027: year %d earned %v, want 0", y, e)
		}
	})
}

func TestCourseMedia(t *testing.T) {
	t.Parallel()
	c := coursetest.Simple("media")
	c.Version = 2
	cs := newCourseServer(t, storetest.Backends(t)[0], c)
	anon := cs.client()
	rec := anon.do(request{method: "GET", path: "/media/courses/media/2/assets/pic.svg"})
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/svg+xml" || rec.Body.String() != coursetest.SVG {
		t.Errorf("asset = %d %q %q", rec.Code, rec.Header().Get("Content-Type"), truncate(rec.Body.String()))
	}
	for _, p := range []string{
		"/media/courses/media/1/assets/pic.svg",
		"/media/courses/media/2/assets/none.svg",
		"/media/courses/media/2/assets/../course.yaml",
		"/media/courses/other/2/assets/pic.svg",
		"/media/courses/media/x/assets/pic.svg",
	} {
		if rec := anon.do(request{method: "GET", path: p}); rec.Code != 404 {
			t.Errorf("%s = %d, want 404", p, rec.Code)
		}
	}
}

// The shipped curriculum is what a new installation teaches from day one;
// its images must be served where its lessons point.
func TestShippedCourseAssetsServed(t *testing.T) {
	t.Parallel()
	cs := newCourseServer(t, storetest.Backends(t)[0])
	pkgs, err := course.LoadFS(courses.FS())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := course.Import(context.Background(), cs.st, pkgs); err != nil {
		t.Fatal(err)
	}
	rec := cs.client().do(request{method: "GET", path: "/media/courses/computer-basics/1/assets/keyboard.svg"})
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/svg+xml" || !strings.Contains(rec.Body.String(), "<svg") {
		t.Errorf("keyboard.svg = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	ls := coursetest.Lessons(t, cs.st, "computer-basics")
	linked := false
	for _, l := range ls {
		full, err := cs.st.LessonByID(context.Background(), l.ID)
		if err != nil {
			t.Fatal(err)
		}
		linked = linked || strings.Contains(full.HTML, `src="/media/courses/computer-basics/1/assets/keyboard.svg"`)
	}
	if !linked {
		t.Error("no lesson of computer-basics shows keyboard.svg")
	}
}

// After a new version is published, the course page shows it with the
// learner's progress on the lessons it kept, and a lesson of the old version
// still opens by its id (a learner may have it open in a tab).
func TestNewVersionThroughTheAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		cs := newCourseServer(t, b, coursetest.Simple("evolve"))
		old := coursetest.Lessons(t, cs.st, "evolve")
		c, _ := cs.learner(t, "he", "")
		c.callJSON(t, "POST", "/api/v1/courses/evolve/enroll", nil, 201, nil)
		cs.clk.Add(time.Minute)
		c.sendEvent(t, newEventID(), old[0].ID, "complete", 30)
		c.sendEvent(t, newEventID(), old[1].ID, "complete", 30)

		v2 := coursetest.Simple("evolve")
		v2.Version, v2.StudyHours = 2, 1                               // 50 minutes of lessons left
		v2.Lessons = []coursetest.Lesson{v2.Lessons[0], v2.Lessons[2]} // practice removed
		v2.Lessons[1].File = "02-wrapup.md"
		coursetest.Import(t, cs.st, v2)
		cs.learn.Invalidate()

		var d struct {
			Version int `json:"version"`
			Lessons []struct {
				ID        int64  `json:"id"`
				Slug      string `json:"slug"`
				Completed bool   `json:"completed"`
			} `json:"lessons"`
			Progress struct {
				LessonsCompleted int `json:"lessons_completed"`
				LessonsTotal     int `json:"lessons_total"`
				Percent          int `json:"percent"`
			} `json:"progress"`
		}
		c.callJSON(t, "GET", "/api/v1/courses/evolve", nil, 200, &d)
		if d.Version != 2 || len(d.Lessons) != 2 || d.Lessons[0].Slug != "intro" || !d.Lessons[0].Completed ||
			d.Lessons[1].Completed || d.Progress.LessonsCompleted != 1 || d.Progress.LessonsTotal != 2 || d.Progress.Percent != 50 {
			t.Errorf("course page after version 2 = %+v", d)
		}
		if d.Lessons[0].ID == old[0].ID {
			t.Error("version 2 reuses the lesson rows of version 1")
		}
		var v struct {
			Title string `json:"title"`
		}
		c.callJSON(t, "GET", fmt.Sprintf("/api/v1/lessons/%d", old[1].ID), nil, 200, &v)
		if v.Title != "Practice" {
			t.Errorf("old lesson = %+v", v)
		}
	})
}

// A lesson answer is encoded and gzipped once per variant and shared: the
// gzipped bytes inflate to the plain answer, learners in the same state get
// the same bytes, and a learner's own progress still shows.
func TestLessonAnswersGzippedOnceAndShared(t *testing.T) {
	t.Parallel()
	cs := newCourseServer(t, storetest.Backends(t)[0], coursetest.Simple("shared"))
	ls := coursetest.Lessons(t, cs.st, "shared")
	path := fmt.Sprintf("/api/v1/lessons/%d", ls[2].ID)
	a, _ := cs.learner(t, "wang", "")
	b, _ := cs.learner(t, "zhao", "")
	for _, c := range []*client{a, b} {
		c.callJSON(t, "POST", "/api/v1/courses/shared/enroll", nil, 201, nil)
	}
	gz := map[string]string{"Accept-Encoding": "gzip"}
	ra := a.do(request{method: "GET", path: path, headers: gz})
	rb := b.do(request{method: "GET", path: path, headers: gz})
	if ra.Code != 200 || ra.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("gzip lesson = %d %q", ra.Code, ra.Header().Get("Content-Encoding"))
	}
	if !bytes.Equal(ra.Body.Bytes(), rb.Body.Bytes()) {
		t.Error("two learners in the same state got different encodings")
	}
	zr, err := gzip.NewReader(bytes.NewReader(ra.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	inflated, _ := io.ReadAll(zr)
	plain := a.do(request{method: "GET", path: path})
	if plain.Header().Get("Content-Encoding") != "" || !bytes.Equal(inflated, plain.Body.Bytes()) {
		t.Errorf("gzipped answer differs from the plain one:\n%s\n%s", inflated, plain.Body.String())
	}
	a.sendEvent(t, newEventID(), ls[2].ID, "complete", 0)
	var va, vb struct {
		Completed bool `json:"completed"`
	}
	a.callJSON(t, "GET", path, nil, 200, &va)
	b.callJSON(t, "GET", path, nil, 200, &vb)
	if !va.Completed || vb.Completed {
		t.Errorf("completed: wang %v (want true), zhao %v (want false)", va.Completed, vb.Completed)
	}
}
