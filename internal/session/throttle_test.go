package session_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// HitWindow and Peek carry what sign-in throttling needs beyond counts:
// how long until a window lapses (the Retry-After), and a count of 1 for
// the one caller that opened it (a lock).
func TestThrottleWindowRemaining(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		clk := storetest.NewClock()
		_, th, _ := b.open(t, clk)
		window := 10 * time.Minute
		if n, left, err := th.Peek(ctx, "gate"); err != nil || n != 0 || left != 0 {
			t.Errorf("Peek of an unknown key = %d, %v, %v", n, left, err)
		}
		n, left, err := th.HitWindow(ctx, "gate", window)
		if err != nil || n != 1 || left <= window-2*time.Second || left > window {
			t.Fatalf("first HitWindow = %d, %v, %v; want 1 and about %v", n, left, err, window)
		}
		if b.fakeTime {
			clk.Add(4 * time.Minute)
			window -= 4 * time.Minute
		}
		// Later hits neither restart nor extend the window.
		n, left, err = th.HitWindow(ctx, "gate", time.Hour)
		if err != nil || n != 2 || left <= window-2*time.Second || left > window {
			t.Errorf("second HitWindow = %d, %v, %v; want 2 and about %v", n, left, err, window)
		}
		n, left, err = th.Peek(ctx, "gate")
		if err != nil || n != 2 || left <= window-2*time.Second || left > window {
			t.Errorf("Peek = %d, %v, %v; want 2 and about %v", n, left, err, window)
		}
		// Hit, Count and Reset see the same counter.
		if c, err := th.Count(ctx, "gate"); err != nil || c != 2 {
			t.Errorf("Count = %d, %v", c, err)
		}
		if err := th.Reset(ctx, "gate"); err != nil {
			t.Fatal(err)
		}
		if n, left, err := th.Peek(ctx, "gate"); err != nil || n != 0 || left != 0 {
			t.Errorf("Peek after Reset = %d, %v, %v", n, left, err)
		}
	})
}

func TestThrottleWindowLapses(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		clk := storetest.NewClock()
		_, th, _ := b.open(t, clk)
		// Sub-second holds must be kept to the millisecond, not rounded
		// up to a whole second.
		hold := 300 * time.Millisecond
		wait := func(d time.Duration) { clk.Add(d) }
		if !b.fakeTime {
			wait = func(d time.Duration) { time.Sleep(d) }
		}
		if n, left, err := th.HitWindow(ctx, "lock", hold); err != nil || n != 1 || left > hold {
			t.Fatalf("HitWindow = %d, %v, %v", n, left, err)
		}
		wait(hold + 150*time.Millisecond)
		if n, left, err := th.Peek(ctx, "lock"); err != nil || n != 0 || left != 0 {
			t.Errorf("Peek after the hold = %d, %v, %v", n, left, err)
		}
		if n, _, err := th.HitWindow(ctx, "lock", hold); err != nil || n != 1 {
			t.Errorf("HitWindow after the hold = %d, %v; want a fresh window", n, err)
		}
	})
}

// Of many callers racing for a lapsed or new key, exactly one opens it.
func TestThrottleWindowOpensOnce(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		_, th, _ := b.open(t, storetest.NewClock())
		const racers = 20
		var wg sync.WaitGroup
		var mu sync.Mutex
		opened := 0
		start := make(chan struct{})
		for i := 0; i < racers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				n, _, err := th.HitWindow(ctx, "race", time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if n == 1 {
					mu.Lock()
					opened++
					mu.Unlock()
				}
			}()
		}
		close(start)
		wg.Wait()
		if opened != 1 {
			t.Errorf("%d callers opened the window, want 1", opened)
		}
	})
}
