package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/learning"
	"github.com/xuetang-edu/xuetang/internal/session"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// benchSignedIn returns a server with the Simple course "bench" and the
// cookies of an enrolled learner. The session is created directly: sign-in
// is not what is measured.
func benchSignedIn(b *testing.B) (*courseServer, []*http.Cookie) {
	b.Helper()
	ctx := context.Background()
	cs := newCourseServer(b, storetest.Backends(b)[0], coursetest.Simple("bench"))
	u, err := cs.accounts.Create(ctx, account.NewUser{Username: "reader", Password: learnerPassword, Role: account.RoleLearner})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := cs.learn.Enroll(ctx, learning.Learner{UserID: u.ID}, "bench"); err != nil {
		b.Fatal(err)
	}
	token, sess, err := cs.sessions.Create(ctx, u.ID, session.Options{Idle: 2 * time.Hour, MaxAge: 24 * time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	return cs, []*http.Cookie{{Name: "xuetang_session", Value: token}, {Name: "xuetang_csrf", Value: sess.CSRFToken}}
}

func benchGET(b *testing.B, cs *courseServer, cookies []*http.Cookie, path string) {
	b.Helper()
	benchGETAfter(b, cs, cookies, path, nil)
}

// benchGETAfter is benchGET calling before (when not nil) ahead of each
// request.
func benchGETAfter(b *testing.B, cs *courseServer, cookies []*http.Cookie, path string, before func()) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if before != nil {
				before()
			}
			req := httptest.NewRequest("GET", path, nil)
			for _, c := range cookies {
				req.AddCookie(c)
			}
			rec := httptest.NewRecorder()
			cs.e.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Errorf("GET %s = %d %s", path, rec.Code, rec.Body)
				return
			}
		}
	})
}

// BenchmarkLessonView is a signed-in learner opening a lesson through the
// real router and middleware on SQLite: session, user, cached lesson and
// the learner's progress on it.
func BenchmarkLessonView(b *testing.B) {
	cs, cookies := benchSignedIn(b)
	l := coursetest.Lessons(b, cs.st, "bench")[0]
	benchGET(b, cs, cookies, fmt.Sprintf("/api/v1/lessons/%d", l.ID))
}

// BenchmarkSessionOnly is the baseline issue 4 compares the lesson view
// with: a handler that does no more than load the signed-in session and user.
func BenchmarkSessionOnly(b *testing.B) {
	cs, cookies := benchSignedIn(b)
	benchGET(b, cs, cookies, "/api/v1/me")
}
