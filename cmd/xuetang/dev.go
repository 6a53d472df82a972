package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/config"
	"github.com/xuetang-edu/xuetang/internal/devdata"
)

const devUsage = "want: dev generate --learners N [--seed S] [--institutions M] [--courses SLUG,...] [--days D] " +
	"[--events-per-lesson K] [--password TEXT] [--writers W] [--append]"

// devCommand is `xuetang dev generate ...`: a made-up population for
// demonstrations and benchmarks (internal/devdata). Progress goes to stderr.
func devCommand(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "generate" {
		return usageError{devUsage}
	}
	fs := flag.NewFlagSet("dev generate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	learners := fs.Int("learners", 0, "")
	seed := fs.Uint64("seed", 1, "")
	institutions := fs.Int("institutions", 0, "")
	courses := fs.String("courses", "", "")
	days := fs.Int("days", 365, "")
	events := fs.Int("events-per-lesson", 2, "")
	password := fs.String("password", "", "")
	writers := fs.Int("writers", 0, "")
	appendTo := fs.Bool("append", false, "")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	switch {
	case fs.NArg() > 0 || *learners < 1:
		return usageError{devUsage}
	case *institutions < 0 || *days < 1 || *events < 0 || *writers < 0:
		return usageError{"--institutions, --events-per-lesson and --writers must not be negative, --days at least 1"}
	case *institutions > *learners*10+1000:
		return usageError{"--institutions: at most ten times the learners (plus 1000)"}
	}
	pw := *password
	if pw == "" {
		pw = randomPassword()
	} else if err := account.ValidatePassword(pw); err != nil {
		return fmt.Errorf("--password: %s", describe(err))
	}
	hash, err := account.HashPassword(pw, account.DefaultParams)
	if err != nil {
		return err
	}
	var slugs []string
	for _, s := range strings.Split(*courses, ",") {
		if s = strings.TrimSpace(s); s != "" {
			slugs = append(slugs, s)
		}
	}
	st, err := openStore(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := loadShippedCourses(ctx, cfg, st, log); err != nil {
		return err
	}
	// One writer by default: batches are built while the previous one is
	// written, and on a 2-core host a second writer measured slower.
	w := max(*writers, 1)
	if cfg.DatabaseURL == "" {
		w = 1 // SQLite has one writer
	}
	sum, err := devdata.Generate(ctx, st, devdata.Options{
		Learners: *learners, Institutions: *institutions, Seed: *seed, Courses: slugs, Days: *days, Append: *appendTo,
		PasswordHash: hash, EventsPerLesson: *events, MinTimeShare: cfg.MinTimeShare,
		MinutesPerStudyHour: cfg.MinutesPerStudyHour, Writers: w, Progress: stderr,
	})
	if errors.Is(err, devdata.ErrGenerated) {
		return err
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("generate: interrupted after %d learners; the batches written so far stay "+
			"(--append adds another population beside them)", sum.Learners)
	}
	if err != nil {
		return fmt.Errorf("generate: %s", describe(err))
	}
	fmt.Fprintf(stdout, "generated in %s (%.0f rows/s): %d institutions, %d staff, %d learners, %d classes, %d class members, "+
		"%d assignments, %d enrolments (%d completed), %d lesson progress rows, %d progress events, %d quiz attempts, "+
		"%d certificates (%d revoked)\n",
		sum.Elapsed.Round(time.Millisecond), float64(sum.Rows())/sum.Elapsed.Seconds(), sum.Institutions, sum.Staff,
		sum.Learners, sum.Classes, sum.ClassMembers, sum.Assignments, sum.Enrollments, sum.Completed, sum.LessonProgress,
		sum.Events, sum.Attempts, sum.Certificates, sum.Revoked)
	if *password == "" {
		fmt.Fprintf(stdout, "every generated account (usernames gen-r*, gen-a*, gen-t*, gen-l*) signs in with the password %s\n", pw)
	}
	return nil
}

// randomPassword is 16 letters and digits, about 95 bits.
func randomPassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	var b [16]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}
