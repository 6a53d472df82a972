package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/xuetang-edu/xuetang/frontend"
	"github.com/xuetang-edu/xuetang/internal/config"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/export"
	"github.com/xuetang-edu/xuetang/internal/i18n"
	"github.com/xuetang-edu/xuetang/internal/store"
)

const exportUsage = "want: export completions --format csv|xlsx --out FILE [--region CODE] [--institution CODE] " +
	"[--course SLUG] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--lang zh-CN|en]"

// exportService wires the export service the server and the command share.
func exportService(cfg config.Config, st *store.Store, cat *i18n.Catalog, log *slog.Logger, now func() time.Time) *export.Service {
	return export.New(st, export.Config{Dir: filepath.Join(cfg.SharedDir, "exports"), TTL: cfg.ExportTTL, Workers: cfg.ExportWorkers,
		Translator: cat, Location: cfg.Location, Now: now, Logger: log,
		Reader: func() (export.Source, store.ReadSource) { return st.Reader() }})
}

// exportCommand is `xuetang export completions|indicators --format F --out FILE ...`.
// The file appears only when complete: it is written beside FILE under a
// temporary name and renamed at the end.
func exportCommand(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	if len(args) < 1 || (args[0] != export.KindCompletions && args[0] != export.KindIndicators) {
		return usageError{exportUsage}
	}
	kind := args[0]
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	format := fs.String("format", "", "")
	out := fs.String("out", "", "")
	lang := fs.String("lang", "zh-CN", "")
	var f export.Filters
	fs.StringVar(&f.Region, "region", "", "")
	fs.StringVar(&f.Institution, "institution", "", "")
	fs.StringVar(&f.Course, "course", "", "")
	fs.StringVar(&f.From, "from", "", "")
	fs.StringVar(&f.To, "to", "", "")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 || *out == "" ||
		(*format != export.FormatCSV && *format != export.FormatXLSX) {
		return usageError{exportUsage}
	}
	cat, err := i18n.Load(frontend.FS(cfg.FrontendDir), "i18n")
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := openReplica(ctx, cfg, st, log); err != nil {
		return err
	}
	svc := exportService(cfg, st, cat, log, nil)

	dir := filepath.Dir(*out)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(*out)+"-*.part")
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	var progress func(done, estimated int64)
	if isTerminal(stderr) {
		progress = terminalProgress(stderr, "exporting: %d of about %d rows")
	}
	n, err := svc.Export(ctx, export.CLI, export.Request{Kind: kind, Format: *format, Lang: *lang, Filters: f}, tmp, progress)
	if progress != nil {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		if e := errs.As(err); e.Code == errs.Invalid {
			return usageError{describe(err)}
		} else if e.Code != errs.Internal && e.Code != errs.Unavailable {
			return fmt.Errorf("export: %s", describe(err))
		}
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// CreateTemp made it private; the finished file reads like any other.
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return err
	}
	done = true
	fmt.Fprintf(stdout, "%d rows written to %s\n", n, *out)
	return nil
}

// isTerminal reports whether w is a terminal (a character device), where
// progress can be redrawn in place; a pipe or a log file gets none.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// terminalProgress redraws one line at most a few times a second.
func terminalProgress(w io.Writer, format string) func(done, estimated int64) {
	var est int64
	var last time.Time
	return func(done, estimated int64) {
		if estimated >= 0 {
			est = estimated
		}
		if now := time.Now(); now.Sub(last) >= 200*time.Millisecond || done >= est {
			last = now
			fmt.Fprintf(w, "\r"+format, done, est)
		}
	}
}
