// Package learning is what a learner does: browse the catalogue, enrol, read
// lessons, send progress, take quizzes, complete courses, earn study hours
// (学时) and certificates.
package learning

import (
	"context"
	"sync"
	"time"

	"github.com/xuetang-edu/xuetang/internal/course"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// What learning needs from the database, split by use: each part of the
// service, and each component it starts, holds only the part it calls.
// *store.Store satisfies them all.

// CourseStore reads courses, their immutable versions, lessons and
// questions (internal/store/course.go).
type CourseStore interface {
	PublishedCourses(ctx context.Context) ([]store.CatalogueEntry, error)
	CourseBySlug(ctx context.Context, slug string) (*store.Course, *store.CourseVersion, error)
	CourseByID(ctx context.Context, id int64) (*store.Course, error)
	VersionByID(ctx context.Context, id int64) (*store.CourseVersion, error)
	LessonsOfVersion(ctx context.Context, versionID int64) ([]store.Lesson, error)
	LessonByID(ctx context.Context, id int64) (*store.Lesson, error)
	QuestionsOfLesson(ctx context.Context, lessonID int64) ([]store.Question, error)
	AudienceOf(ctx context.Context, courseID int64) (store.CourseAudience, error)
}

// AssetStore reads the images of a course version (internal/store/course.go).
type AssetStore interface {
	CourseBySlug(ctx context.Context, slug string) (*store.Course, *store.CourseVersion, error)
	VersionByNumber(ctx context.Context, courseID int64, version int) (*store.CourseVersion, error)
	Asset(ctx context.Context, versionID int64, path string) (*store.CourseAsset, error)
}

// EnrolmentStore keeps who is enrolled in what and what their classes
// assign (internal/store/enrollment.go).
type EnrolmentStore interface {
	Enroll(ctx context.Context, e *store.Enrollment) (bool, error)
	EnrollmentOf(ctx context.Context, userID, courseID int64) (*store.Enrollment, error)
	EnrollmentsOf(ctx context.Context, userID int64) ([]store.Enrollment, error)
	AssignmentsFor(ctx context.Context, userID int64) ([]store.AssignedCourse, error)
}

// ProgressStore reads and writes lesson progress (internal/store/progress.go).
type ProgressStore interface {
	ProgressOf(ctx context.Context, userID, courseID int64) ([]store.LessonProgress, error)
	AllProgressOf(ctx context.Context, userID int64) ([]store.LessonProgress, error)
	RecordProgress(ctx context.Context, in []store.ProgressInput, f store.Rules) ([]store.ProgressOutcome, error)
}

// AttemptStore records graded quizzes and reads them back, for replays and
// the retry cooldown.
type AttemptStore interface {
	RecordAttempt(ctx context.Context, a store.QuizAttempt, f store.Rules) (store.Completion, error)
	ClientAttempt(ctx context.Context, userID int64, attemptID string) (*store.QuizAttempt, error)
	RecentAttempts(ctx context.Context, userID, courseID int64, slug string, since time.Time, limit int) ([]store.QuizAttempt, error)
}

// CertificateStore reads issued certificates (internal/store/certificate.go).
// They are written with a completion, inside RecordProgress or
// RecordAttempt; revoking one takes a Revoker.
type CertificateStore interface {
	CertificateBySerial(ctx context.Context, serial string) (*store.Certificate, error)
	CertificatesOf(ctx context.Context, userID int64) ([]store.Certificate, error)
}

// HoursStore sums credited study hours and finds yearly targets.
type HoursStore interface {
	YearHours(ctx context.Context, userID int64, year int, loc *time.Location) (float64, int64, error)
	TargetFor(ctx context.Context, year int, scopes []string) (float64, bool, error)
	CompletedBetween(ctx context.Context, userID int64, from, to time.Time) ([]store.CompletedCourse, error)
	ManualCreditsOf(ctx context.Context, userID int64) ([]store.ManualCredit, error)
	IssueStatement(ctx context.Context, st *store.Statement) (*store.Statement, bool, error)
	StatementBySerial(ctx context.Context, serial string) (*store.Statement, bool, error)
}

// ReportStore keeps learners' problem reports (internal/store/report.go).
type ReportStore interface {
	CreateLessonReport(ctx context.Context, r *store.LessonReport, since time.Time, max int) error
}

// Store is all of the above, so main passes the one store it has.
type Store interface {
	ReportStore
	CourseStore
	AssetStore
	EnrolmentStore
	ProgressStore
	AttemptStore
	CertificateStore
	HoursStore
}

// China keeps one time zone without daylight saving, named by its IANA zone
// so browsers format dates in it; study-hour years run
// on Beijing time, not UTC, so a New Year's Eve completion counts in the old year.
var China = time.FixedZone("Asia/Shanghai", 8*3600)

// Service is the learner-facing domain logic.
type Service struct {
	courses      CourseStore
	assets       AssetStore
	enrolments   EnrolmentStore
	progress     ProgressStore
	attempts     AttemptStore
	certificates CertificateStore
	hours        HoursStore
	reports      ReportStore

	now      func() time.Time
	loc      *time.Location // the deployment's: days, years and dates shown
	rules    store.Rules
	minShare float64 // of a lesson's minutes, credited before it completes
	// retention: events that happened longer ago are refused (their
	// period's raw detail may be pruned); 0: none refused.
	retention time.Duration
	perHour   int // minutes of lesson time per 学时 credited
	baseURL   string
	recorder  *Recorder
	states    *lessonStates
	pages     *myPages // "my learning", per learner
	changed   func(userIDs []int64)

	lessons   *capped[int64, *lessonData]     // by lesson id
	outlines  *capped[int64, []versionLesson] // by version id
	enrolled  *capped[enrolKey, time.Time]
	audiences *capped[int64, audience] // by course id; cleared by Invalidate
	catMu     sync.Mutex
	catAt     time.Time
	catalogue []store.CatalogueEntry
	paths     Paths
}

// Config for the service.
type Config struct {
	Now     func() time.Time
	BaseURL string // for certificate verification links
	// NewSerial makes certificate serials; tests may fix it.
	NewSerial func() string
	// Writers is how many progress batches may be in flight at once: 1 for
	// SQLite (one writer anyway); on MySQL more overlap commits, at the cost
	// of smaller batches.
	Writers int
	// MinTimeShare is the share of a lesson's minutes of credited active
	// time before it completes (XUETANG_MIN_TIME_SHARE); 0: no minimum.
	MinTimeShare float64
	// MinutesPerStudyHour caps the 学时 credited (XUETANG_MINUTES_PER_STUDY_HOUR); 0: 45.
	MinutesPerStudyHour int
	// Location is the deployment's time zone (XUETANG_TIMEZONE): study-hour
	// years and quiz days begin at its midnight. Nil: China.
	Location *time.Location
	// Paths are the "start here" paths (courses/paths.yaml); nil: none.
	Paths Paths
	// EventRetention refuses events that happened longer ago
	// (XUETANG_EVENT_RETENTION); 0: none refused.
	EventRetention time.Duration
}

// New builds the service. Call Start to run the progress recorder and Close
// after the HTTP server has stopped.
func New(st Store, c Config) *Service {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.NewSerial == nil {
		c.NewSerial = NewSerial
	}
	if c.Location == nil {
		c.Location = China
	}
	s := &Service{courses: st, assets: st, enrolments: st, progress: st, attempts: st, certificates: st, hours: st, reports: st,
		now: c.Now, baseURL: c.BaseURL, loc: c.Location,
		rules: NewRules(c.MinutesPerStudyHour, c.NewSerial), minShare: c.MinTimeShare, perHour: c.MinutesPerStudyHour,
		paths: c.Paths, retention: c.EventRetention}
	if s.perHour <= 0 {
		s.perHour = course.MinutesPerStudyHour
	}
	s.lessons = newCapped[int64, *lessonData](maxLessons)
	s.outlines = newCapped[int64, []versionLesson](maxOutlines)
	s.enrolled = newCapped[enrolKey, time.Time](maxEnrolled)
	s.audiences = newCapped[int64, audience](maxAudiences)
	s.states = newLessonStates(st, c.Now)
	s.pages = newMyPages(c.Now)
	s.recorder = newRecorder(st, s.rules, c.Writers, s.states, s.pages)
	return s
}

// OnLearnerChange registers f to hear, after the fact, which learners'
// progress or enrolments changed (views built from them, such as a
// teacher's class grid, drop their copies). Call it before Start; f must be
// quick: it runs on the progress-write path.
func (s *Service) OnLearnerChange(f func(userIDs []int64)) {
	s.changed = f
	s.recorder.changed = f
}

// ForgetPages drops every learner's kept "my learning" page. Call it after
// a staff change in this process that may alter learners' pages
// (assignments, classes, targets, credits, accounts, courses) has committed
// and before it is acknowledged; changes through other instances show
// within ten seconds regardless (minecache.go).
func (s *Service) ForgetPages() { s.pages.clear() }

// ForgetLearnerPage drops one learner's kept "my learning" page, for a
// change of theirs made outside this service, such as joining a class.
func (s *Service) ForgetLearnerPage(userID int64) { s.pages.forget(userID) }

// Start runs the progress recorder.
func (s *Service) Start() { s.recorder.start() }

// Close drains and stops the progress recorder.
func (s *Service) Close() { s.recorder.close() }
