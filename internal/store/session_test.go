package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// The sweep removes sessions past their absolute expiry or past their own
// idle timeout, at the boundary included, and keeps every other, whatever
// its idle timeout.
func TestDeleteExpiredSessions(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clk := storetest.NewClock()
		st := b.Open(t, clk.Now)
		u := newUser("sweep", "清理", clk.Now())
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		now := clk.Now()
		const long, shared = 8 * 3600, 15 * 60 // seconds: a home computer, a library terminal
		rows := []struct {
			id       string
			idle     int
			lastSeen time.Duration // before now
			expires  time.Duration // after now
			live     bool
		}{
			{"live", long, time.Minute, time.Hour, true},
			{"live-shared", shared, shared*time.Second - time.Second, time.Hour, true},
			{"expired", long, time.Minute, -time.Second, false},
			{"expires-now", long, time.Minute, 0, false},
			{"idle", long, long*time.Second + time.Second, time.Hour, false},
			{"idle-shared", shared, shared * time.Second, time.Hour, false},
			// Idle for longer than a shared session may be, but its own
			// timeout is the long one.
			{"live-long-idle", long, shared*time.Second + time.Minute, time.Hour, true},
		}
		var want []string
		for _, r := range rows {
			if err := st.CreateSession(ctx, &store.SessionRow{ID: r.id, UserID: u.ID, CSRFToken: "t", IdleSeconds: r.idle,
				Shared: r.idle == shared, CreatedAt: now.Add(-2 * time.Hour), LastSeenAt: now.Add(-r.lastSeen),
				ExpiresAt: now.Add(r.expires)}); err != nil {
				t.Fatal(err)
			}
			if r.live {
				want = append(want, r.id)
			}
		}
		n, err := st.DeleteExpiredSessions(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		if n != int64(len(rows)-len(want)) {
			t.Errorf("deleted %d sessions, want %d", n, len(rows)-len(want))
		}
		var kept []string
		for _, r := range rows {
			if _, err := st.SessionByID(ctx, r.id); err == nil {
				kept = append(kept, r.id)
			}
		}
		if !slices.Equal(kept, want) {
			t.Errorf("sessions kept %v, want %v", kept, want)
		}
		// Nothing left to sweep: a second run deletes nothing.
		if n, err := st.DeleteExpiredSessions(ctx, now); n != 0 || err != nil {
			t.Errorf("second sweep = %d, %v; want 0", n, err)
		}
	})
}
