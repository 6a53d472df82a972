package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xuetang-edu/xuetang/frontend"
	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/learning"
	"github.com/xuetang-edu/xuetang/internal/roster"
	"github.com/xuetang-edu/xuetang/internal/session"
	"github.com/xuetang-edu/xuetang/internal/stats"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
	"github.com/xuetang-edu/xuetang/internal/teach"
	"github.com/xuetang-edu/xuetang/internal/web"
)

// teachWorld is the unlock world (staff of every role at cd-lib in
// Sichuan, learners at cd-lib and gz-lib in Guangdong) on a settable clock,
// served with the teaching, learner and import routes, and the course
// "simple" published.
type teachWorld struct {
	*unlockWorld
	clk *storetest.Clock
	// Three classes: the teacher's own and a colleague's at cd-lib, and
	// one at gz-lib; each has one learner of its institution in it.
	own, peer, far          *store.Class
	ownMember, farMember    *store.User
	home2, remote2          *store.User // learners in no class yet
	peerTeacher, farTeacher *store.User
	lessons                 []store.Lesson
}

func newTeachWorld(t *testing.T) *teachWorld {
	t.Helper()
	clk := storetest.NewClock()
	w := &teachWorld{unlockWorld: newUnlockWorldWith(t, withClock(clk.Now)), clk: clk}
	ts := w.ts
	ctx := context.Background()
	coursetest.Import(t, ts.st, coursetest.Simple("simple"))
	w.lessons = coursetest.Lessons(t, ts.st, "simple")
	learn := learning.New(ts.st, learning.Config{Now: w.clk.Now, BaseURL: "https://xuetang.example"})
	learn.Start()
	t.Cleanup(learn.Close)
	imports := roster.New(ts.st, roster.Config{Params: fastParams})
	t.Cleanup(imports.Close)
	rosterAPI := &web.RosterAPI{Importer: imports, BaseURL: "http://xuetang.test"}
	reg := prometheus.NewRegistry()
	e, err := web.New(web.Deps{
		Logger: slog.New(slog.NewJSONHandler(ts.logs, nil)), Catalog: ts.cat, Frontend: frontend.FS(""), Registry: reg,
		BaseURL: "http://xuetang.test",
		Auth:    &web.AuthAPI{Accounts: ts.accounts, Sessions: ts.sessions, Users: ts.st},
		Health:  &web.HealthAPI{Database: ts.st, Sessions: ts.sessions, Registry: reg},
		Learner: web.NewLearnerAPI(learn),
		Roster:  rosterAPI,
		Teach: &web.TeachAPI{Classes: teach.New(ts.st, ts.accounts, teach.Config{Now: w.clk.Now, Location: time.UTC}),
			Roster: rosterAPI, BaseURL: "http://xuetang.test", Location: time.UTC, Throttle: session.NewSQLThrottle(ts.st)},
		Stats: &web.StatsAPI{Stats: stats.New(ts.st, stats.Config{Location: time.UTC, Now: w.clk.Now})},
		Pages: learn,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts.e = e
	create := func(n account.NewUser) *store.User {
		n.Password = staffPassword
		u, err := ts.accounts.Create(ctx, n)
		if err != nil {
			t.Fatalf("create %s: %v", n.Username, err)
		}
		return u
	}
	w.peerTeacher = create(account.NewUser{Username: "peer-teacher", Role: account.RoleTeacher, InstitutionCode: "cd-lib"})
	w.farTeacher = create(account.NewUser{Username: "far-teacher", Role: account.RoleTeacher, InstitutionCode: "gz-lib"})
	w.home2 = create(account.NewUser{Username: "home-two", Role: account.RoleLearner, InstitutionCode: "cd-lib"})
	w.remote2 = create(account.NewUser{Username: "remote-two", Role: account.RoleLearner, InstitutionCode: "gz-lib"})
	w.ownMember, w.farMember = w.home, w.remote
	cd, gz := institution(t, w.unlockWorld, "cd-lib"), institution(t, w.unlockWorld, "gz-lib")
	mk := func(in *store.Institution, teacher *store.User, name, code string, member *store.User) *store.Class {
		c := &store.Class{InstitutionID: in.ID, Name: name, TeacherID: &teacher.ID, JoinCode: &code, JoinCodeEnabled: true}
		if err := ts.st.CreateClass(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := ts.st.AddClassMember(ctx, c.ID, member.ID); err != nil {
			t.Fatal(err)
		}
		return c
	}
	w.own = mk(cd, w.staff[account.RoleTeacher], "周二班", "AAAAA2", w.home)
	w.peer = mk(cd, w.peerTeacher, "周三班", "AAAAA3", w.home)
	w.far = mk(gz, w.farTeacher, "广州班", "AAAAA4", w.remote)
	return w
}

// as returns a browser signed in as username (staff password), or signed
// out for "".
func (w *teachWorld) as(t *testing.T, username string) *client {
	t.Helper()
	c := w.ts.client()
	if username == "" {
		c.prepareCSRF(t)
	} else {
		c.login(t, username, staffPassword)
	}
	return c
}

func (w *teachWorld) auditCount(t *testing.T) int {
	t.Helper()
	var n int
	if err := w.ts.st.DB().QueryRow("SELECT COUNT(*) FROM audit_log").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func decode(t *testing.T, rec *httptest.ResponseRecorder, v any) {
	t.Helper()
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("%d %s: %v", rec.Code, rec.Body, err)
	}
}

// teachEndpoint is one class endpoint as a table row.
type teachEndpoint struct {
	name, method string
	path         func(w *teachWorld, c *store.Class) string
	body         func(w *teachWorld, c *store.Class) string
	write        bool
	ok           int
	// action is the audit action a success writes.
	action string
}

func classPath(suffix string) func(*teachWorld, *store.Class) string {
	return func(_ *teachWorld, c *store.Class) string {
		return fmt.Sprintf("/api/v1/teach/classes/%d%s", c.ID, suffix)
	}
}

func memberOf(w *teachWorld, c *store.Class) *store.User {
	if c.ID == w.far.ID {
		return w.farMember
	}
	return w.ownMember
}

func memberPath(suffix string) func(*teachWorld, *store.Class) string {
	return func(w *teachWorld, c *store.Class) string {
		return fmt.Sprintf("/api/v1/teach/classes/%d/members/%d%s", c.ID, memberOf(w, c).ID, suffix)
	}
}

// teachEndpoints run in this order on one world per role and class: reads
// first, then changes that leave the class usable, archiving last.
var teachEndpoints = []teachEndpoint{
	{name: "get", method: "GET", path: classPath(""), ok: 200},
	{name: "members", method: "GET", path: classPath("/members"), ok: 200},
	{name: "assignments", method: "GET", path: classPath("/assignments"), ok: 200},
	{name: "progress", method: "GET", path: classPath("/progress"), ok: 200},
	{name: "export", method: "GET", path: classPath("/progress/export?format=xlsx"), ok: 200},
	{name: "questions", method: "GET", path: func(w *teachWorld, c *store.Class) string {
		return fmt.Sprintf("/api/v1/teach/classes/%d/questions?lesson_id=%d", c.ID, w.lessons[0].ID)
	}, ok: 200},
	{name: "learner detail", method: "GET", path: func(w *teachWorld, c *store.Class) string {
		return fmt.Sprintf("/api/v1/teach/classes/%d/learners/%d", c.ID, memberOf(w, c).ID)
	}, ok: 200},
	{name: "slips", method: "GET", path: func(_ *teachWorld, c *store.Class) string { return fmt.Sprintf("/teach/classes/%d/slips", c.ID) }, ok: 200},
	{name: "qr", method: "GET", path: func(_ *teachWorld, c *store.Class) string { return fmt.Sprintf("/teach/classes/%d/qr.svg", c.ID) }, ok: 200},
	{name: "rename", method: "PATCH", path: classPath(""), body: func(*teachWorld, *store.Class) string { return `{"name":"新名字"}` },
		write: true, ok: 200, action: "class.update"},
	{name: "new code", method: "POST", path: classPath("/join-code"), write: true, ok: 200, action: "class.join_code"},
	{name: "assign", method: "PUT", path: classPath("/assignments/simple"), body: func(*teachWorld, *store.Class) string { return `{"due_at":"2026-03-09T10:00:00Z"}` },
		write: true, ok: 200, action: "assignment.create"},
	{name: "unassign", method: "DELETE", path: classPath("/assignments/simple"), write: true, ok: 200, action: "assignment.remove"},
	{name: "add members", method: "POST", path: classPath("/members"), body: func(w *teachWorld, c *store.Class) string {
		if c.ID == w.far.ID {
			return `{"usernames":["remote-two"]}`
		}
		return `{"usernames":["home-two"]}`
	}, write: true, ok: 200, action: "class.members_add"},
	{name: "import", method: "POST", path: classPath("/import"), write: true, ok: 200, action: "user.import"},
	{name: "unlock", method: "POST", path: memberPath("/unlock"), write: true, ok: 200, action: "user.unlock"},
	{name: "reset password", method: "POST", path: memberPath("/password-reset"), write: true, ok: 200, action: "user.password_reset"},
	{name: "remove member", method: "DELETE", path: memberPath(""), write: true, ok: 200, action: "class.member_remove"},
	{name: "archive", method: "POST", path: classPath("/archive"), write: true, ok: 200, action: "class.archive"},
}

// TestTeachByRoleAndScope runs every class endpoint for every role on the
// teacher's own class, a colleague's class at the same institution and a
// class in another province: allowed calls succeed and are audited with
// the caller in the same change; the rest answer 401/403/404 in the one
// error shape and write nothing.
func TestTeachByRoleAndScope(t *testing.T) {
	t.Parallel()
	type want struct{ read, write int }
	// expect[role][target]
	ok, ro, hidden, refused := want{200, 200}, want{200, 403}, want{404, 404}, want{403, 403}
	expect := map[string]map[string]want{
		account.RoleLearner:          {"own": refused, "peer": refused, "far": refused},
		account.RoleTeacher:          {"own": ok, "peer": hidden, "far": hidden},
		account.RoleInstitutionAdmin: {"own": ok, "peer": ok, "far": hidden},
		account.RoleRegionAdmin:      {"own": ro, "peer": ro, "far": hidden},
		account.RoleAdmin:            {"own": ro, "peer": ro, "far": ro},
		"signed out":                 {"own": {401, 401}, "peer": {401, 401}, "far": {401, 401}},
	}
	for role, targets := range expect {
		for target, wt := range targets {
			t.Run(role+"/"+target, func(t *testing.T) {
				t.Parallel()
				w := newTeachWorld(t)
				c := map[string]*store.Class{"own": w.own, "peer": w.peer, "far": w.far}[target]
				username := ""
				var actor *store.User
				if u := w.staff[role]; u != nil {
					username, actor = u.Username, u
				}
				cl := w.as(t, username)
				for _, ep := range teachEndpoints {
					code := wt.read
					if ep.write {
						code = wt.write
					}
					if code == 200 {
						code = ep.ok
					}
					before := w.auditCount(t)
					var rec *httptest.ResponseRecorder
					if ep.name == "import" {
						rec = upload(cl, ep.path(w, c), "", "username,display_name\nnew-"+strings.ReplaceAll(role, "_", "-")+",新学员\n")
					} else {
						body := ""
						if ep.body != nil {
							body = ep.body(w, c)
						}
						rec = cl.do(request{method: ep.method, path: ep.path(w, c), body: body, csrf: true})
					}
					if rec.Code != code {
						t.Errorf("%s: %d, want %d: %s", ep.name, rec.Code, code, truncate(rec.Body.String()))
						continue
					}
					after := w.auditCount(t)
					if code >= 400 {
						if !strings.HasPrefix(ep.path(w, c), "/teach/") {
							errorOf(t, rec)
						}
						if after != before {
							t.Errorf("%s: refused, yet %d audit entries written", ep.name, after-before)
						}
						continue
					}
					if !ep.write {
						continue
					}
					entries, err := w.ts.st.AuditEntries(context.Background(), ep.action, 1)
					if err != nil {
						t.Fatal(err)
					}
					if after != before+1 || len(entries) != 1 || entries[0].ActorID == nil || *entries[0].ActorID != actor.ID {
						t.Errorf("%s: audit %d -> %d, newest %s: %+v", ep.name, before, after, ep.action, entries)
					}
				}
			})
		}
	}
}

// TestTeachListAndCreateByRole: each role lists the classes in its reach
// (a teacher their own, an institution admin their institution's, a region
// admin their region's, an admin all) and only those who run classes
// create them, audited.
func TestTeachListAndCreateByRole(t *testing.T) {
	t.Parallel()
	cases := []struct {
		role   string
		list   []string // class names, by id
		create int
	}{
		{account.RoleLearner, nil, 403},
		{account.RoleTeacher, []string{"周二班"}, 201},
		{account.RoleInstitutionAdmin, []string{"周二班", "周三班"}, 201},
		{account.RoleRegionAdmin, []string{"周二班", "周三班"}, 403},
		{account.RoleAdmin, []string{"周二班", "周三班", "广州班"}, 403},
		{"signed out", nil, 401},
	}
	for _, tc := range cases {
		t.Run(tc.role, func(t *testing.T) {
			t.Parallel()
			w := newTeachWorld(t)
			username := ""
			if u := w.staff[tc.role]; u != nil {
				username = u.Username
			}
			c := w.as(t, username)
			rec := c.do(request{method: "GET", path: "/api/v1/teach/classes?limit=2"})
			if tc.list == nil {
				if rec.Code < 400 {
					t.Fatalf("list: %d", rec.Code)
				}
				errorOf(t, rec)
			} else {
				// Two a page: the keyset pages together give the list.
				var names []string
				path := "/api/v1/teach/classes?limit=2"
				for path != "" {
					rec = c.do(request{method: "GET", path: path})
					var page struct {
						Classes []teach.Class `json:"classes"`
						Next    string        `json:"next"`
					}
					decode(t, rec, &page)
					for _, cl := range page.Classes {
						names = append(names, cl.Name)
					}
					path = ""
					if page.Next != "" {
						path = "/api/v1/teach/classes?limit=2&cursor=" + page.Next
					}
				}
				if strings.Join(names, ",") != strings.Join(tc.list, ",") {
					t.Errorf("list = %v, want %v", names, tc.list)
				}
			}
			before := w.auditCount(t)
			rec = c.do(request{method: "POST", path: "/api/v1/teach/classes", body: `{"name":"  新班  ","ends_on":"2026-07-01"}`, csrf: true})
			if rec.Code != tc.create {
				t.Fatalf("create: %d, want %d: %s", rec.Code, tc.create, rec.Body)
			}
			if tc.create != 201 {
				errorOf(t, rec)
				if w.auditCount(t) != before {
					t.Error("a refused create was audited")
				}
				return
			}
			var cl teach.Class
			decode(t, rec, &cl)
			if cl.ID == 0 || cl.Name != "新班" || len(cl.JoinCode) != teach.JoinCodeLength || !cl.JoinCodeEnabled || cl.EndsOn != "2026-07-01" {
				t.Errorf("created %+v", cl)
			}
			for _, r := range cl.JoinCode {
				if strings.ContainsRune("0O1IL", r) {
					t.Errorf("join code %q has a look-alike character", cl.JoinCode)
				}
			}
			if e, _ := w.ts.st.AuditEntries(context.Background(), "class.create", 1); len(e) != 1 || e[0].Target != store.ClassTarget(cl.ID) {
				t.Errorf("audit %+v", e)
			}
		})
	}
}

func TestTeachCreateRefusesBadInput(t *testing.T) {
	t.Parallel()
	w := newTeachWorld(t)
	c := w.as(t, "s-teacher")
	for _, body := range []string{`{"name":""}`, `{"name":"` + strings.Repeat("班", 101) + `"}`,
		`{"name":"a","starts_on":"2026-09-01","ends_on":"2026-07-01"}`, `{"name":"a","starts_on":"yesterday"}`, `{"name":1}`} {
		rec := c.do(request{method: "POST", path: "/api/v1/teach/classes", body: body, csrf: true})
		if rec.Code != 400 {
			t.Errorf("%s: %d %s", body, rec.Code, rec.Body)
			continue
		}
		errorOf(t, rec)
	}
	rec := c.do(request{method: "PUT", path: fmt.Sprintf("/api/v1/teach/classes/%d/assignments/simple", w.own.ID), body: `{"due_at":"Friday"}`, csrf: true})
	if rec.Code != 400 {
		t.Errorf("due_at Friday: %d", rec.Code)
	}
	rec = c.do(request{method: "PUT", path: fmt.Sprintf("/api/v1/teach/classes/%d/assignments/no-such-course", w.own.ID), body: `{"due_at":null}`, csrf: true})
	if rec.Code != 404 {
		t.Errorf("unknown course: %d", rec.Code)
	}
}

// TestClassJoin: a learner joins by code (any case, with spaces); a wrong,
// switched-off or expired code says which; another institution's class
// takes them only when it allows outside learners; joining twice changes
// nothing; staff do not join.
func TestClassJoin(t *testing.T) {
	t.Parallel()
	w := newTeachWorld(t)
	teacher := w.as(t, "s-teacher")
	rec := teacher.do(request{method: "POST", path: "/api/v1/teach/classes", body: `{"name":"英语角","ends_on":"2026-03-10"}`, csrf: true})
	var cl teach.Class
	decode(t, rec, &cl)
	learner := w.as(t, "home-two")
	join := func(c *client, code string) *httptest.ResponseRecorder {
		return c.do(request{method: "POST", path: "/api/v1/classes/join", body: fmt.Sprintf(`{"code":%q}`, code), csrf: true})
	}
	members := func() int {
		var n int
		w.ts.st.DB().QueryRow("SELECT COUNT(*) FROM class_members WHERE class_id = ?", cl.ID).Scan(&n)
		return n
	}
	for _, tc := range []struct{ code, key string }{{"", "error.class_code_unknown"}, {"ZZZZZZ", "error.class_code_unknown"}, {"O0O0O0", "error.class_code_unknown"}} {
		rec := join(learner, tc.code)
		if rec.Code != 404 || !strings.Contains(rec.Body.String(), tc.key) {
			t.Errorf("code %q: %d %s", tc.code, rec.Code, rec.Body)
		}
	}
	typed := strings.ToLower(cl.JoinCode[:3]) + " " + cl.JoinCode[3:]
	for i := 0; i < 2; i++ {
		rec := join(learner, typed)
		var res struct {
			Class struct {
				ID   int64  `json:"id"`
				Name string `json:"name"`
			} `json:"class"`
			Joined bool `json:"joined"`
		}
		decode(t, rec, &res)
		if rec.Code != 200 || res.Class.ID != cl.ID || res.Class.Name != "英语角" || res.Joined != (i == 0) {
			t.Errorf("join #%d: %d %s", i+1, rec.Code, rec.Body)
		}
	}
	if members() != 1 {
		t.Errorf("members after joining twice: %d", members())
	}
	if rec := teacher.do(request{method: "GET", path: "/api/v1/classes/join/" + cl.JoinCode}); rec.Code != 200 || !strings.Contains(rec.Body.String(), "成都图书馆") {
		t.Errorf("join info: %d %s", rec.Code, rec.Body)
	}
	if rec := join(teacher, cl.JoinCode); rec.Code != 403 {
		t.Errorf("a teacher joins: %d", rec.Code)
	}
	// Another institution's learner: refused until the class allows it.
	outsider := w.as(t, "remote-two")
	if rec := join(outsider, cl.JoinCode); rec.Code != 403 || !strings.Contains(rec.Body.String(), "error.class_other_institution") {
		t.Errorf("outsider: %d %s", rec.Code, rec.Body)
	}
	path := fmt.Sprintf("/api/v1/teach/classes/%d", cl.ID)
	teacher.do(request{method: "PATCH", path: path, body: `{"allow_outside":true}`, csrf: true})
	if rec := join(outsider, cl.JoinCode); rec.Code != 200 {
		t.Errorf("outsider, class open: %d %s", rec.Code, rec.Body)
	}
	// The teacher cannot reset an outside learner's password.
	if rec := teacher.do(request{method: "POST", path: fmt.Sprintf("%s/members/%d/password-reset", path, w.remote2.ID), csrf: true}); rec.Code != 403 ||
		!strings.Contains(rec.Body.String(), "error.class_member_outside") {
		t.Errorf("reset an outsider: %d %s", rec.Code, rec.Body)
	}
	// Switched off, then a new code: the old one is unknown.
	teacher.do(request{method: "PATCH", path: path, body: `{"join_code_enabled":false}`, csrf: true})
	if rec := join(w.as(t, "s-learner"), cl.JoinCode); rec.Code != 400 || !strings.Contains(rec.Body.String(), "error.class_code_off") {
		t.Errorf("switched off: %d %s", rec.Code, rec.Body)
	}
	rec = teacher.do(request{method: "POST", path: path + "/join-code", csrf: true})
	var renewed teach.Class
	decode(t, rec, &renewed)
	if renewed.JoinCode == cl.JoinCode || !renewed.JoinCodeEnabled {
		t.Errorf("renewed %+v", renewed)
	}
	if rec := join(w.as(t, "s-learner"), cl.JoinCode); rec.Code != 404 {
		t.Errorf("old code: %d", rec.Code)
	}
	// After the term's last day the code has expired.
	w.clk.Add(10 * 24 * time.Hour)
	if rec := join(w.as(t, "s-learner"), renewed.JoinCode); rec.Code != 400 || !strings.Contains(rec.Body.String(), "error.class_code_expired") {
		t.Errorf("expired: %d %s", rec.Code, rec.Body)
	}
}

// TestClassGridAndQuestions follows a class through the API: an assigned
// course with a due date comes first in the learner's catalogue, the grid
// shows progress, completion, overdue and an implausibly fast completion,
// the question analysis finds the wrong answers, the export is a safe CSV,
// and archiving takes the course out of the learner's assignments.
func TestClassGridAndQuestions(t *testing.T) {
	t.Parallel()
	w := newTeachWorld(t)
	ctx := context.Background()
	teacher := w.as(t, "s-teacher")
	base := fmt.Sprintf("/api/v1/teach/classes/%d", w.own.ID)
	// A learner whose name a spreadsheet would run as a formula.
	if _, err := w.ts.accounts.Create(ctx, account.NewUser{Username: "formula", DisplayName: "=HYPERLINK(1)", Password: staffPassword,
		Role: account.RoleLearner, InstitutionCode: "cd-lib"}); err != nil {
		t.Fatal(err)
	}
	if rec := teacher.do(request{method: "POST", path: base + "/members", body: `{"usernames":["home-two","formula"]}`, csrf: true}); rec.Code != 200 ||
		!strings.Contains(rec.Body.String(), `"added":2`) {
		t.Fatalf("add: %d %s", rec.Code, rec.Body)
	}
	if rec := teacher.do(request{method: "POST", path: base + "/members", body: `{"usernames":["remote-two"]}`, csrf: true}); rec.Code != 400 {
		t.Errorf("adding another institution's learner: %d", rec.Code)
	}
	due := w.clk.Now().Add(48 * time.Hour)
	for i := 0; i < 2; i++ { // twice: the second is an edit
		rec := teacher.do(request{method: "PUT", path: base + "/assignments/simple", body: fmt.Sprintf(`{"due_at":%q}`, due.Format(time.RFC3339)), csrf: true})
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), fmt.Sprintf(`"created":%v`, i == 0)) {
			t.Fatalf("assign #%d: %d %s", i+1, rec.Code, rec.Body)
		}
	}
	if e, _ := w.ts.st.AuditEntries(ctx, "assignment.update", 5); len(e) != 1 {
		t.Errorf("moving the due date: %d assignment.update entries", len(e))
	}

	// home-learner: enrols, answers the first quiz wrong then right, and
	// completes the course at once (the time gate is off in this world).
	home := w.as(t, "home-learner")
	rec := home.do(request{method: "GET", path: "/api/v1/courses"})
	if !strings.Contains(rec.Body.String(), `"assigned":true`) {
		t.Errorf("catalogue does not show the assignment: %s", truncate(rec.Body.String()))
	}
	if rec := home.do(request{method: "POST", path: "/api/v1/courses/simple/enroll", csrf: true}); rec.Code >= 300 {
		t.Fatalf("enrol: %d %s", rec.Code, rec.Body)
	}
	l1 := w.lessons[0].ID
	attempt := func(c *client, lesson int64, answers string) {
		t.Helper()
		rec := c.do(request{method: "POST", path: fmt.Sprintf("/api/v1/lessons/%d/attempts", lesson), body: `{"answers":` + answers + `}`, csrf: true})
		if rec.Code != 200 {
			t.Fatalf("attempt: %d %s", rec.Code, rec.Body)
		}
	}
	attempt(home, l1, `{"q1":2,"q2":true}`)
	w.clk.Add(time.Minute)
	attempt(home, l1, `{"q1":1,"q2":true}`)
	for i, l := range w.lessons {
		rec := home.do(request{method: "POST", path: "/api/v1/progress", csrf: true,
			body: fmt.Sprintf(`{"event_id":"00000000-0000-4000-8000-00000000000%d","lesson_id":%d,"type":"complete","seconds":0}`, i+1, l.ID)})
		if rec.Code != 200 {
			t.Fatalf("complete: %d %s", rec.Code, rec.Body)
		}
	}
	attempt(home, w.lessons[1].ID, `{"q3":[0,2],"q4":"110"}`)
	// home-two answers q1 with the same wrong option, and q2 wrong.
	two := w.as(t, "home-two")
	two.do(request{method: "POST", path: "/api/v1/courses/simple/enroll", csrf: true})
	attempt(two, l1, `{"q1":2,"q2":false}`)

	type grid struct {
		Assigned []struct {
			Slug  string     `json:"slug"`
			DueAt *time.Time `json:"due_at"`
		} `json:"assigned"`
		Learners []struct {
			Username string `json:"username"`
			Overdue  int    `json:"overdue"`
			Courses  []struct {
				Slug            string `json:"slug"`
				Status          string `json:"status"`
				ProgressPercent int    `json:"progress_percent"`
				Implausible     bool   `json:"implausible"`
				HoursCredited   float64
			} `json:"courses"`
		} `json:"learners"`
	}
	status := func() map[string]string {
		var g grid
		decode(t, teacher.do(request{method: "GET", path: base + "/progress"}), &g)
		out := map[string]string{}
		for _, l := range g.Learners {
			c := l.Courses[0]
			out[l.Username] = fmt.Sprintf("%s %d %v", c.Status, c.ProgressPercent, c.Implausible)
		}
		return out
	}
	got := status()
	want := map[string]string{"home-learner": "completed 100 true", "home-two": "in_progress 0 false", "formula": "not_started 0 false"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("grid %s = %q, want %q", k, got[k], v)
		}
	}
	w.clk.Add(72 * time.Hour)
	if got := status(); got["home-two"] != "overdue 0 false" || got["formula"] != "overdue 0 false" || got["home-learner"] != "completed 100 true" {
		t.Errorf("after the due date: %v", got)
	}

	var qs struct {
		Questions []teach.QuestionStats `json:"questions"`
	}
	decode(t, teacher.do(request{method: "GET", path: fmt.Sprintf("%s/questions?lesson_id=%d", base, l1)}), &qs)
	if len(qs.Questions) != 2 {
		t.Fatalf("questions %+v", qs)
	}
	q1, q2 := qs.Questions[0], qs.Questions[1]
	// Worst first: nobody got q1 right at the first try, half got q2.
	if q1.ID != "q1" || q1.Attempts != 2 || q1.FirstTryCorrectShare != 0 || q1.MostChosenWrong != float64(2) {
		t.Errorf("q1 %+v", q1)
	}
	if q2.ID != "q2" || q2.Attempts != 2 || q2.FirstTryCorrectShare != 0.5 || q2.MostChosenWrong != false {
		t.Errorf("q2 %+v", q2)
	}
	decode(t, teacher.do(request{method: "GET", path: fmt.Sprintf("%s/questions?lesson_id=%d", base, w.lessons[1].ID)}), &qs)
	if len(qs.Questions) != 2 || qs.Questions[0].MostChosenWrong != nil || qs.Questions[0].Attempts != 1 {
		t.Errorf("lesson 2 questions %+v", qs)
	}

	var detail teach.LearnerDetail
	decode(t, teacher.do(request{method: "GET", path: fmt.Sprintf("%s/learners/%d", base, w.home.ID)}), &detail)
	if len(detail.Courses) != 1 || len(detail.Courses[0].Lessons) != 3 || len(detail.Attempts) != 3 || detail.Courses[0].Lessons[0].BestScore == nil {
		t.Errorf("detail %+v", detail)
	}

	rec = teacher.do(request{method: "GET", path: base + "/progress/export?format=csv&lang=en"})
	body := rec.Body.String()
	if rec.Code != 200 || !strings.HasPrefix(body, "\ufeffUsername,Name,") || !strings.Contains(body, "'=HYPERLINK(1)") ||
		!strings.Contains(rec.Header().Get("Content-Disposition"), ".csv") {
		t.Errorf("csv %d %q", rec.Code, body)
	}
	if rec := teacher.do(request{method: "GET", path: base + "/progress/export?format=pdf"}); rec.Code != 400 {
		t.Errorf("pdf export: %d", rec.Code)
	}

	// Archived: kept, but its courses leave the members' assignments and
	// changes are refused until it is brought back.
	teacher.do(request{method: "POST", path: base + "/archive", csrf: true})
	if as, _ := w.ts.st.AssignmentsFor(ctx, w.home.ID); len(as) != 0 {
		t.Errorf("archived class still assigns %+v", as)
	}
	if rec := teacher.do(request{method: "PUT", path: base + "/assignments/simple", body: `{"due_at":null}`, csrf: true}); rec.Code != 400 {
		t.Errorf("assign in an archived class: %d", rec.Code)
	}
	if rec := teacher.do(request{method: "GET", path: base + "/progress"}); rec.Code != 200 {
		t.Errorf("an archived class's grid: %d", rec.Code)
	}
	var list struct {
		Classes []teach.Class `json:"classes"`
	}
	decode(t, teacher.do(request{method: "GET", path: "/api/v1/teach/classes"}), &list)
	if len(list.Classes) != 0 {
		t.Errorf("archived class listed with the active ones: %+v", list)
	}
	decode(t, teacher.do(request{method: "GET", path: "/api/v1/teach/classes?archived=true"}), &list)
	if len(list.Classes) != 1 {
		t.Errorf("archived list: %+v", list)
	}
}

// TestTeachImportIntoClass: a teacher's roster file creates learners at
// their institution, all in the class, whatever its class column says; a
// teacher cannot import anyone but learners.
func TestTeachImportIntoClass(t *testing.T) {
	t.Parallel()
	w := newTeachWorld(t)
	c := w.as(t, "s-teacher")
	path := fmt.Sprintf("/api/v1/teach/classes/%d/import", w.own.ID)
	if rec := upload(c, path, "", "username,role\nnew-teacher,teacher\n"); rec.Code != 422 {
		t.Errorf("a teacher importing a teacher: %d %s", rec.Code, rec.Body)
	}
	rec := upload(c, path, "", "username,display_name,class\nnew-a,甲,别的班\nnew-b,乙,\n")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"created":2`) {
		t.Fatalf("import: %d %s", rec.Code, rec.Body)
	}
	var members struct {
		Members []teach.Member `json:"members"`
	}
	decode(t, c.do(request{method: "GET", path: fmt.Sprintf("/api/v1/teach/classes/%d/members", w.own.ID)}), &members)
	var names []string
	for _, m := range members.Members {
		names = append(names, m.Username)
	}
	if strings.Join(names, ",") != "home-learner,new-a,new-b" {
		t.Errorf("members %v", names)
	}
	var other int
	w.ts.st.DB().QueryRow("SELECT COUNT(*) FROM classes WHERE name = '别的班'").Scan(&other)
	if other != 0 {
		t.Error("the class column made a class")
	}
}

// TestCourseQuestionsByRole: the analysis of a whole course counts the
// learners in the caller's scope; teachers use their classes' analysis.
func TestCourseQuestionsByRole(t *testing.T) {
	t.Parallel()
	w := newTeachWorld(t)
	l1 := w.lessons[0].ID
	for _, u := range []string{"home-learner", "remote-learner"} {
		c := w.as(t, u)
		c.do(request{method: "POST", path: "/api/v1/courses/simple/enroll", csrf: true})
		if rec := c.do(request{method: "POST", path: fmt.Sprintf("/api/v1/lessons/%d/attempts", l1), body: `{"answers":{"q1":0,"q2":true}}`, csrf: true}); rec.Code != 200 {
			t.Fatalf("attempt: %d %s", rec.Code, rec.Body)
		}
	}
	for role, want := range map[string]int{account.RoleLearner: -403, account.RoleTeacher: -403, account.RoleInstitutionAdmin: 1,
		account.RoleRegionAdmin: 1, account.RoleAdmin: 2, "signed out": -401} {
		username := ""
		if u := w.staff[role]; u != nil {
			username = u.Username
		}
		rec := w.as(t, username).do(request{method: "GET", path: fmt.Sprintf("/api/v1/teach/questions?lesson_id=%d", l1)})
		if want < 0 {
			if rec.Code != -want {
				t.Errorf("%s: %d, want %d", role, rec.Code, -want)
			}
			continue
		}
		var qs struct {
			Questions []teach.QuestionStats `json:"questions"`
		}
		decode(t, rec, &qs)
		if len(qs.Questions) != 2 || qs.Questions[0].ID != "q1" || qs.Questions[0].Attempts != want || qs.Questions[0].MostChosenWrong != float64(0) {
			t.Errorf("%s: %+v", role, qs.Questions)
		}
	}
}

// TestClassJoinThrottled: after 20 wrong codes in an hour a learner is
// told to wait, even with the right code; a lapsed hour lets them in.
func TestClassJoinThrottled(t *testing.T) {
	t.Parallel()
	w := newTeachWorld(t)
	c := w.as(t, "home-two")
	join := func(code string) *httptest.ResponseRecorder {
		return c.do(request{method: "POST", path: "/api/v1/classes/join", body: fmt.Sprintf(`{"code":%q}`, code), csrf: true})
	}
	for i := 0; i < 20; i++ {
		if rec := join(fmt.Sprintf("ZZZZ%c%c", 'A'+i/8, 'A'+i%8)); rec.Code != 404 {
			t.Fatalf("wrong code #%d: %d", i+1, rec.Code)
		}
	}
	rec := join(*w.own.JoinCode)
	if rec.Code != 429 || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), "error.class_join_throttled") {
		t.Fatalf("21st try: %d %s", rec.Code, rec.Body)
	}
	if rec := c.do(request{method: "GET", path: "/api/v1/classes/join/" + *w.own.JoinCode}); rec.Code != 429 {
		t.Errorf("join info while throttled: %d", rec.Code)
	}
	if rec := w.as(t, "s-learner").do(request{method: "POST", path: "/api/v1/classes/join", body: fmt.Sprintf(`{"code":%q}`, *w.own.JoinCode), csrf: true}); rec.Code != 200 {
		t.Errorf("another learner: %d %s", rec.Code, rec.Body)
	}
}

// "My learning" is kept for repeat views (internal/learning/minecache.go),
// but a change made in this process shows on the very next view: a
// teacher's assignment and due date, an administrator's yearly target, a
// learner joining a class.
func TestMyLearningShowsStaffChangesAtOnce(t *testing.T) {
	t.Parallel()
	w := newTeachWorld(t)
	teacher, admin := w.as(t, "s-teacher"), w.as(t, "s-admin")
	home := w.as(t, "home-learner") // in w.own
	two := w.as(t, "home-two")      // in no class
	for _, c := range []*client{home, two} {
		if rec := c.do(request{method: "POST", path: "/api/v1/courses/simple/enroll", csrf: true}); rec.Code >= 300 {
			t.Fatalf("enrol: %d %s", rec.Code, rec.Body)
		}
	}
	type page struct {
		Courses []struct {
			Slug  string     `json:"slug"`
			DueAt *time.Time `json:"due_at"`
		} `json:"courses"`
		Hours struct {
			Year   int     `json:"year"`
			Target float64 `json:"target"`
		} `json:"hours"`
	}
	mine := func(c *client) page {
		t.Helper()
		var p page
		decode(t, c.do(request{method: "GET", path: "/api/v1/me/courses"}), &p)
		if len(p.Courses) != 1 {
			t.Fatalf("my learning: %+v", p)
		}
		return p
	}
	before := mine(home)
	mine(two)
	if before.Courses[0].DueAt != nil {
		t.Fatalf("due before any assignment: %v", before.Courses[0].DueAt)
	}

	due := w.clk.Now().Add(72 * time.Hour).Truncate(time.Second)
	rec := teacher.do(request{method: "PUT", path: fmt.Sprintf("/api/v1/teach/classes/%d/assignments/simple", w.own.ID),
		body: fmt.Sprintf(`{"due_at":%q}`, due.Format(time.RFC3339)), csrf: true})
	if rec.Code != 200 {
		t.Fatalf("assign: %d %s", rec.Code, rec.Body)
	}
	if got := mine(home).Courses[0].DueAt; got == nil || !got.Equal(due) {
		t.Errorf("after the teacher's assignment: due %v, want %v", got, due)
	}

	rec = admin.do(request{method: "PUT", path: "/api/v1/admin/stats/targets", csrf: true,
		body: fmt.Sprintf(`{"scope":"institution:cd-lib","year":%d,"hours":37}`, before.Hours.Year)})
	if rec.Code != 200 {
		t.Fatalf("set target: %d %s", rec.Code, rec.Body)
	}
	if got := mine(home).Hours.Target; got != 37 {
		t.Errorf("after the administrator's target: %v, want 37", got)
	}

	if got := mine(two).Courses[0].DueAt; got != nil {
		t.Errorf("due before joining the class: %v", got)
	}
	if rec := two.do(request{method: "POST", path: "/api/v1/classes/join", body: `{"code":"AAAAA2"}`, csrf: true}); rec.Code != 200 {
		t.Fatalf("join: %d %s", rec.Code, rec.Body)
	}
	if got := mine(two).Courses[0].DueAt; got == nil || !got.Equal(due) {
		t.Errorf("after joining the class: due %v, want %v", got, due)
	}
}
