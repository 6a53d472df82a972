// Package config reads the one typed Config from the environment. Nothing
// else reads environment variables; main passes the Config down.
package config

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Config is everything a deployment can set.
type Config struct {
	Addr        string
	DataDir     string
	DatabaseURL string // empty: SQLite in DataDir
	RedisURL    string // empty: sessions in SQL (unless a cluster or Sentinel group is set)
	// RedisCluster is a Redis Cluster's seed nodes, host:port joined by
	// commas; RedisSentinel is a Sentinel group as master@host:port,...
	// Kept as checked strings so Config stays comparable; RedisClusterAddrs
	// and RedisSentinelGroup split them. At most one of the three is set.
	RedisCluster  string
	RedisSentinel string
	// RedisPassword is the data nodes' password for a cluster or Sentinel
	// group (a URL carries its own).
	RedisPassword string
	BaseURL       string
	CoursesDir    string // empty: embedded courses
	FrontendDir   string // empty: embedded frontend; a folder for development

	// ReplicaURL is a read replica of DatabaseURL for the statistics and
	// exports; empty: everything reads the primary.
	ReplicaURL string
	// ReplicaMaxLag: a replica further behind than this is not read.
	ReplicaMaxLag time.Duration

	SessionIdle       time.Duration
	SessionMaxAge     time.Duration
	SharedSessionIdle time.Duration
	ShutdownTimeout   time.Duration
	// DrainTimeout is how long, after SIGTERM, the server keeps serving with
	// /readyz at 503 and every response closing its connection, so load
	// balancers move traffic elsewhere before the listener closes; 0: none.
	DrainTimeout time.Duration
	// SharedDir holds files every instance must be able to serve (finished
	// exports); with several instances it is one shared filesystem.
	SharedDir string
	// RedisPrefix starts every key the app writes in Redis, so deployments
	// (or tests) sharing one Redis keep apart.
	RedisPrefix string
	// AccountRetention: learner accounts inactive this long are listed for
	// admins to anonymise; 0 leaves the rule off.
	AccountRetention time.Duration
	// EventRetention: raw heartbeat rows older than this lose their detail
	// (their ids and per-day sums stay) and events older than this are
	// refused; 0 keeps every raw row.
	EventRetention time.Duration
	LogLevel       string
	// TrustProxy takes the client address from X-Forwarded-For (and the
	// public host from X-Forwarded-Host); only safe when a reverse proxy in
	// front sets those headers itself.
	TrustProxy bool
	// MetricsToken is the bearer token /metrics requires; empty: no /metrics.
	MetricsToken string
	// ProgressWriters is how many progress batches may be written at once
	// on MySQL (SQLite has one writer). One is fastest where it was
	// measured: fewer, larger batches cost less per event (docs/PERFORMANCE.md).
	ProgressWriters int
	// MinTimeShare is the share of a lesson's stated minutes of credited
	// active time before it can complete; 0 turns the gate off.
	MinTimeShare float64
	// MinutesPerStudyHour caps the 学时 credited for a course at its lesson
	// minutes / this, rounded down to a quarter (packages are checked at 45).
	MinutesPerStudyHour int
	// Location is the deployment's time zone: dates shown, study-hour years,
	// quiz days and statistics periods.
	Location *time.Location
	// ExportTTL is how long a finished export file is kept for download.
	ExportTTL time.Duration
	// ExportWorkers is how many exports one instance writes at once.
	ExportWorkers int
	// PublicTerminal: the deployment serves library or kiosk terminals;
	// every sign-in is a shared-computer one and pages count down to
	// signing out when idle.
	PublicTerminal bool
}

// minMetricsToken keeps a guessable word from guarding /metrics.
const minMetricsToken = 16

// bearerToken is RFC 6750's b64token: what fits after "Bearer " unquoted.
var bearerToken = regexp.MustCompile(`^[A-Za-z0-9._~+/-]+=*$`)

// Error names the variable that holds a bad value; main turns it into exit 2.
type Error struct {
	Var, Value, Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s=%q: %s", e.Var, e.Value, e.Reason)
}

// FromEnv builds a Config from a getenv function (os.Getenv in main, a map in tests).
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		Addr:              "127.0.0.1:8080",
		DataDir:           "./data",
		SessionIdle:       2 * time.Hour,
		SessionMaxAge:     7 * 24 * time.Hour,
		SharedSessionIdle: 10 * time.Minute,
		ShutdownTimeout:   20 * time.Second,
		DrainTimeout:      5 * time.Second,
		RedisPrefix:       "xt:",
		LogLevel:          "info",
		ProgressWriters:   1,
		MinTimeShare:      0.6,
		// One 学时 is 45 minutes of lesson time nationally.
		MinutesPerStudyHour: 45,
		ExportTTL:           24 * time.Hour,
		ExportWorkers:       1,
		ReplicaMaxLag:       30 * time.Second,
	}
	if v := getenv("XUETANG_ADDR"); v != "" {
		// The port is checked here too: a bad one would otherwise surface
		// only at listen time as a generic failure (exit 1), not a bad value.
		_, port, err := net.SplitHostPort(v)
		if err == nil {
			_, err = net.LookupPort("tcp", port)
		}
		if err != nil {
			return c, &Error{"XUETANG_ADDR", v, "want host:port, e.g. 0.0.0.0:8080"}
		}
		c.Addr = v
	}
	if v := getenv("XUETANG_DATA_DIR"); v != "" {
		c.DataDir = v
	}
	c.DataDir = filepath.Clean(c.DataDir)
	c.SharedDir = c.DataDir
	if v := getenv("XUETANG_SHARED_DIR"); v != "" {
		c.SharedDir = filepath.Clean(v)
	}
	if v := getenv("XUETANG_DATABASE_URL"); v != "" {
		if _, err := MySQLDSN(v); err != nil {
			return c, &Error{"XUETANG_DATABASE_URL", redact(v), err.Error()}
		}
		c.DatabaseURL = v
	}
	if v := getenv("XUETANG_DATABASE_REPLICA_URL"); v != "" {
		if _, err := MySQLDSN(v); err != nil {
			return c, &Error{"XUETANG_DATABASE_REPLICA_URL", redact(v), err.Error()}
		}
		// The embedded SQLite file has no replicas; silently reading the
		// primary would hide a mistyped or missing XUETANG_DATABASE_URL.
		if c.DatabaseURL == "" {
			return c, &Error{"XUETANG_DATABASE_REPLICA_URL", redact(v), "a read replica needs a MySQL/MariaDB primary: set XUETANG_DATABASE_URL too"}
		}
		c.ReplicaURL = v
	}
	if v := getenv("XUETANG_REDIS_URL"); v != "" {
		u, err := url.Parse(v)
		if err == nil && (u.Scheme != "redis" && u.Scheme != "rediss" || u.Host == "") {
			err = fmt.Errorf("not a redis URL")
		}
		if err == nil {
			// The client's own parser: a bad database number or option would
			// otherwise surface only after the database has been opened.
			_, err = redis.ParseURL(v)
		}
		if err != nil {
			return c, &Error{"XUETANG_REDIS_URL", redact(v), "want redis://host:6379/0"}
		}
		c.RedisURL = v
	}
	if err := redisTopology(&c, getenv); err != nil {
		return c, err
	}
	if v := getenv("XUETANG_REDIS_PREFIX"); v != "" {
		if len(v) > 64 || strings.ContainsAny(v, " \t\r\n") {
			return c, &Error{"XUETANG_REDIS_PREFIX", v, "want up to 64 characters without spaces, e.g. xt:"}
		}
		c.RedisPrefix = v
	}
	c.BaseURL = "http://" + c.Addr
	if v := getenv("XUETANG_BASE_URL"); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, &Error{"XUETANG_BASE_URL", v, "want an absolute http(s) URL"}
		}
		c.BaseURL = strings.TrimRight(v, "/")
	}
	c.CoursesDir = getenv("XUETANG_COURSES_DIR")
	c.FrontendDir = getenv("XUETANG_FRONTEND_DIR")
	durations := []struct {
		name string
		dst  *time.Duration
	}{
		{"XUETANG_SESSION_IDLE_TIMEOUT", &c.SessionIdle},
		{"XUETANG_SESSION_MAX_AGE", &c.SessionMaxAge},
		{"XUETANG_SHARED_SESSION_IDLE_TIMEOUT", &c.SharedSessionIdle},
		{"XUETANG_SHUTDOWN_TIMEOUT", &c.ShutdownTimeout},
		{"XUETANG_EXPORT_TTL", &c.ExportTTL},
		{"XUETANG_REPLICA_MAX_LAG", &c.ReplicaMaxLag},
	}
	for _, d := range durations {
		v := getenv(d.name)
		if v == "" {
			continue
		}
		dur, err := time.ParseDuration(v)
		if err != nil || dur <= 0 {
			return c, &Error{d.name, v, "want a positive duration such as 30m or 12h"}
		}
		*d.dst = dur
	}
	if v := getenv("XUETANG_DRAIN_TIMEOUT"); v != "" {
		// Zero is allowed: a single instance with nothing in front has no
		// one to tell, and stops at once.
		dur, err := time.ParseDuration(v)
		if err != nil || dur < 0 || dur > 10*time.Minute {
			return c, &Error{"XUETANG_DRAIN_TIMEOUT", v, "want a duration from 0s to 10m such as 5s"}
		}
		c.DrainTimeout = dur
	}
	if v := getenv("XUETANG_ACCOUNT_RETENTION"); v != "" {
		age, err := ParseAge(v)
		if err != nil {
			return c, &Error{"XUETANG_ACCOUNT_RETENTION", v, "want an age such as 1095d (days) or 8760h"}
		}
		c.AccountRetention = age
	}
	if v := getenv("XUETANG_EVENT_RETENTION"); v != "" {
		age, err := ParseAge(v)
		// A window shorter than a long offline spell would refuse honest
		// replays; a month is the floor.
		if err != nil || age < 30*24*time.Hour {
			return c, &Error{"XUETANG_EVENT_RETENTION", v, "want an age of at least 30d, such as 400d (days) or 9600h"}
		}
		c.EventRetention = age
	}
	switch v := getenv("XUETANG_TRUST_PROXY"); v {
	case "", "0", "false":
	case "1", "true":
		c.TrustProxy = true
	default:
		return c, &Error{"XUETANG_TRUST_PROXY", v, "want true or false"}
	}
	switch v := getenv("XUETANG_PUBLIC_TERMINAL"); v {
	case "", "0", "false":
	case "1", "true":
		c.PublicTerminal = true
	default:
		return c, &Error{"XUETANG_PUBLIC_TERMINAL", v, "want true or false"}
	}
	if v := getenv("XUETANG_METRICS_TOKEN"); v != "" {
		// The value is a secret, so the error never repeats it.
		if len(v) < minMetricsToken || !bearerToken.MatchString(v) {
			return c, &Error{"XUETANG_METRICS_TOKEN", "(not shown)",
				fmt.Sprintf("want at least %d characters of A-Z a-z 0-9 - . _ ~ + / (a bearer token)", minMetricsToken)}
		}
		c.MetricsToken = v
	}
	if v := getenv("XUETANG_PROGRESS_WRITERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 8 {
			return c, &Error{"XUETANG_PROGRESS_WRITERS", v, "want a whole number from 1 to 8"}
		}
		c.ProgressWriters = n
	}
	if v := getenv("XUETANG_EXPORT_WORKERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 4 {
			return c, &Error{"XUETANG_EXPORT_WORKERS", v, "want a whole number from 1 to 4"}
		}
		c.ExportWorkers = n
	}
	if v := getenv("XUETANG_MIN_TIME_SHARE"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		// Written as a negated range so NaN fails too.
		if err != nil || !(f >= 0 && f <= 1) {
			return c, &Error{"XUETANG_MIN_TIME_SHARE", v, "want a number from 0 (no minimum) to 1 (all of a lesson's minutes)"}
		}
		c.MinTimeShare = f
	}
	if v := getenv("XUETANG_MINUTES_PER_STUDY_HOUR"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 120 {
			return c, &Error{"XUETANG_MINUTES_PER_STUDY_HOUR", v, "want a whole number of minutes from 1 to 120"}
		}
		c.MinutesPerStudyHour = n
	}
	tz := getenv("XUETANG_TIMEZONE")
	if tz == "" {
		tz = "Asia/Shanghai"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return c, &Error{"XUETANG_TIMEZONE", tz, "want an IANA time zone name such as Asia/Shanghai or Asia/Urumqi"}
	}
	c.Location = loc
	if v := getenv("XUETANG_LOG_LEVEL"); v != "" {
		switch v {
		case "debug", "info", "warn", "error":
			c.LogLevel = v
		default:
			return c, &Error{"XUETANG_LOG_LEVEL", v, "want debug, info, warn or error"}
		}
	}
	return c, nil
}

// redisTopology reads the cluster and Sentinel variables, which replace
// XUETANG_REDIS_URL rather than add to it.
func redisTopology(c *Config, getenv func(string) string) error {
	if v := getenv("XUETANG_REDIS_CLUSTER"); v != "" {
		addrs, err := hostPorts(v)
		if err != nil {
			return &Error{"XUETANG_REDIS_CLUSTER", v, err.Error() + "; want host:port,host:port,... (seed nodes)"}
		}
		c.RedisCluster = strings.Join(addrs, ",")
	}
	if v := getenv("XUETANG_REDIS_SENTINEL"); v != "" {
		master, list, ok := strings.Cut(v, "@")
		addrs, err := hostPorts(list)
		if !ok || master == "" || strings.ContainsAny(master, " ,") {
			err = fmt.Errorf("missing master name")
		}
		if err != nil {
			return &Error{"XUETANG_REDIS_SENTINEL", v, err.Error() + "; want master-name@host:26379,host:26379,..."}
		}
		c.RedisSentinel = master + "@" + strings.Join(addrs, ",")
	}
	var set []string
	for _, name := range []string{"XUETANG_REDIS_URL", "XUETANG_REDIS_CLUSTER", "XUETANG_REDIS_SENTINEL"} {
		if getenv(name) != "" {
			set = append(set, name)
		}
	}
	if len(set) > 1 {
		// Guessing which one was meant could split sessions between two
		// Redis deployments across a fleet's instances.
		return &Error{strings.Join(set, ", "), "(several set)",
			"set only one of XUETANG_REDIS_URL, XUETANG_REDIS_CLUSTER and XUETANG_REDIS_SENTINEL"}
	}
	if v := getenv("XUETANG_REDIS_PASSWORD"); v != "" {
		if c.RedisCluster == "" && c.RedisSentinel == "" {
			return &Error{"XUETANG_REDIS_PASSWORD", "(not shown)",
				"only for XUETANG_REDIS_CLUSTER or XUETANG_REDIS_SENTINEL; put it in XUETANG_REDIS_URL as redis://:password@host:6379/0"}
		}
		c.RedisPassword = v
	}
	return nil
}

// hostPorts splits a comma-separated list of host:port, ignoring spaces
// around the commas.
func hostPorts(v string) ([]string, error) {
	var out []string
	for _, a := range strings.Split(v, ",") {
		a = strings.TrimSpace(a)
		host, port, err := net.SplitHostPort(a)
		if err == nil && host == "" {
			err = fmt.Errorf("missing host")
		}
		if err == nil {
			var n int
			n, err = strconv.Atoi(port)
			if err == nil && (n < 1 || n > 65535) {
				err = fmt.Errorf("port out of range")
			}
		}
		if err != nil {
			return nil, fmt.Errorf("bad address %q", a)
		}
		out = append(out, a)
	}
	return out, nil
}

// RedisClusterAddrs is the cluster's seed nodes; nil when none is set.
func (c Config) RedisClusterAddrs() []string {
	if c.RedisCluster == "" {
		return nil
	}
	return strings.Split(c.RedisCluster, ",")
}

// RedisSentinelGroup is the Sentinel group's master name and sentinel
// addresses; empty when none is set.
func (c Config) RedisSentinelGroup() (master string, sentinels []string) {
	master, list, ok := strings.Cut(c.RedisSentinel, "@")
	if !ok {
		return "", nil
	}
	return master, strings.Split(list, ",")
}

// MySQLDSN turns mysql://user:pass@host:3306/db into a go-sql-driver DSN with
// the settings every connection needs: utf8mb4, UTC times parsed into
// time.Time, and client-side interpolation to save a round trip per query.
func MySQLDSN(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("not a URL")
	}
	if u.Scheme != "mysql" {
		return "", fmt.Errorf("want mysql://user:pass@host:3306/dbname")
	}
	if u.Host == "" {
		return "", fmt.Errorf("missing host")
	}
	db := strings.TrimPrefix(u.Path, "/")
	if db == "" || strings.Contains(db, "/") {
		return "", fmt.Errorf("missing database name")
	}
	host := u.Host
	if u.Port() == "" {
		host += ":3306"
	}
	user := u.User.Username()
	pass, _ := u.User.Password()
	q := url.Values{}
	for k, vs := range u.Query() {
		q[k] = vs
	}
	q.Set("charset", "utf8mb4")
	q.Set("collation", "utf8mb4_unicode_ci")
	q.Set("parseTime", "True")
	q.Set("loc", "UTC")
	q.Set("interpolateParams", "true")
	cred := user
	if pass != "" {
		cred += ":" + pass
	}
	return fmt.Sprintf("%s@tcp(%s)/%s?%s", cred, host, db, q.Encode()), nil
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// ParseAge reads a positive age as whole days ("1095d") or a Go duration
// ("8760h"): retention rules are thought of in days, which Go durations
// do not spell.
func ParseAge(v string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 || n > 100*366 {
			return 0, fmt.Errorf("bad number of days %q", v)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	dur, err := time.ParseDuration(v)
	if err != nil || dur <= 0 {
		return 0, fmt.Errorf("bad age %q", v)
	}
	return dur, nil
}
