package web_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/xuetang-edu/xuetang/internal/account"
)

func TestAuthScenarios(t *testing.T) {
	t.Parallel()
	sessionBackends(t, func(t *testing.T, opts ...option) {
		runScenarios(t, []scenario{
			{
				name: "30-character Chinese password signs in", method: "POST", path: "/api/v1/auth/login",
				body: loginBody("zhangwei", zhangPassword), csrf: true, before: withCSRF,
				wantStatus: 200, wantBodyContains: []string{`"display_name":"张伟"`, `"username":"zhangwei"`, `"csrf_token"`},
				// Neither the password nor its hash comes back (must_change_password does).
				wantBodyNotContains: []string{zhangPassword, "password_hash", "PasswordHash", "argon2"},
				after: func(t *testing.T, ts *testServer, c *client, rec *httptest.ResponseRecorder) {
					checkLoginCookies(t, rec)
					if me := c.do(request{method: "GET", path: "/api/v1/me"}); me.Code != 200 {
						t.Errorf("/me after login = %d", me.Code)
					}
				},
			},
			{
				name: "behind an https proxy the cookies are Secure", method: "POST", path: "/api/v1/auth/login",
				body: loginBody("zhangwei", zhangPassword), csrf: true, before: withCSRF,
				// TLS ends at a reverse proxy on the private network.
				headers: map[string]string{"X-Forwarded-Proto": "https"}, remoteAddr: "10.0.0.2:51234",
				wantStatus: 200,
				after: func(t *testing.T, ts *testServer, c *client, rec *httptest.ResponseRecorder) {
					set := map[string]bool{}
					for _, ck := range rec.Result().Cookies() {
						set[ck.Name] = true
						if !ck.Secure {
							t.Errorf("cookie %s is not Secure over https", ck.Name)
						}
					}
					if !set["xuetang_session"] || !set["xuetang_csrf"] {
						t.Errorf("login set cookies %v; want xuetang_session and xuetang_csrf", rec.Header().Values("Set-Cookie"))
					}
				},
			},
			{
				name: "username is case-insensitive", method: "POST", path: "/api/v1/auth/login",
				body: loginBody("  ZHANGWEI ", zhangPassword), csrf: true, before: withCSRF,
				wantStatus: 200, wantBodyContains: []string{`"username":"zhangwei"`},
			},
			{
				name: "wrong password is 401", method: "POST", path: "/api/v1/auth/login",
				body: loginBody("zhangwei", "not-my-password"), csrf: true, before: withCSRF,
				wantStatus: 401, wantErrorCode: "unauthorized",
				wantBodyContains: []string{"The username or password is incorrect."},
				after:            checkNoSessionCookie,
			},
			{
				name: "unknown user is 401", method: "POST", path: "/api/v1/auth/login",
				body: loginBody("nobody", zhangPassword), csrf: true, before: withCSRF,
				wantStatus: 401, wantErrorCode: "unauthorized",
				wantBodyContains: []string{"The username or password is incorrect."},
				after:            checkNoSessionCookie,
			},
			{
				name: "password over 128 characters is refused without hashing", method: "POST", path: "/api/v1/auth/login",
				body: loginBody("zhangwei", strings.Repeat("码", 129)), csrf: true, before: withCSRF,
				wantStatus: 401, wantErrorCode: "unauthorized",
			},
			{
				// Refused before the username reaches a throttle key.
				name: "a 900 KB username is 400", method: "POST", path: "/api/v1/auth/login",
				body: loginBody(strings.Repeat("z", 900*1024), zhangPassword), csrf: true, before: withCSRF,
				wantStatus: 400, wantErrorCode: "invalid",
				wantBodyContains: []string{`"key":"error.username_too_long"`, `"field":"username"`, "at most 64 characters"},
				after:            checkNoSessionCookie,
			},
			{
				name: "a 65-character username is 400", method: "POST", path: "/api/v1/auth/login",
				body: loginBody(strings.Repeat("张", 65), zhangPassword), csrf: true, before: withCSRF,
				wantStatus: 400, wantErrorCode: "invalid", wantBodyContains: []string{`"key":"error.username_too_long"`},
			},
			{
				name: "login without X-CSRF-Token is 403", method: "POST", path: "/api/v1/auth/login",
				body: loginBody("zhangwei", zhangPassword), before: withCSRF,
				wantStatus: 403, wantErrorCode: "forbidden", after: checkNoSessionCookie,
			},
			{
				name: "login without any CSRF cookie is 403", method: "POST", path: "/api/v1/auth/login",
				body: loginBody("zhangwei", zhangPassword), headers: map[string]string{"X-CSRF-Token": "made-up"},
				wantStatus: 403, wantErrorCode: "forbidden", after: checkNoSessionCookie,
			},
			{
				name: "login with a wrong X-CSRF-Token is 403", method: "POST", path: "/api/v1/auth/login",
				body: loginBody("zhangwei", zhangPassword), before: withCSRF,
				headers:    map[string]string{"X-CSRF-Token": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
				wantStatus: 403, wantErrorCode: "forbidden",
			},
			{
				name: "logout without X-CSRF-Token is 403 and keeps the session", method: "POST", path: "/api/v1/auth/logout",
				before: signedIn, wantStatus: 403, wantErrorCode: "forbidden",
				after: func(t *testing.T, ts *testServer, c *client, rec *httptest.ResponseRecorder) {
					if me := c.do(request{method: "GET", path: "/api/v1/me"}); me.Code != 200 {
						t.Errorf("/me after refused logout = %d", me.Code)
					}
				},
			},
			{
				name: "changing the language without X-CSRF-Token is 403", method: "PUT", path: "/api/v1/me/locale",
				body: `{"locale":"en"}`, before: signedIn, wantStatus: 403, wantErrorCode: "forbidden",
			},
			{
				// A cookie planted by a sibling subdomain must not pass: the
				// header has to match the session's own token.
				name: "signed in, a planted CSRF cookie and matching header is 403", method: "PUT", path: "/api/v1/me/locale",
				body: `{"locale":"en"}`,
				before: func(t *testing.T, ts *testServer, c *client) {
					signedIn(t, ts, c)
					c.cookies["xuetang_csrf"] = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
				},
				csrf: true, wantStatus: 403, wantErrorCode: "forbidden",
			},
			{
				name: "changing the language with the token works", method: "PUT", path: "/api/v1/me/locale",
				body: `{"locale":"en"}`, before: signedIn, csrf: true,
				wantStatus: 200, wantBodyContains: []string{`"locale":"en"`},
			},
			{
				name: "an unsupported language is 400 naming the field", method: "PUT", path: "/api/v1/me/locale",
				body: `{"locale":"fr"}`, before: signedIn, csrf: true,
				wantStatus: 400, wantErrorCode: "invalid", wantBodyContains: []string{`"field":"locale"`},
			},
			{
				name: "me signed out is 401", method: "GET", path: "/api/v1/me",
				wantStatus: 401, wantErrorCode: "unauthorized", wantBodyContains: []string{"Please sign in first."},
			},
			{
				name: "me signed in is 200", method: "GET", path: "/api/v1/me", before: signedIn,
				wantStatus: 200, wantBodyContains: []string{`"username":"zhangwei"`, `"role":"learner"`, `"display_name":"张伟"`},
				wantBodyNotContains: []string{"password_hash", "argon2"},
			},
			{
				name: "a forged session cookie is signed out", method: "GET", path: "/api/v1/me",
				headers:    map[string]string{"Cookie": "xuetang_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
				wantStatus: 401, wantErrorCode: "unauthorized",
			},
			{
				name: "the CSRF endpoint gives an anonymous token", method: "GET", path: "/api/v1/auth/csrf",
				wantStatus: 200, wantBodyContains: []string{`"csrf_token":"`},
				after: func(t *testing.T, ts *testServer, c *client, rec *httptest.ResponseRecorder) {
					var body struct {
						Token string `json:"csrf_token"`
					}
					_ = json.Unmarshal(rec.Body.Bytes(), &body)
					if len(body.Token) < 32 || body.Token != c.cookies["xuetang_csrf"] {
						t.Errorf("token %q, cookie %q", body.Token, c.cookies["xuetang_csrf"])
					}
				},
			},
		}, opts...)
	})
}

func checkLoginCookies(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	var sess, csrf *http.Cookie
	for _, ck := range rec.Result().Cookies() {
		switch ck.Name {
		case "xuetang_session":
			sess = ck
		case "xuetang_csrf":
			csrf = ck
		}
	}
	if sess == nil || csrf == nil {
		t.Fatalf("login set cookies %v", rec.Header().Values("Set-Cookie"))
	}
	if len(sess.Value) != 43 || !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Path != "/" {
		t.Errorf("session cookie = %+v; want HttpOnly, SameSite=Lax, Path=/", sess)
	}
	if sess.Secure {
		t.Error("Secure set on plain http; the browser would drop the cookie")
	}
	if sess.MaxAge <= 0 {
		t.Errorf("session cookie MaxAge = %d; a normal sign-in should survive closing the browser", sess.MaxAge)
	}
	// The frontend reads this one to fill X-CSRF-Token.
	if csrf.HttpOnly || csrf.Value == "" || csrf.SameSite != http.SameSiteLaxMode {
		t.Errorf("csrf cookie = %+v; want readable, SameSite=Lax", csrf)
	}
	var body struct {
		CSRF string `json:"csrf_token"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	if body.CSRF != csrf.Value {
		t.Errorf("csrf_token %q in the body differs from the cookie %q", body.CSRF, csrf.Value)
	}
}

func checkNoSessionCookie(t *testing.T, ts *testServer, c *client, rec *httptest.ResponseRecorder) {
	t.Helper()
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == "xuetang_session" && ck.MaxAge >= 0 && ck.Value != "" {
			t.Errorf("a failed sign-in set a session cookie")
		}
	}
}

// Wrong password and unknown user must be indistinguishable, in status,
// code, message and shape, in both languages.
func TestLoginFailureGivesNoHint(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for _, lang := range []string{"en", "zh-CN"} {
		bodies := map[string]string{}
		for name, creds := range map[string][2]string{
			"wrong password": {"zhangwei", "not-my-password"},
			"unknown user":   {"wangwu", zhangPassword},
			"empty password": {"zhangwei", ""},
		} {
			c := ts.client()
			c.lang = lang
			c.prepareCSRF(t)
			rec := c.do(request{method: "POST", path: "/api/v1/auth/login", body: loginBody(creds[0], creds[1]), csrf: true})
			if rec.Code != 401 {
				t.Errorf("%s %s: status %d", lang, name, rec.Code)
			}
			errorOf(t, rec)
			bodies[name] = rec.Body.String()
		}
		if bodies["wrong password"] != bodies["unknown user"] || bodies["wrong password"] != bodies["empty password"] {
			t.Errorf("%s: responses differ, revealing which part was wrong:\n%v", lang, bodies)
		}
	}
}

func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	sessionBackends(t, func(t *testing.T, opts ...option) {
		ts := newTestServer(t, opts...)
		const strangerAddr, ownerAddr = "198.51.100.7:40000", "203.0.113.20:50000"
		attacker := ts.client()
		attacker.prepareCSRF(t)
		guess := func() *httptest.ResponseRecorder {
			return attacker.do(request{method: "POST", path: "/api/v1/auth/login", body: loginBody("zhangwei", "guess"),
				csrf: true, remoteAddr: strangerAddr})
		}
		for i := 1; i <= account.PairFreeFailures; i++ {
			if rec := guess(); rec.Code != 401 {
				t.Fatalf("failure %d: status %d %s", i, rec.Code, rec.Body)
			}
		}
		rec := guess()
		if rec.Code != http.StatusTooManyRequests {
			t.Fatalf("after %d failures: status %d, want 429", account.PairFreeFailures, rec.Code)
		}
		var body struct {
			Error struct {
				Code       string `json:"code"`
				Key        string `json:"key"`
				Message    string `json:"message"`
				RetryAfter int    `json:"retry_after"`
			} `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		e := body.Error
		if e.Code != "too_many_requests" || e.Key != "error.login_throttled" || e.RetryAfter < 29 || e.RetryAfter > 30 ||
			rec.Header().Get("Retry-After") != strconv.Itoa(e.RetryAfter) || !strings.Contains(e.Message, "1 min") {
			t.Errorf("429 = %+v, Retry-After %q", e, rec.Header().Get("Retry-After"))
		}
		// The stranger holds up only the stranger: the owner, elsewhere,
		// signs in at once.
		owner := ts.client()
		owner.prepareCSRF(t)
		if rec := owner.do(request{method: "POST", path: "/api/v1/auth/login", body: loginBody("zhangwei", zhangPassword),
			csrf: true, remoteAddr: ownerAddr}); rec.Code != 200 {
			t.Errorf("right password from another address: status %d %s", rec.Code, rec.Body)
		}
		// Other accounts from the stranger's address are unaffected.
		if rec := attacker.do(request{method: "POST", path: "/api/v1/auth/login", body: loginBody("lina", linaPassword),
			csrf: true, remoteAddr: strangerAddr}); rec.Code != 200 {
			t.Errorf("another account from the stranger's address: status %d", rec.Code)
		}
	})
}

func TestLogoutEndsSessionOnServer(t *testing.T) {
	t.Parallel()
	sessionBackends(t, func(t *testing.T, opts ...option) {
		ts := newTestServer(t, opts...)
		c := ts.client()
		c.login(t, "zhangwei", zhangPassword)
		stolen := c.cookies["xuetang_session"]
		if rec := c.do(request{method: "GET", path: "/api/v1/me"}); rec.Code != 200 {
			t.Fatalf("/me = %d", rec.Code)
		}
		rec := c.do(request{method: "POST", path: "/api/v1/auth/logout", csrf: true})
		if rec.Code != 200 {
			t.Fatalf("logout = %d %s", rec.Code, rec.Body)
		}
		if _, ok := c.cookies["xuetang_session"]; ok {
			t.Error("logout did not clear the session cookie")
		}
		if rec := c.do(request{method: "GET", path: "/api/v1/me"}); rec.Code != 401 {
			t.Errorf("/me after logout = %d, want 401", rec.Code)
		}
		// A copy of the cookie taken before sign-out is dead too.
		replay := ts.client()
		replay.cookies["xuetang_session"] = stolen
		if rec := replay.do(request{method: "GET", path: "/api/v1/me"}); rec.Code != 401 {
			t.Errorf("replayed cookie after logout: /me = %d, want 401", rec.Code)
		}
	})
}

// Sign-in must never keep the session id the browser arrived with:
// otherwise an attacker who planted a cookie rides the victim's sign-in.
func TestLoginRotatesSession(t *testing.T) {
	t.Parallel()
	sessionBackends(t, func(t *testing.T, opts ...option) {
		ts := newTestServer(t, opts...)
		c := ts.client()
		c.login(t, "zhangwei", zhangPassword)
		old := c.cookies["xuetang_session"]
		oldCSRF := c.cookies["xuetang_csrf"]

		rec := c.login(t, "lina", linaPassword)
		checkLoginCookies(t, rec)
		if c.cookies["xuetang_session"] == old || c.cookies["xuetang_csrf"] == oldCSRF {
			t.Fatal("second sign-in kept the old session token or CSRF token")
		}
		if me := c.do(request{method: "GET", path: "/api/v1/me"}); me.Code != 200 || !strings.Contains(me.Body.String(), `"username":"lina"`) {
			t.Errorf("/me with the new cookie = %d %s", me.Code, me.Body)
		}
		prior := ts.client()
		prior.cookies["xuetang_session"] = old
		if me := prior.do(request{method: "GET", path: "/api/v1/me"}); me.Code != 401 {
			t.Errorf("old session still valid after sign-in: /me = %d", me.Code)
		}

		// A planted, unknown session id is not adopted either.
		planted := "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"
		v := ts.client()
		v.cookies["xuetang_session"] = planted
		v.login(t, "zhangwei", zhangPassword)
		if v.cookies["xuetang_session"] == planted {
			t.Error("sign-in adopted a planted session id")
		}
	})
}

// On a shared computer the session dies with the browser and sign-out asks
// the browser to forget what the site stored.
func TestSharedComputerSignIn(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c := ts.client()
	c.prepareCSRF(t)
	rec := c.do(request{method: "POST", path: "/api/v1/auth/login",
		body: `{"username":"zhangwei","password":"` + zhangPassword + `","shared":true}`, csrf: true})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"shared":true`) {
		t.Fatalf("shared login = %d %s", rec.Code, rec.Body)
	}
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == "xuetang_session" && (ck.MaxAge != 0 || !ck.Expires.IsZero()) {
			t.Errorf("shared-computer session cookie is persistent: %+v", ck)
		}
	}
	out := c.do(request{method: "POST", path: "/api/v1/auth/logout", csrf: true})
	if out.Code != 200 || !strings.Contains(out.Header().Get("Clear-Site-Data"), `"cookies"`) {
		t.Errorf("shared logout = %d, Clear-Site-Data %q", out.Code, out.Header().Get("Clear-Site-Data"))
	}
}

// On a public terminal the sign-in page learns before sign-in that the
// session will be a shared one, and the server makes it one even when the
// form did not ask; the page gets the idle timeout to count down from.
func TestPublicTerminalSignIn(t *testing.T) {
	t.Parallel()
	for _, public := range []bool{false, true} {
		var opts []option
		if public {
			opts = append(opts, withPublicTerminal())
		}
		ts := newTestServer(t, opts...)
		c := ts.client()
		site := c.do(request{method: "GET", path: "/api/v1/site"})
		var s struct {
			Public bool `json:"public_terminal"`
			Idle   int  `json:"shared_idle_seconds"`
		}
		if site.Code != 200 || json.Unmarshal(site.Body.Bytes(), &s) != nil || s.Public != public || s.Idle != 600 {
			t.Fatalf("public %v: site = %d %s", public, site.Code, site.Body)
		}
		c.prepareCSRF(t)
		rec := c.do(request{method: "POST", path: "/api/v1/auth/login",
			body: `{"username":"zhangwei","password":"` + zhangPassword + `","shared":false}`, csrf: true})
		var res struct {
			User struct {
				Shared bool `json:"shared"`
				Idle   int  `json:"idle_seconds"`
				Public bool `json:"public_terminal"`
			} `json:"user"`
		}
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &res) != nil {
			t.Fatalf("login = %d %s", rec.Code, rec.Body)
		}
		wantIdle := 7200
		if public {
			wantIdle = 600
		}
		if res.User.Shared != public || res.User.Public != public || res.User.Idle != wantIdle {
			t.Errorf("public %v: me = %+v", public, res.User)
		}
		for _, ck := range rec.Result().Cookies() {
			if ck.Name == "xuetang_session" && public && (ck.MaxAge != 0 || !ck.Expires.IsZero()) {
				t.Errorf("public terminal session cookie is persistent: %+v", ck)
			}
		}
	}
}
