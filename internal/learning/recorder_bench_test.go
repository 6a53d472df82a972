package learning

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// BenchmarkRecordEvent is the whole progress write as a request makes it:
// validation, the enrolment check and the group-commit recorder. Parallel
// callers share commits; compare with internal/store's BenchmarkNaiveUpsert.
func BenchmarkRecordEvent(b *testing.B) {
	for _, be := range storetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			ctx := context.Background()
			st := be.Open(b, nil)
			coursetest.Import(b, st, coursetest.Simple("bench"))
			svc := New(st, Config{})
			svc.Start()
			defer svc.Close()
			lesson := coursetest.Lessons(b, st, "bench")[0].ID
			var users []int64
			for i := 0; i < 64; i++ {
				u := &store.User{Username: fmt.Sprintf("b%d", i), DisplayName: "b", PasswordHash: "x", Role: "learner", Locale: "zh-CN"}
				if err := st.CreateUser(ctx, u); err != nil {
					b.Fatal(err)
				}
				if _, err := svc.Enroll(ctx, Learner{UserID: u.ID}, "bench"); err != nil {
					b.Fatal(err)
				}
				users = append(users, u.ID)
			}
			var next, ids atomic.Int64
			b.SetParallelism(8) // requests in flight per CPU, as a busy server has
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				u := users[int(next.Add(1))%len(users)]
				for pb.Next() {
					ev := Event{EventID: fmt.Sprintf("00000000-0000-4000-c000-%012d", ids.Add(1)), LessonID: lesson, Type: "heartbeat", Seconds: 15}
					if _, err := svc.RecordEvent(ctx, u, ev); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
