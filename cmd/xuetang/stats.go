package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/xuetang-edu/xuetang/internal/config"
	"github.com/xuetang-edu/xuetang/internal/stats"
)

const statsUsage = "want: stats rebuild"

// statsCommand is `xuetang stats rebuild`: every statistic recomputed from
// the raw tables in one transaction, while the server may keep running
// (its upkeep waits for the rebuild's lock, then carries on from it).
func statsCommand(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) != 1 || args[0] != "rebuild" {
		return usageError{statsUsage}
	}
	st, err := openStore(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	if err := stats.NewWorker(st, cfg.Location, log, 0).Rebuild(ctx); err != nil {
		return fmt.Errorf("stats rebuild: %s", describe(err))
	}
	fmt.Fprintf(stdout, "statistics rebuilt in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}
