package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/xuetang-edu/xuetang/internal/errs"
)

// Course is the stable identity of a course across its versions. Learner
// records point here, so publishing a new version never orphans them.
type Course struct {
	ID               int64
	Slug             string `gorm:"size:64"`
	TranslationGroup string `gorm:"size:64"`
	Language         string `gorm:"size:10"`
	CurrentVersionID *int64
	Published        bool
	// OwnerInstitutionID is the institution that first published the
	// course and owns its slug; nil for courses shipped with Xuetang or
	// imported from the shell.
	OwnerInstitutionID *int64
	Visibility         string `gorm:"size:16"` // VisibilityInstitution, VisibilityRegion or VisibilityPublic
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

func (Course) TableName() string { return "courses" }

// Who may see a course.
const (
	VisibilityInstitution = "institution"
	VisibilityRegion      = "region"
	VisibilityPublic      = "public"
)

// CourseVersion is one immutable published version of a course.
type CourseVersion struct {
	ID            int64
	CourseID      int64
	Version       int
	Title         string `gorm:"size:200"`
	Summary       string `gorm:"size:1000"`
	Audience      string `gorm:"size:100"` // comma-separated
	Level         string `gorm:"size:20"`
	StudyHours    float64
	PassScore     int
	TranslationOf string `gorm:"size:64"`
	// Reviewed is the YYYY-MM the facts were checked, or "". Left to the
	// column's default when empty, so courses without it still import into
	// a schema from before migration 00014 (as upgrade tests do).
	Reviewed    string `gorm:"size:7;default:''"`
	Checksum    string `gorm:"size:64"`
	PublishedAt time.Time
	// PublishedBy is the user who published the version; nil for shipped
	// courses, shell imports and versions from before migration 00023.
	PublishedBy *int64
}

func (CourseVersion) TableName() string { return "course_versions" }

// Lesson belongs to one course version. HTML is rendered and sanitised once
// at import, never per request.
type Lesson struct {
	ID              int64
	CourseVersionID int64
	Slug            string `gorm:"size:64"`
	FileName        string `gorm:"size:128"`
	Position        int
	Title           string `gorm:"size:200"`
	Minutes         int
	Body            string
	HTML            string `gorm:"column:html"`
}

func (Lesson) TableName() string { return "lessons" }

// Question is stored with its answer key as JSON; the key never leaves the server.
type Question struct {
	ID          int64
	LessonID    int64
	QID         string `gorm:"column:qid;size:32"`
	Position    int
	Type        string `gorm:"size:16"`
	Prompt      string
	Options     string // JSON array of strings
	Answer      string // JSON of the answer key
	Explanation string
	FixedOrder  bool // options never shuffled (shuffle: false)
}

func (Question) TableName() string { return "questions" }

// CourseAsset is an image shipped with a course version.
type CourseAsset struct {
	ID              int64
	CourseVersionID int64
	Path            string `gorm:"size:255"`
	ContentType     string `gorm:"size:64"`
	Data            []byte
}

func (CourseAsset) TableName() string { return "course_assets" }

// LessonImport is a lesson with its questions, for ImportCourse.
type LessonImport struct {
	Lesson    Lesson
	Questions []Question
}

// CourseImport is a whole validated package ready to store.
type CourseImport struct {
	Slug             string
	Language         string
	TranslationGroup string
	Version          CourseVersion
	Lessons          []LessonImport
	Assets           []CourseAsset
	// Owner is the publishing institution (nil: shipped or shell import).
	// A slug owned by another institution is a conflict; Visibility, when
	// set, replaces the course's (empty keeps it, public for a new course).
	Owner      *int64
	Visibility string
	// By is the user publishing (nil: the operator), recorded on the version.
	By *int64
	// Audit, when set, is written in the import's transaction unless the
	// import changed nothing.
	Audit *AuditEntry
	// Review, when set, files a request for wider visibility for the course
	// in the same transaction (its CourseID is filled in), even when the
	// version itself was already stored.
	Review *CourseReview
	// DraftID, when set, is the browser draft this version was published
	// from: it is removed in the same transaction, so a failed publish
	// keeps the draft and a successful one cannot be published twice.
	DraftID int64
}

// ImportOutcome says what ImportCourse did.
type ImportOutcome string

const (
	ImportCreated    ImportOutcome = "created"
	ImportNewVersion ImportOutcome = "new_version"
	ImportUnchanged  ImportOutcome = "unchanged"
)

// ImportCourses stores course versions in one transaction: all of them or
// none. The same version with the same checksum changes nothing; the same
// version with other content, or an older version, is a conflict. Learner
// records are never touched.
func (s *Store) ImportCourses(ctx context.Context, ins []CourseImport) ([]ImportOutcome, error) {
	out := make([]ImportOutcome, len(ins))
	err := s.tx(ctx, func(tx *gorm.DB) error {
		for i := range ins {
			o, err := s.importCourse(tx, ins[i])
			if err != nil {
				return err
			}
			out[i] = o
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) importCourse(tx *gorm.DB, in CourseImport) (ImportOutcome, error) {
	outcome := ImportUnchanged
	err := func() error {
		now := s.now()
		var c Course
		q := tx
		if s.dialect == MySQL {
			q = tx.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		err := q.Where("slug = ?", in.Slug).Take(&c).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			vis := in.Visibility
			if vis == "" {
				vis = VisibilityPublic
			}
			c = Course{Slug: in.Slug, Language: in.Language, TranslationGroup: in.TranslationGroup, Published: true,
				OwnerInstitutionID: in.Owner, Visibility: vis, CreatedAt: now, UpdatedAt: now}
			create := tx
			if in.Owner == nil && vis == VisibilityPublic {
				// The columns' defaults say the same; leaving them out keeps
				// the operator's import working on a schema before them
				// (the upgrade tests import at old versions).
				create = tx.Omit("owner_institution_id", "visibility")
			}
			if err := create.Create(&c).Error; err != nil {
				return err
			}
			outcome = ImportCreated
		case err != nil:
			return err
		case in.Owner != nil && (c.OwnerInstitutionID == nil || *c.OwnerInstitutionID != *in.Owner):
			// The first publisher owns the slug; a shipped course's slug
			// belongs to no institution, so none may publish over it.
			return errs.New(errs.Conflict, "author.error.slug_taken").With("slug", in.Slug)
		default:
			outcome = ImportNewVersion
		}
		if outcome != ImportCreated {
			var same CourseVersion
			err := tx.Where("course_id = ? AND version = ?", c.ID, in.Version.Version).Take(&same).Error
			if err == nil {
				if same.Checksum == in.Version.Checksum {
					outcome = ImportUnchanged
					if in.Review != nil {
						return s.fileReview(tx, c.ID, in.Review, in.Audit, now)
					}
					return nil
				}
				return errs.New(errs.Conflict, "error.course_version_changed").With("slug", in.Slug).With("version", in.Version.Version)
			}
			if !errors.Is(err, gorm.ErrRecordNotFound) {
				return err
			}
			var latest int
			if err := tx.Model(&CourseVersion{}).Where("course_id = ?", c.ID).Select("COALESCE(MAX(version), 0)").Scan(&latest).Error; err != nil {
				return err
			}
			if in.Version.Version < latest {
				return errs.New(errs.Conflict, "error.course_version_older").With("slug", in.Slug).
					With("version", in.Version.Version).With("latest", latest)
			}
		}
		v := in.Version
		v.ID, v.CourseID, v.PublishedAt, v.PublishedBy = 0, c.ID, now, in.By
		var omit []string
		if v.Reviewed == "" {
			// Left to the column's default, so a course without the month
			// still imports into a schema from before migration 00014, as
			// an instance mid-upgrade (and the upgrade tests) may have.
			omit = append(omit, "Reviewed")
		}
		if v.PublishedBy == nil {
			// Likewise for schemas before migration 00023.
			omit = append(omit, "PublishedBy")
		}
		create := tx
		if len(omit) > 0 {
			// One call: a second Omit replaces the first's list.
			create = tx.Omit(omit...)
		}
		if err := create.Create(&v).Error; err != nil {
			return err
		}
		for i := range in.Lessons {
			l := in.Lessons[i].Lesson
			l.ID, l.CourseVersionID = 0, v.ID
			if err := tx.Create(&l).Error; err != nil {
				return err
			}
			qs := in.Lessons[i].Questions
			for j := range qs {
				qs[j].ID, qs[j].LessonID = 0, l.ID
			}
			if len(qs) > 0 {
				if err := tx.CreateInBatches(qs, 100).Error; err != nil {
					return err
				}
			}
		}
		for _, a := range in.Assets {
			a.ID, a.CourseVersionID = 0, v.ID
			if err := tx.Create(&a).Error; err != nil {
				return err
			}
		}
		// A new version does not undo a withdrawal (WithdrawCourse): only
		// un-withdrawing publishes the course again.
		upd := map[string]any{
			"current_version_id": v.ID, "language": in.Language, "translation_group": in.TranslationGroup,
			"updated_at": now,
		}
		if in.Visibility != "" {
			upd["visibility"] = in.Visibility
		}
		if err := tx.Model(&Course{}).Where("id = ?", c.ID).Updates(upd).Error; err != nil {
			return err
		}
		if in.Review != nil {
			if err := s.fileReview(tx, c.ID, in.Review, nil, now); err != nil {
				return err
			}
		}
		if in.DraftID != 0 {
			if err := deleteDraftIn(tx, in.DraftID); err != nil {
				return err
			}
		}
		return s.auditIn(tx, in.Audit, now)
	}()
	return outcome, err
}

// CatalogueEntry is a published course with its current version and totals.
type CatalogueEntry struct {
	Course       Course
	OwnerRegion  string // the owner institution's region code; "" when unowned
	Version      CourseVersion
	LessonsCount int
	Minutes      int
}

// PublishedCourses lists every published course at its current version.
func (s *Store) PublishedCourses(ctx context.Context) ([]CatalogueEntry, error) {
	var courses []Course
	if err := s.r.WithContext(ctx).Where("published = ? AND current_version_id IS NOT NULL", true).
		Order("slug").Find(&courses).Error; err != nil {
		return nil, classify(err)
	}
	if len(courses) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(courses))
	for i, c := range courses {
		ids[i] = *c.CurrentVersionID
	}
	var versions []CourseVersion
	if err := s.r.WithContext(ctx).Where("id IN ?", ids).Find(&versions).Error; err != nil {
		return nil, classify(err)
	}
	type agg struct {
		CourseVersionID int64
		N               int
		Minutes         int
	}
	var aggs []agg
	if err := s.r.WithContext(ctx).Model(&Lesson{}).Select("course_version_id, COUNT(*) AS n, COALESCE(SUM(minutes), 0) AS minutes").
		Where("course_version_id IN ?", ids).Group("course_version_id").Scan(&aggs).Error; err != nil {
		return nil, classify(err)
	}
	byVersion := map[int64]CourseVersion{}
	for _, v := range versions {
		byVersion[v.ID] = v
	}
	totals := map[int64]agg{}
	for _, a := range aggs {
		totals[a.CourseVersionID] = a
	}
	regions, err := s.ownerRegions(ctx, courses)
	if err != nil {
		return nil, err
	}
	out := make([]CatalogueEntry, 0, len(courses))
	for _, c := range courses {
		v := byVersion[*c.CurrentVersionID]
		t := totals[v.ID]
		e := CatalogueEntry{Course: c, Version: v, LessonsCount: t.N, Minutes: t.Minutes}
		if c.OwnerInstitutionID != nil {
			e.OwnerRegion = regions[*c.OwnerInstitutionID]
		}
		out = append(out, e)
	}
	return out, nil
}

// ownerRegions maps the owning institutions of courses to their region codes.
func (s *Store) ownerRegions(ctx context.Context, courses []Course) (map[int64]string, error) {
	var ids []int64
	for _, c := range courses {
		if c.OwnerInstitutionID != nil {
			ids = append(ids, *c.OwnerInstitutionID)
		}
	}
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []Institution
	if err := s.r.WithContext(ctx).Select("id", "region_code").Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, classify(err)
	}
	for _, r := range rows {
		out[r.ID] = r.RegionCode
	}
	return out, nil
}

// CourseAudience is who may see a course: its owner and visibility.
type CourseAudience struct {
	CourseID           int64
	OwnerInstitutionID int64  // 0 when unowned
	OwnerRegion        string // the owner's region code
	Visibility         string
	// Withdrawn: taken off the catalogue by its editors; only learners
	// already enrolled still open it.
	Withdrawn bool
}

// AudienceOf returns a course's audience.
func (s *Store) AudienceOf(ctx context.Context, courseID int64) (CourseAudience, error) {
	c, err := s.CourseByID(ctx, courseID)
	if err != nil {
		return CourseAudience{}, err
	}
	a := CourseAudience{CourseID: c.ID, Visibility: c.Visibility, Withdrawn: !c.Published}
	if c.OwnerInstitutionID != nil {
		regions, err := s.ownerRegions(ctx, []Course{*c})
		if err != nil {
			return a, err
		}
		a.OwnerInstitutionID, a.OwnerRegion = *c.OwnerInstitutionID, regions[*c.OwnerInstitutionID]
	}
	return a, nil
}

// EditableFilter narrows EditableCourses to what a staff member may edit:
// All, or the courses owned by one institution, or by the institutions
// under a region prefix.
type EditableFilter struct {
	All           bool
	InstitutionID int64
	RegionPrefix  string
	After         string // keyset: slugs after this one
	Limit         int
}

// EditableCourse is a course with its published version numbers, for the
// authoring list.
type EditableCourse struct {
	Course   Course
	Title    string
	Versions []int
}

// EditableCourses lists owned courses by slug, keyset-paginated. Shipped
// courses (no owner) are listed only for All.
func (s *Store) EditableCourses(ctx context.Context, f EditableFilter) ([]EditableCourse, error) {
	q := s.r.WithContext(ctx).Model(&Course{}).Where("current_version_id IS NOT NULL")
	switch {
	case f.All:
	case f.RegionPrefix != "":
		q = q.Where("owner_institution_id IN (?)", s.r.Model(&Institution{}).Select("id").
			Where("region_code LIKE ?", likePrefix(f.RegionPrefix)))
	case f.InstitutionID != 0:
		q = q.Where("owner_institution_id = ?", f.InstitutionID)
	default:
		return nil, nil
	}
	if f.After != "" {
		q = q.Where("slug > ?", f.After)
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	var courses []Course
	if err := q.Order("slug").Limit(f.Limit).Find(&courses).Error; err != nil {
		return nil, classify(err)
	}
	if len(courses) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(courses))
	for i, c := range courses {
		ids[i] = c.ID
	}
	var versions []CourseVersion
	if err := s.r.WithContext(ctx).Select("id", "course_id", "version", "title").Where("course_id IN ?", ids).
		Order("course_id, version").Find(&versions).Error; err != nil {
		return nil, classify(err)
	}
	byCourse := map[int64][]CourseVersion{}
	for _, v := range versions {
		byCourse[v.CourseID] = append(byCourse[v.CourseID], v)
	}
	out := make([]EditableCourse, 0, len(courses))
	for _, c := range courses {
		e := EditableCourse{Course: c, Versions: []int{}}
		for _, v := range byCourse[c.ID] {
			e.Versions = append(e.Versions, v.Version)
			if v.ID == *c.CurrentVersionID {
				e.Title = v.Title
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// CourseBySlug returns a course and its current version.
func (s *Store) CourseBySlug(ctx context.Context, slug string) (*Course, *CourseVersion, error) {
	var c Course
	if err := s.r.WithContext(ctx).Where("slug = ?", slug).Take(&c).Error; err != nil {
		return nil, nil, classify(err)
	}
	if c.CurrentVersionID == nil {
		return nil, nil, errs.New(errs.NotFound, "error.course_not_found")
	}
	v, err := s.VersionByID(ctx, *c.CurrentVersionID)
	if err != nil {
		return nil, nil, err
	}
	return &c, v, nil
}

// CourseByID returns a course.
func (s *Store) CourseByID(ctx context.Context, id int64) (*Course, error) {
	var c Course
	if err := s.r.WithContext(ctx).Take(&c, id).Error; err != nil {
		return nil, classify(err)
	}
	return &c, nil
}

// VersionByID returns a course version.
func (s *Store) VersionByID(ctx context.Context, id int64) (*CourseVersion, error) {
	var v CourseVersion
	if err := s.r.WithContext(ctx).Take(&v, id).Error; err != nil {
		return nil, classify(err)
	}
	return &v, nil
}

// VersionByNumber returns one version of a course.
func (s *Store) VersionByNumber(ctx context.Context, courseID int64, version int) (*CourseVersion, error) {
	var v CourseVersion
	if err := s.r.WithContext(ctx).Where("course_id = ? AND version = ?", courseID, version).Take(&v).Error; err != nil {
		return nil, classify(err)
	}
	return &v, nil
}

// LessonsOfVersion lists a version's lessons in order, without bodies.
func (s *Store) LessonsOfVersion(ctx context.Context, versionID int64) ([]Lesson, error) {
	var out []Lesson
	err := s.r.WithContext(ctx).Omit("body", "html").Where("course_version_id = ?", versionID).Order("position").Find(&out).Error
	return out, classify(err)
}

// LessonsWithBodies lists a version's lessons in order, with Markdown bodies (for export).
func (s *Store) LessonsWithBodies(ctx context.Context, versionID int64) ([]Lesson, error) {
	var out []Lesson
	err := s.r.WithContext(ctx).Where("course_version_id = ?", versionID).Order("position").Find(&out).Error
	return out, classify(err)
}

// LessonByID returns a lesson with its rendered HTML.
func (s *Store) LessonByID(ctx context.Context, id int64) (*Lesson, error) {
	var l Lesson
	if err := s.r.WithContext(ctx).Take(&l, id).Error; err != nil {
		return nil, classify(err)
	}
	return &l, nil
}

// QuestionsOfLesson lists a lesson's questions in order.
func (s *Store) QuestionsOfLesson(ctx context.Context, lessonID int64) ([]Question, error) {
	var out []Question
	err := s.r.WithContext(ctx).Where("lesson_id = ?", lessonID).Order("position").Find(&out).Error
	return out, classify(err)
}

// AssetsOfVersion lists a version's assets (for export).
func (s *Store) AssetsOfVersion(ctx context.Context, versionID int64) ([]CourseAsset, error) {
	var out []CourseAsset
	err := s.r.WithContext(ctx).Where("course_version_id = ?", versionID).Order("path").Find(&out).Error
	return out, classify(err)
}

// Asset returns one asset of a course version.
func (s *Store) Asset(ctx context.Context, versionID int64, path string) (*CourseAsset, error) {
	var a CourseAsset
	if err := s.r.WithContext(ctx).Where("course_version_id = ? AND path = ?", versionID, path).Take(&a).Error; err != nil {
		return nil, classify(err)
	}
	return &a, nil
}
