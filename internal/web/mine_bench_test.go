package web_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/learning"
)

// BenchmarkMyLearning10k is "my learning" for a learner with 10,000
// heartbeat events, the statistics upkeep caught up and 20 more events
// past its watermark: compare with BenchmarkLessonView (issue 12 item 5
// asks for at least half its throughput).
//
// Repeat views are served from the learner's kept page
// (internal/learning/minecache.go); BenchmarkMyLearning10kUncached is the
// first view after a change.
func BenchmarkMyLearning10k(b *testing.B) {
	cs, cookies, _ := myLearning10k(b)
	benchGET(b, cs, cookies, "/api/v1/me/courses")
}

// BenchmarkMyLearning10kUncached is BenchmarkMyLearning10k with the
// learner's kept page dropped before each request, as a write of theirs
// does: the page is built afresh every time.
func BenchmarkMyLearning10kUncached(b *testing.B) {
	cs, cookies, uid := myLearning10k(b)
	benchGETAfter(b, cs, cookies, "/api/v1/me/courses", func() { cs.learn.ForgetLearnerPage(uid) })
}

// myLearning10k is BenchmarkMyLearning10k's learner and history.
func myLearning10k(b *testing.B) (*courseServer, []*http.Cookie, int64) {
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
	return cs, cookies, uid
}

// BenchmarkMyLearningNew is "my learning" for a learner with no history.
func BenchmarkMyLearningNew(b *testing.B) {
	cs, cookies := benchSignedIn(b)
	benchGET(b, cs, cookies, "/api/v1/me/courses")
}
