package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/xuetang-edu/xuetang/internal/config"
	"github.com/xuetang-edu/xuetang/internal/store"
)

const statsUsage = "want: stats rebuild"

// statsCommand is `xuetang stats rebuild`: every statistic recomputed from
// the raw tables into new tables, a batch of accounts at a time, swapped in
// at the end, while the server may keep running (its upkeep pauses until
// the swap, then carries on from where the rebuild started).
func statsCommand(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 || args[0] != "rebuild" {
		return usageError{statsUsage}
	}
	st, err := openStore(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	var o store.RebuildOptions
	if isTerminal(stderr) {
		o.Progress = terminalProgress(stderr, "counting: %d of %d accounts")
	}
	err = st.StatsRebuildWith(ctx, cfg.Location, o)
	if o.Progress != nil {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		return fmt.Errorf("stats rebuild: %s", describe(err))
	}
	fmt.Fprintf(stdout, "statistics rebuilt in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}
