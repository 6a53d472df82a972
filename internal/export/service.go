package export

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Store is what exports need from the database.
type Store interface {
	Lookup
	Source
	Audit(ctx context.Context, e *store.AuditEntry) error
	CreateExportJob(ctx context.Context, j *store.ExportJob) error
	ExportJobByID(ctx context.Context, id string) (*store.ExportJob, error)
	ClaimExportJob(ctx context.Context) (*store.ExportJob, error)
	ExportJobProgress(ctx context.Context, id string, rowsDone, rowsEstimated int64) (bool, error)
	FinishExportJob(ctx context.Context, id string, rows int64, fileName string, size int64, expires time.Time, audit *store.AuditEntry) error
	EndExportJob(ctx context.Context, id, status, errorKey string) (bool, error)
	DiscardExportFile(ctx context.Context, id, status string) error
	FailStaleExportJobs(ctx context.Context, before time.Time, errorKey string) ([]store.ExportJob, error)
	ExpiredExportJobs(ctx context.Context, now time.Time, limit int) ([]store.ExportJob, error)
}

// DefaultTTL is how long a finished file waits to be downloaded.
const DefaultTTL = 24 * time.Hour

// Config for the service.
type Config struct {
	// Dir holds the finished files (XUETANG_SHARED_DIR/exports). With
	// several instances it must be one shared filesystem, so any instance
	// serves a file another wrote.
	Dir        string
	TTL        time.Duration // DefaultTTL when 0
	Workers    int           // jobs run at once by this process; 1 when 0
	Translator Translator
	Location   *time.Location
	Now        func() time.Time
	Logger     *slog.Logger
	SheetRows  int // sheet.MaxSheetRows when 0
	// Reader picks where an export's rows are read: a read replica when
	// one is fit (store.Store.Reader), the primary otherwise. Nil: the
	// Store. Filters, jobs and audit entries always use the Store, and a
	// learner's own data (zipped by mydata.go) is read by the account
	// service from the primary.
	Reader func() (Source, store.ReadSource)
	// HeartbeatEvery is how often a running job records progress; a job
	// silent for StaleAfter is taken for dead. PollEvery is how often an
	// idle worker looks for jobs queued by other instances.
	HeartbeatEvery, StaleAfter, PollEvery, SweepEvery time.Duration
}

// Service runs exports for the command line and, as background jobs, for
// the browser. Jobs live in the database, so any instance reports them.
type Service struct {
	db      Store
	cfg     Config
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	wake    chan struct{}
	mu      sync.Mutex
	running map[string]context.CancelCauseFunc
}

// errCancelled stops a job its owner cancelled.
var errCancelled = errors.New("export cancelled")

// New builds the service; Start runs its workers, Close stops them.
func New(db Store, cfg Config) *Service {
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Reader == nil {
		cfg.Reader = func() (Source, store.ReadSource) { return db, store.ReadSource{Source: store.SourcePrimary} }
	}
	if cfg.HeartbeatEvery <= 0 {
		cfg.HeartbeatEvery = 2 * time.Second
	}
	if cfg.StaleAfter <= 0 {
		cfg.StaleAfter = 30 * time.Second
	}
	if cfg.PollEvery <= 0 {
		cfg.PollEvery = 5 * time.Second
	}
	if cfg.SweepEvery <= 0 {
		cfg.SweepEvery = time.Minute
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{db: db, cfg: cfg, ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1),
		running: map[string]context.CancelCauseFunc{}}
}

func (s *Service) options() Options {
	return Options{Translator: s.cfg.Translator, Location: s.cfg.Location, SheetRows: s.cfg.SheetRows, TmpDir: s.cfg.Dir}
}

// Start marks failed the jobs a stopped process left running, removes
// their half-written files, and starts the workers and the sweeper.
func (s *Service) Start(ctx context.Context) error {
	if err := os.MkdirAll(s.cfg.Dir, 0o750); err != nil {
		return fmt.Errorf("exports dir: %w", err)
	}
	if err := s.sweep(ctx); err != nil {
		return err
	}
	for range s.cfg.Workers {
		s.wg.Add(1)
		go s.work()
	}
	s.wg.Add(1)
	go s.sweeper()
	return nil
}

// Close stops the workers. A job cut off ends failed, its partial file
// removed; jobs still queued wait for the next start (of any instance).
func (s *Service) Close() {
	s.cancel()
	s.wg.Wait()
}

// Export writes an export straight to w (the command line) and records it
// in the audit log. It returns the data rows written.
func (s *Service) Export(ctx context.Context, a Actor, r Request, w io.Writer, progress func(done, estimated int64)) (int64, error) {
	p, err := resolve(ctx, s.db, a, r, s.cfg.Location)
	if err != nil {
		return 0, err
	}
	o := s.options()
	if o.TmpDir == "" {
		o.TmpDir = os.TempDir()
	} else if err := os.MkdirAll(o.TmpDir, 0o750); err != nil {
		return 0, err
	}
	src, est, err := s.source(ctx, p)
	if err != nil {
		return 0, err
	}
	if progress != nil {
		progress(0, est)
		o.Progress = progress
	}
	n, err := write(ctx, src, p, w, o)
	if err != nil {
		return n, err
	}
	return n, s.db.Audit(ctx, auditEntry(a, p, "", n))
}

// source picks where an export reads, once for its count and its rows, and
// counts them there. A replica that fails the count (gone since the last
// check; the store then stops using it) is passed over for the primary
// before anything is written.
func (s *Service) source(ctx context.Context, p plan) (Source, int64, error) {
	src, from := s.cfg.Reader()
	est, err := count(ctx, src, p)
	if err != nil && from.Source == store.SourceReplica && errs.As(err).Code == errs.Unavailable {
		s.cfg.Logger.Warn("export: the read replica failed; reading the primary", "err", err)
		src = s.db
		est, err = count(ctx, src, p)
	}
	return src, est, err
}

// Submit checks a request and queues it; the id is for polling.
func (s *Service) Submit(ctx context.Context, a Actor, r Request) (string, error) {
	p, err := resolve(ctx, s.db, a, r, s.cfg.Location)
	if err != nil {
		return "", err
	}
	saved, err := json.Marshal(savedPlan{Filters: p.Filters, Scope: p.Scope, IP: a.IP, Place: a.Principal,
		TargetInstitutionID: p.TargetInstitutionID, TargetRegion: p.TargetRegion})
	if err != nil {
		return "", err
	}
	j := &store.ExportJob{ID: newID(), ActorID: a.UserID, Kind: p.Kind, Format: p.Format, Lang: p.Lang,
		Filters: string(saved), Status: store.ExportQueued, RowsEstimated: -1, CreatedAt: s.cfg.Now().UTC()}
	if len(j.Filters) > 500 {
		return "", errs.New(errs.Invalid, "export.error_filters_long")
	}
	if err := s.db.CreateExportJob(ctx, j); err != nil {
		return "", err
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return j.ID, nil
}

// savedPlan is a checked request as the job row keeps it: the runner,
// perhaps on another instance, reads exactly the scope checked here.
type savedPlan struct {
	Filters             Filters           `json:"filters"`
	Scope               store.ExportScope `json:"scope"`
	IP                  string            `json:"ip,omitempty"`
	Place               account.Principal `json:"actor"`
	TargetInstitutionID int64             `json:"target_institution,omitempty"`
	TargetRegion        string            `json:"target_region,omitempty"`
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Job is a job as its owner sees it.
type Job struct {
	ID            string
	Kind, Format  string
	Status        string
	RowsDone      int64
	RowsEstimated int64 // -1: not counted yet
	ErrorKey      string
	// Ready: done and its file still there to download.
	Ready     bool
	FileName  string // the name offered for download
	FileSize  int64
	CreatedAt time.Time
	ExpiresAt *time.Time
}

var errJobNotFound = errs.New(errs.NotFound, "export.error_not_found")

// own loads a job for the admin who asked for it; to anyone else it does not
// exist. Learners and teachers are refused before any look-up.
func (s *Service) own(ctx context.Context, a Actor, id string) (*store.ExportJob, error) {
	if !MayExport(a.Principal) {
		return nil, errForbidden
	}
	if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
		return nil, errJobNotFound
	}
	j, err := s.db.ExportJobByID(ctx, id)
	if errors.Is(err, errs.ErrNotFound) || err == nil && j.ActorID != a.UserID {
		return nil, errJobNotFound
	}
	return j, err
}

func (s *Service) view(j *store.ExportJob) Job {
	v := Job{ID: j.ID, Kind: j.Kind, Format: j.Format, Status: j.Status, RowsDone: j.RowsDone, RowsEstimated: j.RowsEstimated,
		ErrorKey: j.ErrorKey, Ready: j.Status == store.ExportDone && j.FileName != "", FileSize: j.FileSize,
		CreatedAt: j.CreatedAt, ExpiresAt: j.ExpiresAt}
	v.FileName = fmt.Sprintf("xuetang-%s-%s.%s", j.Kind, j.CreatedAt.In(s.cfg.Location).Format("20060102-1504"), j.Format)
	return v
}

// Job reports a job to the admin who asked for it.
func (s *Service) Job(ctx context.Context, a Actor, id string) (Job, error) {
	j, err := s.own(ctx, a, id)
	if err != nil {
		return Job{}, err
	}
	return s.view(j), nil
}

// Cancel stops a queued or running job, or throws away a finished job's
// file before it expires; either way nothing is left to download and the
// job reads "cancelled". A failed or cancelled job stays as it is.
func (s *Service) Cancel(ctx context.Context, a Actor, id string) (Job, error) {
	j, err := s.own(ctx, a, id)
	if err != nil {
		return Job{}, err
	}
	switch j.Status {
	case store.ExportQueued, store.ExportRunning:
		if _, err := s.db.EndExportJob(ctx, id, store.ExportCancelled, "export.cancelled"); err != nil {
			return Job{}, err
		}
		// Here at once; on another instance at its next heartbeat.
		s.mu.Lock()
		if stop := s.running[id]; stop != nil {
			stop(errCancelled)
		}
		s.mu.Unlock()
	case store.ExportDone:
		if j.FileName != "" {
			if err := s.removeFile(j.FileName); err != nil {
				return Job{}, err
			}
		}
		if err := s.db.DiscardExportFile(ctx, id, store.ExportCancelled); err != nil {
			return Job{}, err
		}
	}
	if j, err = s.db.ExportJobByID(ctx, id); err != nil {
		return Job{}, err
	}
	return s.view(j), nil
}

// Open gives the owner a finished file to send.
func (s *Service) Open(ctx context.Context, a Actor, id string) (*os.File, Job, error) {
	j, err := s.own(ctx, a, id)
	if err != nil {
		return nil, Job{}, err
	}
	v := s.view(j)
	if !v.Ready || j.ExpiresAt != nil && !s.cfg.Now().Before(*j.ExpiresAt) {
		return nil, Job{}, errs.New(errs.NotFound, "export.error_no_file")
	}
	f, err := os.Open(filepath.Join(s.cfg.Dir, j.FileName))
	if errors.Is(err, os.ErrNotExist) {
		// The row says done and unexpired, so some instance wrote the file:
		// most likely into a directory this one does not share.
		s.cfg.Logger.Warn("export file missing: every instance needs the same XUETANG_SHARED_DIR (a shared filesystem)",
			"job", j.ID, "dir", s.cfg.Dir)
		return nil, Job{}, errs.New(errs.NotFound, "export.error_no_file")
	}
	return f, v, err
}

func (s *Service) removeFile(name string) error {
	if name == "" || strings.ContainsAny(name, `/\`) {
		return nil
	}
	err := os.Remove(filepath.Join(s.cfg.Dir, name))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// work runs queued jobs one at a time until the service closes. Any
// instance's worker may take any queued job.
func (s *Service) work() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.PollEvery)
	defer t.Stop()
	for {
		for s.ctx.Err() == nil {
			j, err := s.db.ClaimExportJob(s.ctx)
			if errors.Is(err, errs.ErrNotFound) {
				break
			}
			if err != nil {
				if s.ctx.Err() == nil {
					s.cfg.Logger.Warn("export: claiming a job failed", "err", err)
				}
				break
			}
			s.run(j)
		}
		select {
		case <-s.ctx.Done():
			return
		case <-s.wake:
		case <-t.C:
		}
	}
}

// run writes one job to a temporary file in the exports dir and renames it
// into place only when complete and recorded; whatever stops it, no partial
// file stays behind and the job ends failed (or cancelled).
func (s *Service) run(j *store.ExportJob) {
	ctx, stop := context.WithCancelCause(s.ctx)
	defer stop(nil)
	s.mu.Lock()
	s.running[j.ID] = stop
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.running, j.ID)
		s.mu.Unlock()
	}()
	err := s.runJob(ctx, j)
	if err == nil {
		return
	}
	key := errs.As(err).Key
	switch {
	case errors.Is(err, errCancelled), errors.Is(context.Cause(ctx), errCancelled):
		return // the job row already says cancelled
	case s.ctx.Err() != nil:
		key = "export.error_interrupted"
	}
	if key == "error.internal" || key == "" {
		key = "export.error_failed"
	}
	if errs.As(err).Code == errs.Internal || s.ctx.Err() != nil {
		s.cfg.Logger.Warn("export failed", "job", j.ID, "err", err)
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := s.db.EndExportJob(fctx, j.ID, store.ExportFailed, key); err != nil {
		s.cfg.Logger.Warn("export: recording a failure failed", "job", j.ID, "err", err)
	}
}

func (s *Service) runJob(ctx context.Context, j *store.ExportJob) (err error) {
	var saved savedPlan
	if err := json.Unmarshal([]byte(j.Filters), &saved); err != nil {
		return err
	}
	p := plan{Request: Request{Kind: j.Kind, Format: j.Format, Lang: j.Lang, Filters: saved.Filters}, Scope: saved.Scope,
		TargetInstitutionID: saved.TargetInstitutionID, TargetRegion: saved.TargetRegion}
	a := Actor{Principal: saved.Place, IP: saved.IP}

	src, est, err := s.source(ctx, p)
	if err != nil {
		return err
	}
	if still, err := s.db.ExportJobProgress(ctx, j.ID, 0, est); err != nil {
		return err
	} else if !still {
		return errCancelled // on another instance, before it started here
	}

	tmp, err := os.CreateTemp(s.cfg.Dir, j.ID+"-*.part")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	var done atomic.Int64
	hbDone := make(chan struct{})
	hbStopped := make(chan struct{})
	go s.heartbeat(ctx, j.ID, &done, hbDone, hbStopped)
	o := s.options()
	o.Progress = func(n, _ int64) { done.Store(n) }
	n, err := write(ctx, src, p, tmp, o)
	close(hbDone)
	<-hbStopped
	if err != nil {
		if c := context.Cause(ctx); c != nil {
			return c
		}
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	st, err := tmp.Stat()
	if err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	name := j.ID + "." + j.Format
	if err = os.Rename(tmp.Name(), filepath.Join(s.cfg.Dir, name)); err != nil {
		return err
	}
	expires := s.cfg.Now().Add(s.cfg.TTL)
	if err = s.db.FinishExportJob(ctx, j.ID, n, name, st.Size(), expires, auditEntry(a, p, j.ID, n)); err != nil {
		// Cancelled between the last row and here, or the database is
		// gone: the file must not outlive a job that is not done.
		_ = s.removeFile(name)
		if errors.Is(err, errs.ErrNotFound) {
			return errCancelled
		}
		return err
	}
	return nil
}

// heartbeat records progress every HeartbeatEvery; when the row says the
// job no longer runs (cancelled on another instance), it stops the job.
func (s *Service) heartbeat(ctx context.Context, id string, done *atomic.Int64, quit <-chan struct{}, stopped chan<- struct{}) {
	defer close(stopped)
	t := time.NewTicker(s.cfg.HeartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-quit:
			return
		case <-ctx.Done():
			return
		case <-t.C:
			still, err := s.db.ExportJobProgress(ctx, id, done.Load(), -1)
			if err == nil && !still {
				s.mu.Lock()
				if stop := s.running[id]; stop != nil {
					stop(errCancelled)
				}
				s.mu.Unlock()
				return
			}
		}
	}
}

func (s *Service) sweeper() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.SweepEvery)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			if err := s.sweep(s.ctx); err != nil && s.ctx.Err() == nil {
				s.cfg.Logger.Warn("export sweep failed", "err", err)
			}
		}
	}
}

// sweep fails jobs whose process died, deletes files past their time, and
// removes partial files no running job of this process is writing.
func (s *Service) sweep(ctx context.Context) error {
	now := s.cfg.Now()
	stale, err := s.db.FailStaleExportJobs(ctx, now.Add(-s.cfg.StaleAfter), "export.error_interrupted")
	if err != nil {
		return err
	}
	if len(stale) > 0 {
		s.cfg.Logger.Warn("unfinished exports marked failed", "count", len(stale))
	}
	for _, j := range stale {
		_ = s.removeFile(j.ID + "." + j.Format)
	}
	for {
		expired, err := s.db.ExpiredExportJobs(ctx, now, 100)
		if err != nil {
			return err
		}
		for _, j := range expired {
			if err := s.removeFile(j.FileName); err != nil {
				return err
			}
			if err := s.db.DiscardExportFile(ctx, j.ID, ""); err != nil {
				return err
			}
		}
		if len(expired) < 100 {
			break
		}
	}
	parts, _ := filepath.Glob(filepath.Join(s.cfg.Dir, "*.part"))
	for _, p := range parts {
		id, _, _ := strings.Cut(filepath.Base(p), "-")
		s.mu.Lock()
		_, mine := s.running[id]
		s.mu.Unlock()
		if mine {
			continue
		}
		// Another instance sharing the directory may be writing it: only
		// files untouched for longer than a heartbeat's grace are orphans.
		if fi, err := os.Stat(p); err == nil && now.Sub(fi.ModTime()) > s.cfg.StaleAfter {
			_ = os.Remove(p)
		}
	}
	return nil
}
