package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/xuetang-edu/xuetang/internal/config"
	"github.com/xuetang-edu/xuetang/internal/learning"
)

const revokeUsage = "want: certificates revoke SERIAL --reason TEXT"

// certificatesCommand is `xuetang certificates revoke SERIAL --reason TEXT`.
func certificatesCommand(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) < 2 || args[0] != "revoke" {
		return usageError{revokeUsage}
	}
	fs := flag.NewFlagSet("certificates revoke", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	reason := fs.String("reason", "", "")
	serial := args[1]
	if err := fs.Parse(args[2:]); err != nil || *reason == "" || fs.NArg() > 0 {
		return usageError{revokeUsage}
	}
	st, err := openStore(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	c, err := learning.Revoke(ctx, st, serial, *reason, nil)
	if err != nil {
		return fmt.Errorf("revoke %s: %s", serial, describe(err))
	}
	fmt.Fprintf(stdout, "%s revoked at %s\n", c.Serial, c.RevokedAt.In(cfg.Location).Format("2006-01-02 15:04 MST"))
	return nil
}
