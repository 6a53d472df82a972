package stats

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Upkeep is the store side of the worker.
type Upkeep interface {
	StatsCatchUp(ctx context.Context, loc *time.Location) (store.StatsPass, error)
	StatsRebuild(ctx context.Context, loc *time.Location) error
	StatsAsOf(ctx context.Context) (*time.Time, error)
	PruneEvents(ctx context.Context, cutoff time.Time, loc *time.Location) (store.PruneResult, error)
}

// Worker keeps the statistics a few seconds behind the raw tables. Several
// app instances may each run one: every pass takes the statistics lock in
// its transaction, so passes never overlap and no fact is counted twice.
type Worker struct {
	db       Upkeep
	loc      *time.Location
	log      *slog.Logger
	interval time.Duration
	// retention: raw heartbeat detail older than this is pruned; 0: never.
	retention time.Duration
	now       func() time.Time
	nextPrune time.Time

	passes atomic.Uint64

	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	started bool
}

// DefaultInterval is the pause between passes: the statistics' usual lag.
const DefaultInterval = 2 * time.Second

// NewWorker wires a worker; interval 0 means DefaultInterval.
func NewWorker(db Upkeep, loc *time.Location, log *slog.Logger, interval time.Duration) *Worker {
	if interval <= 0 {
		interval = DefaultInterval
	}
	if loc == nil {
		loc = time.UTC
	}
	return &Worker{db: db, loc: loc, log: log, interval: interval, stop: make(chan struct{}), done: make(chan struct{})}
}

// Passes counts the passes (and rebuilds) this worker has committed:
// answers computed from the statistics stay right until it changes.
func (w *Worker) Passes() uint64 { return w.passes.Load() }

// CatchUp runs passes until every raw table has been read to its end.
func (w *Worker) CatchUp(ctx context.Context) error {
	for {
		p, err := w.db.StatsCatchUp(ctx, w.loc)
		if err != nil {
			return err
		}
		w.passes.Add(1)
		if !p.More {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// SetRetention turns on pruning of raw heartbeat detail older than d
// (XUETANG_EVENT_RETENTION); now may be nil (time.Now).
func (w *Worker) SetRetention(d time.Duration, now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	w.retention, w.now = d, now
}

// pruneEvery is the pause between pruning rounds once nothing is left;
// pruneBatches bounds one round, so passes are not kept waiting on the lock.
const (
	pruneEvery   = 10 * time.Minute
	pruneBatches = 50
)

// Prune runs one pruning round: at most pruneBatches batches. It reports
// how many raw rows it removed and whether more wait.
func (w *Worker) Prune(ctx context.Context) (int, bool, error) {
	if w.retention <= 0 {
		return 0, false, nil
	}
	cutoff := w.now().Add(-w.retention)
	total := 0
	for i := 0; i < pruneBatches; i++ {
		r, err := w.db.PruneEvents(ctx, cutoff, w.loc)
		total += r.Pruned
		if err != nil || !r.More {
			return total, false, err
		}
	}
	return total, true, nil
}

func (w *Worker) pruneDue(ctx context.Context) {
	if w.retention <= 0 || w.now().Before(w.nextPrune) {
		return
	}
	n, more, err := w.Prune(ctx)
	switch {
	case err != nil && ctx.Err() == nil && w.log != nil:
		w.log.Error("pruning raw events", "err", err)
	case n > 0 && w.log != nil:
		w.log.Info("pruned raw heartbeat detail", "rows", n, "older_than", w.retention)
	}
	if !more {
		w.nextPrune = w.now().Add(pruneEvery)
	}
}

// Rebuild recomputes every statistic from the raw tables.
func (w *Worker) Rebuild(ctx context.Context) error {
	defer w.passes.Add(1)
	return w.db.StatsRebuild(ctx, w.loc)
}

// Start runs passes in the background until Close.
func (w *Worker) Start() {
	w.started = true
	go func() {
		defer close(w.done)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			<-w.stop
			cancel()
		}()
		// A database that had history before the statistics existed is
		// counted in one rebuild rather than thousands of small passes.
		if asOf, err := w.db.StatsAsOf(ctx); err == nil && asOf == nil {
			switch err := w.Rebuild(ctx); {
			case err == nil || ctx.Err() != nil || w.log == nil:
			case errors.Is(err, errs.ErrConflict):
				// Another instance is counting; passes wait for its swap.
				w.log.Info("statistics first rebuild left to another process", "err", err)
			default:
				w.log.Error("statistics first rebuild", "err", err)
			}
		}
		t := time.NewTicker(w.interval)
		defer t.Stop()
		for {
			if err := w.CatchUp(ctx); err != nil && ctx.Err() == nil && w.log != nil {
				w.log.Error("statistics upkeep", "err", err)
			}
			w.pruneDue(ctx)
			select {
			case <-w.stop:
				return
			case <-t.C:
			}
		}
	}()
}

// Close stops the background passes and waits for the one running (its
// transaction rolls back if cut off, so nothing is half counted).
func (w *Worker) Close() {
	w.once.Do(func() { close(w.stop) })
	if w.started {
		<-w.done
	}
}
