package store_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/learning"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// BenchmarkProgressEventWithStatsUpkeep is BenchmarkProgressEvent with the
// statistics upkeep running beside it, a pass every interval (the server's
// default is 2 s; 200 ms is ten times the load), to compare with
// BenchmarkNaiveUpsert: the upkeep adds nothing to the write path itself,
// only database load.
func BenchmarkProgressEventWithStatsUpkeep(b *testing.B) {
	for _, be := range storetest.Backends(b) {
		for _, interval := range []time.Duration{2 * time.Second, 200 * time.Millisecond} {
			b.Run(fmt.Sprintf("%s/batch=16/every=%s", be.Name, interval), func(b *testing.B) {
				f := newBenchFixture(b, be)
				fin := learning.NewRules(0, func() string { return "" })
				fin.CourseDone = func(store.CourseState) bool { return false }
				stop, done := make(chan struct{}), make(chan struct{})
				var passes atomic.Int64
				go func() {
					defer close(done)
					t := time.NewTicker(interval)
					defer t.Stop()
					for {
						select {
						case <-stop:
							return
						case <-t.C:
						}
						for {
							p, err := f.st.StatsCatchUp(context.Background(), time.UTC)
							if err != nil {
								b.Error(err)
								return
							}
							passes.Add(1)
							if !p.More {
								break
							}
						}
					}
				}()
				var next atomic.Int64
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					u := f.users[int(next.Add(1))%len(f.users)]
					buf := make([]store.ProgressInput, 0, 16)
					for pb.Next() {
						buf = append(buf, f.event(u))
						if len(buf) == cap(buf) {
							if _, err := f.st.RecordProgress(context.Background(), buf, fin); err != nil {
								b.Error(err)
							}
							buf = buf[:0]
						}
					}
					if len(buf) > 0 {
						if _, err := f.st.RecordProgress(context.Background(), buf, fin); err != nil {
							b.Error(err)
						}
					}
				})
				b.StopTimer()
				close(stop)
				<-done
				b.ReportMetric(float64(passes.Load()), "passes")
			})
		}
	}
}
