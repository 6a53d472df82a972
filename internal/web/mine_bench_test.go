package web_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/learning"
)

// BenchmarkMyLearning10k is "my learning" for a learner with 10,000
// heartbeat events, the statistics upkeep caught up and 20 more events
// past its watermark: compare with BenchmarkLessonView (issue 12 item 5
// asks for at least half its throughput).
func BenchmarkMyLearning10k(b *testing.B) {
	ctx := context.Background()
	cs, cookies := benchSignedIn(b)
	l := coursetest.Lessons(b, cs.st, "bench")[0]
	db := cs.st.DB()
	var uid int64
	if err := db.QueryRow("SELECT id FROM users WHERE username = 'reader'").Scan(&uid); err != nil {
		b.Fatal(err)
	}
	insert := func(n int, at time.Time) {
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		stmt, err := tx.Prepare("INSERT INTO progress_events (event_key, user_id, lesson_id, type, seconds, credited_seconds, received_at) VALUES (?, ?, ?, 'heartbeat', 30, 30, ?)")
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < n; i++ {
			key := make([]byte, 16)
			_, _ = rand.Read(key)
			if _, err := stmt.Exec(key, uid, l.ID, at.Add(-time.Duration(i)*time.Second).UTC()); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	now := cs.clk.Now()
	insert(10000, now.Add(-time.Hour))
	for {
		p, err := cs.st.StatsCatchUp(ctx, learning.China)
		if err != nil {
			b.Fatal(err)
		}
		if !p.More {
			break
		}
	}
	insert(20, now)
	benchGET(b, cs, cookies, "/api/v1/me/courses")
}

// BenchmarkMyLearningNew is "my learning" for a learner with no history.
func BenchmarkMyLearningNew(b *testing.B) {
	cs, cookies := benchSignedIn(b)
	benchGET(b, cs, cookies, "/api/v1/me/courses")
}
