package web_test

import (
	"net/http/httptest"
	"strings"
	"testing"
)

const metricsToken = "test-metrics-token-0123456789"

// stillSignedIn checks that a refused request changed nothing: the session
// works and the language choice is what it was.
func stillSignedIn(t *testing.T, ts *testServer, c *client, rec *httptest.ResponseRecorder) {
	t.Helper()
	me := c.do(request{method: "GET", path: "/api/v1/me"})
	if me.Code != 200 {
		t.Fatalf("after the refused request /me = %d %s", me.Code, me.Body)
	}
	if !strings.Contains(me.Body.String(), `"locale":"zh-CN"`) {
		t.Errorf("the refused request changed the user: %s", me.Body)
	}
}

// notSignedIn checks that a refused sign-in issued no session.
func notSignedIn(t *testing.T, ts *testServer, c *client, rec *httptest.ResponseRecorder) {
	t.Helper()
	if c.cookies["xuetang_session"] != "" {
		t.Error("a refused sign-in set a session cookie")
	}
	if me := c.do(request{method: "GET", path: "/api/v1/me"}); me.Code != 401 {
		t.Errorf("after a refused sign-in /me = %d", me.Code)
	}
}

func signedInOK(t *testing.T, ts *testServer, c *client, rec *httptest.ResponseRecorder) {
	t.Helper()
	if me := c.do(request{method: "GET", path: "/api/v1/me"}); me.Code != 200 {
		t.Errorf("after signing in /me = %d", me.Code)
	}
}

var login = loginBody("zhangwei", zhangPassword)

func TestCrossOriginRefused(t *testing.T) {
	t.Parallel()
	runScenarios(t, []scenario{
		{
			name: "sign-in posted from another site", method: "POST", path: "/api/v1/auth/login", body: login, csrf: true,
			headers: map[string]string{"Origin": "https://evil.example"}, before: withCSRF,
			wantStatus: 403, wantErrorCode: "forbidden", wantBodyContains: []string{`"key":"error.cross_origin"`},
			after: notSignedIn,
		},
		{
			name: "sign-in marked cross-site by the browser", method: "POST", path: "/api/v1/auth/login", body: login, csrf: true,
			headers: map[string]string{"Sec-Fetch-Site": "cross-site"}, before: withCSRF,
			wantStatus: 403, wantErrorCode: "forbidden", wantBodyContains: []string{`"key":"error.cross_origin"`},
			after: notSignedIn,
		},
		{
			name: "an opaque origin", method: "POST", path: "/api/v1/auth/login", body: login, csrf: true,
			headers: map[string]string{"Origin": "null"}, before: withCSRF,
			wantStatus: 403, wantErrorCode: "forbidden", after: notSignedIn,
		},
		{
			name: "another port of the same host", method: "POST", path: "/api/v1/auth/login", body: login, csrf: true,
			headers: map[string]string{"Origin": "http://example.com:8080"}, before: withCSRF,
			wantStatus: 403, wantErrorCode: "forbidden", after: notSignedIn,
		},
		{
			name: "a sibling subdomain", method: "POST", path: "http://learn.example.cn/api/v1/auth/login", body: login, csrf: true,
			headers: map[string]string{"Origin": "http://evil.learn.example.cn", "Sec-Fetch-Site": "same-site"}, before: withCSRF,
			wantStatus: 403, wantErrorCode: "forbidden", after: notSignedIn,
		},
		{
			name: "sign-out from another site", method: "POST", path: "/api/v1/auth/logout", csrf: true,
			headers: map[string]string{"Origin": "https://evil.example"}, before: signedIn,
			wantStatus: 403, wantErrorCode: "forbidden", after: stillSignedIn,
		},
		{
			name: "a change from another site", method: "PUT", path: "/api/v1/me/locale", body: `{"locale":"en"}`, csrf: true,
			headers: map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "http://example.com"}, before: signedIn,
			wantStatus: 403, wantErrorCode: "forbidden", wantHeaders: map[string]string{"Cache-Control": "no-store"},
			after: stillSignedIn,
		},
		{
			// The forwarded host counts only when the proxy is trusted.
			name: "a forwarded host without a trusted proxy", method: "POST", path: "http://app:8080/api/v1/auth/login",
			body: login, csrf: true, before: withCSRF,
			headers:    map[string]string{"Origin": "https://learn.example.cn", "X-Forwarded-Host": "learn.example.cn"},
			wantStatus: 403, wantErrorCode: "forbidden", after: notSignedIn,
		},
	})
}

func TestSameOriginAllowed(t *testing.T) {
	t.Parallel()
	runScenarios(t, []scenario{
		{
			name: "sign-in from this site", method: "POST", path: "/api/v1/auth/login", body: login, csrf: true,
			headers: map[string]string{"Origin": "http://example.com", "Sec-Fetch-Site": "same-origin"}, before: withCSRF,
			wantStatus: 200, after: signedInOK,
		},
		{
			name: "sign-in over https on the default port", method: "POST", path: "https://learn.example.cn:443/api/v1/auth/login",
			body: login, csrf: true, headers: map[string]string{"Origin": "https://LEARN.example.cn"}, before: withCSRF,
			wantStatus: 200, after: signedInOK,
		},
		{
			name: "an IPv6 address with a port", method: "POST", path: "http://[::1]:8080/api/v1/auth/login",
			body: login, csrf: true, headers: map[string]string{"Origin": "http://[::1]:8080"}, before: withCSRF,
			wantStatus: 200, after: signedInOK,
		},
		{
			// Scripts and apps send neither header; the CSRF token is their check.
			name: "a script without Origin", method: "POST", path: "/api/v1/auth/login", body: login, csrf: true,
			before: withCSRF, wantStatus: 200, after: signedInOK,
		},
		{
			name: "a script without Origin still needs the token", method: "POST", path: "/api/v1/auth/login", body: login,
			before: withCSRF, wantStatus: 403, wantBodyContains: []string{`"key":"error.csrf"`}, after: notSignedIn,
		},
		{
			name: "reading from another site is not a change", method: "GET", path: "/api/v1/me",
			headers: map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, before: signedIn,
			wantStatus: 200,
		},
	})
	runScenarios(t, []scenario{
		{
			name: "the public host from a trusted proxy", method: "POST", path: "http://app:8080/api/v1/auth/login",
			body: login, csrf: true, before: withCSRF,
			headers:    map[string]string{"Origin": "https://learn.example.cn", "X-Forwarded-Host": "learn.example.cn, app:8080"},
			wantStatus: 200, after: signedInOK,
		},
		{
			name: "another site behind a trusted proxy", method: "POST", path: "http://app:8080/api/v1/auth/login",
			body: login, csrf: true, before: withCSRF,
			headers:    map[string]string{"Origin": "https://evil.example", "X-Forwarded-Host": "learn.example.cn"},
			wantStatus: 403, wantErrorCode: "forbidden", after: notSignedIn,
		},
	}, withTrustProxy())
	runScenarios(t, []scenario{
		{
			// nginx passes "Host: app:8080" unless told otherwise.
			name: "the public URL behind a proxy that rewrites Host", method: "POST", path: "http://app:8080/api/v1/auth/login",
			body: login, csrf: true, before: withCSRF, headers: map[string]string{"Origin": "https://learn.example.cn"},
			wantStatus: 200, after: signedInOK,
		},
		{
			name: "the public host over the other scheme", method: "POST", path: "http://app:8080/api/v1/auth/login",
			body: login, csrf: true, before: withCSRF, headers: map[string]string{"Origin": "http://learn.example.cn"},
			wantStatus: 403, wantErrorCode: "forbidden", after: notSignedIn,
		},
	}, withBaseURL("https://learn.example.cn"))
}

func TestAPIResponsesAreNotStored(t *testing.T) {
	t.Parallel()
	noStore := map[string]string{"Cache-Control": "no-store"}
	runScenarios(t, []scenario{
		{name: "signed in", method: "GET", path: "/api/v1/me", before: signedIn, wantStatus: 200, wantHeaders: noStore},
		{name: "an error", method: "GET", path: "/api/v1/me", wantStatus: 401, wantHeaders: noStore},
		{name: "no such route", method: "GET", path: "/api/v1/nothing-here", wantStatus: 404, wantHeaders: noStore},
		{name: "sign-in answer", method: "POST", path: "/api/v1/auth/login", body: login, csrf: true, before: withCSRF,
			wantStatus: 200, wantHeaders: noStore},
		{name: "refused by CSRF", method: "POST", path: "/api/v1/auth/logout", before: signedIn,
			wantStatus: 403, wantHeaders: noStore},
		{name: "pages keep their caching", method: "GET", path: "/css/app.css", wantStatus: 200,
			after: func(t *testing.T, ts *testServer, c *client, rec *httptest.ResponseRecorder) {
				if cc := rec.Header().Get("Cache-Control"); strings.Contains(cc, "no-store") {
					t.Errorf("a static file is Cache-Control %q", cc)
				}
			}},
	})
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	runScenarios(t, []scenario{
		{
			// Logout never reads its body: the limit must hold before the
			// handler, or the request would act.
			name: "a streamed body over 1 MiB to a handler that ignores it", method: "POST", path: "/api/v1/auth/logout",
			body: strings.Repeat("x", mib+1), chunked: true, csrf: true, before: signedIn,
			wantStatus: 413, wantErrorCode: "too_large", after: stillSignedIn,
		},
		{
			name: "a declared body over 1 MiB to a handler that ignores it", method: "POST", path: "/api/v1/auth/logout",
			body: strings.Repeat("x", mib+1), csrf: true, before: signedIn,
			wantStatus: 413, wantErrorCode: "too_large", after: stillSignedIn,
		},
		{
			name: "a streamed change over 1 MiB", method: "PUT", path: "/api/v1/me/locale",
			body: `{"locale":"en","pad":"` + strings.Repeat("x", mib) + `"}`, chunked: true, csrf: true, before: signedIn,
			wantStatus: 413, wantErrorCode: "too_large", after: stillSignedIn,
		},
		{
			name: "a streamed body of exactly 1 MiB is read", method: "POST", path: "/api/v1/auth/login",
			body: bodyOfSize(mib), chunked: true, csrf: true, before: withCSRF,
			wantStatus: 401, wantErrorCode: "unauthorized",
		},
		{
			name: "a small streamed sign-in works", method: "POST", path: "/api/v1/auth/login",
			body: login, chunked: true, csrf: true, before: withCSRF,
			wantStatus: 200, after: signedInOK,
		},
	})
}

func TestMetricsNeedsToken(t *testing.T) {
	t.Parallel()
	bearer := func(v string) map[string]string { return map[string]string{"Authorization": v} }
	runScenarios(t, []scenario{
		{
			name: "no token configured", method: "GET", path: "/metrics", headers: bearer("Bearer " + metricsToken),
			wantStatus: 404, wantErrorCode: "not_found", wantBodyNotContains: []string{"xuetang_http"},
		},
	})
	runScenarios(t, []scenario{
		{
			name: "the right token", method: "GET", path: "/metrics", headers: bearer("Bearer " + metricsToken),
			before: func(t *testing.T, ts *testServer, c *client) {
				c.do(request{method: "GET", path: "/healthz"})
				c.do(request{method: "GET", path: "/api/v1/me"})
			},
			wantStatus: 200,
			wantBodyContains: []string{
				`xuetang_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
				`xuetang_http_requests_total{method="GET",route="/api/v1/me",status="401"} 1`,
				"xuetang_http_request_duration_seconds_bucket",
			},
			wantHeaders: map[string]string{"Content-Type": "text/plain"},
		},
		{
			name: "the scheme in any case", method: "GET", path: "/metrics", headers: bearer("bearer " + metricsToken),
			before:     func(t *testing.T, ts *testServer, c *client) { c.do(request{method: "GET", path: "/healthz"}) },
			wantStatus: 200, wantBodyContains: []string{"xuetang_http_requests_total"},
		},
		{
			name: "no token", method: "GET", path: "/metrics",
			wantStatus: 401, wantErrorCode: "unauthorized", wantBodyNotContains: []string{"xuetang_http"},
			wantHeaders: map[string]string{"WWW-Authenticate": "Bearer"},
		},
		{
			name: "a wrong token", method: "GET", path: "/metrics", headers: bearer("Bearer " + metricsToken + "x"),
			wantStatus: 401, wantErrorCode: "unauthorized", wantBodyNotContains: []string{"xuetang_http"},
		},
		{
			name: "a prefix of the token", method: "GET", path: "/metrics", headers: bearer("Bearer " + metricsToken[:10]),
			wantStatus: 401, wantErrorCode: "unauthorized",
		},
		{
			name: "the token as a password", method: "GET", path: "/metrics", headers: bearer("Basic " + metricsToken),
			wantStatus: 401, wantErrorCode: "unauthorized",
		},
	}, withMetricsToken(metricsToken))
}
