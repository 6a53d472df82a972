package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// Values written as literals read back as the ORM writes and reads them:
// quotes and backslashes, NULLs, instants to the millisecond (and compared
// with the driver's own parameters), bytes; statements split at their row
// limit; ids chosen by the caller move PopulationState on.
func TestInsertPopulation(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := b.Open(t, nil)
		if err := st.UpsertRegions(ctx, []store.Region{{Code: "510000", Name: "四川省"}}); err != nil {
			t.Fatal(err)
		}
		before, err := st.PopulationState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if before.Generated || before.NextUserID != 1 || before.NextInstitutionID != 1 {
			t.Fatalf("empty database: %+v", before)
		}
		at := time.Date(2026, 5, 6, 7, 8, 9, 123456789, time.UTC)
		name := `O'Brien \ "引号" \' \\n 100%`
		instID := int64(7)
		p := &store.Population{Institutions: []store.Institution{{ID: instID, Code: "gen-7", Name: name, Kind: "library",
			RegionCode: "510000", CreatedAt: at}}}
		for i := range 4500 { // three statements
			id := int64(100 + i)
			born := 1950 + i%50
			p.Users = append(p.Users, store.PopulationUser{User: store.User{ID: id, Username: fmt.Sprintf("gen-l%d", id),
				DisplayName: name, PasswordHash: "$argon2id$x", Role: "learner", InstitutionID: &instID, Locale: "zh-CN",
				BirthYear: &born, CreatedAt: at, UpdatedAt: at}})
		}
		if err := st.InsertPopulation(ctx, p); err != nil {
			t.Fatal(err)
		}
		in, err := st.InstitutionByCode(ctx, "gen-7")
		if err != nil || in.ID != instID || in.Name != name || !in.CreatedAt.Equal(at.Truncate(time.Millisecond)) || in.ClosedAt != nil {
			t.Fatalf("institution read back as %+v (%v)", in, err)
		}
		u, err := st.UserByUsername(ctx, "gen-l4599")
		if err != nil || u.ID != 4599 || u.DisplayName != name || *u.BirthYear != 1950+4499%50 || u.RegionCode != nil {
			t.Fatalf("user read back as %+v (%v)", u, err)
		}
		var n int64
		if err := st.DB().QueryRow("SELECT COUNT(*) FROM users WHERE created_at >= ? AND created_at < ? AND guardian_name IS NULL",
			at.Truncate(time.Millisecond), at.Add(time.Millisecond)).Scan(&n); err != nil || n != 4500 {
			t.Fatalf("%d users found by their creation instant (%v)", n, err)
		}
		after, err := st.PopulationState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !after.Generated || after.NextUserID != 4600 || after.NextInstitutionID != 8 {
			t.Fatalf("after a batch: %+v", after)
		}

		// A second batch referring to the first: an enrolment, its event
		// with a binary key, a certificate; a broken batch leaves nothing.
		coursetest.Import(t, st, coursetest.Simple("gen"))
		course, version, err := st.CourseBySlug(ctx, "gen")
		if err != nil {
			t.Fatal(err)
		}
		courseID, versionID, lesson := course.ID, version.ID, coursetest.Lessons(t, st, "gen")[0]
		uid := int64(100)
		region := "510000"
		done := at.Add(time.Hour)
		// The key holds a quote and a backslash byte: hex literals carry any byte.
		key := []byte{0x00, 0x27, 0x5c, 0xff, 1, 2, 0x43, 4, 0x85, 6, 7, 8, 9, 10, 11, 12}
		p2 := &store.Population{
			Enrollments: []store.Enrollment{{ID: after.NextEnrollmentID, UserID: uid, CourseID: courseID, CourseVersionID: versionID,
				EnrolledAt: at, CompletedAt: &done, HoursCredited: 1.25, InstitutionID: &instID, RegionCode: &region}},
			Events: []store.ProgressEvent{{EventKey: key, UserID: uid,
				LessonID: lesson.ID, Type: "heartbeat", Seconds: 30, CreditedSeconds: 30, ReceivedAt: done}},
			Certificates: []store.Certificate{{Serial: "XT-0000-0000-0000-0001", EnrollmentID: after.NextEnrollmentID, UserID: uid,
				CourseID: courseID, CourseVersionID: versionID, LearnerName: name, CourseTitle: "t", StudyHours: 1.25, IssuedAt: done}},
		}
		if err := st.InsertPopulation(ctx, p2); err != nil {
			t.Fatal(err)
		}
		e, err := st.EnrollmentOf(ctx, uid, courseID)
		if err != nil || e.HoursCredited != 1.25 || e.CompletedAt == nil || !e.CompletedAt.Equal(done.Truncate(time.Millisecond)) {
			t.Fatalf("enrolment read back as %+v (%v)", e, err)
		}
		c, err := st.CertificateBySerial(ctx, "XT-0000-0000-0000-0001")
		if err != nil || c.LearnerName != name || c.RevokedAt != nil || c.RevokedReason != "" {
			t.Fatalf("certificate read back as %+v (%v)", c, err)
		}
		var events int
		if err := st.DB().QueryRow("SELECT COUNT(*) FROM progress_events WHERE user_id = ? AND event_key = ?", uid, key).
			Scan(&events); err != nil || events != 1 {
			t.Fatalf("event by key: %d (%v)", events, err)
		}
		bad := &store.Population{Users: []store.PopulationUser{{User: store.User{ID: 9000, Username: "gen-l9000", DisplayName: "x",
			PasswordHash: "x", Role: "learner", Locale: "zh-CN", CreatedAt: at, UpdatedAt: at}}},
			Enrollments: []store.Enrollment{{ID: 9000, UserID: 9000, CourseID: courseID, CourseVersionID: versionID, EnrolledAt: at},
				{ID: 9001, UserID: 9000, CourseID: courseID, CourseVersionID: versionID, EnrolledAt: at}}} // the same course twice
		if err := st.InsertPopulation(ctx, bad); err == nil {
			t.Fatal("a batch breaking a unique key was written")
		}
		if _, err := st.UserByUsername(ctx, "gen-l9000"); err == nil {
			t.Error("a failed batch left its user behind")
		}
	})
}
