package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/xuetang-edu/xuetang/internal/config"
)

func coursesCommand(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	return usageError{"courses: not available yet"}
}
