package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/xuetang-edu/xuetang/internal/config"
	"github.com/xuetang-edu/xuetang/internal/org"
)

const institutionUsage = "want: institution create --code CODE --name NAME --kind KIND --region CODE"

// institutionCommand is `xuetang institution create --code CODE --name NAME
// --kind KIND --region CODE`, acting as an administrator (audited with no actor).
func institutionCommand(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return usageError{institutionUsage}
	}
	fs := flag.NewFlagSet("institution create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var d org.Draft
	fs.StringVar(&d.Code, "code", "", "")
	fs.StringVar(&d.Name, "name", "", "")
	fs.StringVar(&d.Kind, "kind", "", "")
	fs.StringVar(&d.RegionCode, "region", "", "")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 || d.Code == "" || d.Name == "" || d.Kind == "" || d.RegionCode == "" {
		return usageError{institutionUsage}
	}
	if !org.ValidKind(d.Kind) {
		return usageError{fmt.Sprintf("unknown kind %q; use one of %s", d.Kind, strings.Join(org.Kinds, ", "))}
	}
	st, err := openStore(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	in, err := org.New(st, nil).Create(ctx, org.System, d)
	if err != nil {
		return fmt.Errorf("institution %s: %s", d.Code, describe(err))
	}
	fmt.Fprintf(stdout, "created institution %s (id %d, %s, region %s %s)\n", in.Code, in.ID, in.Kind, in.RegionCode, in.RegionName)
	return nil
}
