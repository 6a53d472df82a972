package store_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/learning"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// benchLearners is how many learners the parallel benchmarks spread their
// events over: enough that MySQL row locks are not the bottleneck.
const benchLearners = 64

type benchFixture struct {
	st      *store.Store
	course  *store.Course
	lesson  store.Lesson
	users   []*store.User
	enrolAt time.Time
}

func newBenchFixture(b *testing.B, be storetest.Backend) *benchFixture {
	b.Helper()
	ctx := context.Background()
	st := be.Open(b, nil)
	coursetest.Import(b, st, coursetest.Simple("bench"))
	c, v, err := st.CourseBySlug(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	f := &benchFixture{st: st, course: c, lesson: coursetest.Lessons(b, st, "bench")[0], enrolAt: time.Now().UTC().Add(-time.Hour)}
	for i := 0; i < benchLearners; i++ {
		u := &store.User{Username: fmt.Sprintf("bench%d", i), DisplayName: "b", PasswordHash: "x", Role: "learner",
			Locale: "zh-CN", CreatedAt: f.enrolAt, UpdatedAt: f.enrolAt}
		if err := st.CreateUser(ctx, u); err != nil {
			b.Fatal(err)
		}
		if _, err := st.Enroll(ctx, &store.Enrollment{UserID: u.ID, CourseID: c.ID, CourseVersionID: v.ID, EnrolledAt: f.enrolAt}); err != nil {
			b.Fatal(err)
		}
		f.users = append(f.users, u)
	}
	return f
}

var benchEvents atomic.Int64

func (f *benchFixture) event(u *store.User) store.ProgressInput {
	return store.ProgressInput{EventID: fmt.Sprintf("00000000-0000-4000-9000-%012d", benchEvents.Add(1)), UserID: u.ID,
		CourseID: f.course.ID, LessonID: f.lesson.ID, LessonSlug: f.lesson.Slug, Type: "heartbeat", Seconds: 15, EnrolledAt: f.enrolAt}
}

// BenchmarkProgressEvent measures the real write path (dedupe by event id,
// wall-clock cap, lesson upsert, one transaction) per event: batch=1 is one
// request per commit, larger batches are what the learning package's group
// commit makes of concurrent requests.
func BenchmarkProgressEvent(b *testing.B) {
	for _, be := range storetest.Backends(b) {
		for _, batch := range []int{1, 16, 64} {
			b.Run(fmt.Sprintf("%s/batch=%d", be.Name, batch), func(b *testing.B) {
				f := newBenchFixture(b, be)
				fin := learning.NewRules(0, func() string { return "" })
				fin.CourseDone = func(store.CourseState) bool { return false }
				var next atomic.Int64
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					u := f.users[int(next.Add(1))%len(f.users)]
					buf := make([]store.ProgressInput, 0, batch)
					flush := func() {
						if _, err := f.st.RecordProgress(context.Background(), buf, fin); err != nil {
							b.Error(err)
						}
						buf = buf[:0]
					}
					for pb.Next() {
						buf = append(buf, f.event(u))
						if len(buf) == batch {
							flush()
						}
					}
					if len(buf) > 0 {
						flush()
					}
				})
			})
		}
	}
}

// BenchmarkNaiveUpsert is the baseline of issue 4's "Measure": one GORM
// upsert of the lesson row per request, in its own implicit transaction,
// with none of the dedupe or capping the real path does.
func BenchmarkNaiveUpsert(b *testing.B) {
	for _, be := range storetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			f := newBenchFixture(b, be)
			db := f.st.WriteGormForBench()
			var next atomic.Int64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				u := f.users[int(next.Add(1))%len(f.users)]
				for pb.Next() {
					now := time.Now().UTC()
					row := store.LessonProgress{UserID: u.ID, CourseID: f.course.ID, LessonSlug: f.lesson.Slug,
						FirstOpenedAt: now, LastSeenAt: now, ActiveSeconds: 15}
					err := db.WithContext(context.Background()).Clauses(clause.OnConflict{
						Columns: []clause.Column{{Name: "user_id"}, {Name: "course_id"}, {Name: "lesson_slug"}},
						DoUpdates: clause.Assignments(map[string]any{
							"last_seen_at":   now,
							"active_seconds": gorm.Expr("lesson_progress.active_seconds + ?", 15),
						}),
					}).Create(&row).Error
					if err != nil {
						b.Error(err)
					}
				}
			})
		})
	}
}
