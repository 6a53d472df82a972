package config_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"

	"github.com/xuetang-edu/xuetang/internal/config"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaults(t *testing.T) {
	c, err := config.FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := config.Config{
		Addr:                "127.0.0.1:8080",
		DataDir:             "data",
		SharedDir:           "data",
		RedisPrefix:         "xt:",
		DrainTimeout:        5 * time.Second,
		BaseURL:             "http://127.0.0.1:8080",
		SessionIdle:         2 * time.Hour,
		SessionMaxAge:       7 * 24 * time.Hour,
		SharedSessionIdle:   10 * time.Minute,
		ShutdownTimeout:     20 * time.Second,
		LogLevel:            "info",
		ProgressWriters:     1,
		MinTimeShare:        0.6,
		MinutesPerStudyHour: 45,
		ExportTTL:           24 * time.Hour,
		ExportWorkers:       1,
		ReplicaMaxLag:       30 * time.Second,
	}
	if c.Location == nil || c.Location.String() != "Asia/Shanghai" {
		t.Errorf("Location = %v, want Asia/Shanghai", c.Location)
	}
	want.Location = c.Location
	if c != want {
		t.Errorf("defaults:\n got %+v\nwant %+v", c, want)
	}
}

func TestGoodValues(t *testing.T) {
	c, err := config.FromEnv(env(map[string]string{
		"XUETANG_ADDR":                        "0.0.0.0:9000",
		"XUETANG_DATA_DIR":                    "/var/lib/xuetang/",
		"XUETANG_DATABASE_URL":                "mysql://xt:pw@db:3306/xuetang",
		"XUETANG_REDIS_URL":                   "redis://cache:6379/2",
		"XUETANG_BASE_URL":                    "https://learn.example.cn/",
		"XUETANG_COURSES_DIR":                 "/srv/courses",
		"XUETANG_FRONTEND_DIR":                "/srv/frontend",
		"XUETANG_SESSION_IDLE_TIMEOUT":        "30m",
		"XUETANG_SESSION_MAX_AGE":             "12h",
		"XUETANG_SHARED_SESSION_IDLE_TIMEOUT": "5m",
		"XUETANG_SHUTDOWN_TIMEOUT":            "3s",
		"XUETANG_TRUST_PROXY":                 "true",
		"XUETANG_LOG_LEVEL":                   "debug",
		"XUETANG_PROGRESS_WRITERS":            "3",
		"XUETANG_METRICS_TOKEN":               "s3cr3t-Metrics_token~2026/ab+c==",
		"XUETANG_EXPORT_TTL":                  "2h",
		"XUETANG_EXPORT_WORKERS":              "2",
		"XUETANG_PUBLIC_TERMINAL":             "true",
		"XUETANG_EVENT_RETENTION":             "400d",
		"XUETANG_DRAIN_TIMEOUT":               "0",
		"XUETANG_SHARED_DIR":                  "/mnt/nfs/xuetang/",
		"XUETANG_REDIS_PREFIX":                "school-a:",
		"XUETANG_DATABASE_REPLICA_URL":        "mysql://xt:pw@replica:3306/xuetang",
		"XUETANG_REPLICA_MAX_LAG":             "1m",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := config.Config{
		Addr:                "0.0.0.0:9000",
		DataDir:             "/var/lib/xuetang",
		SharedDir:           "/mnt/nfs/xuetang",
		RedisPrefix:         "school-a:",
		DatabaseURL:         "mysql://xt:pw@db:3306/xuetang",
		RedisURL:            "redis://cache:6379/2",
		BaseURL:             "https://learn.example.cn",
		CoursesDir:          "/srv/courses",
		FrontendDir:         "/srv/frontend",
		SessionIdle:         30 * time.Minute,
		SessionMaxAge:       12 * time.Hour,
		SharedSessionIdle:   5 * time.Minute,
		ShutdownTimeout:     3 * time.Second,
		LogLevel:            "debug",
		TrustProxy:          true,
		ProgressWriters:     3,
		MetricsToken:        "s3cr3t-Metrics_token~2026/ab+c==",
		MinTimeShare:        0.6,
		MinutesPerStudyHour: 45,
		ExportTTL:           2 * time.Hour,
		ExportWorkers:       2,
		PublicTerminal:      true,
		EventRetention:      400 * 24 * time.Hour,
		ReplicaURL:          "mysql://xt:pw@replica:3306/xuetang",
		ReplicaMaxLag:       time.Minute,
		Location:            c.Location,
	}
	if c != want {
		t.Errorf("config:\n got %+v\nwant %+v", c, want)
	}
}

// Every variable that can hold a bad value must stop start-up with an error
// that names it, so main can exit 2 and the operator knows what to fix.
func TestBadValuesNameTheVariable(t *testing.T) {
	cases := []struct{ name, value string }{
		{"XUETANG_ADDR", "nonsense"},
		{"XUETANG_ADDR", "8080"},
		{"XUETANG_ADDR", "127.0.0.1:99999"},
		{"XUETANG_ADDR", "127.0.0.1:-1"},
		{"XUETANG_DATABASE_URL", "postgres://x"},
		{"XUETANG_DATABASE_URL", "mysql://root@db:3306/"},
		{"XUETANG_DATABASE_URL", "mysql:///xuetang"},
		{"XUETANG_DATABASE_URL", "://"},
		// Without XUETANG_DATABASE_URL: the embedded SQLite has no replica.
		{"XUETANG_DATABASE_REPLICA_URL", "mysql://xt:pw@replica:3306/xuetang"},
		{"XUETANG_DATABASE_REPLICA_URL", "postgres://replica/xuetang"},
		{"XUETANG_REPLICA_MAX_LAG", "-1s"},
		{"XUETANG_REPLICA_MAX_LAG", "thirty"},
		{"XUETANG_REDIS_URL", "http://cache:6379"},
		{"XUETANG_REDIS_URL", "redis://"},
		{"XUETANG_REDIS_URL", "redis://cache:6379/zero"},
		{"XUETANG_REDIS_URL", "redis://cache:6379/0?no_such_option=1"},
		{"XUETANG_BASE_URL", "learn.example.cn"},
		{"XUETANG_BASE_URL", "ftp://learn.example.cn"},
		{"XUETANG_SESSION_IDLE_TIMEOUT", "-5m"},
		{"XUETANG_SESSION_IDLE_TIMEOUT", "30"},
		{"XUETANG_SESSION_MAX_AGE", "0s"},
		{"XUETANG_SESSION_MAX_AGE", "a week"},
		{"XUETANG_SHARED_SESSION_IDLE_TIMEOUT", "-1s"},
		{"XUETANG_SHUTDOWN_TIMEOUT", "soon"},
		{"XUETANG_DRAIN_TIMEOUT", "-1s"},
		{"XUETANG_DRAIN_TIMEOUT", "5"},
		{"XUETANG_DRAIN_TIMEOUT", "1h"},
		{"XUETANG_REDIS_PREFIX", "two words"},
		{"XUETANG_TRUST_PROXY", "maybe"},
		{"XUETANG_PUBLIC_TERMINAL", "yes"},
		{"XUETANG_LOG_LEVEL", "loud"},
		{"XUETANG_PROGRESS_WRITERS", "0"},
		{"XUETANG_PROGRESS_WRITERS", "9"},
		{"XUETANG_PROGRESS_WRITERS", "two"},
		{"XUETANG_EXPORT_TTL", "a day"},
		{"XUETANG_EXPORT_TTL", "0s"},
		{"XUETANG_EXPORT_WORKERS", "0"},
		{"XUETANG_EXPORT_WORKERS", "5"},
		{"XUETANG_EVENT_RETENTION", "7d"},
		{"XUETANG_EVENT_RETENTION", "forever"},
		{"XUETANG_METRICS_TOKEN", "short"},
		{"XUETANG_METRICS_TOKEN", "a token with spaces in it"},
		{"XUETANG_METRICS_TOKEN", "0123456789abcdef\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			_, err := config.FromEnv(env(map[string]string{tc.name: tc.value}))
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v (%T), want *config.Error", err, err)
			}
			if ce.Var != tc.name {
				t.Errorf("Var = %q, want %q", ce.Var, tc.name)
			}
			if !strings.Contains(err.Error(), tc.name) {
				t.Errorf("message %q does not name %s", err, tc.name)
			}
			if ce.Reason == "" {
				t.Error("no reason given")
			}
		})
	}
}

// A bad database URL is echoed in the error, which lands in logs; the
// password must not.
func TestDatabaseURLErrorHidesPassword(t *testing.T) {
	_, err := config.FromEnv(env(map[string]string{"XUETANG_DATABASE_URL": "mysql://xt:s3cr3t-pw@db:3306/"}))
	if err == nil {
		t.Fatal("want an error for a URL without a database name")
	}
	if strings.Contains(err.Error(), "s3cr3t-pw") {
		t.Errorf("error leaks the password: %v", err)
	}
}

// A replica URL beside a good primary is checked on its own, and its
// password is hidden like the primary's.
func TestReplicaURLNeedsMySQLAndHidesPassword(t *testing.T) {
	_, err := config.FromEnv(env(map[string]string{"XUETANG_DATABASE_URL": "mysql://xt:pw@db:3306/xuetang",
		"XUETANG_DATABASE_REPLICA_URL": "mysql://xt:s3cr3t-pw@replica:3306/"}))
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Var != "XUETANG_DATABASE_REPLICA_URL" {
		t.Fatalf("err = %v, want a config error naming XUETANG_DATABASE_REPLICA_URL", err)
	}
	if strings.Contains(err.Error(), "s3cr3t-pw") {
		t.Errorf("error leaks the password: %v", err)
	}
}

func TestMetricsTokenErrorHidesToken(t *testing.T) {
	_, err := config.FromEnv(env(map[string]string{"XUETANG_METRICS_TOKEN": "s3cr3t tok"}))
	if err == nil {
		t.Fatal("want an error for a token with a space")
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error leaks the token: %v", err)
	}
}

func TestRedisURLErrorHidesPassword(t *testing.T) {
	_, err := config.FromEnv(env(map[string]string{"XUETANG_REDIS_URL": "redis://:s3cr3t-pw@cache:6379/zero"}))
	if err == nil {
		t.Fatal("want an error for a bad database number")
	}
	if strings.Contains(err.Error(), "s3cr3t-pw") {
		t.Errorf("error leaks the password: %v", err)
	}
}

func TestMySQLDSN(t *testing.T) {
	dsn, err := config.MySQLDSN("mysql://xt:pw@db.internal:3307/xuetang")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"charset=utf8mb4", "parseTime=True", "loc=UTC", "interpolateParams=true"} {
		if !strings.Contains(dsn, want) {
			t.Errorf("DSN %q lacks %s", dsn, want)
		}
	}
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("driver cannot parse %q: %v", dsn, err)
	}
	if cfg.User != "xt" || cfg.Passwd != "pw" || cfg.Addr != "db.internal:3307" || cfg.DBName != "xuetang" {
		t.Errorf("parsed %+v", cfg)
	}
	if !cfg.ParseTime || cfg.Loc != time.UTC || !cfg.InterpolateParams {
		t.Errorf("ParseTime=%v Loc=%v InterpolateParams=%v", cfg.ParseTime, cfg.Loc, cfg.InterpolateParams)
	}
}

func TestMySQLDSNDefaultPortAndForcedSettings(t *testing.T) {
	// A query string in the URL must not switch off utf8mb4 or UTC: those
	// decide whether 张伟 and timestamps survive the round trip.
	dsn, err := config.MySQLDSN("mysql://root@db/xuetang?charset=latin1&loc=Local&timeout=5s")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("driver cannot parse %q: %v", dsn, err)
	}
	if cfg.Addr != "db:3306" {
		t.Errorf("Addr = %q, want db:3306", cfg.Addr)
	}
	if cfg.Loc != time.UTC {
		t.Errorf("loc override won: %v", cfg.Loc)
	}
	if strings.Contains(dsn, "latin1") || !strings.Contains(dsn, "charset=utf8mb4") {
		t.Errorf("charset override won: %q", dsn)
	}
	if cfg.Timeout != 5*time.Second {
		t.Errorf("other parameters should pass through; timeout = %v", cfg.Timeout)
	}
}

// Generated passwords contain URL-reserved characters; once percent-decoded
// they must reach the driver intact.
func TestMySQLDSNSpecialPassword(t *testing.T) {
	const pw = "p@ss:w/rd?#%&="
	dsn, err := config.MySQLDSN("mysql://xt:p%40ss%3Aw%2Frd%3F%23%25%26%3D@db:3306/xuetang")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("driver cannot parse %q: %v", dsn, err)
	}
	if cfg.User != "xt" || cfg.Passwd != pw || cfg.DBName != "xuetang" || cfg.Addr != "db:3306" {
		t.Errorf("parsed user=%q pass=%q db=%q addr=%q", cfg.User, cfg.Passwd, cfg.DBName, cfg.Addr)
	}
}

func TestMySQLDSNRejects(t *testing.T) {
	for _, raw := range []string{"", "postgres://u@h/db", "mysql://u@h", "mysql://u@h/", "mysql:///db", "mysql://u@h/a/b"} {
		if dsn, err := config.MySQLDSN(raw); err == nil {
			t.Errorf("MySQLDSN(%q) = %q, want an error", raw, dsn)
		}
	}
}

func TestRedisClusterAndSentinel(t *testing.T) {
	c, err := config.FromEnv(env(map[string]string{
		"XUETANG_REDIS_CLUSTER":  "10.0.0.1:7000, 10.0.0.2:7000,[fd00::3]:7001",
		"XUETANG_REDIS_PASSWORD": "pw",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.RedisClusterAddrs(); strings.Join(got, " ") != "10.0.0.1:7000 10.0.0.2:7000 [fd00::3]:7001" || c.RedisPassword != "pw" {
		t.Errorf("cluster seeds %q, password %q", got, c.RedisPassword)
	}
	if m, s := c.RedisSentinelGroup(); m != "" || s != nil || c.RedisURL != "" {
		t.Errorf("a cluster also set sentinel %q %q or URL %q", m, s, c.RedisURL)
	}
	c, err = config.FromEnv(env(map[string]string{"XUETANG_REDIS_SENTINEL": "xt-main@s1:26379,s2:26379"}))
	if err != nil {
		t.Fatal(err)
	}
	if m, s := c.RedisSentinelGroup(); m != "xt-main" || strings.Join(s, " ") != "s1:26379 s2:26379" {
		t.Errorf("sentinel group %q %q", m, s)
	}
	if c.RedisClusterAddrs() != nil {
		t.Errorf("a Sentinel group also set cluster seeds %q", c.RedisClusterAddrs())
	}
}

func TestBadRedisTopology(t *testing.T) {
	cases := []struct {
		env  map[string]string
		vars []string // every variable the message must name
	}{
		{map[string]string{"XUETANG_REDIS_CLUSTER": "cache"}, []string{"XUETANG_REDIS_CLUSTER"}},
		{map[string]string{"XUETANG_REDIS_CLUSTER": "a:7000,,b:7000"}, []string{"XUETANG_REDIS_CLUSTER"}},
		{map[string]string{"XUETANG_REDIS_CLUSTER": "a:70000"}, []string{"XUETANG_REDIS_CLUSTER"}},
		{map[string]string{"XUETANG_REDIS_CLUSTER": ":7000"}, []string{"XUETANG_REDIS_CLUSTER"}},
		{map[string]string{"XUETANG_REDIS_SENTINEL": "s1:26379"}, []string{"XUETANG_REDIS_SENTINEL"}},
		{map[string]string{"XUETANG_REDIS_SENTINEL": "@s1:26379"}, []string{"XUETANG_REDIS_SENTINEL"}},
		{map[string]string{"XUETANG_REDIS_SENTINEL": "main@"}, []string{"XUETANG_REDIS_SENTINEL"}},
		{map[string]string{"XUETANG_REDIS_PASSWORD": "pw"}, []string{"XUETANG_REDIS_PASSWORD"}},
		{map[string]string{"XUETANG_REDIS_URL": "redis://a:6379/0", "XUETANG_REDIS_PASSWORD": "pw"}, []string{"XUETANG_REDIS_PASSWORD"}},
		{map[string]string{"XUETANG_REDIS_URL": "redis://a:6379/0", "XUETANG_REDIS_CLUSTER": "b:7000"},
			[]string{"XUETANG_REDIS_URL", "XUETANG_REDIS_CLUSTER"}},
		{map[string]string{"XUETANG_REDIS_CLUSTER": "b:7000", "XUETANG_REDIS_SENTINEL": "m@c:26379"},
			[]string{"XUETANG_REDIS_CLUSTER", "XUETANG_REDIS_SENTINEL"}},
		{map[string]string{"XUETANG_REDIS_URL": "redis://a:6379/0", "XUETANG_REDIS_CLUSTER": "b:7000", "XUETANG_REDIS_SENTINEL": "m@c:26379"},
			[]string{"XUETANG_REDIS_URL", "XUETANG_REDIS_CLUSTER", "XUETANG_REDIS_SENTINEL"}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.env), func(t *testing.T) {
			_, err := config.FromEnv(env(tc.env))
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v (%T), want *config.Error", err, err)
			}
			for _, v := range tc.vars {
				if !strings.Contains(ce.Var, v) {
					t.Errorf("message %q does not name %s", err, v)
				}
			}
			if ce.Reason == "" {
				t.Error("no reason given")
			}
			if strings.Contains(err.Error(), "pw") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}
