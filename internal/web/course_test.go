package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xuetang-edu/xuetang/frontend"
	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/authoring"
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
		Auth:    &web.AuthAPI{Accounts: accounts, Sessions: sessions, Users: st, TimeZone: "Asia/Shanghai"},
		Health:  &web.HealthAPI{Database: st, Sessions: sessions, Registry: reg},
		Learner: web.NewLearnerAPI(learn),
		Authoring: func() *web.AuthoringAPI {
			svc := authoring.New(st, learn.Invalidate)
			return &web.AuthoringAPI{Courses: svc, Drafts: svc}
		}(),
		Pages: learn,
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
	caEN.TranslationOf, caEN.Reviewed = "ca-zh", "2026-11"
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
		Slug     string `json:"slug"`
		Reviewed string `json:"reviewed"`
		Lessons  []struct {
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
	// The month the facts were checked travels from course.yaml to the page;
	// a course that does not say sends "".
	anon.callJSON(t, "GET", "/api/v1/courses/ca-en", nil, 200, &detail)
	if detail.Reviewed != "2026-11" {
		t.Errorf("ca-en reviewed = %q, want 2026-11", detail.Reviewed)
	}
	detail.Reviewed = "unset"
	anon.callJSON(t, "GET", "/api/v1/courses/cadre-zh", nil, 200, &detail)
	if detail.Reviewed != "" {
		t.Errorf("cadre-zh reviewed = %q, want empty", detail.Reviewed)
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
