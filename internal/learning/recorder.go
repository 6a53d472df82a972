package learning

import (
	"context"
	"sync"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Recorder writes progress events with group commit: while one transaction
// commits, new events queue, and the next transaction takes them all. Under
// load many learners share one commit (one fsync); alone, an event waits for
// nobody. Every event is acknowledged only after its transaction commits.
//
// With several writers (MySQL), one batch collects and executes while
// another waits for its commit to reach the disk. A learner's events always
// go to the same writer, so their time on task is credited in order and
// never twice.
type Recorder struct {
	// changed, when set, hears which learners' progress a batch wrote.
	changed  func(userIDs []int64)
	st       ProgressStore
	fin      store.Rules
	states   *lessonStates
	pages    *myPages
	in       []chan *pending
	maxBatch int
	wg       sync.WaitGroup
	mu       sync.RWMutex
	closed   bool
}

type pending struct {
	in   store.ProgressInput
	out  store.ProgressOutcome
	err  error
	done chan struct{}
}

func newRecorder(st ProgressStore, fin store.Rules, writers int, states *lessonStates, pages *myPages) *Recorder {
	r := &Recorder{st: st, fin: fin, states: states, pages: pages, maxBatch: 256}
	for i := 0; i < max(writers, 1); i++ {
		r.in = append(r.in, make(chan *pending, 1024))
	}
	return r
}

func (r *Recorder) start() {
	for _, ch := range r.in {
		r.wg.Add(1)
		go r.loop(ch)
	}
}

// close stops accepting events and waits for queued ones to be written.
func (r *Recorder) close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	for _, ch := range r.in {
		close(ch)
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// queued counts events waiting for a writer.
func (r *Recorder) queued() int {
	n := 0
	for _, ch := range r.in {
		n += len(ch)
	}
	return n
}

func (r *Recorder) record(ctx context.Context, in store.ProgressInput) (store.ProgressOutcome, error) {
	p := &pending{in: in, done: make(chan struct{})}
	r.mu.RLock()
	if r.closed {
		r.mu.RUnlock()
		return store.ProgressOutcome{}, errs.New(errs.Unavailable, "error.unavailable")
	}
	select {
	case r.in[int(uint64(in.UserID)%uint64(len(r.in)))] <- p:
	case <-ctx.Done():
		r.mu.RUnlock()
		return store.ProgressOutcome{}, errs.Wrap(errs.Unavailable, "error.unavailable", ctx.Err())
	}
	r.mu.RUnlock()
	select {
	case <-p.done:
		return p.out, p.err
	case <-ctx.Done():
		// The event may still be written; the client retries with the same
		// event id and is told "duplicate", so nothing counts twice.
		return store.ProgressOutcome{}, errs.Wrap(errs.Unavailable, "error.unavailable", ctx.Err())
	}
}

func (r *Recorder) loop(in chan *pending) {
	defer r.wg.Done()
	for first := range in {
		batch := []*pending{first}
	drain:
		for len(batch) < r.maxBatch {
			select {
			case p, ok := <-in:
				if !ok {
					break drain
				}
				batch = append(batch, p)
			default:
				break drain
			}
		}
		r.write(batch)
	}
}

func (r *Recorder) write(batch []*pending) {
	ins := make([]store.ProgressInput, len(batch))
	for i, p := range batch {
		ins[i] = p.in
	}
	// Background context: once accepted, an event is written even if its
	// request has gone away.
	outs, err := r.st.RecordProgress(context.Background(), ins, r.fin)
	users := make([]int64, 0, len(ins))
	for _, in := range ins {
		if in.Type == "complete" {
			r.states.forget(in.UserID, in.CourseID)
		}
		users = append(users, in.UserID)
	}
	// Every event may change "my learning" (time spent, hours, completion).
	r.pages.forget(users...)
	if err != nil && len(batch) > 1 && errs.CodeOf(err) != errs.Unavailable {
		// One bad event must not fail its neighbours: write them one by one.
		for _, p := range batch {
			r.write([]*pending{p})
		}
		return
	}
	if err == nil && r.changed != nil {
		r.changed(users)
	}
	for i, p := range batch {
		if err != nil {
			p.err = err
		} else {
			p.out = outs[i]
		}
		close(p.done)
	}
}
