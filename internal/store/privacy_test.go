package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// Deleting a learner who completed a course erases who they were and
// keeps what they did: the enrolment, hours and progress read the same,
// the certificate still verifies but names nobody, the sessions end.
func TestAnonymiseKeepsLearningAndRemovesTheHolder(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		x := cxSetup(t, b)
		x.clk.Add(time.Hour)
		x.finishAllButQuiz(t)
		comp := cxAttempt(t, x.st, x.u, x.c, x.lessons[0], 100)
		if !comp.Completed {
			t.Fatal("course not completed")
		}
		if err := x.st.AcceptPrivacy(ctx, x.u.ID, "v1"); err != nil {
			t.Fatal(err)
		}
		if err := x.st.CreateSession(ctx, &store.SessionRow{ID: "h1", UserID: x.u.ID, CreatedAt: x.clk.Now(),
			LastSeenAt: x.clk.Now(), ExpiresAt: x.clk.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := x.st.IssueStatement(ctx, &store.Statement{Serial: "XS-TEST-0000-0000-0001", UserID: x.u.ID, Year: 2026, Total: 2,
			Content: `{"learner_name":"学员 li","year":2026}`, IssuedAt: x.clk.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := x.st.CreateLessonReport(ctx, &store.LessonReport{CourseID: x.c.ID, LessonID: x.lessons[0].ID,
			LessonSlug: x.lessons[0].Slug, UserID: x.u.ID, Reason: "unclear", Text: "我是李明，看不懂"}, x.clk.Now().Add(-time.Hour), 10); err != nil {
			t.Fatal(err)
		}
		before, err := x.st.PersonalDataOf(ctx, x.u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(before.Enrollments) != 1 || before.Enrollments[0].CourseSlug != "progress" || len(before.Progress) != 3 ||
			len(before.Attempts) == 0 || len(before.Certificates) != 1 || before.User.PrivacyVersion == nil {
			t.Fatalf("personal data before = %+v", before)
		}

		audits := 0
		n, err := x.st.AnonymiseUsers(ctx, []int64{x.u.ID, x.u.ID + 1000}, func(id int64) *store.AuditEntry {
			audits++
			return &store.AuditEntry{Action: "user.delete", Target: "user:test"}
		})
		if err != nil || n != 1 || audits != 1 {
			t.Fatalf("anonymised %d (%v), %d audits; want 1, 1", n, err, audits)
		}
		u, err := x.st.UserByID(ctx, x.u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if u.Username != store.DeletedUsername(u.ID) || u.DisplayName != "" || u.PasswordHash == x.u.PasswordHash ||
			!u.Disabled || u.DeletedAt == nil || u.PrivacyVersion != nil || u.InstitutionID == nil && x.u.InstitutionID != nil {
			t.Errorf("user after = %+v", u)
		}
		e, err := x.st.EnrollmentOf(ctx, x.u.ID, x.c.ID)
		if err != nil || e.CompletedAt == nil || e.HoursCredited != before.Enrollments[0].HoursCredited {
			t.Errorf("enrolment after = %+v, %v", e, err)
		}
		if got := x.activeSeconds(t); len(before.Progress) == 0 || got < 0 {
			t.Errorf("progress after: %d", got)
		}
		cert, err := x.st.CertificateBySerial(ctx, comp.Serial)
		if err != nil || cert.LearnerName != "" || cert.HolderRemovedAt == nil || cert.RevokedAt != nil || cert.StudyHours != before.Certificates[0].StudyHours {
			t.Errorf("certificate after = %+v, %v", cert, err)
		}
		if st, _, err := x.st.StatementBySerial(ctx, "XS-TEST-0000-0000-0001"); err != nil || strings.Contains(st.Content, "学员") || !strings.Contains(st.Content, `"year":2026`) {
			t.Errorf("statement after: %+v, %v", st, err)
		}
		if rs, err := x.st.ListLessonReports(ctx, store.ReportQuery{Owned: store.OwnedFilter{All: true}, Limit: 10}); err != nil ||
			len(rs) != 1 || rs[0].Text != "" || rs[0].Reason != "unclear" {
			t.Errorf("report after: %+v, %v", rs, err)
		}
		if _, err := x.st.SessionByID(ctx, "h1"); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("session after: %v", err)
		}
		if _, err := x.st.PersonalDataOf(ctx, x.u.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("personal data of a deleted account: %v", err)
		}
		// Deleting again does nothing and audits nothing.
		if n, err := x.st.AnonymiseUsers(ctx, []int64{x.u.ID}, func(int64) *store.AuditEntry {
			t.Error("audited a second deletion")
			return &store.AuditEntry{}
		}); err != nil || n != 0 {
			t.Errorf("second deletion: %d, %v", n, err)
		}
	})
}

// The retention rule's list: learners whose last sign-in (else creation)
// and last learning are both before the cut-off.
func TestInactiveUsers(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		x := cxSetup(t, b) // li enrolled, with no progress yet
		// Accounts made on the clock's day, a year and more before the cut-off.
		mk := func(name string) *store.User {
			u := &store.User{Username: name, DisplayName: name, PasswordHash: "x", Role: "learner", Locale: "zh-CN",
				CreatedAt: x.clk.Now(), UpdatedAt: x.clk.Now()}
			if err := x.st.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			return u
		}
		quiet, signedIn := mk("quiet"), mk("signed-in")
		mk("quiet-too")
		staff := &store.User{Username: "old-teacher", DisplayName: "t", PasswordHash: "x", Role: "teacher", Locale: "zh-CN",
			CreatedAt: x.clk.Now(), UpdatedAt: x.clk.Now()}
		if err := x.st.CreateUser(ctx, staff); err != nil {
			t.Fatal(err)
		}
		x.clk.Add(400 * 24 * time.Hour)
		cut := x.clk.Now().Add(-365 * 24 * time.Hour)
		if err := x.st.RecordSignIn(ctx, signedIn.ID); err != nil {
			t.Fatal(err)
		}
		x.record(t, x.event(2, "heartbeat", 30)) // li learns now
		rows, err := x.st.InactiveUsers(ctx, store.InactiveQuery{Scope: store.UserScope{All: true}, Before: cut, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range rows {
			names = append(names, r.Username)
		}
		// li learns; signed-in signed in; old-teacher is staff; li was
		// created on the real clock, after the cut-off.
		if len(rows) != 2 || rows[0].ID != quiet.ID || rows[1].Username != "quiet-too" {
			t.Fatalf("inactive = %v, want quiet and quiet-too", names)
		}
		// The re-check before anonymising keeps to the ids chosen, and an
		// active account among them stays out.
		if rows, err := x.st.InactiveUsers(ctx, store.InactiveQuery{Scope: store.UserScope{All: true}, Before: cut, Limit: 10,
			IDs: []int64{rows[1].ID, signedIn.ID}}); err != nil || len(rows) != 1 || rows[0].Username != "quiet-too" {
			t.Errorf("inactive among chosen ids = %+v, %v; want quiet-too only", rows, err)
		}
		if rows, _ := x.st.InactiveUsers(ctx, store.InactiveQuery{Scope: store.UserScope{}, Before: cut, Limit: 10}); len(rows) != 0 {
			t.Errorf("an empty scope listed %d", len(rows))
		}
		if _, err := x.st.AnonymiseUsers(ctx, []int64{quiet.ID}, func(int64) *store.AuditEntry { return &store.AuditEntry{Action: "x", Target: "y"} }); err != nil {
			t.Fatal(err)
		}
		if rows, _ := x.st.InactiveUsers(ctx, store.InactiveQuery{Scope: store.UserScope{All: true}, Before: cut, Limit: 10}); len(rows) != 1 {
			t.Errorf("after deleting quiet: %+v", rows)
		}
	})
}
