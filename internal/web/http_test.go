package web_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/session"
)

// bodyOfSize is a JSON login body of exactly n bytes.
func bodyOfSize(n int) string {
	const head, tail = `{"username":"zhangwei","password":"`, `"}`
	return head + strings.Repeat("a", n-len(head)-len(tail)) + tail
}

const mib = 1 << 20

func TestHTTPScenarios(t *testing.T) {
	t.Parallel()
	runScenarios(t, []scenario{
		{
			name: "malformed JSON is 400", method: "POST", path: "/api/v1/auth/login",
			body: `{"username":"zhangwei",`, csrf: true, before: withCSRF,
			wantStatus: 400, wantErrorCode: "invalid", wantBodyContains: []string{"not valid JSON"},
		},
		{
			name: "trailing garbage after JSON is 400", method: "POST", path: "/api/v1/auth/login",
			body: `{"username":"zhangwei","password":"x"} {}`, csrf: true, before: withCSRF,
			wantStatus: 400, wantErrorCode: "invalid",
		},
		{
			name: "a field of the wrong type is 400 naming it", method: "POST", path: "/api/v1/auth/login",
			body: `{"username":12345,"password":"x"}`, csrf: true, before: withCSRF,
			wantStatus: 400, wantErrorCode: "invalid", wantBodyContains: []string{`"field":"username"`},
		},
		{
			name: "an empty body is 400", method: "POST", path: "/api/v1/auth/login", csrf: true, before: withCSRF,
			wantStatus: 400, wantErrorCode: "invalid",
		},
		{
			name: "a form post instead of JSON is 400", method: "POST", path: "/api/v1/auth/login",
			body: "username=zhangwei", headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			csrf: true, before: withCSRF,
			wantStatus: 400, wantErrorCode: "invalid", wantBodyContains: []string{"application/json"},
		},
		{
			name: "a body over 1 MiB is 413", method: "POST", path: "/api/v1/auth/login",
			body: bodyOfSize(mib + 1), csrf: true, before: withCSRF,
			wantStatus: 413, wantErrorCode: "too_large",
		},
		{
			// Without a Content-Length the limit is only noticed while
			// reading; the JSON decoder must report it as 413, not 400.
			name: "a streamed body over 1 MiB is 413", method: "POST", path: "/api/v1/auth/login",
			body: bodyOfSize(3 * mib), chunked: true, csrf: true, before: withCSRF,
			wantStatus: 413, wantErrorCode: "too_large",
		},
		{
			name: "a body of exactly 1 MiB is read", method: "POST", path: "/api/v1/auth/login",
			body: bodyOfSize(mib), csrf: true, before: withCSRF,
			wantStatus: 401, wantErrorCode: "unauthorized",
		},
		{
			name: "unknown API route is 404 in the error shape", method: "GET", path: "/api/v1/no-such-thing",
			wantStatus: 404, wantErrorCode: "not_found", wantBodyContains: []string{"There is no such address."},
		},
		{
			name: "unknown route asked for JSON is 404 in the error shape", method: "GET", path: "/no/such/page",
			headers:    map[string]string{"Accept": "application/json"},
			wantStatus: 404, wantErrorCode: "not_found",
		},
		{
			name: "unknown page in a browser is the 404 page", method: "GET", path: "/no/such/page",
			headers:    map[string]string{"Accept": "text/html,application/xhtml+xml"},
			wantStatus: 404, wantBodyContains: []string{"<html"},
			wantHeaders: map[string]string{"Content-Type": "text/html", "Content-Security-Policy": "script-src 'self'"},
		},
		{
			name: "healthz", method: "GET", path: "/healthz",
			wantStatus: 200, wantBodyContains: []string{`{"status":"ok"}`},
		},
		{
			name: "readyz when everything answers", method: "GET", path: "/readyz",
			wantStatus: 200, wantBodyContains: []string{`"status":"ready"`},
		},
		{
			name: "security headers on a page", method: "GET", path: "/",
			wantStatus: 200,
			wantHeaders: map[string]string{
				"Content-Security-Policy": "script-src 'self'",
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "strict-origin-when-cross-origin",
				"X-Request-Id":            "",
			},
			after: checkCSP,
		},
		{
			name: "security headers on an API error", method: "GET", path: "/api/v1/me",
			wantStatus: 401, wantErrorCode: "unauthorized", after: checkCSP,
		},
		{
			name: "security headers on a 404", method: "GET", path: "/api/v1/nothing",
			wantStatus: 404, after: checkCSP,
		},
		{
			name: "the sign-in page is served", method: "GET", path: "/login",
			wantStatus: 200, wantBodyContains: []string{"<html"}, wantBodyNotContains: []string{"<script>"},
		},
		{
			name: "static files are compressed", method: "GET", path: "/css/app.css",
			headers:    map[string]string{"Accept-Encoding": "gzip"},
			wantStatus: 200, wantHeaders: map[string]string{"Content-Encoding": "gzip", "Content-Type": "text/css"},
		},
	})
}

func checkCSP(t *testing.T, ts *testServer, c *client, rec *httptest.ResponseRecorder) {
	t.Helper()
	csp := rec.Header().Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %s", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP allows inline or eval: %q", csp)
	}
	if rec.Header().Get("X-Content-Type-Options") != "nosniff" || rec.Header().Get("Referrer-Policy") == "" {
		t.Errorf("nosniff/Referrer-Policy missing: %v", rec.Header())
	}
	if rec.Header().Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id")
	}
}

// The message follows Accept-Language; the code does not.
func TestAcceptLanguageChangesMessage(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	messages := map[string]string{}
	for _, accept := range []string{"en", "en-US,en;q=0.9", "zh-CN", "zh", "fr", ""} {
		c := ts.client()
		c.lang = accept
		rec := c.do(request{method: "GET", path: "/api/v1/me"})
		code, msg := errorOf(t, rec)
		if code != "unauthorized" {
			t.Errorf("%q: code %q", accept, code)
		}
		messages[accept] = msg
	}
	en, zh := ts.cat.T("en", "error.unauthorized", nil), ts.cat.T("zh-CN", "error.unauthorized", nil)
	if en == zh {
		t.Fatal("catalogs give the same message in both languages")
	}
	for accept, want := range map[string]string{"en": en, "en-US,en;q=0.9": en, "zh-CN": zh, "zh": zh, "fr": zh, "": zh} {
		if messages[accept] != want {
			t.Errorf("Accept-Language %q: message %q, want %q", accept, messages[accept], want)
		}
	}
}

// flaky fails every call while down, as a Redis or MySQL outage would.
type flaky struct{ down atomic.Bool }

func (f *flaky) err() error {
	if f.down.Load() {
		return errs.Wrap(errs.Unavailable, "error.unavailable", errors.New("dial tcp 127.0.0.1:6379: connect: connection refused"))
	}
	return nil
}

func (f *flaky) Ping(ctx context.Context) error { return f.err() }

type flakySessions struct {
	session.Store
	*flaky
}

func (f flakySessions) Create(ctx context.Context, uid int64, o session.Options) (string, session.Session, error) {
	if err := f.err(); err != nil {
		return "", session.Session{}, err
	}
	return f.Store.Create(ctx, uid, o)
}

func (f flakySessions) Get(ctx context.Context, token string) (session.Session, error) {
	if err := f.err(); err != nil {
		return session.Session{}, err
	}
	return f.Store.Get(ctx, token)
}

func (f flakySessions) Ping(ctx context.Context) error { return f.err() }

// An outage is a 503 in the error shape with Retry-After, never a 500 or a
// sign-out; and it heals without a restart.
func TestDependencyOutage(t *testing.T) {
	t.Parallel()
	sess, db := &flaky{}, &flaky{}
	ts := newTestServer(t,
		withSessions(func(s session.Store) session.Store { return flakySessions{Store: s, flaky: sess} }),
		withDatabasePinger(db))
	c := ts.client()
	c.login(t, "zhangwei", zhangPassword)
	cookie := c.cookies["xuetang_session"]

	for _, down := range []*flaky{sess, db} {
		down.down.Store(true)
		rec := c.do(request{method: "GET", path: "/readyz"})
		if rec.Code != 503 || !strings.Contains(rec.Body.String(), `"unavailable"`) {
			t.Errorf("readyz while down = %d %s", rec.Code, rec.Body)
		}
		down.down.Store(false)
	}

	sess.down.Store(true)
	rec := c.do(request{method: "GET", path: "/api/v1/me"})
	if rec.Code != 503 {
		t.Fatalf("/me while the session store is down = %d %s", rec.Code, rec.Body)
	}
	if code, msg := errorOf(t, rec); code != "unavailable" || msg != ts.cat.T("en", "error.unavailable", nil) {
		t.Errorf("error = %s %q", code, msg)
	}
	if rec.Header().Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	if c.cookies["xuetang_session"] != cookie {
		t.Error("an outage signed the user out")
	}
	other := ts.client()
	other.prepareCSRF(t)
	if rec := other.do(request{method: "POST", path: "/api/v1/auth/login", body: loginBody("lina", linaPassword), csrf: true}); rec.Code != 503 {
		t.Errorf("login while the session store is down = %d %s", rec.Code, rec.Body)
	}

	sess.down.Store(false)
	if rec := c.do(request{method: "GET", path: "/readyz"}); rec.Code != 200 {
		t.Errorf("readyz after recovery = %d", rec.Code)
	}
	if rec := c.do(request{method: "GET", path: "/api/v1/me"}); rec.Code != 200 {
		t.Errorf("/me after recovery = %d %s", rec.Code, rec.Body)
	}
	if strings.Contains(ts.logs.String(), `"level":"ERROR"`) {
		t.Errorf("an outage was logged as an internal error:\n%s", ts.logs)
	}
}
