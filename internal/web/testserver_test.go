package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/xuetang-edu/xuetang/frontend"
	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/i18n"
	"github.com/xuetang-edu/xuetang/internal/org"
	"github.com/xuetang-edu/xuetang/internal/region"
	"github.com/xuetang-edu/xuetang/internal/session"
	"github.com/xuetang-edu/xuetang/internal/stats"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
	"github.com/xuetang-edu/xuetang/internal/web"
)

// fastParams keeps argon2id cheap in tests; internal/account tests the real cost.
var fastParams = account.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32}

// Fixture accounts every test server has.
const (
	zhangPassword = "我的密码是一首很长很长的诗句床前明月光疑是地上霜举头望明月低" // 30 characters
	linaPassword  = "lina-password-2026"
)

// testServer is the real router wired the way cmd/xuetang/app.go wires it:
// a migrated SQLite store, SQL (or Redis) sessions and the shipped catalogs.
type testServer struct {
	e        *echo.Echo
	st       *store.Store
	sessions session.Store
	accounts *account.Service
	cat      *i18n.Catalog
	logs     *syncBuffer
	zhang    *store.User
	lina     *store.User
}

type serverOptions struct {
	statsGen func() uint64
	redis    bool
	sessions func(session.Store) session.Store // wraps the real store
	database web.Pinger
	// metricsToken guards /metrics; empty: no /metrics.
	metricsToken string
	trustProxy   bool
	baseURL      string
	retention    time.Duration
	now          func() time.Time // the store's clock; nil: real time
	publicTerm   bool
	frontendDir  string // the site from disk (XUETANG_FRONTEND_DIR); "": embedded
}

type option func(*serverOptions)

// withRedis keeps sessions and throttle counters in Redis.
func withRedis() option { return func(o *serverOptions) { o.redis = true } }

// withSessions wraps the session store, e.g. to make it fail.
func withSessions(f func(session.Store) session.Store) option {
	return func(o *serverOptions) { o.sessions = f }
}

// withMetricsToken serves /metrics to a scraper sending this bearer token.
func withMetricsToken(tok string) option { return func(o *serverOptions) { o.metricsToken = tok } }

// withBaseURL sets the public URL (XUETANG_BASE_URL).
func withBaseURL(u string) option { return func(o *serverOptions) { o.baseURL = u } }

// withClock runs the store on a test clock.
func withClock(now func() time.Time) option { return func(o *serverOptions) { o.now = now } }

// withTrustProxy trusts X-Forwarded-For and X-Forwarded-Host.
func withTrustProxy() option { return func(o *serverOptions) { o.trustProxy = true } }

// withRetention turns on the retention rule for inactive accounts.
func withRetention(d time.Duration) option { return func(o *serverOptions) { o.retention = d } }

// withStatsGeneration keeps statistics answers until gen changes.
func withStatsGeneration(gen func() uint64) option {
	return func(o *serverOptions) { o.statsGen = gen }
}

// withPublicTerminal serves library and kiosk terminals (XUETANG_PUBLIC_TERMINAL).
// withFrontendDir serves the site from a directory, as XUETANG_FRONTEND_DIR does.
func withFrontendDir(dir string) option { return func(o *serverOptions) { o.frontendDir = dir } }

func withPublicTerminal() option { return func(o *serverOptions) { o.publicTerm = true } }

// withDatabasePinger replaces what /readyz pings for the database.
func withDatabasePinger(p web.Pinger) option { return func(o *serverOptions) { o.database = p } }

func newTestServer(t *testing.T, opts ...option) *testServer {
	t.Helper()
	var o serverOptions
	for _, f := range opts {
		f(&o)
	}
	ctx := context.Background()
	st := storetest.OpenSQLite(t, o.now)
	var sessions session.Store = session.NewSQL(st, nil)
	var throttle session.Throttle = session.NewSQLThrottle(st)
	if o.redis {
		rdb, prefix := testRedis(t)
		sessions, throttle = session.NewRedis(rdb, prefix, nil), session.NewRedisThrottle(rdb, prefix)
	}
	if o.sessions != nil {
		sessions = o.sessions(sessions)
	}
	fe := frontend.FS(o.frontendDir)
	cat, err := i18n.Load(fe, "i18n")
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	accounts := account.NewService(st, sessions, throttle, account.Config{
		Params: fastParams, SessionIdle: 2 * time.Hour, SessionMaxAge: 7 * 24 * time.Hour, SharedSessionIdle: 10 * time.Minute,
		Retention: o.retention, PublicTerminal: o.publicTerm,
	})
	var db web.Pinger = st
	if o.database != nil {
		db = o.database
	}
	logs := &syncBuffer{}
	e, err := web.New(web.Deps{
		Logger: slog.New(slog.NewJSONHandler(logs, nil)), Catalog: cat, Frontend: fe, Registry: reg, TrustProxy: o.trustProxy, BaseURL: o.baseURL,
		Auth:         &web.AuthAPI{Accounts: accounts, Sessions: sessions, Users: st},
		Health:       &web.HealthAPI{Database: db, Sessions: sessions, Registry: reg, MetricsToken: o.metricsToken},
		Regions:      &web.RegionAPI{Regions: region.New(st)},
		Institutions: &web.InstitutionAPI{Institutions: org.New(st, nil)},
		Join:         &web.JoinAPI{Institutions: org.New(st, nil), Accounts: accounts, Throttle: throttle, BaseURL: "http://xuetang.test"},
		Users:        &web.UserAdminAPI{Users: accounts},
		Audit:        &web.AuditAPI{Audit: accounts, Location: time.UTC},
		Stats:        &web.StatsAPI{Stats: stats.New(st, stats.Config{Location: time.UTC}), Generation: o.statsGen},
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{e: e, st: st, sessions: sessions, accounts: accounts, cat: cat, logs: logs}
	ts.zhang, err = accounts.Create(ctx, account.NewUser{Username: "ZhangWei", DisplayName: "张伟", Password: zhangPassword, Role: account.RoleLearner})
	if err != nil {
		t.Fatal(err)
	}
	ts.lina, err = accounts.Create(ctx, account.NewUser{Username: "lina", DisplayName: "李娜", Password: linaPassword, Role: account.RoleTeacher, Locale: "en"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return ts
}

// testRedis connects to XUETANG_TEST_REDIS_URL under a random key prefix
// and deletes every key under it when the test ends.
func testRedis(t *testing.T) (*redis.Client, string) {
	t.Helper()
	opt, err := redis.ParseURL(os.Getenv("XUETANG_TEST_REDIS_URL"))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "xttest:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		if keys, _ := rdb.Keys(ctx, prefix+"*").Result(); len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
		rdb.Close()
	})
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis: %v", err)
	}
	return rdb, prefix
}

// sessionBackends runs f against SQL sessions, and Redis sessions when
// XUETANG_TEST_REDIS_URL is set.
func sessionBackends(t *testing.T, f func(t *testing.T, opts ...option)) {
	t.Run("sql", func(t *testing.T) { t.Parallel(); f(t) })
	if os.Getenv("XUETANG_TEST_REDIS_URL") != "" {
		t.Run("redis", func(t *testing.T) { t.Parallel(); f(t, withRedis()) })
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// client is a minimal browser: it keeps cookies between requests and can
// echo the CSRF cookie in the header, as frontend/js/api.js does.
type client struct {
	ts      *testServer
	cookies map[string]string
	lang    string
}

func (ts *testServer) client() *client {
	return &client{ts: ts, cookies: map[string]string{}, lang: "en"}
}

type request struct {
	method, path, body string
	headers            map[string]string
	csrf               bool // send X-CSRF-Token from the xuetang_csrf cookie
	chunked            bool // no Content-Length, as a streaming client sends
	remoteAddr         string
}

func (c *client) do(r request) *httptest.ResponseRecorder {
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req := httptest.NewRequest(r.method, r.path, body)
	if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.remoteAddr != "" {
		req.RemoteAddr = r.remoteAddr
	}
	if r.chunked {
		req.ContentLength = -1
		req.TransferEncoding = []string{"chunked"}
	}
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	for name, v := range c.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: v})
	}
	if r.csrf {
		req.Header.Set("X-CSRF-Token", c.cookies["xuetang_csrf"])
	}
	for k, v := range r.headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	c.ts.e.ServeHTTP(rec, req)
	for _, ck := range rec.Result().Cookies() {
		if ck.MaxAge < 0 {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	return rec
}

// prepareCSRF gets the anonymous CSRF cookie a sign-in form needs.
func (c *client) prepareCSRF(t *testing.T) {
	t.Helper()
	if rec := c.do(request{method: "GET", path: "/api/v1/auth/csrf"}); rec.Code != 200 || c.cookies["xuetang_csrf"] == "" {
		t.Fatalf("GET /api/v1/auth/csrf = %d, cookies %v", rec.Code, c.cookies)
	}
}

func loginBody(username, password string) string {
	b, _ := json.Marshal(map[string]string{"username": username, "password": password})
	return string(b)
}

// login signs in and fails the test unless it worked.
func (c *client) login(t *testing.T, username, password string) *httptest.ResponseRecorder {
	t.Helper()
	if c.cookies["xuetang_csrf"] == "" {
		c.prepareCSRF(t)
	}
	rec := c.do(request{method: "POST", path: "/api/v1/auth/login", body: loginBody(username, password), csrf: true})
	if rec.Code != http.StatusOK {
		t.Fatalf("login %s: %d %s", username, rec.Code, rec.Body)
	}
	return rec
}

// errorOf decodes the one error shape and fails on anything else.
func errorOf(t *testing.T, rec *httptest.ResponseRecorder) (code, message string) {
	t.Helper()
	var body struct {
		Error *struct {
			Code    *string `json:"code"`
			Message *string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error == nil || body.Error.Code == nil || body.Error.Message == nil {
		t.Fatalf("%d body %q is not {\"error\":{\"code\",\"message\"}}", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error Content-Type = %q", ct)
	}
	return *body.Error.Code, *body.Error.Message
}

// scenario is one request against a fresh server, in the style of
// pocketbase's tests.ApiScenario.
type scenario struct {
	name    string
	method  string
	path    string
	body    string
	headers map[string]string
	csrf    bool
	chunked bool
	// remoteAddr is the peer address, e.g. a reverse proxy on a private network.
	remoteAddr string
	// before runs on the fresh server first, e.g. to sign the client in.
	before              func(t *testing.T, ts *testServer, c *client)
	wantStatus          int
	wantBodyContains    []string
	wantBodyNotContains []string
	wantHeaders         map[string]string // header -> substring of its value
	wantErrorCode       string            // checks the {"error":{"code","message"}} shape
	after               func(t *testing.T, ts *testServer, c *client, rec *httptest.ResponseRecorder)
}

func runScenarios(t *testing.T, scenarios []scenario, opts ...option) {
	t.Helper()
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t, opts...)
			c := ts.client()
			if s.before != nil {
				s.before(t, ts, c)
			}
			rec := c.do(request{method: s.method, path: s.path, body: s.body, headers: s.headers, csrf: s.csrf, chunked: s.chunked, remoteAddr: s.remoteAddr})
			if rec.Code != s.wantStatus {
				t.Errorf("status = %d, want %d; body %s", rec.Code, s.wantStatus, rec.Body)
			}
			body := rec.Body.String()
			for _, want := range s.wantBodyContains {
				if !strings.Contains(body, want) {
					t.Errorf("body lacks %q: %s", want, truncate(body))
				}
			}
			for _, not := range append(s.wantBodyNotContains, "goroutine ", "panic") {
				if strings.Contains(body, not) {
					t.Errorf("body contains %q: %s", not, truncate(body))
				}
			}
			for h, want := range s.wantHeaders {
				if got := rec.Header().Get(h); !strings.Contains(got, want) {
					t.Errorf("header %s = %q, want it to contain %q", h, got, want)
				}
			}
			if s.wantErrorCode != "" {
				if code, _ := errorOf(t, rec); code != s.wantErrorCode {
					t.Errorf("error code = %q, want %q", code, s.wantErrorCode)
				}
			}
			if s.after != nil {
				s.after(t, ts, c, rec)
			}
		})
	}
}

func truncate(s string) string {
	if len(s) > 400 {
		return s[:400] + "…"
	}
	return s
}

func signedIn(t *testing.T, ts *testServer, c *client) { c.login(t, "zhangwei", zhangPassword) }
func withCSRF(t *testing.T, ts *testServer, c *client) { c.prepareCSRF(t) }
