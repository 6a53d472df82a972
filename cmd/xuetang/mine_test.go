package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/xuetang-edu/xuetang/internal/config"
)

// serve wires the "my learning" page cache to the staff API: a target an
// administrator sets shows on a learner's next view at once, although the
// learner's page is kept for repeat views.
func TestServedMyLearningSeesStaffChangesAtOnce(t *testing.T) {
	env := serveEnv(t)
	env["XUETANG_LOG_LEVEL"] = "warn"
	for _, u := range [][2]string{{"boss", "admin"}, {"pupil", "learner"}} {
		if code, _, errOut := xuetangIn(env, u[1]+"-password-long-1\n", "user", "create", "--username", u[0], "--role", u[1]); code != 0 {
			t.Fatalf("user create %s: %s", u[0], errOut)
		}
	}
	cfg, err := config.FromEnv(mapEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	base, _ := startServe(t, cfg, serveHooks{})
	admin, pupil := newAppClient(t, base), newAppClient(t, base)
	if status, body := admin.login("boss", "admin-password-long-1"); status != 200 {
		t.Fatalf("login: %d %s", status, body)
	}
	if status, body := pupil.login("pupil", "learner-password-long-1"); status != 200 {
		t.Fatalf("login: %d %s", status, body)
	}
	hours := func() (year int, target float64) {
		t.Helper()
		status, body := pupil.do("GET", "/api/v1/me/courses", "")
		var m struct {
			Hours struct {
				Year   int     `json:"year"`
				Target float64 `json:"target"`
			} `json:"hours"`
		}
		if status != 200 || json.Unmarshal(body, &m) != nil {
			t.Fatalf("my learning: %d %s", status, body)
		}
		return m.Hours.Year, m.Hours.Target
	}
	year, before := hours()
	hours() // kept
	status, body := admin.do("PUT", "/api/v1/admin/stats/targets", fmt.Sprintf(`{"scope":"default","year":%d,"hours":%v}`, year, before+21))
	if status != 200 {
		t.Fatalf("set target: %d %s", status, body)
	}
	if _, after := hours(); after != before+21 {
		t.Errorf("target after the administrator's change: %v, want %v", after, before+21)
	}
}

func xuetangIn(env map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errOut strings.Builder
	code = run(args, strings.NewReader(stdin), &out, &errOut, mapEnv(env))
	return code, out.String(), errOut.String()
}
