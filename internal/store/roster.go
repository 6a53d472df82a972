package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/xuetang-edu/xuetang/internal/errs"
)

// Import job statuses.
const (
	ImportQueued  = "queued"
	ImportRunning = "running"
	ImportDone    = "done"
	ImportFailed  = "failed"
)

// ImportJob is one bulk import of people, polled while it runs.
type ImportJob struct {
	ID            string `gorm:"primaryKey;size:32"`
	ActorID       int64
	InstitutionID *int64
	Status        string `gorm:"size:16"`
	RowsTotal     int
	RowsDone      int
	Created       int
	ErrorKey      string `gorm:"size:64"`
	CreatedAt     time.Time
	FinishedAt    *time.Time
}

func (ImportJob) TableName() string { return "import_jobs" }

// ImportedUser is one account an import creates. Every one must choose a
// new password at first sign-in.
type ImportedUser struct {
	Username, DisplayName, PasswordHash, Role string
	RegionCode                                *string
	BirthYear                                 *int
	GuardianName                              *string
	ConsentDate                               *string // YYYY-MM-DD
	Class                                     string  // "" for none
}

// UserImport is everything one import writes, in one transaction.
type UserImport struct {
	JobID         string
	InstitutionID *int64
	Users         []ImportedUser
	Audit         AuditEntry // the one entry summarising the import
	// ClassID, when set, puts every user in that class instead of the
	// classes their rows name.
	ClassID int64
}

// ImportUsers creates every account of an import or none: users (the same
// insert as CreateUsers), the classes they name (created at the institution
// when missing) and their memberships, the audit entry, and the job marked
// done, all in one transaction. A username taken since the preview fails
// the whole import with errs.Conflict.
func (s *Store) ImportUsers(ctx context.Context, im UserImport) (int, error) {
	now := s.now()
	users := make([]*User, len(im.Users))
	for i, u := range im.Users {
		users[i] = &User{Username: u.Username, DisplayName: u.DisplayName, PasswordHash: u.PasswordHash,
			Role: u.Role, InstitutionID: im.InstitutionID, RegionCode: u.RegionCode, Locale: "zh-CN", BirthYear: u.BirthYear,
			MustChangePassword: true, GuardianName: u.GuardianName, CreatedAt: now, UpdatedAt: now}
		if u.ConsentDate != nil {
			d, err := time.Parse(time.DateOnly, *u.ConsentDate)
			if err != nil {
				return 0, errs.Wrap(errs.Invalid, "import.date_invalid", err)
			}
			users[i].GuardianConsentDate = &d
		}
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := insertUsers(tx, users); err != nil {
			return err
		}
		if err := addToClasses(tx, im, users, now); err != nil {
			return err
		}
		im.Audit.At = now
		if err := tx.Create(&im.Audit).Error; err != nil {
			return err
		}
		res := tx.Model(&ImportJob{}).Where("id = ?", im.JobID).Updates(map[string]any{
			"status": ImportDone, "rows_done": len(users), "created": len(users), "finished_at": now})
		if res.Error == nil && res.RowsAffected == 0 {
			return gorm.ErrRecordNotFound
		}
		return res.Error
	})
	if err != nil {
		return 0, err
	}
	return len(users), nil
}

// addToClasses puts each imported user in the class their row names. The
// new users' ids are read back by username: ids of a multi-row insert are
// not promised to be consecutive on every server setting.
func addToClasses(tx *gorm.DB, im UserImport, users []*User, now time.Time) error {
	if im.ClassID != 0 {
		return addToClass(tx, im.ClassID, users, now)
	}
	byClass := map[string][]int64{}
	var names []string
	for i, u := range im.Users {
		if u.Class == "" || im.InstitutionID == nil {
			continue
		}
		if _, ok := byClass[u.Class]; !ok {
			names = append(names, u.Class)
		}
		byClass[u.Class] = append(byClass[u.Class], users[i].ID)
	}
	if len(names) == 0 {
		return nil
	}
	var classes []Class
	if err := tx.Where("institution_id = ? AND name IN ?", *im.InstitutionID, names).Order("id").Find(&classes).Error; err != nil {
		return err
	}
	classID := map[string]int64{}
	for _, c := range classes {
		if _, ok := classID[c.Name]; !ok {
			classID[c.Name] = c.ID
		}
	}
	for _, n := range names {
		if _, ok := classID[n]; ok {
			continue
		}
		c := Class{InstitutionID: *im.InstitutionID, Name: n, CreatedAt: now}
		if err := tx.Create(&c).Error; err != nil {
			return err
		}
		classID[n] = c.ID
	}
	var members []ClassMember
	for _, n := range names {
		for _, id := range byClass[n] {
			members = append(members, ClassMember{ClassID: classID[n], UserID: id, JoinedAt: now})
		}
	}
	return tx.CreateInBatches(members, userBatch).Error
}

// addToClass puts everyone imported in the one class the import is for.
func addToClass(tx *gorm.DB, classID int64, users []*User, now time.Time) error {
	members := make([]ClassMember, len(users))
	for i, u := range users {
		members[i] = ClassMember{ClassID: classID, UserID: u.ID, JoinedAt: now}
	}
	return tx.CreateInBatches(members, userBatch).Error
}

// CreateImportJob records a job before its work starts.
func (s *Store) CreateImportJob(ctx context.Context, j *ImportJob) error {
	if j.CreatedAt.IsZero() {
		j.CreatedAt = s.now()
	}
	return classify(s.w.WithContext(ctx).Create(j).Error)
}

// ImportJobByID finds a job.
func (s *Store) ImportJobByID(ctx context.Context, id string) (*ImportJob, error) {
	var j ImportJob
	if err := s.r.WithContext(ctx).Where("id = ?", id).Take(&j).Error; err != nil {
		return nil, classify(err)
	}
	return &j, nil
}

// SetImportJobProgress records how many rows a running job has prepared.
func (s *Store) SetImportJobProgress(ctx context.Context, id string, rowsDone int) error {
	return classify(s.w.WithContext(ctx).Model(&ImportJob{}).Where("id = ? AND status IN ?", id, []string{ImportQueued, ImportRunning}).
		Updates(map[string]any{"status": ImportRunning, "rows_done": rowsDone}).Error)
}

// FailImportJob marks an unfinished job failed with the reason's key.
func (s *Store) FailImportJob(ctx context.Context, id, errorKey string) error {
	return classify(s.w.WithContext(ctx).Model(&ImportJob{}).Where("id = ? AND status IN ?", id, []string{ImportQueued, ImportRunning}).
		Updates(map[string]any{"status": ImportFailed, "error_key": errorKey, "finished_at": s.now()}).Error)
}

// FailStaleImportJobs marks failed the jobs still unfinished that started
// before since: their process stopped without finishing them (a job runs in
// the process that accepted it, and a whole file takes minutes, not hours).
func (s *Store) FailStaleImportJobs(ctx context.Context, since time.Time, errorKey string) (int64, error) {
	res := s.w.WithContext(ctx).Model(&ImportJob{}).Where("status IN ? AND created_at < ?", []string{ImportQueued, ImportRunning}, since).
		Updates(map[string]any{"status": ImportFailed, "error_key": errorKey, "finished_at": s.now()})
	return res.RowsAffected, classify(res.Error)
}
