package session

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// gatedFetch answers "v:KEY" for every key, records the size of every round
// trip, and holds the first one until released.
type gatedFetch struct {
	mu      sync.Mutex
	sizes   []int
	err     error
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func newGatedFetch() *gatedFetch {
	return &gatedFetch{entered: make(chan struct{}), release: make(chan struct{})}
}

func (g *gatedFetch) fetch(_ context.Context, keys []string) ([][]byte, error) {
	g.mu.Lock()
	g.sizes = append(g.sizes, len(keys))
	err := g.err
	g.mu.Unlock()
	g.once.Do(func() {
		close(g.entered)
		<-g.release
	})
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(keys))
	for i, k := range keys {
		if k != "missing" {
			out[i] = []byte("v:" + k)
		}
	}
	return out, nil
}

func (g *gatedFetch) roundTrips() []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]int(nil), g.sizes...)
}

func waitPending(t *testing.T, b *readBatch, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b.mu.Lock()
		got := len(b.pending)
		b.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d reads pending", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// Reads arriving while one round trip is out leave together in the next,
// and each gets its own value.
func TestReadBatchCoalesces(t *testing.T) {
	g := newGatedFetch()
	b := &readBatch{fetch: g.fetch}
	const n = 40
	vals := make([][]byte, n+1)
	errs := make([]error, n+1)
	var wg sync.WaitGroup
	get := func(i int, key string) {
		defer wg.Done()
		vals[i], errs[i] = b.get(context.Background(), key)
	}
	wg.Add(1)
	go get(0, "k0")
	<-g.entered
	for i := 1; i <= n; i++ {
		wg.Add(1)
		key := fmt.Sprintf("k%d", i)
		if i == n {
			key = "missing"
		}
		go get(i, key)
	}
	waitPending(t, b, n)
	close(g.release)
	wg.Wait()
	if got := g.roundTrips(); len(got) != 2 || got[0] != 1 || got[1] != n {
		t.Errorf("round trips of %v keys, want [1 %d]", got, n)
	}
	for i := 0; i < n; i++ {
		if want := fmt.Sprintf("v:k%d", i); string(vals[i]) != want || errs[i] != nil {
			t.Errorf("read %d = %q, %v; want %q", i, vals[i], errs[i], want)
		}
	}
	if vals[n] != nil || errs[n] != nil {
		t.Errorf("missing key = %q, %v; want nil, nil", vals[n], errs[n])
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.busy || len(b.pending) != 0 {
		t.Errorf("after the reads: busy %v, %d pending", b.busy, len(b.pending))
	}
}

// A failed round trip fails every read in it, and the next read starts afresh.
func TestReadBatchError(t *testing.T) {
	g := newGatedFetch()
	close(g.release)
	g.err = errors.New("connection refused")
	b := &readBatch{fetch: g.fetch}
	if _, err := b.get(context.Background(), "a"); err == nil {
		t.Fatal("a failed round trip returned no error")
	}
	g.mu.Lock()
	g.err = nil
	g.mu.Unlock()
	if v, err := b.get(context.Background(), "a"); err != nil || string(v) != "v:a" {
		t.Errorf("after the failure: %q, %v", v, err)
	}
}

// A request that gives up does not hold up the others.
func TestReadBatchCancelledReader(t *testing.T) {
	g := newGatedFetch()
	b := &readBatch{fetch: g.fetch}
	done := make(chan error, 1)
	go func() { _, err := b.get(context.Background(), "lead"); done <- err }()
	<-g.entered
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error, 1)
	go func() { _, err := b.get(ctx, "impatient"); gaveUp <- err }()
	waitPending(t, b, 1)
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled read returned %v", err)
	}
	close(g.release)
	if err := <-done; err != nil {
		t.Errorf("leading read: %v", err)
	}
	if v, err := b.get(context.Background(), "after"); err != nil || string(v) != "v:after" {
		t.Errorf("next read: %q, %v", v, err)
	}
}

// One round trip carries at most maxBatchKeys keys.
func TestReadBatchBounded(t *testing.T) {
	g := newGatedFetch()
	b := &readBatch{fetch: g.fetch}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _, _ = b.get(context.Background(), "lead") }()
	<-g.entered
	n := maxBatchKeys + 10
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = b.get(context.Background(), fmt.Sprint(i)) }()
	}
	waitPending(t, b, n)
	close(g.release)
	wg.Wait()
	total := 0
	for _, s := range g.roundTrips() {
		if s > maxBatchKeys {
			t.Errorf("a round trip of %d keys", s)
		}
		total += s
	}
	if total != n+1 {
		t.Errorf("%d keys read, want %d", total, n+1)
	}
}
