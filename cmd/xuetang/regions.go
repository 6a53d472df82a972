package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/xuetang-edu/xuetang/internal/config"
	"github.com/xuetang-edu/xuetang/internal/region"
)

const regionsUsage = "want: regions import FILE.csv"

// regionsCommand is `xuetang regions import FILE.csv`: a newer complete list
// of divisions (code,name rows) replaces the one in the database.
func regionsCommand(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) != 2 || args[0] != "import" {
		return usageError{regionsUsage}
	}
	f, err := os.Open(args[1])
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := openStore(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	ch, err := region.New(st).Import(ctx, f, filepath.Base(args[1]), nil)
	if err != nil {
		return fmt.Errorf("%s: %s", args[1], describe(err))
	}
	fmt.Fprintf(stdout, "regions: %d added, %d renamed, %d moved, %d removed\n", len(ch.Added), len(ch.Renamed), len(ch.Moved), len(ch.Removed))
	if len(ch.Kept) > 0 {
		fmt.Fprintf(stdout, "kept %d codes missing from the file but still in use: %s\n", len(ch.Kept), strings.Join(ch.Kept, " "))
	}
	return nil
}
