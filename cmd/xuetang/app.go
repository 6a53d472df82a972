package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/xuetang-edu/xuetang/frontend"
	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/authoring"
	"github.com/xuetang-edu/xuetang/internal/backup"
	"github.com/xuetang-edu/xuetang/internal/config"
	"github.com/xuetang-edu/xuetang/internal/i18n"
	"github.com/xuetang-edu/xuetang/internal/learning"
	"github.com/xuetang-edu/xuetang/internal/org"
	"github.com/xuetang-edu/xuetang/internal/region"
	"github.com/xuetang-edu/xuetang/internal/roster"
	"github.com/xuetang-edu/xuetang/internal/session"
	"github.com/xuetang-edu/xuetang/internal/stats"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/teach"
	"github.com/xuetang-edu/xuetang/internal/web"
)

// openStore connects and migrates. MySQL may still be starting when the app
// container starts, so connection failures are retried for a while.
func openStore(ctx context.Context, cfg config.Config, log *slog.Logger, now func() time.Time) (*store.Store, error) {
	opts := store.Options{DatabaseURL: cfg.DatabaseURL, SQLitePath: filepath.Join(cfg.DataDir, "xuetang.db"), Now: now}
	deadline := time.Now().Add(60 * time.Second)
	var st *store.Store
	var err error
	for {
		st, err = store.Open(ctx, opts)
		if err == nil || cfg.DatabaseURL == "" || time.Now().After(deadline) {
			break
		}
		log.Warn("database not reachable yet; retrying", "err", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	v, err := st.Migrate(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	// The shipped divisions are data the schema needs (region codes are
	// foreign keys), so they are applied with the migrations, once per version.
	if applied, err := region.New(st).LoadShipped(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("load regions: %w", err)
	} else if applied {
		log.Info("GB/T 2260 divisions loaded")
	}
	log.Info("database ready", "dialect", st.Dialect(), "schema_version", v)
	return st, nil
}

// openReplica adds the read replica, when configured, to a store that serves
// statistics or exports; other commands leave it alone (after `migrate` a
// replica is briefly behind by design, which is nothing to warn about).
func openReplica(ctx context.Context, cfg config.Config, st *store.Store, log *slog.Logger) error {
	if cfg.ReplicaURL == "" {
		return nil
	}
	return st.OpenReplica(ctx, store.ReplicaOptions{URL: cfg.ReplicaURL, MaxLag: cfg.ReplicaMaxLag, Log: log})
}

func migrate(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	st, err := openStore(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "schema version", v)
	return nil
}

// sessionBackend picks Redis when configured (one server, a cluster or a
// Sentinel group), the SQL database otherwise.
func sessionBackend(ctx context.Context, cfg config.Config, st *store.Store, prefix string) (session.Store, session.Throttle, func(), error) {
	rdb, err := redisClient(ctx, cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	if rdb == nil {
		return session.NewSQL(st, nil), session.NewSQLThrottle(st), func() {}, nil
	}
	if prefix == "" {
		prefix = cfg.RedisPrefix
	}
	if prefix == "" {
		prefix = "xt:"
	}
	return session.NewRedis(rdb, prefix, nil), session.NewRedisThrottle(rdb, prefix), func() { rdb.Close() }, nil
}

// Redis timeouts: a request waits at most this long on sessions before the
// API answers 503 rather than hanging.
const (
	redisDialTimeout = 2 * time.Second
	redisIOTimeout   = time.Second
)

// redisClient builds the configured client; nil when none is configured.
// RESP2 throughout: sessions need no server push, and with RESP3 the client
// looks for pushed messages around every command, 4% of a request's CPU.
func redisClient(ctx context.Context, cfg config.Config) (redis.UniversalClient, error) {
	if seeds := cfg.RedisClusterAddrs(); seeds != nil {
		// Seeds that do not answer are skipped: the client learns the
		// whole cluster from the first that does.
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: seeds, Password: cfg.RedisPassword, Protocol: 2,
			DialTimeout: redisDialTimeout, ReadTimeout: redisIOTimeout, WriteTimeout: redisIOTimeout}), nil
	}
	if master, sentinels := cfg.RedisSentinelGroup(); master != "" {
		if err := checkSentinelMaster(ctx, cfg.RedisSentinel, master, sentinels); err != nil {
			return nil, err
		}
		return redis.NewFailoverClient(&redis.FailoverOptions{MasterName: master, SentinelAddrs: sentinels,
			Password: cfg.RedisPassword, Protocol: 2,
			DialTimeout: redisDialTimeout, ReadTimeout: redisIOTimeout, WriteTimeout: redisIOTimeout}), nil
	}
	if cfg.RedisURL == "" {
		return nil, nil
	}
	opt, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, &config.Error{Var: "XUETANG_REDIS_URL", Value: cfg.RedisURL, Reason: err.Error()}
	}
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = redisDialTimeout, redisIOTimeout, redisIOTimeout
	opt.Protocol = 2
	return redis.NewClient(opt), nil
}

// checkSentinelMaster stops start-up when the sentinels answer but none
// watches a master of that name: a typo would otherwise leave every
// sign-in failing with 503 while the server looks healthy to its
// supervisor. Sentinels that cannot be reached prove nothing, so the
// server then starts as it does with a Redis that is down (/readyz says 503).
func checkSentinelMaster(ctx context.Context, raw, master string, sentinels []string) error {
	answered := 0
	for _, addr := range sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: addr, Protocol: 2, MaxRetries: -1,
			DialTimeout: redisDialTimeout, ReadTimeout: redisIOTimeout, WriteTimeout: redisIOTimeout})
		cctx, cancel := context.WithTimeout(ctx, redisDialTimeout)
		_, err := sc.GetMasterAddrByName(cctx, master).Result()
		cancel()
		sc.Close()
		switch {
		case err == nil:
			return nil
		case errors.Is(err, redis.Nil):
			answered++
		}
	}
	if answered > 0 {
		return &config.Error{Var: "XUETANG_REDIS_SENTINEL", Value: raw,
			Reason: fmt.Sprintf("no sentinel watches a master named %q (%d of %d answered)", master, answered, len(sentinels))}
	}
	return nil
}

// serveHooks lets tests add routes and learn the bound address.
type serveHooks struct {
	routes  func(e *echo.Echo)
	started func(addr string)
	// redisPrefix replaces the "xt:" key prefix, so a test against a shared
	// Redis touches only its own keys.
	redisPrefix string
	// now replaces the clock of the store and the learning rules, so a test
	// can spend a lesson's time without waiting for it. Nil: real time.
	now func() time.Time
	// console, when set, is a terminal that gets the LAN addresses and a QR
	// code to scan when the server listens on every interface.
	console io.Writer
}

func serve(ctx context.Context, cfg config.Config, log *slog.Logger, hooks serveHooks) error {
	if cfg.DatabaseURL == "" {
		// Held while serving so that `xuetang restore` cannot replace the
		// database under a running server (and one server per data dir).
		release, err := backup.Lock(cfg.DataDir)
		if err != nil {
			return err
		}
		defer release()
	}
	st, err := openStore(ctx, cfg, log, hooks.now)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := openReplica(ctx, cfg, st, log); err != nil {
		return err
	}
	sessions, throttle, closeSessions, err := sessionBackend(ctx, cfg, st, hooks.redisPrefix)
	if err != nil {
		return err
	}
	defer closeSessions()

	if n, err := st.CountAdmins(ctx); err == nil && n == 0 {
		log.Warn("no administrator account yet; create one with: " +
			"echo 'a-long-password' | " + selfCommand(os.Args[0]) + " user create --username admin --role admin")
	}

	if err := loadShippedCourses(ctx, cfg, st, log); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	if cfg.BaseURL == "http://"+cfg.Addr {
		// The default base URL follows the bound address (port 0 picks one).
		addrs, _ := net.InterfaceAddrs()
		base, lanOK := defaultBaseURL(ln.Addr(), addrs)
		cfg.BaseURL = base
		if !lanOK {
			log.Warn("no LAN address found: certificate links use loopback; set XUETANG_BASE_URL", "base_url", base)
		}
	}
	writers := 1 // SQLite has one writer connection
	if cfg.DatabaseURL != "" {
		writers = cfg.ProgressWriters
	}
	paths, err := loadPaths(cfg)
	if err != nil {
		return err
	}
	learn := learning.New(st, learning.Config{BaseURL: cfg.BaseURL, Writers: writers, Now: hooks.now,
		MinTimeShare: cfg.MinTimeShare, MinutesPerStudyHour: cfg.MinutesPerStudyHour, Location: cfg.Location,
		Paths: paths, EventRetention: cfg.EventRetention})

	fe := frontend.FS(cfg.FrontendDir)
	cat, err := i18n.Load(fe, "i18n")
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(st.DB(), "xuetang"))
	accounts := account.NewService(st, sessions, throttle, account.Config{
		SessionIdle: cfg.SessionIdle, SessionMaxAge: cfg.SessionMaxAge, SharedSessionIdle: cfg.SharedSessionIdle,
		Retention: cfg.AccountRetention, Location: cfg.Location, PublicTerminal: cfg.PublicTerminal,
	})
	// A class grid is kept for repeated views until the class changes, for
	// 2 s after one of its learners' rows changed, and 10 s at most
	// (internal/teach/gridcache.go); the learning service says who changed.
	classes := teach.New(st, accounts, teach.Config{Now: hooks.now, Location: cfg.Location,
		GridMaxAge: 10 * time.Second, GridFresh: 2 * time.Second})
	learn.OnLearnerChange(classes.LearnersChanged)
	learn.Start()
	// Runs after the HTTP server has finished its requests (deferred calls
	// run last-first), so every acknowledged event is already written.
	defer learn.Close()
	imports := roster.New(st, roster.Config{Now: hooks.now, Logger: log, Location: cfg.Location})
	if err := imports.Start(ctx); err != nil {
		return err
	}
	// Deferred before the server starts, so it runs after the server has
	// stopped: a background import still running then ends as failed.
	defer imports.Close()
	exports := exportService(cfg, st, cat, log, hooks.now)
	if err := exports.Start(ctx); err != nil {
		return err
	}
	// Like imports: stopped after the server, so a job cut off ends failed.
	defer exports.Close()
	// The statistics upkeep runs beside the server, a pass every few
	// seconds; stopped after the server (deferred first), its last pass
	// either commits whole or rolls back.
	statsWorker := stats.NewWorker(st, cfg.Location, log, 0)
	statsWorker.SetRetention(cfg.EventRetention, hooks.now)
	statsWorker.Start()
	defer statsWorker.Close()
	drain := &drainer{}
	// The dashboard's numbers may come from the read replica; scope checks,
	// targets and credits stay on the primary (stats.Reads).
	statistics := stats.New(st, stats.Config{Location: cfg.Location, Now: hooks.now,
		Reader: func() (stats.Reads, store.ReadSource) { return st.Reader() }})
	rosterAPI := &web.RosterAPI{Importer: imports, BaseURL: cfg.BaseURL}
	e, err := web.New(web.Deps{
		Logger: log, Catalog: cat, Frontend: fe, Registry: reg, TrustProxy: cfg.TrustProxy, BaseURL: cfg.BaseURL,
		Auth: &web.AuthAPI{Accounts: accounts, Sessions: sessions, Users: st, Secure: strings.HasPrefix(cfg.BaseURL, "https://"),
			TimeZone: cfg.Location.String()},
		Health: &web.HealthAPI{Database: st, Sessions: sessions, Registry: reg, MetricsToken: cfg.MetricsToken,
			Draining: drain.draining},
		Learner:      web.NewLearnerAPI(learn),
		Regions:      &web.RegionAPI{Regions: region.New(st)},
		Institutions: &web.InstitutionAPI{Institutions: org.New(st, hooks.now)},
		Join:         &web.JoinAPI{Institutions: org.New(st, hooks.now), Accounts: accounts, Throttle: throttle, BaseURL: cfg.BaseURL},
		Roster:       rosterAPI,
		Users:        &web.UserAdminAPI{Users: accounts},
		Audit:        &web.AuditAPI{Audit: accounts, Location: cfg.Location},
		Exports:      &web.ExportAPI{Exports: exports},
		Stats:        &web.StatsAPI{Stats: statistics, Generation: statsWorker.Passes},
		Teach:        &web.TeachAPI{Classes: classes, Roster: rosterAPI, BaseURL: cfg.BaseURL, Location: cfg.Location, Throttle: throttle},
		Authoring: func() *web.AuthoringAPI {
			svc := authoring.New(st, learn.Invalidate)
			return &web.AuthoringAPI{Courses: svc, Drafts: svc}
		}(),
		// "My learning" pages are kept up to 10 s; staff writes here drop
		// them all, a learner joining a class their own.
		Pages: learn,
	})
	if err != nil {
		return err
	}
	if hooks.routes != nil {
		hooks.routes(e)
	}
	drain.next = e

	srv := &http.Server{
		Handler:           drain,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	if sq, ok := sessions.(*session.SQLStore); ok {
		go sweepSessions(ctx, sq, log)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "base_url", cfg.BaseURL, "procs", runtime.GOMAXPROCS(0))
	announceLAN(ln.Addr(), log, hooks.console)
	if hooks.started != nil {
		hooks.started(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	if terminated(ctx) && cfg.DrainTimeout > 0 {
		// Kubernetes removes a stopping pod from its Service while it
		// already runs; nginx only learns from closed connections. Either
		// way requests keep coming for a moment, and they are served.
		log.Info("draining: /readyz answers 503, responses close their connections", "timeout", cfg.DrainTimeout)
		drain.on.Store(true)
		select {
		case err := <-errc:
			return err
		case <-time.After(cfg.DrainTimeout):
		}
	}
	log.Info("shutting down: finishing in-flight requests", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// selfCommand is how to run this program again: "go run ./cmd/xuetang"
// when arg0 is the binary go run builds (TMPDIR/go-buildNNN/bNNN/exe/NAME),
// so the hint can be pasted by someone who started the server that way;
// "xuetang" otherwise.
func selfCommand(arg0 string) string {
	dir := filepath.Dir(arg0)
	if filepath.Base(dir) == "exe" && strings.Contains(filepath.ToSlash(dir), "/go-build") {
		return "go run ./cmd/xuetang"
	}
	return "xuetang"
}

func sweepSessions(ctx context.Context, sq *session.SQLStore, log *slog.Logger) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := sq.Sweep(ctx); err != nil {
				log.Warn("session sweep failed", "err", err)
			} else if n > 0 {
				log.Info("expired sessions removed", "count", n)
			}
		}
	}
}
