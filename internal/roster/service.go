package roster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Store is what an import needs from the database.
type Store interface {
	UsernamesInUse(ctx context.Context, names []string) ([]string, error)
	InstitutionByCode(ctx context.Context, code string) (*store.Institution, error)
	InstitutionByID(ctx context.Context, id int64) (*store.Institution, error)
	CreateImportJob(ctx context.Context, j *store.ImportJob) error
	ImportJobByID(ctx context.Context, id string) (*store.ImportJob, error)
	SetImportJobProgress(ctx context.Context, id string, rowsDone int) error
	FailImportJob(ctx context.Context, id, errorKey string) error
	FailStaleImportJobs(ctx context.Context, since time.Time, errorKey string) (int64, error)
	ImportUsers(ctx context.Context, im store.UserImport) (int, error)
}

// BackgroundAbove: a commit of more rows than this runs as a background
// job (argon2id costs about 20 ms a password on a school's server).
const BackgroundAbove = 500

// SlipsKeptFor is how long one-time passwords wait to be printed.
const SlipsKeptFor = 24 * time.Hour

// Config for the service.
type Config struct {
	Params account.Params
	Now    func() time.Time
	Logger *slog.Logger
	// Location gives "today" for birth years and consent dates.
	Location *time.Location
}

// Service previews and commits imports and runs the background jobs.
type Service struct {
	db     Store
	cfg    Config
	ctx    context.Context
	cancel context.CancelFunc
	jobs   sync.WaitGroup
	slips  vault
	// progressEvery is how often a running job writes rows_done.
	progressEvery time.Duration
}

// New builds the service; Close stops its jobs.
func New(db Store, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Params.Memory == 0 {
		cfg.Params = account.DefaultParams
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{db: db, cfg: cfg, ctx: ctx, cancel: cancel, slips: vault{m: map[string]*slipSet{}, now: cfg.Now},
		progressEvery: time.Second}
}

// Start marks failed the jobs a stopped process left unfinished.
func (s *Service) Start(ctx context.Context) error {
	n, err := s.db.FailStaleImportJobs(ctx, s.cfg.Now().Add(-time.Hour), "error.import_interrupted")
	if n > 0 {
		s.cfg.Logger.Warn("unfinished imports marked failed", "count", n)
	}
	return err
}

// Close cancels running jobs and waits for them to record that they
// failed; being one transaction each, none leaves people half-created.
func (s *Service) Close() {
	s.cancel()
	s.jobs.Wait()
	s.slips.wipe()
}

// Request is one uploaded file.
type Request struct {
	Actor account.Principal
	// Institution is the code given with the file; "" means the actor's
	// own institution (or, for an admin, none).
	Institution string
	FileName    string
	Data        []byte
	IP          string
	// ClassID, when set, puts everyone imported in that class (at the
	// target institution, checked by the caller) whatever the class column
	// says: a teacher adding a roster to their class.
	ClassID int64
}

// Outcome of a commit: Problems when nothing was created, else either
// Created (done) or a queued job to poll.
type Outcome struct {
	Plan    *Plan
	JobID   string
	Created int
	Queued  bool
}

var errForbidden = errs.New(errs.Forbidden, "error.forbidden")

// Preview checks a file and changes nothing.
func (s *Service) Preview(ctx context.Context, r Request) (*Plan, error) {
	plan, _, err := s.check(ctx, r)
	return plan, err
}

func (s *Service) check(ctx context.Context, r Request) (*Plan, Target, error) {
	if !CanImport(r.Actor) || r.Actor.Role == account.RoleTeacher && r.ClassID == 0 {
		// Teachers import into one of their classes only.
		return nil, Target{}, errForbidden
	}
	target, err := s.target(ctx, r.Actor, r.Institution)
	if err != nil {
		return nil, Target{}, err
	}
	t, err := Read(r.FileName, r.Data)
	if err != nil {
		return nil, Target{}, err
	}
	plan := Check(t, r.Actor, target, s.today())
	inUse, err := s.db.UsernamesInUse(ctx, plan.Usernames())
	if err != nil {
		return nil, Target{}, err
	}
	taken := make(map[string]bool, len(inUse))
	for _, n := range inUse {
		taken[n] = true
	}
	plan.AddTaken(taken)
	return plan, target, nil
}

func (s *Service) today() time.Time {
	n := s.cfg.Now().In(s.cfg.Location)
	return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC)
}

// target resolves where the people go. An institution outside the actor's
// scope is reported exactly like an unknown code, so codes cannot be probed.
func (s *Service) target(ctx context.Context, actor account.Principal, code string) (Target, error) {
	code = strings.TrimSpace(code)
	var inst *store.Institution
	var err error
	switch {
	case code != "":
		inst, err = s.db.InstitutionByCode(ctx, code)
	case actor.Is(account.RoleInstitutionAdmin, account.RoleTeacher) && actor.InstitutionID != 0:
		inst, err = s.db.InstitutionByID(ctx, actor.InstitutionID)
	case actor.Role == account.RoleAdmin:
		return Target{}, nil
	default:
		return Target{}, errs.New(errs.Invalid, "error.import_institution_required").With("field", "institution")
	}
	if inst, err = actor.VisibleInstitution(code, inst, err); err != nil {
		return Target{}, err
	}
	return Target{InstitutionID: inst.ID, InstitutionCode: inst.Code, RegionCode: inst.RegionCode}, nil
}

// Commit creates everyone in the file or, when any row has a problem,
// no one. Over BackgroundAbove rows it answers at once with a job id.
func (s *Service) Commit(ctx context.Context, r Request) (Outcome, error) {
	plan, target, err := s.check(ctx, r)
	if err != nil {
		return Outcome{}, err
	}
	if len(plan.Problems) > 0 || len(plan.People) == 0 {
		if len(plan.Problems) == 0 {
			return Outcome{}, errEmpty
		}
		return Outcome{Plan: plan}, nil
	}
	for i := range plan.People {
		if plan.People[i].Password == "" {
			if plan.People[i].Password, err = OneTimePassword(); err != nil {
				return Outcome{}, err
			}
		}
	}
	job := &store.ImportJob{ID: newJobID(), ActorID: r.Actor.UserID, Status: store.ImportQueued, RowsTotal: len(plan.People)}
	if target.InstitutionID != 0 {
		job.InstitutionID = &target.InstitutionID
	}
	if err := s.db.CreateImportJob(ctx, job); err != nil {
		return Outcome{}, err
	}
	w := work{job: job, plan: plan, target: target, actor: r.Actor, ip: r.IP, classID: r.ClassID}
	if len(plan.People) > BackgroundAbove {
		s.jobs.Add(1)
		go func() {
			defer s.jobs.Done()
			if _, err := s.run(s.ctx, w); err != nil {
				s.cfg.Logger.Warn("import failed", "job", job.ID, "err", err)
			}
		}()
		return Outcome{Plan: plan, JobID: job.ID, Queued: true}, nil
	}
	n, err := s.run(ctx, w)
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Plan: plan, JobID: job.ID, Created: n}, nil
}

type work struct {
	job     *store.ImportJob
	plan    *Plan
	target  Target
	actor   account.Principal
	ip      string
	classID int64
}

// run hashes every password (before the transaction opens, so the database
// is held for the inserts only), then writes everything in one transaction.
// Whatever stops it, the job ends failed and nobody is created.
func (s *Service) run(ctx context.Context, w work) (n int, err error) {
	defer func() {
		if err != nil {
			key := errs.As(err).Key
			if ctx.Err() != nil {
				key = "error.import_interrupted"
			}
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = s.db.FailImportJob(fctx, w.job.ID, key)
		}
	}()
	users, err := s.hashAll(ctx, w)
	if err != nil {
		return 0, err
	}
	im := store.UserImport{JobID: w.job.ID, InstitutionID: w.job.InstitutionID, Users: users, ClassID: w.classID}
	detail, _ := json.Marshal(map[string]any{"job": w.job.ID, "institution": w.target.InstitutionCode, "count": len(users)})
	target := "import:" + w.job.ID
	if w.target.InstitutionID != 0 {
		target = fmt.Sprintf("institution:%d", w.target.InstitutionID)
	}
	actorID := w.actor.UserID
	im.Audit = store.AuditEntry{ActorID: &actorID, Action: "user.import", Target: target, Detail: string(detail), IP: w.ip}
	if n, err = s.db.ImportUsers(ctx, im); err != nil {
		if errors.Is(err, errs.ErrConflict) {
			err = errs.Wrap(errs.Conflict, "error.import_username_taken", err)
		}
		return 0, err
	}
	s.slips.put(w.job.ID, w.actor.UserID, w.plan.People)
	return n, nil
}

// hashAll hashes the passwords on as many goroutines as the Go scheduler
// has processors: more would only queue for the same cores, and the
// web server keeps answering meanwhile.
func (s *Service) hashAll(ctx context.Context, w work) ([]store.ImportedUser, error) {
	people := w.plan.People
	users := make([]store.ImportedUser, len(people))
	var next, done atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(s.progressEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				_ = s.db.SetImportJobProgress(ctx, w.job.ID, int(done.Load()))
			}
		}
	}()
	defer close(stop)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(people) {
					return
				}
				if err := ctx.Err(); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				hash, err := account.HashPassword(people[i].Password, s.cfg.Params)
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				users[i] = importedUser(people[i], hash, w.target)
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return users, nil
}

func importedUser(p Person, hash string, t Target) store.ImportedUser {
	u := store.ImportedUser{Username: p.Username, DisplayName: p.DisplayName, PasswordHash: hash, Role: p.Role, Class: p.Class}
	if p.BirthYear != 0 {
		by := p.BirthYear
		u.BirthYear = &by
	}
	if p.GuardianName != "" {
		g := p.GuardianName
		u.GuardianName = &g
	}
	if p.ConsentDate != "" {
		d := p.ConsentDate
		u.ConsentDate = &d
	}
	// A region admin's region is the one of the institution they were
	// imported at: the only region the file can mean.
	if p.Role == account.RoleRegionAdmin && t.RegionCode != "" {
		rc := t.RegionCode
		u.RegionCode = &rc
	}
	return u
}

// Job is what polling a job shows.
type Job struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Rows     int    `json:"rows"`
	RowsDone int    `json:"rows_done"`
	Created  int    `json:"created"`
	ErrorKey string `json:"error_key,omitempty"`
	// Slips says whether the one-time passwords still wait to be printed.
	Slips bool `json:"slips"`
}

var errJobNotFound = errs.New(errs.NotFound, "error.import_job_not_found")

// Job reports a job to the admin who started it; to anyone else it does
// not exist.
func (s *Service) Job(ctx context.Context, actor account.Principal, id string) (Job, error) {
	j, err := s.ownJob(ctx, actor, id)
	if err != nil {
		return Job{}, err
	}
	return Job{ID: j.ID, Status: j.Status, Rows: j.RowsTotal, RowsDone: j.RowsDone, Created: j.Created,
		ErrorKey: j.ErrorKey, Slips: s.slips.has(j.ID)}, nil
}

func (s *Service) ownJob(ctx context.Context, actor account.Principal, id string) (*store.ImportJob, error) {
	if !CanImport(actor) {
		return nil, errForbidden
	}
	if len(id) != 32 {
		return nil, errJobNotFound
	}
	j, err := s.db.ImportJobByID(ctx, id)
	if errors.Is(err, errs.ErrNotFound) || err == nil && j.ActorID != actor.UserID {
		return nil, errJobNotFound
	}
	return j, err
}

// Slip is one person's sign-in details for printing.
type Slip struct {
	Username, DisplayName, Password string
}

// TakeSlips hands over a finished job's sign-in details once: they are
// forgotten as they are handed over, and after SlipsKeptFor anyway.
func (s *Service) TakeSlips(ctx context.Context, actor account.Principal, id string) ([]Slip, error) {
	if _, err := s.ownJob(ctx, actor, id); err != nil {
		return nil, err
	}
	slips, ok := s.slips.take(id, actor.UserID)
	if !ok {
		return nil, errs.New(errs.NotFound, "error.import_slips_gone")
	}
	return slips, nil
}

// vault keeps one-time passwords in this process's memory only: never in
// the database, a log or a backup. A restart loses them (the staff member
// then resets the passwords they still need), which is the safe way to fail.
type vault struct {
	mu  sync.Mutex
	m   map[string]*slipSet
	now func() time.Time
}

type slipSet struct {
	owner   int64
	expires time.Time
	slips   []Slip
}

func (v *vault) put(id string, owner int64, people []Person) {
	set := &slipSet{owner: owner, expires: v.now().Add(SlipsKeptFor), slips: make([]Slip, len(people))}
	for i, p := range people {
		set.slips[i] = Slip{Username: p.Username, DisplayName: p.DisplayName, Password: p.Password}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.sweepLocked()
	v.m[id] = set
}

func (v *vault) take(id string, owner int64) ([]Slip, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.sweepLocked()
	set, ok := v.m[id]
	if !ok || set.owner != owner {
		return nil, false
	}
	delete(v.m, id)
	return set.slips, true
}

func (v *vault) has(id string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.sweepLocked()
	_, ok := v.m[id]
	return ok
}

func (v *vault) sweepLocked() {
	now := v.now()
	for id, set := range v.m {
		if now.After(set.expires) {
			clear(set.slips)
			delete(v.m, id)
		}
	}
}

func (v *vault) wipe() {
	v.mu.Lock()
	defer v.mu.Unlock()
	for id, set := range v.m {
		clear(set.slips)
		delete(v.m, id)
	}
}

// passwordAlphabet leaves out characters that print alike (0/O, 1/l/I).
const passwordAlphabet = "23456789abcdefghjkmnpqrstuvwxyz"

// OneTimePassword makes a password to print on a slip: 10 characters of
// an alphabet of 31 (49 bits), read aloud and typed easily.
func OneTimePassword() (string, error) {
	for {
		b := make([]byte, 10)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		for i := range b {
			// 256 % 31 leaves a bias of under 1%, harmless at 49 bits.
			b[i] = passwordAlphabet[int(b[i])%len(passwordAlphabet)]
		}
		if pw := string(b); account.ValidatePassword(pw) == nil {
			return pw, nil
		}
	}
}

func newJobID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
