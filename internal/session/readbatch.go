package session

import (
	"context"
	"sync"
)

// readBatch coalesces concurrent key reads into one round trip. Every
// signed-in request reads its session; under load tens of them wait on Redis
// at once, and one MGET for all of them saves each request its own write and
// read system calls and Redis its per-command work (a third of a lesson
// view's CPU went to the session read).
//
// One round trip is in flight at a time. A read arriving when none is goes
// out at once, so an idle server adds no delay; reads arriving meanwhile
// leave together as soon as it returns.
type readBatch struct {
	fetch func(ctx context.Context, keys []string) ([][]byte, error)

	mu      sync.Mutex
	busy    bool
	pending []*read
}

type read struct {
	key  string
	val  []byte // nil: no such key
	err  error
	done chan struct{}
}

// maxBatchKeys bounds one MGET.
const maxBatchKeys = 256

func (b *readBatch) get(ctx context.Context, key string) ([]byte, error) {
	r := &read{key: key, done: make(chan struct{})}
	b.mu.Lock()
	b.pending = append(b.pending, r)
	lead := !b.busy
	b.busy = true
	b.mu.Unlock()
	if lead {
		// Not cancelled with this request: the round trip answers others too,
		// and the client's own timeouts bound it.
		b.flush(context.WithoutCancel(ctx))
	}
	select {
	case <-r.done:
		return r.val, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// flush sends what is pending, then hands what arrived meanwhile to a new
// goroutine so the leading request can answer its own client now.
func (b *readBatch) flush(ctx context.Context) {
	b.mu.Lock()
	batch := b.pending
	if len(batch) > maxBatchKeys {
		batch = batch[:maxBatchKeys]
	}
	b.pending = b.pending[len(batch):]
	b.mu.Unlock()

	keys := make([]string, len(batch))
	for i, r := range batch {
		keys[i] = r.key
	}
	vals, err := b.fetch(ctx, keys)
	for i, r := range batch {
		if err != nil {
			r.err = err
		} else {
			r.val = vals[i]
		}
		close(r.done)
	}

	b.mu.Lock()
	if len(b.pending) == 0 {
		b.pending = nil
		b.busy = false
		b.mu.Unlock()
		return
	}
	b.mu.Unlock()
	go b.flush(ctx)
}
