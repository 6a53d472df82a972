package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/store"
)

func errorKey(t *testing.T, rec *httptest.ResponseRecorder) (key, field string) {
	t.Helper()
	var body struct {
		Error struct {
			Key   string `json:"key"`
			Field string `json:"field"`
		} `json:"error"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	return body.Error.Key, body.Error.Field
}

func passwordBody(current, next string) string {
	b, _ := json.Marshal(map[string]string{"current": current, "new": next})
	return string(b)
}

func meOf(t *testing.T, c *client) map[string]any {
	t.Helper()
	rec := c.do(request{method: "GET", path: "/api/v1/me"})
	if rec.Code != 200 {
		t.Fatalf("GET /me: %d %s", rec.Code, rec.Body)
	}
	var me map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &me); err != nil {
		t.Fatal(err)
	}
	return me
}

// After a reset the learner signs in with the one-time password, is held
// to choosing a new one (everything but a few calls is 403), and once
// they have, carries on; other sessions end; both Redis and SQL sessions.
func TestMustChangePasswordAfterReset(t *testing.T) {
	t.Parallel()
	sessionBackends(t, func(t *testing.T, opts ...option) {
		w := newAdminWorld(t, opts...)
		ctx := context.Background()
		teacher := w.signIn(t, w.staff[account.RoleTeacher])
		rec := teacher.do(request{method: "POST", path: fmt.Sprintf("/api/v1/admin/users/%d/password-reset", w.home.ID), csrf: true})
		if rec.Code != 200 {
			t.Fatalf("reset: %d %s", rec.Code, rec.Body)
		}
		var reset struct {
			OneTime string `json:"one_time_password"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &reset)
		if rec := w.ts.client(); true {
			rec.prepareCSRF(t)
			if code := rec.do(request{method: "POST", path: "/api/v1/auth/login", body: loginBody(w.home.Username, staffPassword), csrf: true}).Code; code != 401 {
				t.Errorf("the old password still signs in: %d", code)
			}
		}

		phone, other := w.ts.client(), w.ts.client()
		login := phone.login(t, w.home.Username, reset.OneTime)
		var lb struct {
			User map[string]any `json:"user"`
		}
		_ = json.Unmarshal(login.Body.Bytes(), &lb)
		if lb.User["must_change_password"] != true {
			t.Fatalf("sign-in user: %v", lb.User)
		}
		other.login(t, w.home.Username, reset.OneTime)
		if me := meOf(t, phone); me["must_change_password"] != true {
			t.Errorf("/me: %v", me)
		}
		for _, r := range []request{
			{method: "PUT", path: "/api/v1/me/locale", body: `{"locale":"en"}`, csrf: true},
			{method: "GET", path: "/api/v1/courses"},
			{method: "GET", path: "/api/v1/me/courses"},
			{method: "GET", path: "/api/v1/admin/users"},
		} {
			rec := phone.do(r)
			if key, _ := errorKey(t, rec); rec.Code != 403 || key != "error.password_change_required" {
				t.Errorf("%s %s before the change: %d %s", r.method, r.path, rec.Code, rec.Body)
			}
		}
		// Queued progress and attempts pass the gate (whatever they answer next).
		for _, r := range []request{
			{method: "POST", path: "/api/v1/progress", body: `{"events":[]}`, csrf: true},
			{method: "POST", path: "/api/v1/lessons/1/attempts", body: `{"answers":{}}`, csrf: true},
		} {
			if key, _ := errorKey(t, phone.do(r)); key == "error.password_change_required" {
				t.Errorf("%s %s was held back", r.method, r.path)
			}
		}

		for _, bad := range []struct{ current, next, key, field string }{
			{"not-the-password", "a-brand-new-secret-9", "error.password_current_wrong", "current"},
			{reset.OneTime, "short", "error.password_length", "new"},
			{reset.OneTime, "password123", "error.password_common", "new"},
			{reset.OneTime, reset.OneTime, "error.password_unchanged", "new"},
		} {
			rec := phone.do(request{method: "POST", path: "/api/v1/me/password", body: passwordBody(bad.current, bad.next), csrf: true})
			if key, field := errorKey(t, rec); rec.Code != 400 || key != bad.key || field != bad.field {
				t.Errorf("change %q -> %q: %d %s", bad.current, bad.next, rec.Code, rec.Body)
			}
		}
		if u, _ := w.ts.st.UserByID(ctx, w.home.ID); !u.MustChangePassword || !account.CheckPassword(reset.OneTime, u.PasswordHash) {
			t.Fatal("a refused change changed the password")
		}

		oldCSRF := phone.cookies["xuetang_csrf"]
		rec = phone.do(request{method: "POST", path: "/api/v1/me/password", body: passwordBody(reset.OneTime, "my-own-secret-2026"), csrf: true})
		if rec.Code != 200 {
			t.Fatalf("change: %d %s", rec.Code, rec.Body)
		}
		if phone.cookies["xuetang_csrf"] == oldCSRF {
			t.Error("the session was not renewed")
		}
		if me := meOf(t, phone); me["must_change_password"] != false {
			t.Errorf("/me after the change: %v", me)
		}
		if rec := phone.do(request{method: "PUT", path: "/api/v1/me/locale", body: `{"locale":"en"}`, csrf: true}); rec.Code != 200 {
			t.Errorf("after the change: %d %s", rec.Code, rec.Body)
		}
		if signedInNow(other) {
			t.Error("the other session survived the change")
		}
		if !signedInNow(teacher) {
			t.Error("someone else's session ended")
		}
		w.ts.client().login(t, w.home.Username, "my-own-secret-2026")

		entries, err := w.ts.st.AuditEntries(ctx, "user.password_change", 10)
		if err != nil {
			t.Fatal(err)
		}
		outcomes := map[string]int{}
		for _, e := range entries {
			outcomes[e.Outcome]++
			if e.ActorID == nil || *e.ActorID != w.home.ID || e.Target != account.UserTarget(w.home.ID) {
				t.Errorf("entry %+v", e)
			}
		}
		if outcomes[store.OutcomeOK] != 1 || outcomes[store.OutcomeDenied] != 1 {
			t.Errorf("outcomes %v", outcomes)
		}
	})
}

// Any signed-in user may change their own password; wrong guesses at the
// current one meet the sign-in delays.
func TestChangeOwnPassword(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c := ts.client()
	c.login(t, "lina", linaPassword)
	if rec := c.do(request{method: "POST", path: "/api/v1/me/password", body: passwordBody(linaPassword, "lina-new-password-27")}); rec.Code != 403 {
		t.Errorf("without the CSRF header: %d", rec.Code)
	}
	if rec := c.do(request{method: "POST", path: "/api/v1/me/password", body: passwordBody(linaPassword, "lina-new-password-27"), csrf: true}); rec.Code != 200 {
		t.Fatalf("change: %d %s", rec.Code, rec.Body)
	}
	if !signedInNow(c) {
		t.Fatal("the session that changed the password ended")
	}
	for i := 0; i < account.PairFreeFailures+1; i++ {
		c.do(request{method: "POST", path: "/api/v1/me/password", body: passwordBody("guess", "lina-other-password-28"), csrf: true})
	}
	rec := c.do(request{method: "POST", path: "/api/v1/me/password", body: passwordBody("guess", "lina-other-password-28"), csrf: true})
	if rec.Code != 429 {
		t.Errorf("guessing the current password: %d %s", rec.Code, rec.Body)
	}
	anon := ts.client()
	anon.prepareCSRF(t)
	if rec := anon.do(request{method: "POST", path: "/api/v1/me/password", body: passwordBody("x", "y"), csrf: true}); rec.Code != 401 {
		t.Errorf("signed out: %d", rec.Code)
	}
}
