package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/learning"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// issueCertificate completes the Simple course for a new learner through the
// store, as the server would, and returns the serial.
func issueCertificate(t *testing.T, st *store.Store, slug string) string {
	t.Helper()
	ctx := context.Background()
	u := &store.User{Username: "holder", DisplayName: "持证人", PasswordHash: "x", Role: "learner", Locale: "zh-CN"}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	courseID := coursetest.CourseID(t, st, slug)
	ls := coursetest.Lessons(t, st, slug)
	enrolled := time.Now().Add(-time.Hour)
	if _, err := st.Enroll(ctx, &store.Enrollment{UserID: u.ID, CourseID: courseID, CourseVersionID: ls[0].CourseVersionID, EnrolledAt: enrolled}); err != nil {
		t.Fatal(err)
	}
	rules := learning.NewRules(0, nil)
	for i, l := range ls {
		in := store.ProgressInput{EventID: fmt.Sprintf("00000000-0000-4000-a000-%012d", i), UserID: u.ID, CourseID: courseID,
			LessonID: l.ID, LessonSlug: l.Slug, Type: "complete", Seconds: 60, EnrolledAt: enrolled}
		if _, err := st.RecordProgress(ctx, []store.ProgressInput{in}, rules); err != nil {
			t.Fatal(err)
		}
	}
	var serial string
	for _, l := range ls[:2] {
		c, err := st.RecordAttempt(ctx, store.QuizAttempt{UserID: u.ID, CourseID: courseID, LessonID: l.ID, LessonSlug: l.Slug,
			Score: 100, Passed: true, Answers: "{}"}, rules)
		if err != nil {
			t.Fatal(err)
		}
		serial = c.Serial
	}
	if serial == "" {
		t.Fatal("no certificate issued")
	}
	return serial
}

func TestCertificatesRevokeCommand(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		env := coursesEnv(t, b)
		src := coursetest.WriteDir(t, t.TempDir(), coursetest.Simple("revocable"))
		if code, _, errOut := xuetang(env, "courses", "import", src); code != 0 {
			t.Fatalf("import: %s", errOut)
		}
		st := appStore(t, env)
		serial := issueCertificate(t, st, "revocable")

		for _, args := range [][]string{
			{"certificates", "revoke", serial},
			{"certificates", "revoke", serial, "--reason"},
			{"certificates", "revoke"},
			{"certificates", "withdraw", serial, "--reason", "x"},
		} {
			if code, _, _ := xuetang(env, args...); code != 2 {
				t.Errorf("%v: exit %d, want 2", args, code)
			}
		}
		code, out, errOut := xuetang(env, "certificates", "revoke", strings.ToLower(serial), "--reason", "考试作弊")
		if code != 0 || !strings.Contains(out, serial+" revoked at ") || !strings.Contains(out, "CST") {
			t.Fatalf("revoke: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		c, err := st.CertificateBySerial(context.Background(), serial)
		if err != nil || c.RevokedAt == nil || c.RevokedReason != "考试作弊" {
			t.Fatalf("after revoke: %+v, %v", c, err)
		}
		if code, _, errOut := xuetang(env, "certificates", "revoke", serial, "--reason", "again"); code != 1 || !strings.Contains(errOut, "already been revoked") {
			t.Errorf("revoke twice: exit %d, stderr %q", code, errOut)
		}
		if code, _, errOut := xuetang(env, "certificates", "revoke", "XT-0000-0000-0000-0000", "--reason", "x"); code != 1 || !strings.Contains(errOut, "No certificate") {
			t.Errorf("revoke unknown: exit %d, stderr %q", code, errOut)
		}
	})
}
