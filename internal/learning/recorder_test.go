package learning

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// gatedStore holds the first progress write until released, so events that
// arrive meanwhile are known to be queued together, and records the size of
// every batch the recorder writes.
type gatedStore struct {
	Store
	mu      sync.Mutex
	batches []int
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func newGatedStore(st Store) *gatedStore {
	return &gatedStore{Store: st, entered: make(chan struct{}), release: make(chan struct{})}
}

func (g *gatedStore) RecordProgress(ctx context.Context, in []store.ProgressInput, f store.Rules) ([]store.ProgressOutcome, error) {
	g.mu.Lock()
	g.batches = append(g.batches, len(in))
	g.mu.Unlock()
	g.once.Do(func() {
		close(g.entered)
		<-g.release
	})
	return g.Store.RecordProgress(ctx, in, f)
}

func (g *gatedStore) sizes() []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]int(nil), g.batches...)
}

// recFixture is a service over a real database with learners enrolled in
// the Simple course "rec".
type recFixture struct {
	st     *store.Store
	gate   *gatedStore
	svc    *Service
	users  []int64
	lesson int64
}

func newRecFixture(t *testing.T, b storetest.Backend, learners int) *recFixture {
	t.Helper()
	ctx := context.Background()
	clk := storetest.NewClock()
	st := b.Open(t, clk.Now)
	coursetest.Import(t, st, coursetest.Simple("rec"))
	g := newGatedStore(st)
	svc := New(g, Config{Now: clk.Now})
	f := &recFixture{st: st, gate: g, svc: svc, lesson: coursetest.Lessons(t, st, "rec")[0].ID}
	for i := 0; i < learners; i++ {
		u := &store.User{Username: fmt.Sprintf("rec%d", i), DisplayName: "r", PasswordHash: "x", Role: "learner",
			Locale: "zh-CN", CreatedAt: clk.Now(), UpdatedAt: clk.Now()}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Enroll(ctx, Learner{UserID: u.ID}, "rec"); err != nil {
			t.Fatal(err)
		}
		f.users = append(f.users, u.ID)
	}
	// Time passes so the events have something to credit.
	clk.Add(time.Minute)
	svc.Start()
	t.Cleanup(svc.Close)
	return f
}

var recEvents atomic.Int64

func recEventID() string { return fmt.Sprintf("00000000-0000-4000-a000-%012d", recEvents.Add(1)) }

func (f *recFixture) rows(t *testing.T) int {
	t.Helper()
	var n int
	if err := f.st.DB().QueryRow("SELECT COUNT(*) FROM progress_events").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitQueued waits until n events sit in the recorder's queue.
func (f *recFixture) waitQueued(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for f.svc.recorder.queued() < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d events queued", f.svc.recorder.queued(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func waitGroupOrFail(t *testing.T, wg *sync.WaitGroup, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: still waiting after 30 s", what)
	}
}

// Concurrent events share commits, and every acknowledged one is stored.
func TestRecorderGroupCommit(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		const n = 60
		f := newRecFixture(t, b, 6)
		results := make([]*EventResult, n)
		errsOf := make([]error, n)
		var wg sync.WaitGroup
		send := func(i int) {
			defer wg.Done()
			results[i], errsOf[i] = f.svc.RecordEvent(context.Background(), f.users[i%len(f.users)],
				Event{EventID: recEventID(), LessonID: f.lesson, Type: "heartbeat", Seconds: 5})
		}
		wg.Add(1)
		go send(0)
		<-f.gate.entered // the first commit is under way
		for i := 1; i < n; i++ {
			wg.Add(1)
			go send(i)
		}
		f.waitQueued(t, n-1)
		close(f.gate.release)
		waitGroupOrFail(t, &wg, "acknowledgements")

		for i := range results {
			if errsOf[i] != nil || results[i] == nil || results[i].Status != "recorded" {
				t.Errorf("event %d: %+v, %v", i, results[i], errsOf[i])
			}
		}
		if got := f.rows(t); got != n {
			t.Errorf("%d events stored, %d acknowledged", got, n)
		}
		if sizes := f.gate.sizes(); len(sizes) != 2 || sizes[1] != n-1 {
			t.Errorf("batches = %v, want [1 %d]: events queued during a commit share the next one", sizes, n-1)
		}
	})
}

// Without a gate: many truly concurrent requests, each acknowledged only
// once stored.
func TestRecorderConcurrentEventsAllStored(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		const n = 200
		f := newRecFixture(t, b, 10)
		close(f.gate.release)
		var wg sync.WaitGroup
		var acked atomic.Int64
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := f.svc.RecordEvent(context.Background(), f.users[i%len(f.users)],
					Event{EventID: recEventID(), LessonID: f.lesson, Type: "heartbeat", Seconds: 5})
				if err != nil || r.Status != "recorded" {
					t.Errorf("event %d: %+v, %v", i, r, err)
					return
				}
				acked.Add(1)
			}()
		}
		waitGroupOrFail(t, &wg, "acknowledgements")
		if got := f.rows(t); int64(got) != acked.Load() || got != n {
			t.Errorf("%d stored, %d acknowledged, %d sent", got, acked.Load(), n)
		}
	})
}

// One event that cannot be written fails alone; its batch neighbours are
// still stored and acknowledged.
func TestRecorderBadEventFailsAlone(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		const good = 20
		f := newRecFixture(t, b, 4)
		input := func(user int64) store.ProgressInput {
			return store.ProgressInput{EventID: recEventID(), UserID: user, CourseID: 1, LessonID: f.lesson,
				LessonSlug: "intro", Type: "heartbeat", Seconds: 5}
		}
		c, _, err := f.st.CourseBySlug(context.Background(), "rec")
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errsOf := make([]error, good+1)
		send := func(i int, in store.ProgressInput) {
			defer wg.Done()
			in.CourseID = c.ID
			_, errsOf[i] = f.svc.recorder.record(context.Background(), in)
		}
		wg.Add(1)
		go send(0, input(f.users[0]))
		<-f.gate.entered
		for i := 1; i < good; i++ {
			wg.Add(1)
			go send(i, input(f.users[i%len(f.users)]))
		}
		// No such user: the foreign key refuses the row.
		wg.Add(1)
		go send(good, input(987654))
		f.waitQueued(t, good)
		close(f.gate.release)
		waitGroupOrFail(t, &wg, "acknowledgements")

		for i := 0; i < good; i++ {
			if errsOf[i] != nil {
				t.Errorf("good event %d failed with its bad neighbour: %v", i, errsOf[i])
			}
		}
		if errsOf[good] == nil {
			t.Error("the bad event was acknowledged")
		}
		if got := f.rows(t); got != good {
			t.Errorf("%d events stored, want the %d good ones", got, good)
		}
		if sizes := f.gate.sizes(); len(sizes) < 2 || sizes[1] != good {
			t.Errorf("batches = %v, want the %d queued events tried together first", sizes, good)
		}
	})
}

// Close stops taking events but writes every queued one before returning,
// so a server shutting down loses nothing it accepted.
func TestCloseDrainsQueuedEvents(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		const n = 25
		f := newRecFixture(t, b, 5)
		var wg sync.WaitGroup
		errsOf := make([]error, n)
		send := func(i int) {
			defer wg.Done()
			_, errsOf[i] = f.svc.RecordEvent(context.Background(), f.users[i%len(f.users)],
				Event{EventID: recEventID(), LessonID: f.lesson, Type: "heartbeat", Seconds: 5})
		}
		wg.Add(1)
		go send(0)
		<-f.gate.entered
		for i := 1; i < n; i++ {
			wg.Add(1)
			go send(i)
		}
		f.waitQueued(t, n-1)

		closed := make(chan struct{})
		go func() { f.svc.Close(); close(closed) }()
		select {
		case <-closed:
			t.Fatal("Close returned while events were still queued")
		case <-time.After(50 * time.Millisecond):
		}
		close(f.gate.release)
		select {
		case <-closed:
		case <-time.After(30 * time.Second):
			t.Fatal("Close did not return")
		}
		// Everything accepted is on disk the moment Close returns.
		if got := f.rows(t); got != n {
			t.Errorf("%d of %d queued events stored when Close returned", got, n)
		}
		waitGroupOrFail(t, &wg, "acknowledgements")
		for i, err := range errsOf {
			if err != nil {
				t.Errorf("event %d: %v", i, err)
			}
		}
		_, err := f.svc.RecordEvent(context.Background(), f.users[0], Event{EventID: recEventID(), LessonID: f.lesson, Type: "open"})
		if errs.CodeOf(err) != errs.Unavailable {
			t.Errorf("event after Close: %v, want unavailable", err)
		}
	})
}

// With several writers, a learner's events still go through one of them, so
// parallel floods from many learners never credit anyone more than the
// wall-clock time since their previous event.
func TestRecorderWritersKeepEachLearnersCreditInOrder(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clk := storetest.NewClock()
		st := b.Open(t, clk.Now)
		coursetest.Import(t, st, coursetest.Simple("wr"))
		svc := New(st, Config{Now: clk.Now, Writers: 4})
		lesson := coursetest.Lessons(t, st, "wr")[0].ID
		var users []int64
		for i := 0; i < 8; i++ {
			u := &store.User{Username: fmt.Sprintf("wr%d", i), DisplayName: "w", PasswordHash: "x", Role: "learner",
				Locale: "zh-CN", CreatedAt: clk.Now(), UpdatedAt: clk.Now()}
			if err := st.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Enroll(ctx, Learner{UserID: u.ID}, "wr"); err != nil {
				t.Fatal(err)
			}
			users = append(users, u.ID)
		}
		clk.Add(40 * time.Second) // the only wall-clock time anyone can be credited
		svc.Start()
		defer svc.Close()
		credited := make([]atomic.Int64, len(users))
		var wg sync.WaitGroup
		for i := 0; i < 20*len(users); i++ {
			wg.Add(1)
			go func(u int) {
				defer wg.Done()
				r, err := svc.RecordEvent(ctx, users[u], Event{EventID: recEventID(), LessonID: lesson, Type: "heartbeat", Seconds: 30})
				if err != nil {
					t.Error(err)
					return
				}
				credited[u].Add(int64(r.CreditedSeconds))
			}(i % len(users))
		}
		waitGroupOrFail(t, &wg, "flood")
		for i := range users {
			if got := credited[i].Load(); got != 30 {
				t.Errorf("learner %d credited %d s for 20 parallel 30 s heartbeats after 40 s; want 30 (one heartbeat's worth, capped by the clock)", i, got)
			}
		}
	})
}

// OnLearnerChange hears of an enrolment and of a written progress batch,
// after the fact, with the learners concerned; an event refused before
// reaching the recorder says nothing.
func TestLearnerChangeHeard(t *testing.T) {
	ctx := context.Background()
	clk := storetest.NewClock()
	st := storetest.OpenSQLite(t, clk.Now)
	coursetest.Import(t, st, coursetest.Simple("heard"))
	svc := New(st, Config{Now: clk.Now})
	var mu sync.Mutex
	var heard []int64
	svc.OnLearnerChange(func(ids []int64) {
		mu.Lock()
		defer mu.Unlock()
		heard = append(heard, ids...)
	})
	svc.Start()
	t.Cleanup(svc.Close)
	got := func() []int64 {
		mu.Lock()
		defer mu.Unlock()
		out := heard
		heard = nil
		return out
	}
	u := &store.User{Username: "heard", DisplayName: "h", PasswordHash: "x", Role: "learner", Locale: "zh-CN",
		CreatedAt: clk.Now(), UpdatedAt: clk.Now()}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Enroll(ctx, Learner{UserID: u.ID}, "heard"); err != nil {
		t.Fatal(err)
	}
	if h := got(); len(h) != 1 || h[0] != u.ID {
		t.Errorf("after enrolling heard %v, want [%d]", h, u.ID)
	}
	if _, err := svc.Enroll(ctx, Learner{UserID: u.ID}, "heard"); err != nil {
		t.Fatal(err)
	}
	if h := got(); len(h) != 0 {
		t.Errorf("enrolling again (no change) was heard: %v", h)
	}
	clk.Add(time.Minute)
	lesson := coursetest.Lessons(t, st, "heard")[0].ID
	if _, err := svc.RecordEvent(ctx, u.ID, Event{EventID: recEventID(), LessonID: lesson, Type: "heartbeat", Seconds: 30}); err != nil {
		t.Fatal(err)
	}
	if h := got(); len(h) != 1 || h[0] != u.ID {
		t.Errorf("after a heartbeat heard %v, want [%d]", h, u.ID)
	}
	if _, err := svc.RecordEvent(ctx, u.ID, Event{EventID: "not-a-uuid", LessonID: lesson, Type: "heartbeat"}); err == nil {
		t.Fatal("a bad event was accepted")
	}
	if h := got(); len(h) != 0 {
		t.Errorf("a refused event was heard: %v", h)
	}
}
