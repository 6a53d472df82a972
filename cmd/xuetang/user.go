package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/config"
	"github.com/xuetang-edu/xuetang/internal/session"
)

func userCommand(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return usageError{"want: user create --username NAME --role ROLE"}
	}
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var n account.NewUser
	var birth int
	fs.StringVar(&n.Username, "username", "", "")
	fs.StringVar(&n.Role, "role", "", "")
	fs.StringVar(&n.InstitutionCode, "institution", "", "")
	fs.StringVar(&n.RegionCode, "region", "", "")
	fs.StringVar(&n.DisplayName, "display-name", "", "")
	fs.StringVar(&n.Locale, "locale", "", "")
	fs.IntVar(&birth, "birth-year", 0, "")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 || n.Username == "" || n.Role == "" {
		return usageError{"user create needs --username and --role"}
	}
	if !account.ValidRole(n.Role) {
		return usageError{fmt.Sprintf("unknown role %q; use one of %s", n.Role, strings.Join(account.Roles, ", "))}
	}
	n.BirthYear = birth
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		return usageError{"no password on standard input"}
	}
	// Only the line ending is removed: spaces inside or around a passphrase are part of it.
	n.Password = strings.TrimRight(line, "\r\n")

	st, err := openStore(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := account.NewService(st, session.NewSQL(st, nil), session.NewSQLThrottle(st), account.Config{})
	u, err := svc.Create(ctx, n)
	if err != nil {
		return fmt.Errorf("%s", describe(err))
	}
	fmt.Fprintf(stdout, "created user %s (id %d, role %s)\n", u.Username, u.ID, u.Role)
	return nil
}
