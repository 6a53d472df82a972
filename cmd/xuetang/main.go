// Command xuetang is the whole platform in one binary: the web server, the
// migrations, and the administration commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	// XUETANG_TIMEZONE must resolve on a server image without a zoneinfo
	// database (distroless, scratch): 450 KB buys dates that never silently fall back to UTC.
	_ "time/tzdata"

	"github.com/xuetang-edu/xuetang/internal/config"
)

// Version is set at build time with -ldflags "-X main.Version=...".
var Version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// usageError makes run exit 2 (bad usage) instead of 1.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `usage: xuetang [command]

commands:
  serve                         start the web server (default)
  migrate                       apply database migrations and exit
  user create --username NAME --role ROLE [--institution CODE] [--region CODE] [--display-name TEXT]
                                create an account; the password is read from standard input
  courses import PATH           import a course folder, a folder of courses, or a .zip
  courses export SLUG --out FILE.zip
  institution create --code CODE --name NAME --kind KIND --region CODE
                                KIND: school, library, culture_station, cadre_centre,
                                community_centre, other
  regions import FILE.csv       update the GB/T 2260 divisions from a newer list (code,name)
  certificates revoke SERIAL --reason TEXT
                                withdraw a certificate; its verification page then says so
  export completions|indicators --format csv|xlsx --out FILE [--region CODE] [--institution CODE]
         [--course SLUG] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--lang zh-CN|en]
                                write completion records (or indicators per institution)
  stats rebuild                 recompute every statistic from the raw tables
  dev generate --learners N [--seed S] [--institutions M] [--courses SLUG,...] [--days D]
               [--events-per-lesson K] [--password TEXT] [--writers W] [--append]
                                fill the database with a made-up population (demos, benchmarks)
  backup --out FILE.tar.gz      copy the embedded database and data files, while the server runs
  restore FILE.tar.gz           put a backup back (the server must be stopped)
  version                       print the version
`

// run is the whole program; main only supplies the process's streams, so
// start-up and every command are testable in-process.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	ctx, stop := signalContext()
	defer stop()
	err := dispatch(ctx, args, stdin, stdout, stderr, getenv)
	if err == nil {
		return 0
	}
	var ue usageError
	var ce *config.Error
	switch {
	case errors.As(err, &ue), errors.Is(err, flag.ErrHelp):
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "xuetang:", err)
		}
		fmt.Fprint(stderr, usage)
		return 2
	case errors.As(err, &ce):
		fmt.Fprintln(stderr, "xuetang: bad configuration:", err)
		return 2
	default:
		fmt.Fprintln(stderr, "xuetang:", err)
		return 1
	}
}

func dispatch(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	if cmd == "version" {
		fmt.Fprintln(stdout, "xuetang", Version)
		return nil
	}
	if cmd == "help" || cmd == "-h" || cmd == "--help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return err
	}
	log := newLogger(stdout, cfg.LogLevel)
	switch cmd {
	case "serve":
		if len(args) > 0 {
			return usageError{"serve takes no arguments"}
		}
		runtime.GOMAXPROCS(serveProcs(getenv))
		hooks := serveHooks{}
		if isTerminal(stdout) {
			hooks.console = stdout
		}
		return serve(ctx, cfg, log, hooks)
	case "migrate":
		if len(args) > 0 {
			return usageError{"migrate takes no arguments"}
		}
		return migrate(ctx, cfg, log, stdout)
	case "user":
		return userCommand(ctx, cfg, log, args, stdin, stdout)
	case "courses":
		return coursesCommand(ctx, cfg, log, args, stdout)
	case "certificates":
		return certificatesCommand(ctx, cfg, log, args, stdout)
	case "institution":
		return institutionCommand(ctx, cfg, log, args, stdout)
	case "regions":
		return regionsCommand(ctx, cfg, log, args, stdout)
	case "export":
		return exportCommand(ctx, cfg, log, args, stdout, stderr)
	case "stats":
		return statsCommand(ctx, cfg, log, args, stdout, stderr)
	case "dev":
		return devCommand(ctx, cfg, log, args, stdout, stderr)
	case "backup":
		return backupCommand(ctx, cfg, args, stdout)
	case "restore":
		return restoreCommand(ctx, cfg, log, args, stdout)
	}
	return usageError{fmt.Sprintf("unknown command %q", cmd)}
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
