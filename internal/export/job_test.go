package export_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/export"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// stalling passes the first row through, then holds the query open until
// the job's context ends (or fails it, when fail is set), so a test can
// act while a job runs.
type stalling struct {
	*store.Store
	running chan struct{}
	fail    bool
}

func (s *stalling) EachCompletion(ctx context.Context, sc store.ExportScope, fn func(*store.CompletionRow) error) error {
	return s.Store.EachCompletion(ctx, sc, func(r *store.CompletionRow) error {
		if err := fn(r); err != nil {
			return err
		}
		select {
		case s.running <- struct{}{}:
		default:
		}
		if s.fail {
			return errors.New("disk on fire")
		}
		<-ctx.Done()
		return ctx.Err()
	})
}

func waitFor(t *testing.T, svc *export.Service, a export.Actor, id string, want ...string) export.Job {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		j, err := svc.Job(context.Background(), a, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range want {
			if j.Status == s {
				return j
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s is %s (%s), want %v", id, j.Status, j.ErrorKey, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// files lists what is in the exports dir.
func files(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestJobRunsToDoneAndOnlyItsOwnerSeesIt(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		w := newWorld(t, b.Open(t, nil))
		dir := t.TempDir()
		svc := w.service(t, nil, export.Config{Dir: dir})
		id, err := svc.Submit(ctx, w.region, export.Request{Kind: export.KindCompletions, Format: export.FormatCSV, Lang: "en"})
		if err != nil {
			t.Fatal(err)
		}
		if j, _ := svc.Job(ctx, w.region, id); j.Status != store.ExportQueued {
			t.Errorf("before the workers start: %s", j.Status)
		}
		if err := svc.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer svc.Close()
		j := waitFor(t, svc, w.region, id, store.ExportDone, store.ExportFailed)
		if j.Status != store.ExportDone || !j.Ready || j.RowsDone != 2 || j.RowsEstimated != 2 || j.ExpiresAt == nil {
			t.Fatalf("job %+v", j)
		}
		f, v, err := svc.Open(ctx, w.region, id)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(f)
		f.Close()
		if recs := readCSV(t, body); usernames(recs) != "alice,carol" || v.FileName == "" {
			t.Errorf("file %q named %q", recs, v.FileName)
		}
		for _, other := range []export.Actor{w.admin, w.gdRegion, w.instAdm} {
			if _, err := svc.Job(ctx, other, id); !errors.Is(err, errs.ErrNotFound) {
				t.Errorf("%s sees the job: %v", other.Role, err)
			}
			if _, _, err := svc.Open(ctx, other, id); !errors.Is(err, errs.ErrNotFound) {
				t.Errorf("%s opens the file: %v", other.Role, err)
			}
		}
		es, _ := w.st.AuditEntries(ctx, "export.completions", 5)
		if len(es) != 1 || es[0].Target != "export:"+id || es[0].IP != "192.0.2.1" {
			t.Errorf("audit %+v", es)
		}
		// Thrown away by its owner: the file goes, and the job says so.
		if j, err := svc.Cancel(ctx, w.region, id); err != nil || j.Status != store.ExportCancelled || j.Ready {
			t.Fatalf("discard: %+v, %v", j, err)
		}
		if fs := files(t, dir); len(fs) != 0 {
			t.Errorf("files left: %v", fs)
		}
	})
}

func TestCancelARunningJob(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		w := newWorld(t, b.Open(t, nil))
		dir := t.TempDir()
		slow := &stalling{Store: w.st, running: make(chan struct{}, 1)}
		svc := w.service(t, slow, export.Config{Dir: dir})
		if err := svc.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer svc.Close()
		id, err := svc.Submit(ctx, w.admin, export.Request{Format: export.FormatXLSX})
		if err != nil {
			t.Fatal(err)
		}
		<-slow.running
		if j, _ := svc.Job(ctx, w.admin, id); j.Status != store.ExportRunning {
			t.Errorf("while writing: %s", j.Status)
		}
		if _, err := svc.Cancel(ctx, w.region, id); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("another admin cancelled: %v", err)
		}
		j, err := svc.Cancel(ctx, w.admin, id)
		if err != nil || j.Status != store.ExportCancelled {
			t.Fatalf("cancel: %+v, %v", j, err)
		}
		// The worker drops its partial file.
		deadline := time.Now().Add(5 * time.Second)
		for len(files(t, dir)) > 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if fs := files(t, dir); len(fs) > 0 {
			t.Errorf("files after cancel: %v", fs)
		}
		if j, _ := svc.Job(ctx, w.admin, id); j.Status != store.ExportCancelled || j.Ready {
			t.Errorf("after cancel: %+v", j)
		}
		if _, _, err := svc.Open(ctx, w.admin, id); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("a cancelled job's file opens: %v", err)
		}
	})
}

func TestFailedJobLeavesNoFile(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, storetest.OpenSQLite(t, nil))
	dir := t.TempDir()
	svc := w.service(t, &stalling{Store: w.st, running: make(chan struct{}, 1), fail: true}, export.Config{Dir: dir})
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	id, _ := svc.Submit(ctx, w.admin, export.Request{})
	j := waitFor(t, svc, w.admin, id, store.ExportFailed, store.ExportDone)
	if j.Status != store.ExportFailed || j.ErrorKey != "export.error_failed" || j.Ready {
		t.Errorf("job %+v", j)
	}
	if fs := files(t, dir); len(fs) > 0 {
		t.Errorf("files after failure: %v", fs)
	}
	if es, _ := w.st.AuditEntries(ctx, "export.completions", 5); len(es) != 0 {
		t.Errorf("a failed export was audited as done: %+v", es)
	}
}

// A shutdown cuts a running job off: it ends failed, without a file.
func TestShutdownFailsARunningJob(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, storetest.OpenSQLite(t, nil))
	dir := t.TempDir()
	slow := &stalling{Store: w.st, running: make(chan struct{}, 1)}
	svc := w.service(t, slow, export.Config{Dir: dir})
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	id, _ := svc.Submit(ctx, w.admin, export.Request{})
	<-slow.running
	svc.Close()
	j, err := svc.Job(ctx, w.admin, id)
	if err != nil || j.Status != store.ExportFailed || j.ErrorKey != "export.error_interrupted" {
		t.Errorf("after shutdown: %+v, %v", j, err)
	}
	if fs := files(t, dir); len(fs) > 0 {
		t.Errorf("files after shutdown: %v", fs)
	}
}

// A job whose process died (no heartbeat for a while) is failed at the
// next start, with its partial file removed; a queued job survives and runs.
func TestStartFailsStaleJobs(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clock := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
		w := newWorld(t, b.Open(t, nil))
		dir := t.TempDir()
		long := clock.Add(-time.Hour)
		stale := &store.ExportJob{ID: "0123456789abcdef0123456789abcdef", ActorID: w.admin.UserID, Kind: "completions", Format: "csv",
			Lang: "en", Filters: `{"filters":{},"scope":{},"actor":{"Role":"admin"}}`, Status: store.ExportRunning,
			CreatedAt: long, StartedAt: &long, HeartbeatAt: &long}
		queued := &store.ExportJob{ID: "fedcba9876543210fedcba9876543210", ActorID: w.admin.UserID, Kind: "completions", Format: "csv",
			Lang: "en", Filters: `{"filters":{},"scope":{},"actor":{"UserID":1,"Role":"admin"}}`, Status: store.ExportQueued, CreatedAt: long}
		for _, j := range []*store.ExportJob{stale, queued} {
			if err := w.st.CreateExportJob(ctx, j); err != nil {
				t.Fatal(err)
			}
		}
		part := filepath.Join(dir, stale.ID+"-123.part")
		if err := os.WriteFile(part, []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
		_ = os.Chtimes(part, long, long)
		svc := w.service(t, nil, export.Config{Dir: dir, Now: func() time.Time { return clock }})
		if err := svc.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer svc.Close()
		if j, _ := svc.Job(ctx, w.admin, stale.ID); j.Status != store.ExportFailed || j.ErrorKey != "export.error_interrupted" {
			t.Errorf("stale job %+v", j)
		}
		if _, err := os.Stat(part); !os.IsNotExist(err) {
			t.Errorf("partial file still there: %v", err)
		}
		if j := waitFor(t, svc, w.admin, queued.ID, store.ExportDone, store.ExportFailed); j.Status != store.ExportDone || j.RowsDone != 3 {
			t.Errorf("queued job %+v", j)
		}
	})
}

// Past its time a file is deleted by the sweeper and can no longer be had.
func TestExpiredFilesAreDeleted(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, storetest.OpenSQLite(t, nil))
	dir := t.TempDir()
	now := time.Now()
	clock := func() time.Time { return now }
	svc := w.service(t, nil, export.Config{Dir: dir, TTL: time.Hour, Now: clock, SweepEvery: 10 * time.Millisecond})
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	id, _ := svc.Submit(ctx, w.admin, export.Request{})
	waitFor(t, svc, w.admin, id, store.ExportDone)
	if fs := files(t, dir); len(fs) != 1 {
		t.Fatalf("files %v", fs)
	}
	svc2 := w.service(t, nil, export.Config{Dir: dir, TTL: time.Hour, Now: func() time.Time { return now.Add(2 * time.Hour) }})
	if err := svc2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	svc2.Close()
	if fs := files(t, dir); len(fs) != 0 {
		t.Errorf("expired file kept: %v", fs)
	}
	j, _ := svc.Job(ctx, w.admin, id)
	if j.Status != store.ExportDone || j.Ready {
		t.Errorf("expired job %+v", j)
	}
	if _, _, err := svc.Open(ctx, w.admin, id); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("expired file opens: %v", err)
	}
}

// A cancel through another instance reaches the one writing at its next
// heartbeat: the job stops there and leaves no file.
func TestCancelThroughAnotherInstance(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, storetest.OpenSQLite(t, nil))
	dir := t.TempDir()
	slow := &stalling{Store: w.st, running: make(chan struct{}, 1)}
	writer := w.service(t, slow, export.Config{Dir: dir})
	if err := writer.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	other := w.service(t, nil, export.Config{Dir: dir})
	id, err := other.Submit(ctx, w.instAdm, export.Request{Format: export.FormatXLSX})
	if err != nil {
		t.Fatal(err)
	}
	<-slow.running
	if j, err := other.Cancel(ctx, w.instAdm, id); err != nil || j.Status != store.ExportCancelled {
		t.Fatalf("cancel: %+v, %v", j, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(files(t, dir)) > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if fs := files(t, dir); len(fs) > 0 {
		t.Errorf("files after cancel: %v", fs)
	}
	if j, _ := writer.Job(ctx, w.instAdm, id); j.Status != store.ExportCancelled {
		t.Errorf("job %+v", j)
	}
}
