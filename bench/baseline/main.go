// Command baseline is the yardstick for bench/run.sh: a bare Echo server with
// no middleware, answering every GET with a small JSON object shaped like
// GET /api/v1/me, or in naive-upsert mode every POST with one database write.
//
//	-mode=static         encode a fixed user; no I/O at all
//	-mode=redis-session  read the xuetang_session cookie, GET the session key
//	                     from Redis (the key Xuetang's Redis session store
//	                     uses, or -key) and answer with its user id: the least
//	                     work any signed-in request can do
//	-mode=naive-upsert   decode a progress event (the JSON body of
//	                     POST /api/v1/progress) and write it with one GORM
//	                     upsert (INSERT ... ON DUPLICATE KEY UPDATE, autocommit)
//	                     into its own table, bench_naive_events, in the MySQL
//	                     database -dsn names; answer 200 once it is committed.
//	                     One statement and one commit per request: the obvious
//	                     way to store an event. No session or CSRF check.
//	-mode=naive-upsert-session
//	                     the same, with the learner taken from the session
//	                     read from Redis as in redis-session mode: the least
//	                     a signed-in write must do besides the write.
//
// It listens and connects only on loopback addresses.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"

	"github.com/xuetang-edu/xuetang/internal/session"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// me mirrors the fields of Xuetang's /api/v1/me so both sides encode a
// similar amount of JSON.
type me struct {
	ID          int64   `json:"id"`
	Username    string  `json:"username"`
	DisplayName string  `json:"display_name"`
	Role        string  `json:"role"`
	Locale      string  `json:"locale"`
	Shared      bool    `json:"shared"`
	RegionCode  string  `json:"region_code"`
	Institution *string `json:"institution"`
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("baseline", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:18182", "listen address (loopback only)")
	mode := fs.String("mode", "static", "static, redis-session, naive-upsert or naive-upsert-session")
	redisURL := fs.String("redis", "redis://127.0.0.1:6379/0", "Redis for -mode=redis-session (loopback only)")
	prefix := fs.String("prefix", "xt:", "key prefix Xuetang's session store uses")
	key := fs.String("key", "", "GET this fixed key instead of the session cookie's key")
	dsn := fs.String("dsn", "", "go-sql-driver DSN for -mode=naive-upsert, e.g. root@tcp(127.0.0.1:3306)/xt_bench?charset=utf8mb4&parseTime=True&loc=UTC&interpolateParams=true (loopback only)")
	userID := fs.Int64("user-id", 0, "user_id written into every naive-upsert row")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := loopbackAddr(*addr); err != nil {
		fmt.Fprintln(stderr, "baseline: -addr:", err)
		return 2
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	// bench/run.sh polls this before measuring.
	e.GET("/healthz", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "ok"}) })
	switch *mode {
	case "static":
		e.GET("/*", func(c echo.Context) error {
			return c.JSON(http.StatusOK, me{ID: 1, Username: "bench", DisplayName: "压测学员", Role: "learner", Locale: "zh-CN"})
		})
	case "redis-session":
		rdb, err := openRedis(*redisURL)
		if err != nil {
			fmt.Fprintln(stderr, "baseline: -redis:", err)
			return 2
		}
		defer rdb.Close()
		e.GET("/*", redisSession(rdb, *prefix, *key))
	case "naive-upsert", "naive-upsert-session":
		db, err := openNaive(*dsn)
		if err != nil {
			fmt.Fprintln(stderr, "baseline: -dsn:", err)
			return 2
		}
		if sqlDB, err := db.DB(); err == nil {
			defer sqlDB.Close()
		}
		var rdb *redis.Client
		if *mode == "naive-upsert-session" {
			if rdb, err = openRedis(*redisURL); err != nil {
				fmt.Fprintln(stderr, "baseline: -redis:", err)
				return 2
			}
			defer rdb.Close()
		}
		e.POST("/*", naiveUpsert(db, rdb, *prefix, *userID))
	default:
		fmt.Fprintf(stderr, "baseline: -mode %q: want static, redis-session, naive-upsert or naive-upsert-session\n", *mode)
		return 2
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(stderr, "baseline:", err)
		return 1
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(stderr, "baseline: mode %s listening on %s\n", *mode, ln.Addr())
	select {
	case err := <-errc:
		fmt.Fprintln(stderr, "baseline:", err)
		return 1
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		fmt.Fprintln(stderr, "baseline: shutdown:", err)
		return 1
	}
	return 0
}

// openRedis connects to a loopback Redis.
func openRedis(raw string) (*redis.Client, error) {
	u, err := url.Parse(raw)
	if err == nil {
		err = loopbackHost(u.Hostname())
	}
	if err != nil {
		return nil, err
	}
	opt, err := redis.ParseURL(raw)
	if err != nil {
		return nil, err
	}
	// RESP2, as xuetang's session client uses: the baseline is the least
	// a Redis GET can cost, so it gets the same cheaper protocol.
	opt.Protocol = 2
	return redis.NewClient(opt), nil
}

// sessionUser reads the learner's id from the session the cookie names (or
// from fixedKey): one Redis GET. ok is false when there is no such session.
func sessionUser(c echo.Context, rdb *redis.Client, prefix, fixedKey string) (id int64, ok bool, err error) {
	k := fixedKey
	if k == "" {
		ck, err := c.Cookie("xuetang_session")
		if err != nil || ck.Value == "" {
			return 0, false, nil
		}
		k = session.RedisSessionKey(prefix, ck.Value)
	}
	b, err := rdb.Get(c.Request().Context(), k).Bytes()
	if errors.Is(err, redis.Nil) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	// Only the user id is needed; "u" is the field Xuetang stores it in.
	var s struct {
		UserID int64 `json:"u"`
	}
	_ = json.Unmarshal(b, &s)
	return s.UserID, true, nil
}

func redisSession(rdb *redis.Client, prefix, fixedKey string) echo.HandlerFunc {
	unauthorized := map[string]any{"error": map[string]string{"code": "unauthorized", "message": "no session"}}
	return func(c echo.Context) error {
		id, ok, err := sessionUser(c, rdb, prefix, fixedKey)
		if err != nil {
			return c.JSON(http.StatusServiceUnavailable, map[string]any{"error": map[string]string{"code": "unavailable", "message": err.Error()}})
		}
		if !ok {
			return c.JSON(http.StatusUnauthorized, unauthorized)
		}
		return c.JSON(http.StatusOK, me{ID: id, Username: "bench", DisplayName: "压测学员", Role: "learner", Locale: "zh-CN"})
	}
}

func loopbackAddr(hostport string) error {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return err
	}
	return loopbackHost(host)
}

func loopbackHost(host string) error {
	if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && !strings.EqualFold(host, "localhost") {
		return fmt.Errorf("%q is not a loopback address", host)
	}
	return nil
}

// naiveEvent is one progress event as the naive handler stores it: the
// columns of Xuetang's progress_events, with a unique event id.
type naiveEvent struct {
	ID              int64
	EventID         string `gorm:"size:36;not null;uniqueIndex"`
	UserID          int64  `gorm:"not null"`
	LessonID        int64  `gorm:"not null"`
	Type            string `gorm:"size:16;not null"`
	Seconds         int    `gorm:"not null"`
	CreditedSeconds int    `gorm:"not null"`
	ReceivedAt      time.Time
}

func (naiveEvent) TableName() string { return "bench_naive_events" }

// openNaive connects with the settings Xuetang's store uses on MySQL (no
// default transaction around single writes, no RETURNING, a pool of 32) and
// creates the table.
func openNaive(dsn string) (*gorm.DB, error) {
	if dsn == "" {
		return nil, errors.New("required with -mode=naive-upsert")
	}
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if cfg.Net != "tcp" {
		return nil, fmt.Errorf("want a tcp address, not %q", cfg.Net)
	}
	if err := loopbackAddr(cfg.Addr); err != nil {
		return nil, err
	}
	db, err := gorm.Open(mysql.New(mysql.Config{DSN: dsn, DisableWithReturning: true}), &gorm.Config{
		SkipDefaultTransaction: true,
		Logger:                 logger.Discard,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		return nil, err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(32)
	sqlDB.SetMaxIdleConns(16)
	sqlDB.SetConnMaxLifetime(5 * time.Minute)
	sqlDB.SetConnMaxIdleTime(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.WithContext(ctx).Set("gorm:table_options", "ENGINE=InnoDB").AutoMigrate(&naiveEvent{}); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("create bench_naive_events: %w", err)
	}
	return db, nil
}

// naiveUpsert decodes the same body as POST /api/v1/progress and stores it
// with one upsert; a repeated event id overwrites its row.
func naiveUpsert(db *gorm.DB, rdb *redis.Client, prefix string, userID int64) echo.HandlerFunc {
	bad := map[string]any{"error": map[string]string{"code": "invalid", "message": "bad event"}}
	unauthorized := map[string]any{"error": map[string]string{"code": "unauthorized", "message": "no session"}}
	return func(c echo.Context) error {
		userID := userID
		if rdb != nil {
			id, ok, err := sessionUser(c, rdb, prefix, "")
			if err != nil {
				return c.JSON(http.StatusServiceUnavailable, map[string]any{"error": map[string]string{"code": "unavailable", "message": err.Error()}})
			}
			if !ok {
				return c.JSON(http.StatusUnauthorized, unauthorized)
			}
			userID = id
		}
		var ev struct {
			EventID  string `json:"event_id"`
			LessonID int64  `json:"lesson_id"`
			Type     string `json:"type"`
			Seconds  int    `json:"seconds"`
		}
		if err := json.NewDecoder(c.Request().Body).Decode(&ev); err != nil || len(ev.EventID) != 36 || ev.LessonID <= 0 {
			return c.JSON(http.StatusBadRequest, bad)
		}
		row := naiveEvent{EventID: ev.EventID, UserID: userID, LessonID: ev.LessonID, Type: ev.Type,
			Seconds: ev.Seconds, CreditedSeconds: min(ev.Seconds, 60), ReceivedAt: time.Now().UTC()}
		err := db.WithContext(c.Request().Context()).Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "event_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"lesson_id", "type", "seconds", "credited_seconds", "received_at"}),
		}).Create(&row).Error
		if err != nil {
			return c.JSON(http.StatusServiceUnavailable, map[string]any{"error": map[string]string{"code": "unavailable", "message": err.Error()}})
		}
		return c.JSON(http.StatusOK, map[string]any{"status": "recorded", "credited_seconds": row.CreditedSeconds})
	}
}
