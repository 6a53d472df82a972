package session_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/session"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// The server sweeps the SQL store every few minutes (cmd/xuetang). Rows are
// checked in the table itself: Get deletes an expired session on its own,
// so reading through the store would hide a sweep that did nothing.
func TestSQLSweep(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clk := storetest.NewClock()
		st := b.Open(t, clk.Now)
		s := session.NewSQL(st, clk.Now)
		u := &store.User{Username: "sweeper", DisplayName: "用户", PasswordHash: "x",
			Role: "learner", Locale: "zh-CN", CreatedAt: clk.Now(), UpdatedAt: clk.Now()}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		create := func(o session.Options) string {
			t.Helper()
			token, _, err := s.Create(ctx, u.ID, o)
			if err != nil {
				t.Fatal(err)
			}
			return token
		}
		const at = 61 * time.Minute // when the sweep runs, after the sessions were made
		day := 24 * time.Hour
		gone := map[string]string{
			create(session.Options{Idle: 10 * time.Hour, MaxAge: time.Hour}): "past its absolute expiry",
			create(session.Options{Idle: 10 * time.Hour, MaxAge: at}):        "at its absolute expiry",
			create(session.Options{Idle: 30 * time.Minute, MaxAge: day}):     "idle for 61 of its 30 minutes",
			create(session.Options{Idle: at, MaxAge: day, Shared: true}):     "idle for exactly its idle timeout",
		}
		kept := map[string]string{
			create(session.Options{Idle: at + time.Minute, MaxAge: day}):         "a minute short of its idle timeout",
			create(session.Options{Idle: 10 * time.Hour, MaxAge: 2 * time.Hour}): "an hour short of its expiry",
		}
		active := create(session.Options{Idle: 30 * time.Minute, MaxAge: day})
		kept[active] = "created past its idle timeout but used since"
		clk.Add(20 * time.Minute)
		mustGet(t, s, active)
		clk.Add(25 * time.Minute)
		mustGet(t, s, active)
		clk.Add(at - 45*time.Minute)

		n, err := s.Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != int64(len(gone)) {
			t.Errorf("Sweep removed %d sessions, want %d", n, len(gone))
		}
		for token, why := range gone {
			if _, err := st.SessionByID(ctx, session.HashToken(token)); !errors.Is(err, errs.ErrNotFound) {
				t.Errorf("session %s: still in the table after the sweep (%v)", why, err)
			}
		}
		for token, why := range kept {
			if _, err := st.SessionByID(ctx, session.HashToken(token)); err != nil {
				t.Errorf("session %s: swept (%v)", why, err)
			}
		}
		if n, err := s.Sweep(ctx); err != nil || n != 0 {
			t.Errorf("second sweep = %d, %v; want nothing left to remove", n, err)
		}
		for token, why := range kept {
			if _, err := s.Get(ctx, token); err != nil {
				t.Errorf("session %s: Get after the sweep: %v", why, err)
			}
		}
	})
}
