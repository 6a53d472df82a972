package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/xuetang-edu/xuetang/courses"
	"github.com/xuetang-edu/xuetang/internal/config"
	"github.com/xuetang-edu/xuetang/internal/course"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/learning"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// loadShippedCourses imports the embedded curriculum (or XUETANG_COURSES_DIR)
// at start-up. Unchanged versions are no-ops, so restarts cost a few reads.
func loadShippedCourses(ctx context.Context, cfg config.Config, st *store.Store, log *slog.Logger) error {
	var pkgs []*course.Package
	var err error
	src := "embedded courses"
	if cfg.CoursesDir != "" {
		src = cfg.CoursesDir
		pkgs, err = course.Load(cfg.CoursesDir)
	} else {
		pkgs, err = course.LoadFS(courses.FS())
	}
	if err != nil {
		return fmt.Errorf("load %s: %w", src, err)
	}
	res, err := course.Import(ctx, st, pkgs)
	if errs.CodeOf(err) == errs.Conflict {
		// An administrator imported their own version of a shipped course
		// (newer, or the same number edited). Theirs stays; refusing to
		// start over it would take the whole site down. The others load.
		res, err = importEach(ctx, st, pkgs, log)
	}
	if err != nil {
		return fmt.Errorf("import %s: %s", src, describe(err))
	}
	counts := map[store.ImportOutcome]int{}
	for _, r := range res {
		counts[r.Outcome]++
	}
	log.Info("courses loaded", "source", src, "courses", len(res), "created", counts[store.ImportCreated],
		"new_versions", counts[store.ImportNewVersion], "unchanged", counts[store.ImportUnchanged])
	return nil
}

// loadPaths reads the "start here" paths shipped beside the courses
// (paths.yaml in XUETANG_COURSES_DIR or the embedded courses); a folder
// without one has no paths, and a broken one stops start-up naming it.
func loadPaths(cfg config.Config) (learning.Paths, error) {
	var data []byte
	var err error
	src := "embedded courses/paths.yaml"
	if cfg.CoursesDir != "" {
		src = filepath.Join(cfg.CoursesDir, "paths.yaml")
		data, err = os.ReadFile(src)
	} else {
		data, err = fs.ReadFile(courses.FS(), "paths.yaml")
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	p, err := learning.ParsePaths(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	return p, nil
}

// importEach imports packages one at a time, skipping with a warning those
// the database holds a conflicting version of.
func importEach(ctx context.Context, st *store.Store, pkgs []*course.Package, log *slog.Logger) ([]course.ImportResult, error) {
	var out []course.ImportResult
	for _, p := range pkgs {
		res, err := course.Import(ctx, st, []*course.Package{p})
		if errs.CodeOf(err) == errs.Conflict {
			log.Warn("shipped course not loaded: the database holds another version of it", "slug", p.Slug,
				"version", p.Version, "reason", describe(err))
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, res...)
	}
	return out, nil
}

func coursesCommand(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{"want: courses import PATH | courses export SLUG --out FILE.zip"}
	}
	switch args[0] {
	case "import":
		if len(args) != 2 {
			return usageError{"want: courses import PATH"}
		}
		pkgs, err := course.Load(args[1])
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s: no such file or folder", args[1])
		}
		if err != nil {
			// Every problem, one per line, each with file and line.
			return fmt.Errorf("nothing imported:\n%w", err)
		}
		st, err := openStore(ctx, cfg, log, nil)
		if err != nil {
			return err
		}
		defer st.Close()
		res, err := course.Import(ctx, st, pkgs)
		if err != nil {
			return fmt.Errorf("nothing imported: %s", describe(err))
		}
		for _, r := range res {
			fmt.Fprintf(stdout, "%s version %d: %s\n", r.Slug, r.Version, r.Outcome)
		}
		return nil
	case "export":
		fs := flag.NewFlagSet("courses export", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		out := fs.String("out", "", "")
		if len(args) < 2 {
			return usageError{"want: courses export SLUG --out FILE.zip"}
		}
		slug := args[1]
		if err := fs.Parse(args[2:]); err != nil || *out == "" || fs.NArg() > 0 {
			return usageError{"want: courses export SLUG --out FILE.zip"}
		}
		st, err := openStore(ctx, cfg, log, nil)
		if err != nil {
			return err
		}
		defer st.Close()
		p, err := course.Export(ctx, st, slug)
		if err != nil {
			return fmt.Errorf("export %s: %s", slug, describe(err))
		}
		// Write beside the target and rename, so a failed export never
		// leaves a truncated zip that looks complete.
		tmp, err := os.CreateTemp(filepath.Dir(*out), ".xuetang-export-*")
		if err != nil {
			return err
		}
		defer os.Remove(tmp.Name())
		if err := p.WriteZip(tmp); err != nil {
			tmp.Close()
			return err
		}
		if err := tmp.Close(); err != nil {
			return err
		}
		if err := os.Rename(tmp.Name(), *out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "exported %s version %d to %s\n", p.Slug, p.Version, *out)
		return nil
	}
	return usageError{fmt.Sprintf("unknown courses command %q", args[0])}
}
