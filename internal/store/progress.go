package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/xuetang-edu/xuetang/internal/errs"
)

// LessonProgress is a learner's state on one lesson of a course, keyed by
// lesson slug so it carries over to new versions of the course.
type LessonProgress struct {
	ID            int64
	UserID        int64
	CourseID      int64
	LessonSlug    string `gorm:"size:64"`
	FirstOpenedAt time.Time
	LastSeenAt    time.Time
	CompletedAt   *time.Time
	ActiveSeconds int
	BestScore     *int
	Attempts      int
}

func (LessonProgress) TableName() string { return "lesson_progress" }

// ProgressEvent is one acknowledged client event. Its id makes retries
// idempotent, per learner: two learners' clients may pick the same id.
type ProgressEvent struct {
	ID int64
	// EventKey is the client's event id (a UUID) as its 16 bytes, unique
	// per learner.
	EventKey        []byte `gorm:"size:16"`
	UserID          int64
	LessonID        int64
	Type            string `gorm:"size:16"`
	Seconds         int
	CreditedSeconds int
	ReceivedAt      time.Time
}

func (ProgressEvent) TableName() string { return "progress_events" }

// LessonState is one lesson of the current version as the completion rule sees it.
type LessonState struct {
	Slug      string
	Minutes   int
	HasQuiz   bool
	Completed bool
	BestScore *int
}

// CourseState is everything the completion rule needs.
type CourseState struct {
	Version CourseVersion
	Lessons []LessonState
}

// CompletionRule decides from a learner's state whether a course is complete.
// It lives in the learning package; the store applies it inside the same
// transaction as the write that may complete the course.
type CompletionRule func(CourseState) bool

// Completion reports a course completion caused by a write.
type Completion struct {
	Completed bool // the course is complete (now or before)
	Serial    string
}

// ProgressInput is one event to record.
type ProgressInput struct {
	EventID    string
	UserID     int64
	CourseID   int64
	LessonID   int64
	LessonSlug string
	Type       string // open, heartbeat, complete
	Seconds    int
	EnrolledAt time.Time
	// OccurredAt is when the client says the event happened (events queued
	// offline arrive together); zero or in the future means now.
	OccurredAt time.Time
	// RequiredSeconds is the credited active time the lesson needs before a
	// complete event completes it.
	RequiredSeconds int
}

// eventKey is an event id as stored: the 16 bytes of its UUID.
type eventKey [16]byte

// eventRef is an event as deduplicated: the same id from two learners is
// two events.
type eventRef struct {
	user int64
	key  eventKey
}

// parseEventID reads a UUID in its 36-character form, in either case.
func parseEventID(id string) (eventKey, bool) {
	var k eventKey
	if len(id) != 36 || id[8] != '-' || id[13] != '-' || id[18] != '-' || id[23] != '-' {
		return k, false
	}
	var hexDigits [32]byte
	copy(hexDigits[0:8], id[0:8])
	copy(hexDigits[8:12], id[9:13])
	copy(hexDigits[12:16], id[14:18])
	copy(hexDigits[16:20], id[19:23])
	copy(hexDigits[20:32], id[24:36])
	if _, err := hex.Decode(k[:], hexDigits[:]); err != nil {
		return k, false
	}
	return k, true
}

// checkEventIDs refuses a batch holding an id that is not a UUID: it could
// not be stored in 16 bytes. The learning package checks ids first; this
// keeps the store's own promise.
func checkEventIDs(in []ProgressInput) error {
	for _, ev := range in {
		if _, ok := parseEventID(ev.EventID); !ok {
			return errs.New(errs.Invalid, "error.event_id_invalid").With("field", "event_id")
		}
	}
	return nil
}

// ProgressOutcome is what happened to one input.
type ProgressOutcome struct {
	Duplicate       bool
	CreditedSeconds int
	LessonCompleted bool
	// SecondsNeeded is the active time a complete event's lesson still
	// needs; 0 once it is complete.
	SecondsNeeded int
	Completion    Completion
}

// Rules are the learning package's decisions, applied by the store inside
// the transaction that writes the activity they judge.
type Rules struct {
	// Credit is the active seconds an event claiming claimed earns, since
	// the learner's previous credited activity.
	Credit func(claimed int, since time.Duration) int
	// LessonDone judges a lesson's credited active time against what it
	// requires; needed is what is left.
	LessonDone func(active, required int) (done bool, needed int)
	// CourseDone judges a learner's state in a course.
	CourseDone CompletionRule
	// Hours is the 学时 a completion of this version earns, given the
	// total minutes of its lessons.
	Hours func(v CourseVersion, lessonMinutes int) float64
	// NewSerial makes certificate serials.
	NewSerial func() string
}

// RecordProgress stores a batch of events in one transaction, so many
// learners' heartbeats share one commit, and with a fixed handful of
// statements whatever the batch size. Each event is deduplicated by its
// learner and event id; credited time never exceeds the wall-clock time
// since the learner's previous event, so floods and parallel tabs add
// nothing.
func (s *Store) RecordProgress(ctx context.Context, in []ProgressInput, f Rules) ([]ProgressOutcome, error) {
	if err := checkEventIDs(in); err != nil {
		return nil, err
	}
	// Retried events are rare, so the batch is first written without
	// looking for earlier copies; if the insert stores fewer rows than it
	// sent, the transaction is rolled back and redone with the look-up.
	lookUp := false
	if s.dialect == MySQL && !anyComplete(in) && s.checksEnforced(ctx) {
		out, err := s.recordHeartbeats(ctx, in, f)
		if err == nil {
			return out, nil
		}
		lookUp = errors.Is(err, errRaced)
	}
	// This write moves the learners' activity on: what the heartbeat way
	// remembers of it would be found stale, and is dropped now instead.
	s.activity.forget(usersOf(in))
	var out []ProgressOutcome
	err := s.txReadCommitted(ctx, func(tx *gorm.DB) error {
		var err error
		out, err = s.recordBatch(tx, in, f, lookUp)
		return err
	})
	if errors.Is(err, errRaced) {
		err = s.txReadCommitted(ctx, func(tx *gorm.DB) error {
			var err error
			out, err = s.recordBatch(tx, in, f, true)
			return err
		})
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

var errRaced = errors.New("progress event stored before")

func anyComplete(in []ProgressInput) bool {
	for _, ev := range in {
		if ev.Type == "complete" {
			return true
		}
	}
	return false
}

// batchPlan is a batch worked out before writing: the event rows, the
// summed lesson_progress changes, and what to answer for each input.
type batchPlan struct {
	events []ProgressEvent
	bumps  []*LessonProgress
	fresh  []int // indexes of the inputs to store
	out    []ProgressOutcome
}

// usersOf lists the learners of a batch once each.
func usersOf(in []ProgressInput) []int64 {
	var users []int64
	known := map[int64]bool{}
	for _, ev := range in {
		if !known[ev.UserID] {
			known[ev.UserID] = true
			users = append(users, ev.UserID)
		}
	}
	return users
}

// lastSeen reads each learner's latest activity, folded in Go: SQLite
// returns MAX() of a DATETIME column as text.
func lastSeen(db *gorm.DB, users []int64) (map[int64]time.Time, error) {
	var rows []struct {
		UserID     int64
		LastSeenAt time.Time
	}
	if err := db.Model(&LessonProgress{}).Select("user_id, last_seen_at").Where("user_id IN ?", users).
		Scan(&rows).Error; err != nil {
		return nil, err
	}
	last := make(map[int64]time.Time, len(users))
	for _, r := range rows {
		if r.LastSeenAt.After(last[r.UserID]) {
			last[r.UserID] = r.LastSeenAt
		}
	}
	return last, nil
}

// lessonKey names one learner's progress row in one lesson of a course.
type lessonKey struct {
	user, course int64
	slug         string
}

// lessonSoFar is a lesson's row before the batch, for complete events.
type lessonSoFar struct {
	active    int
	completed bool
}

// occurred is when an event counts as having happened: the client's time,
// to the millisecond (DATETIME(3) reads back equal), never in the future.
func occurred(ev ProgressInput, now time.Time) time.Time {
	if ev.OccurredAt.IsZero() || ev.OccurredAt.After(now) {
		return now
	}
	return ev.OccurredAt.UTC().Truncate(time.Millisecond)
}

// planBatch credits time and sums lesson changes. existing holds the
// events already stored; last is each learner's latest activity, and is
// advanced; sofar holds the lessons of the batch's complete events as they
// stood. The event ids must have passed checkEventIDs.
func planBatch(in []ProgressInput, existing map[eventRef]bool, last map[int64]time.Time, sofar map[lessonKey]lessonSoFar,
	now time.Time, f Rules) *batchPlan {
	p := &batchPlan{out: make([]ProgressOutcome, len(in)), fresh: make([]int, 0, len(in)),
		events: make([]ProgressEvent, 0, len(in))}
	if last == nil {
		last = map[int64]time.Time{}
	}
	seen := make(map[eventRef]bool, len(in)+len(existing))
	for r := range existing {
		seen[r] = true
	}
	bumps := map[lessonKey]*LessonProgress{}
	for i, ev := range in {
		key, _ := parseEventID(ev.EventID)
		ref := eventRef{ev.UserID, key}
		if seen[ref] {
			p.out[i] = ProgressOutcome{Duplicate: true}
			continue
		}
		seen[ref] = true
		p.fresh = append(p.fresh, i)
		at := occurred(ev, now)
		prev, ok := last[ev.UserID]
		if !ok || ev.EnrolledAt.After(prev) {
			prev = ev.EnrolledAt
		}
		credit := f.Credit(ev.Seconds, at.Sub(prev))
		if at.After(last[ev.UserID]) {
			last[ev.UserID] = at
		}
		p.events = append(p.events, ProgressEvent{EventKey: key[:], UserID: ev.UserID, LessonID: ev.LessonID,
			Type: ev.Type, Seconds: ev.Seconds, CreditedSeconds: credit, ReceivedAt: now})
		k := lessonKey{ev.UserID, ev.CourseID, ev.LessonSlug}
		b, ok := bumps[k]
		if !ok {
			b = &LessonProgress{UserID: ev.UserID, CourseID: ev.CourseID, LessonSlug: ev.LessonSlug, FirstOpenedAt: at, LastSeenAt: at}
			bumps[k] = b
			p.bumps = append(p.bumps, b)
		}
		if at.After(b.LastSeenAt) {
			b.LastSeenAt = at
		}
		b.ActiveSeconds += credit
		p.out[i] = ProgressOutcome{CreditedSeconds: credit}
		if ev.Type == "complete" {
			was := sofar[k]
			done, needed := was.completed, 0
			if !done {
				done, needed = f.LessonDone(was.active+b.ActiveSeconds, ev.RequiredSeconds)
			}
			if done && b.CompletedAt == nil {
				b.CompletedAt = &now
			}
			p.out[i].LessonCompleted, p.out[i].SecondsNeeded = done, needed
		}
	}
	return p
}

// lessonsSoFar reads the rows of the lessons a batch's complete events name.
func lessonsSoFar(tx *gorm.DB, in []ProgressInput) (map[lessonKey]lessonSoFar, error) {
	out := map[lessonKey]lessonSoFar{}
	for _, ev := range in {
		if ev.Type != "complete" {
			continue
		}
		k := lessonKey{ev.UserID, ev.CourseID, ev.LessonSlug}
		if _, ok := out[k]; ok {
			continue
		}
		var rows []LessonProgress
		if err := tx.Select("active_seconds, completed_at").
			Where("user_id = ? AND course_id = ? AND lesson_slug = ?", k.user, k.course, k.slug).
			Limit(1).Find(&rows).Error; err != nil {
			return nil, err
		}
		var so lessonSoFar
		if len(rows) == 1 {
			so = lessonSoFar{active: rows[0].ActiveSeconds, completed: rows[0].CompletedAt != nil}
		}
		out[k] = so
	}
	return out, nil
}

// storedEvents finds which of a batch's events are stored already.
func storedEvents(tx *gorm.DB, in []ProgressInput, users []int64) (map[eventRef]bool, error) {
	keys := make([]any, 0, len(in))
	for _, ev := range in {
		k, _ := parseEventID(ev.EventID)
		keys = append(keys, k[:])
	}
	var rows []struct {
		UserID   int64
		EventKey []byte
	}
	if err := tx.Raw("SELECT user_id, event_key FROM progress_events WHERE user_id IN ? AND event_key IN ?", users, keys).
		Scan(&rows).Error; err != nil {
		return nil, err
	}
	stored := make(map[eventRef]bool, len(rows))
	for _, r := range rows {
		if len(r.EventKey) == len(eventKey{}) {
			stored[eventRef{r.UserID, eventKey(r.EventKey)}] = true
		}
	}
	// Another learner's rows matched by key alone are not this batch's.
	out := make(map[eventRef]bool, len(in))
	for _, ev := range in {
		k, _ := parseEventID(ev.EventID)
		if r := (eventRef{ev.UserID, k}); stored[r] {
			out[r] = true
		}
	}
	return out, nil
}

func (s *Store) recordBatch(tx *gorm.DB, in []ProgressInput, f Rules, lookUp bool) ([]ProgressOutcome, error) {
	now := s.now()
	users := usersOf(in)
	slices.Sort(users) // one lock order for every batch
	var existing map[eventRef]bool
	if lookUp {
		var err error
		if existing, err = storedEvents(tx, in, users); err != nil {
			return nil, err
		}
		if len(existing) == len(in) {
			return planBatch(in, existing, nil, nil, now, f).out, nil
		}
	}
	if s.dialect == MySQL {
		// Credit depends on the learner's latest activity: no other
		// instance's batch for these learners may be open between reading
		// it and committing. (SQLite has one writer anyway.)
		if err := lockActivity(tx, users); err != nil {
			return nil, err
		}
	}
	last, err := lastSeen(tx, users)
	if err != nil {
		return nil, err
	}
	sofar, err := lessonsSoFar(tx, in)
	if err != nil {
		return nil, err
	}
	p := planBatch(in, existing, last, sofar, now, f)
	if s.dialect == MySQL {
		// Read under the lock and advanced by the batch: what the
		// learners' activity rows must say when it commits.
		if err := setActivity(tx, users, last); err != nil {
			return nil, err
		}
	}
	if len(p.events) == 0 {
		return p.out, nil
	}
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(p.events, 500)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected != int64(len(p.events)) {
		return nil, errRaced
	}
	for rows := p.bumps; len(rows) > 0; {
		n := min(len(rows), 200)
		q, args := s.progressUpsert(rows[:n])
		if err := tx.Exec(q, args...).Error; err != nil {
			return nil, err
		}
		rows = rows[n:]
	}
	type courseKey struct{ user, course int64 }
	done := map[courseKey]Completion{}
	for _, i := range p.fresh {
		ev := in[i]
		if ev.Type != "complete" || !p.out[i].LessonCompleted {
			continue
		}
		k := courseKey{ev.UserID, ev.CourseID}
		c, ok := done[k]
		if !ok {
			var err error
			if c, err = s.finishIfDone(tx, ev.UserID, ev.CourseID, f, now); err != nil {
				return nil, err
			}
			done[k] = c
		}
		p.out[i].Completion = c
	}
	return p.out, nil
}

// lockActivity takes the learners' learner_activity rows for the
// transaction (MySQL), creating those missing: a batch that writes their
// progress waits here for any other one to commit. users must be sorted.
func lockActivity(tx *gorm.DB, users []int64) error {
	rows := make([]LearnerActivity, len(users))
	for i, u := range users {
		rows[i].UserID = u
	}
	// Unchanged rows are locked all the same.
	return tx.Clauses(clause.OnConflict{DoUpdates: clause.Assignments(map[string]any{"seq": gorm.Expr("seq")})}).
		Create(&rows).Error
}

// setActivity writes the learners' latest activity to their locked
// learner_activity rows (MySQL); a zero time is none.
func setActivity(tx *gorm.DB, users []int64, last map[int64]time.Time) error {
	rows := make([]LearnerActivity, len(users))
	for i, u := range users {
		rows[i].UserID = u
		if t := last[u]; !t.IsZero() {
			rows[i].LastAt = &t
		}
	}
	updates := append(clause.AssignmentColumns([]string{"last_at", "prev_at"}),
		clause.Assignment{Column: clause.Column{Name: "seq"}, Value: gorm.Expr("seq + 1")})
	return tx.Clauses(clause.OnConflict{DoUpdates: updates}).Create(&rows).Error
}

// progressUpsert adds a batch's time and completions to lesson_progress.
func (s *Store) progressUpsert(rows []*LessonProgress) (string, []any) {
	var sb strings.Builder
	sb.WriteString("INSERT INTO lesson_progress (user_id, course_id, lesson_slug, first_opened_at, last_seen_at, completed_at, active_seconds, attempts) VALUES ")
	args := make([]any, 0, len(rows)*7)
	for i, r := range rows {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(?, ?, ?, ?, ?, ?, ?, 0)")
		var completed any
		if r.CompletedAt != nil {
			completed = *r.CompletedAt
		}
		args = append(args, r.UserID, r.CourseID, r.LessonSlug, r.FirstOpenedAt, r.LastSeenAt, completed, r.ActiveSeconds)
	}
	if s.dialect == MySQL {
		sb.WriteString(" ON DUPLICATE KEY UPDATE last_seen_at = GREATEST(last_seen_at, VALUES(last_seen_at)), " +
			"active_seconds = active_seconds + VALUES(active_seconds), completed_at = COALESCE(completed_at, VALUES(completed_at))")
	} else {
		sb.WriteString(" ON CONFLICT (user_id, course_id, lesson_slug) DO UPDATE SET last_seen_at = MAX(lesson_progress.last_seen_at, excluded.last_seen_at), " +
			"active_seconds = lesson_progress.active_seconds + excluded.active_seconds, " +
			"completed_at = COALESCE(lesson_progress.completed_at, excluded.completed_at)")
	}
	return sb.String(), args
}

// txReadCommitted is tx for the writes that may complete a course. Their
// reads must see what other requests committed up to each read: finishIfDone
// judges the learner's state after waiting for the enrolment lock, and under
// MySQL's default REPEATABLE READ it would judge a snapshot from the
// transaction's first read, older than the quiz or lesson another request
// just finished, so neither request would complete the course. (MySQL needs
// row or mixed binary logging for this level; both are the defaults.)
func (s *Store) txReadCommitted(ctx context.Context, fn func(tx *gorm.DB) error) error {
	// On MySQL the rc pool's connections are READ COMMITTED already; on
	// SQLite it is the writer, which runs one transaction at a time.
	return s.txOn(ctx, s.rc, fn)
}

// finishIfDone completes the enrolment and issues the certificate when the
// rule says the course is done. It locks the enrolment row so two requests
// finishing at once issue one certificate.
func (s *Store) finishIfDone(tx *gorm.DB, userID, courseID int64, f Rules, now time.Time) (Completion, error) {
	var e Enrollment
	q := tx
	if s.dialect == MySQL {
		q = tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := q.Where("user_id = ? AND course_id = ?", userID, courseID).Take(&e).Error; err != nil {
		return Completion{}, err
	}
	if e.CompletedAt != nil {
		var cert Certificate
		err := tx.Where("enrollment_id = ?", e.ID).Take(&cert).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return Completion{}, err
		}
		return Completion{Completed: true, Serial: cert.Serial}, nil
	}
	st, err := s.courseState(tx, userID, courseID)
	if err != nil {
		return Completion{}, err
	}
	if !f.CourseDone(st) {
		return Completion{}, nil
	}
	var u User
	if err := tx.Take(&u, userID).Error; err != nil {
		return Completion{}, err
	}
	instName := ""
	if e.InstitutionID != nil {
		var in Institution
		if err := tx.Take(&in, *e.InstitutionID).Error; err == nil {
			instName = in.Name
		}
	}
	minutes := 0
	for _, l := range st.Lessons {
		minutes += l.Minutes
	}
	hours := f.Hours(st.Version, minutes)
	if err := tx.Model(&Enrollment{}).Where("id = ?", e.ID).Updates(map[string]any{
		"completed_at": now, "hours_credited": hours, "course_version_id": st.Version.ID,
	}).Error; err != nil {
		return Completion{}, err
	}
	cert := Certificate{Serial: f.NewSerial(), EnrollmentID: e.ID, UserID: userID, CourseID: courseID,
		CourseVersionID: st.Version.ID, LearnerName: u.DisplayName, CourseTitle: st.Version.Title,
		InstitutionName: instName, StudyHours: hours, IssuedAt: now}
	if err := tx.Create(&cert).Error; err != nil {
		return Completion{}, err
	}
	return Completion{Completed: true, Serial: cert.Serial}, nil
}

func (s *Store) courseState(tx *gorm.DB, userID, courseID int64) (CourseState, error) {
	var c Course
	if err := tx.Take(&c, courseID).Error; err != nil {
		return CourseState{}, err
	}
	var st CourseState
	if c.CurrentVersionID == nil {
		return st, gorm.ErrRecordNotFound
	}
	if err := tx.Take(&st.Version, *c.CurrentVersionID).Error; err != nil {
		return st, err
	}
	var lessons []struct {
		Slug      string
		Minutes   int
		Questions int
	}
	if err := tx.Table("lessons l").Select("l.slug AS slug, l.minutes AS minutes, (SELECT COUNT(*) FROM questions q WHERE q.lesson_id = l.id) AS questions").
		Where("l.course_version_id = ?", st.Version.ID).Order("l.position").Scan(&lessons).Error; err != nil {
		return st, err
	}
	var progress []LessonProgress
	if err := tx.Where("user_id = ? AND course_id = ?", userID, courseID).Find(&progress).Error; err != nil {
		return st, err
	}
	bySlug := map[string]LessonProgress{}
	for _, p := range progress {
		bySlug[p.LessonSlug] = p
	}
	for _, l := range lessons {
		p, ok := bySlug[l.Slug]
		st.Lessons = append(st.Lessons, LessonState{Slug: l.Slug, Minutes: l.Minutes, HasQuiz: l.Questions > 0,
			Completed: ok && p.CompletedAt != nil, BestScore: p.BestScore})
	}
	return st, nil
}

// ProgressOf lists a learner's lesson progress in a course.
func (s *Store) ProgressOf(ctx context.Context, userID, courseID int64) ([]LessonProgress, error) {
	var out []LessonProgress
	err := s.r.WithContext(ctx).Where("user_id = ? AND course_id = ?", userID, courseID).Find(&out).Error
	return out, classify(err)
}

// AllProgressOf lists every lesson progress row of a learner.
func (s *Store) AllProgressOf(ctx context.Context, userID int64) ([]LessonProgress, error) {
	var out []LessonProgress
	err := s.readRows(ctx, `SELECT id, user_id, course_id, lesson_slug, first_opened_at, last_seen_at,
  completed_at, active_seconds, best_score, attempts FROM lesson_progress WHERE user_id = ?`, []any{userID},
		func(r *sql.Rows) error {
			var p LessonProgress
			err := r.Scan(&p.ID, &p.UserID, &p.CourseID, &p.LessonSlug, &p.FirstOpenedAt, &p.LastSeenAt,
				&p.CompletedAt, &p.ActiveSeconds, &p.BestScore, &p.Attempts)
			out = append(out, p)
			return err
		})
	return out, err
}
