package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/learning"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
	"github.com/xuetang-edu/xuetang/internal/web"
)

func TestCourseCompletionAndCertificate(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		cs := newCourseServer(t, b, coursetest.Simple("finish"))
		ls := coursetest.Lessons(t, cs.st, "finish")
		c, u := cs.learner(t, "sun", "")
		c.callJSON(t, "POST", "/api/v1/courses/finish/enroll", nil, 201, nil)
		if r := cs.completeAll(t, c, ls); r.CourseCompleted {
			t.Fatal("complete without taking the quizzes")
		}
		// Average (0 + 100) / 2 = 50 < 60: not complete.
		if r := c.submitQuiz(t, ls[0].ID, wrongIntro); r.Score != 0 || r.CourseCompleted {
			t.Fatalf("failed quiz = %+v", r)
		}
		if r := c.submitQuiz(t, ls[1].ID, rightPractice); r.CourseCompleted || r.CertificateSerial != nil {
			t.Fatalf("average 50 completed the course: %+v", r)
		}
		var mine myLearning
		c.callJSON(t, "GET", "/api/v1/me/courses", nil, 200, &mine)
		if mine.Hours.Earned != 0 || mine.Courses[0].CompletedAt != nil || len(mine.Certificates) != 0 {
			t.Fatalf("before passing: %+v", mine)
		}
		// The retry passes.
		cs.clk.Add(time.Minute)
		r := c.submitQuiz(t, ls[0].ID, rightIntro)
		if !r.CourseCompleted || r.CertificateSerial == nil {
			t.Fatalf("retry = %+v, want the course complete with a certificate", r)
		}
		serial := *r.CertificateSerial
		// Completing again reports the same certificate.
		if again := c.submitQuiz(t, ls[0].ID, rightIntro); !again.CourseCompleted || again.CertificateSerial == nil || *again.CertificateSerial != serial {
			t.Errorf("later attempt = %+v", again)
		}
		if ev := c.sendEvent(t, newEventID(), ls[2].ID, "complete", 0); !ev.CourseCompleted || ev.CertificateSerial == nil || *ev.CertificateSerial != serial {
			t.Errorf("later complete event = %+v", ev)
		}

		c.callJSON(t, "GET", "/api/v1/me/courses", nil, 200, &mine)
		if len(mine.Courses) != 1 || mine.Courses[0].ProgressPercent != 100 || mine.Courses[0].CompletedAt == nil ||
			mine.Courses[0].CertificateSerial == nil || *mine.Courses[0].CertificateSerial != serial || mine.Courses[0].HoursCredited != 2 {
			t.Errorf("my course = %+v", mine.Courses)
		}
		if mine.Hours.Year != 2026 || mine.Hours.Earned != 2 || mine.Hours.Target != 12 {
			t.Errorf("hours = %+v, want 2 of 12 in 2026", mine.Hours)
		}
		if len(mine.Certificates) != 1 || mine.Certificates[0].Serial != serial {
			t.Errorf("certificates = %+v", mine.Certificates)
		}

		var page struct {
			Progress struct {
				Percent           int     `json:"percent"`
				CertificateSerial *string `json:"certificate_serial"`
			} `json:"progress"`
		}
		c.callJSON(t, "GET", "/api/v1/courses/finish", nil, 200, &page)
		if page.Progress.Percent != 100 || page.Progress.CertificateSerial == nil || *page.Progress.CertificateSerial != serial {
			t.Errorf("course page progress = %+v", page.Progress)
		}

		// Anyone can verify it, signed out, typing it in lower case.
		anon := cs.client()
		var cert struct {
			Serial      string  `json:"serial"`
			LearnerName string  `json:"learner_name"`
			CourseTitle string  `json:"course_title"`
			CourseSlug  string  `json:"course_slug"`
			VerifyURL   string  `json:"verify_url"`
			StudyHours  float64 `json:"study_hours"`
		}
		anon.callJSON(t, "GET", "/api/v1/certificates/"+strings.ToLower(serial), nil, 200, &cert)
		if cert.Serial != serial || cert.LearnerName != u.DisplayName || cert.CourseTitle != "Course finish" ||
			cert.CourseSlug != "finish" || cert.StudyHours != 2 || cert.VerifyURL != "https://xuetang.example/verify/"+serial {
			t.Errorf("certificate = %+v", cert)
		}
		rec := anon.do(request{method: "GET", path: "/api/v1/certificates/XT-0000-0000-0000-0000"})
		if code, _ := fieldOf(t, rec); rec.Code != 404 || code != "not_found" {
			t.Errorf("unknown serial = %d %s", rec.Code, rec.Body)
		}
		var n int
		if err := cs.st.DB().QueryRow("SELECT COUNT(*) FROM certificates").Scan(&n); err != nil || n != 1 {
			t.Errorf("%d certificates, %v", n, err)
		}
	})
}

// Many tabs submitting the last quiz at once still get one certificate, and
// all of them are told its serial.
func TestConcurrentCompletionOneCertificate(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		cs := newCourseServer(t, b, coursetest.Simple("race"))
		ls := coursetest.Lessons(t, cs.st, "race")
		c, _ := cs.learner(t, "qian", "")
		c.callJSON(t, "POST", "/api/v1/courses/race/enroll", nil, 201, nil)
		cs.completeAll(t, c, ls)
		c.submitQuiz(t, ls[1].ID, rightPractice)

		// The client's cookie jar is not safe for concurrent use: each
		// request gets its own copy.
		const n = 10
		body, _ := json.Marshal(map[string]any{"answers": rightIntro})
		serials := make([]string, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req := httptest.NewRequest("POST", fmt.Sprintf("/api/v1/lessons/%d/attempts", ls[0].ID), strings.NewReader(string(body)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-CSRF-Token", c.cookies["xuetang_csrf"])
				for k, v := range c.cookies {
					req.AddCookie(&http.Cookie{Name: k, Value: v})
				}
				rec := httptest.NewRecorder()
				cs.e.ServeHTTP(rec, req)
				var r attemptResult
				if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &r) != nil || !r.CourseCompleted || r.CertificateSerial == nil {
					t.Errorf("concurrent attempt %d = %d %s", i, rec.Code, rec.Body)
					return
				}
				serials[i] = *r.CertificateSerial
			}()
		}
		wg.Wait()
		var count int
		if err := cs.st.DB().QueryRow("SELECT COUNT(*) FROM certificates").Scan(&count); err != nil || count != 1 {
			t.Fatalf("%d certificates, %v; want 1", count, err)
		}
		for i := 1; i < n; i++ {
			if serials[i] != serials[0] {
				t.Errorf("attempt %d got serial %q, attempt 0 %q", i, serials[i], serials[0])
			}
		}
	})
}

// A revoked certificate says so, with the date and the reason, wherever it
// is checked; revoking twice keeps the first. Its printed QR code encodes
// the verification page, and dates come with the deployment's time zone.
func TestCertificateRevocationAndQR(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		cs := newCourseServer(t, b, coursetest.Simple("hours"))
		c, _ := cs.learner(t, "xu", "")
		cs.finishCourse(t, c)
		var mine struct {
			Certificates []struct{ Serial string } `json:"certificates"`
		}
		c.callJSON(t, "GET", "/api/v1/me/courses", nil, 200, &mine)
		if len(mine.Certificates) != 1 {
			t.Fatalf("certificates = %+v", mine.Certificates)
		}
		serial := mine.Certificates[0].Serial
		type view struct {
			VerifyURL     string     `json:"verify_url"`
			TimeZone      string     `json:"time_zone"`
			RevokedAt     *time.Time `json:"revoked_at"`
			RevokedReason string     `json:"revoked_reason"`
		}
		anon := cs.client()
		var v view
		anon.callJSON(t, "GET", "/api/v1/certificates/"+serial, nil, 200, &v)
		if v.RevokedAt != nil || v.TimeZone != "Asia/Shanghai" || v.VerifyURL != "https://xuetang.example/verify/"+serial {
			t.Fatalf("certificate = %+v", v)
		}

		rec := anon.do(request{method: "GET", path: "/certificates/" + serial + "/qr.svg"})
		want, err := web.QRCodeSVG(v.VerifyURL)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/svg+xml" || rec.Body.String() != string(want) {
			t.Errorf("qr.svg = %d %s, %.80s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
		if other, _ := web.QRCodeSVG(v.VerifyURL + "X"); string(other) == string(want) {
			t.Fatal("the QR code does not depend on the address it encodes")
		}
		if rec := anon.do(request{method: "GET", path: "/certificates/XT-0000-0000-0000-0000/qr.svg"}); rec.Code != 404 {
			t.Errorf("qr.svg of an unknown serial = %d", rec.Code)
		}

		cs.clk.Add(time.Hour)
		if _, err := learning.Revoke(context.Background(), cs.st, strings.ToLower(serial), "  ", nil); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("revoke without a reason: %v", err)
		}
		if _, err := learning.Revoke(context.Background(), cs.st, strings.ToLower(serial), "issued in error", nil); err != nil {
			t.Fatal(err)
		}
		anon.callJSON(t, "GET", "/api/v1/certificates/"+serial, nil, 200, &v)
		if v.RevokedAt == nil || !v.RevokedAt.Equal(cs.clk.Now()) || v.RevokedReason != "issued in error" {
			t.Fatalf("revoked certificate = %+v", v)
		}
		cs.clk.Add(time.Hour)
		if _, err := learning.Revoke(context.Background(), cs.st, serial, "again", nil); errs.CodeOf(err) != errs.Conflict {
			t.Errorf("second revoke: %v", err)
		}
		anon.callJSON(t, "GET", "/api/v1/certificates/"+serial, nil, 200, &v)
		if v.RevokedReason != "issued in error" {
			t.Errorf("second revoke replaced the reason: %+v", v)
		}
		if _, err := learning.Revoke(context.Background(), cs.st, "XT-0000-0000-0000-0000", "x", nil); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("revoke unknown: %v", err)
		}
		entries, err := cs.st.AuditEntries(context.Background(), "certificate.revoke", 10)
		if err != nil || len(entries) != 1 || entries[0].Target != "certificate:"+serial {
			t.Errorf("audit = %+v, %v", entries, err)
		}
		var me struct {
			TimeZone string `json:"time_zone"`
		}
		c.callJSON(t, "GET", "/api/v1/me", nil, 200, &me)
		if me.TimeZone != "Asia/Shanghai" {
			t.Errorf("/me time_zone = %q", me.TimeZone)
		}
	})
}

// A deleted holder's certificate still verifies, without the name.
func TestCertificateOfDeletedHolder(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		cs := newCourseServer(t, b, coursetest.Simple("hours"))
		c, _ := cs.learner(t, "gone", "")
		cs.finishCourse(t, c)
		var mine struct {
			Certificates []struct{ Serial string } `json:"certificates"`
		}
		c.callJSON(t, "GET", "/api/v1/me/courses", nil, 200, &mine)
		if len(mine.Certificates) != 1 {
			t.Fatalf("certificates = %+v", mine.Certificates)
		}
		serial := mine.Certificates[0].Serial
		u, err := cs.st.UserByUsername(context.Background(), "gone")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cs.st.AnonymiseUsers(context.Background(), []int64{u.ID}, func(int64) *store.AuditEntry {
			return &store.AuditEntry{Action: "user.delete", Target: "user:x"}
		}); err != nil {
			t.Fatal(err)
		}
		var v struct {
			LearnerName   string     `json:"learner_name"`
			HolderRemoved bool       `json:"holder_removed"`
			RevokedAt     *time.Time `json:"revoked_at"`
			StudyHours    float64    `json:"study_hours"`
		}
		cs.client().callJSON(t, "GET", "/api/v1/certificates/"+serial, nil, 200, &v)
		if v.LearnerName != "" || !v.HolderRemoved || v.RevokedAt != nil || v.StudyHours == 0 {
			t.Errorf("certificate of a deleted holder = %+v", v)
		}
	})
}
