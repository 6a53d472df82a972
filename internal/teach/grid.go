package teach

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Statuses of a grid cell.
const (
	NotStarted = "not_started"
	InProgress = "in_progress"
	Completed  = "completed"
	Overdue    = "overdue"
)

// ImplausibleShare flags a completion whose active time is under this share
// of the course's lesson minutes: even a quick reader who knows the topic
// spends more, so the teacher should look (a shared account, a script).
const ImplausibleShare = 0.25

// GridCourse is a column of the grid.
type GridCourse struct {
	Slug       string     `json:"slug"`
	Title      string     `json:"title"`
	DueAt      *time.Time `json:"due_at"`
	Lessons    int        `json:"lessons"`
	Minutes    int        `json:"minutes"`
	StudyHours float64    `json:"study_hours"`
}

// Cell is one learner's standing in one assigned course.
type Cell struct {
	Slug             string     `json:"slug"`
	Status           string     `json:"status"`
	ProgressPercent  int        `json:"progress_percent"`
	LessonsCompleted int        `json:"lessons_completed"`
	ActiveSeconds    int        `json:"active_seconds"`
	HoursCredited    float64    `json:"hours_credited"`
	CompletedAt      *time.Time `json:"completed_at"`
	LastActivity     *time.Time `json:"last_activity"`
	// Implausible: completed in under ImplausibleShare of the lesson time.
	Implausible bool `json:"implausible"`
}

// GridLearner is a row of the grid.
type GridLearner struct {
	ID           int64      `json:"id"`
	Username     string     `json:"username"`
	DisplayName  string     `json:"display_name"`
	Outside      bool       `json:"outside"`
	LastActivity *time.Time `json:"last_activity"`
	// Overdue counts the learner's overdue courses, Done their completed
	// ones: "who is behind" sorts and filters on these.
	Overdue int    `json:"overdue"`
	Done    int    `json:"completed"`
	Courses []Cell `json:"courses"`
}

// Grid is a class's learners against its assigned courses.
type Grid struct {
	Class    Class         `json:"class"`
	Courses  []GridCourse  `json:"assigned"`
	Learners []GridLearner `json:"learners"`
	AsOf     time.Time     `json:"as_of"`
	kept     bool
}

// Kept says the grid is shared while it is kept (gridcache.go): the same
// pointer comes back for repeated views, so its encoding may be kept too.
func (g *Grid) Kept() bool { return g.kept }

// Progress builds the grid with a fixed number of queries whatever the
// class's size (up to 1,000 members; one more pair per further 1,000):
// the class, its institution, its members, its assignments, the members'
// enrolments in them, the lessons of the versions involved, and the
// members' lesson progress in them (internal/store/class.go names the
// index each one uses).
func (s *Service) Progress(ctx context.Context, a account.Principal, id int64) (*Grid, error) {
	if s.cfg.GridMaxAge <= 0 {
		return s.grid(ctx, a, id, nil)
	}
	k, now := gridKey{id, a.UserID}, s.cfg.Now()
	// The caller's right to the class is checked on every request, against
	// the class and institution kept with the grid (changed through this
	// service, they drop it; gridcache.go).
	if e := s.grids.get(k, now, s.cfg.GridMaxAge, s.cfg.GridFresh); e != nil {
		if err := allowed(a, e.class, e.inst, false); err != nil {
			return nil, err
		}
		return e.grid, nil
	}
	b := s.grids.begin(k)
	g, err := s.grid(ctx, a, id, b)
	var users []int64
	if g != nil {
		users = make([]int64, len(g.Learners))
		for i, l := range g.Learners {
			users[i] = l.ID
		}
	}
	s.grids.finish(b, g, now, users)
	return g, err
}

// LearnersChanged tells the kept grids that these learners' progress or
// enrolments changed (wired to learning.Service.OnLearnerChange).
func (s *Service) LearnersChanged(userIDs []int64) { s.grids.learnersChanged(userIDs) }

// grid reads a class's grid; b, when kept, hears its learners first.
func (s *Service) grid(ctx context.Context, a account.Principal, id int64, b *gridBuild) (*Grid, error) {
	c, in, err := s.classFor(ctx, a, id, false)
	if err != nil {
		return nil, err
	}
	if b != nil {
		b.class, b.inst = c, in
	}
	members, err := s.db.ClassMembers(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if b != nil {
		ids := make([]int64, len(members))
		for i, m := range members {
			ids[i] = m.UserID
		}
		s.grids.members(b, ids)
	}
	assigned, err := s.db.ClassAssignments(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	courseIDs := make([]int64, len(assigned))
	for i, as := range assigned {
		courseIDs[i] = as.CourseID
	}
	userIDs := make([]int64, len(members))
	for i, m := range members {
		userIDs[i] = m.UserID
	}
	ens, err := s.db.MembersEnrollments(ctx, userIDs, courseIDs)
	if err != nil {
		return nil, err
	}
	type key struct{ user, course int64 }
	enrolment := make(map[key]*store.Enrollment, len(ens))
	versionSet := map[int64]bool{}
	for i := range ens {
		enrolment[key{ens[i].UserID, ens[i].CourseID}] = &ens[i]
		versionSet[ens[i].CourseVersionID] = true
	}
	for _, as := range assigned {
		versionSet[as.VersionID] = true
	}
	versionIDs := make([]int64, 0, len(versionSet))
	for v := range versionSet {
		versionIDs = append(versionIDs, v)
	}
	lessons, err := s.db.LessonsOfVersions(ctx, versionIDs)
	if err != nil {
		return nil, err
	}
	byVersion := map[int64][]store.VersionLesson{}
	for _, l := range lessons {
		byVersion[l.CourseVersionID] = append(byVersion[l.CourseVersionID], l)
	}
	progress, err := s.db.MembersProgress(ctx, userIDs, courseIDs)
	if err != nil {
		return nil, err
	}
	rows := make(map[key][]*store.LessonProgress, len(progress))
	for i := range progress {
		k := key{progress[i].UserID, progress[i].CourseID}
		rows[k] = append(rows[k], &progress[i])
	}

	now := s.cfg.Now()
	g := &Grid{Class: classOf(c, in, a), AsOf: now.UTC(), Courses: make([]GridCourse, len(assigned)),
		Learners: make([]GridLearner, len(members))}
	g.Class.Members, g.Class.Assignments = len(members), len(assigned)
	for i, as := range assigned {
		ls := byVersion[as.VersionID]
		minutes := 0
		for _, l := range ls {
			minutes += l.Minutes
		}
		g.Courses[i] = GridCourse{Slug: as.Slug, Title: as.Title, DueAt: as.DueAt, Lessons: len(ls), Minutes: minutes, StudyHours: as.StudyHours}
	}
	for i := range members {
		m := &members[i]
		gl := GridLearner{ID: m.UserID, Username: m.Username, DisplayName: m.DisplayName, Outside: memberOf(m, c).Outside,
			Courses: make([]Cell, len(assigned))}
		for j, as := range assigned {
			k := key{m.UserID, as.CourseID}
			version := as.VersionID
			e := enrolment[k]
			if e != nil {
				version = e.CourseVersionID
			}
			cell := cellOf(as, e, byVersion[version], rows[k], now)
			gl.Courses[j] = cell
			if cell.LastActivity != nil && (gl.LastActivity == nil || cell.LastActivity.After(*gl.LastActivity)) {
				gl.LastActivity = cell.LastActivity
			}
			switch cell.Status {
			case Overdue:
				gl.Overdue++
			case Completed:
				gl.Done++
			}
		}
		g.Learners[i] = gl
	}
	return g, nil
}

func cellOf(as store.ClassAssignment, e *store.Enrollment, lessons []store.VersionLesson, rows []*store.LessonProgress, now time.Time) Cell {
	cell := Cell{Slug: as.Slug, Status: NotStarted}
	done := map[string]bool{}
	for _, r := range rows {
		cell.ActiveSeconds += r.ActiveSeconds
		if cell.LastActivity == nil || r.LastSeenAt.After(*cell.LastActivity) {
			t := r.LastSeenAt
			cell.LastActivity = &t
		}
		if r.CompletedAt != nil {
			done[r.LessonSlug] = true
		}
	}
	minutes := 0
	for _, l := range lessons {
		minutes += l.Minutes
		if done[l.Slug] {
			cell.LessonsCompleted++
		}
	}
	if len(lessons) > 0 {
		cell.ProgressPercent = int(math.Floor(float64(cell.LessonsCompleted) * 100 / float64(len(lessons))))
	}
	if len(rows) > 0 {
		cell.Status = InProgress
	}
	if e != nil {
		cell.HoursCredited = e.HoursCredited
		if e.CompletedAt != nil {
			cell.Status, cell.ProgressPercent, cell.CompletedAt = Completed, 100, e.CompletedAt
			cell.Implausible = float64(cell.ActiveSeconds) < ImplausibleShare*float64(minutes*60)
			return cell
		}
	}
	if as.DueAt != nil && now.After(*as.DueAt) {
		cell.Status = Overdue
	}
	return cell
}

// LessonStanding is one lesson in a learner's detail.
type LessonStanding struct {
	ID            int64      `json:"id"`
	Slug          string     `json:"slug"`
	Title         string     `json:"title"`
	Minutes       int        `json:"minutes"`
	CompletedAt   *time.Time `json:"completed_at"`
	ActiveSeconds int        `json:"active_seconds"`
	BestScore     *int       `json:"best_score"`
	Attempts      int        `json:"attempts"`
	LastSeenAt    *time.Time `json:"last_seen_at"`
}

// AttemptLine is one quiz attempt in a learner's detail.
type AttemptLine struct {
	Course    string    `json:"course_slug"`
	Lesson    string    `json:"lesson_slug"`
	Score     int       `json:"score"`
	Passed    bool      `json:"passed"`
	CreatedAt time.Time `json:"created_at"`
}

// CourseDetail is a learner's standing in one assigned course, by lesson.
type CourseDetail struct {
	Cell
	Title   string           `json:"title"`
	DueAt   *time.Time       `json:"due_at"`
	Lessons []LessonStanding `json:"lessons"`
}

// LearnerDetail is one member's lessons, scores and attempts in the
// class's courses.
type LearnerDetail struct {
	Learner  Member         `json:"learner"`
	Courses  []CourseDetail `json:"courses"`
	Attempts []AttemptLine  `json:"attempts"`
}

// Learner returns one member's detail.
func (s *Service) Learner(ctx context.Context, a account.Principal, id, userID int64) (*LearnerDetail, error) {
	c, _, err := s.classFor(ctx, a, id, false)
	if err != nil {
		return nil, err
	}
	m, err := s.db.ClassMemberOf(ctx, c.ID, userID)
	if errors.Is(err, errs.ErrNotFound) {
		return nil, errs.New(errs.NotFound, "error.class_member_not_found")
	}
	if err != nil {
		return nil, err
	}
	g, err := s.Progress(ctx, a, id)
	if err != nil {
		return nil, err
	}
	assigned, err := s.db.ClassAssignments(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	out := &LearnerDetail{Learner: memberOf(m, c)}
	var row *GridLearner
	for i := range g.Learners {
		if g.Learners[i].ID == userID {
			row = &g.Learners[i]
		}
	}
	courseIDs := make([]int64, len(assigned))
	versionIDs := make([]int64, len(assigned))
	slugOf := map[int64]string{}
	for i, as := range assigned {
		courseIDs[i], versionIDs[i], slugOf[as.CourseID] = as.CourseID, as.VersionID, as.Slug
	}
	lessons, err := s.db.LessonsOfVersions(ctx, versionIDs)
	if err != nil {
		return nil, err
	}
	progress, err := s.db.MembersProgress(ctx, []int64{userID}, courseIDs)
	if err != nil {
		return nil, err
	}
	type key struct {
		course int64
		slug   string
	}
	mine := map[key]*store.LessonProgress{}
	for i := range progress {
		if progress[i].UserID == userID {
			mine[key{progress[i].CourseID, progress[i].LessonSlug}] = &progress[i]
		}
	}
	for i, as := range assigned {
		d := CourseDetail{Title: as.Title, DueAt: as.DueAt}
		if row != nil && i < len(row.Courses) {
			d.Cell = row.Courses[i]
		}
		for _, l := range lessons {
			if l.CourseVersionID != as.VersionID {
				continue
			}
			ls := LessonStanding{ID: l.ID, Slug: l.Slug, Title: l.Title, Minutes: l.Minutes}
			if p := mine[key{as.CourseID, l.Slug}]; p != nil {
				seen := p.LastSeenAt
				ls.CompletedAt, ls.ActiveSeconds, ls.BestScore, ls.Attempts, ls.LastSeenAt = p.CompletedAt, p.ActiveSeconds, p.BestScore, p.Attempts, &seen
			}
			d.Lessons = append(d.Lessons, ls)
		}
		out.Courses = append(out.Courses, d)
	}
	atts, err := s.db.LearnerAttempts(ctx, userID, courseIDs)
	if err != nil {
		return nil, err
	}
	for _, at := range atts {
		out.Attempts = append(out.Attempts, AttemptLine{Course: slugOf[at.CourseID], Lesson: at.LessonSlug, Score: at.Score, Passed: at.Passed, CreatedAt: at.CreatedAt})
	}
	return out, nil
}
