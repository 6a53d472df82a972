package store_test

import (
	"context"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// TestLearnerReadsMatchGORM: the reads "my learning" makes list their
// columns by hand (readRows); each must read every field GORM reads, and
// keep the order it promises (enrolments and certificates newest first).
func TestLearnerReadsMatchGORM(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		w := newStatsWorld(t, b, 1)
		st, clk := w.st, w.clk
		u, tie := w.users[0], w.users[1]
		alpha, beta := w.courses["alpha"], w.courses["beta"]
		rc := "510104"
		enrol := func(u *store.User, c *store.Course, at time.Time) {
			t.Helper()
			_, v, err := st.CourseBySlug(ctx, c.Slug)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.Enroll(ctx, &store.Enrollment{UserID: u.ID, CourseID: c.ID, CourseVersionID: v.ID,
				EnrolledAt: at, InstitutionID: u.InstitutionID, RegionCode: &rc}); err != nil {
				t.Fatal(err)
			}
		}
		// Newest first is not the order of ids here; a tie goes to the higher id.
		t0 := clk.Now()
		enrol(u, alpha, t0.Add(time.Hour))
		enrol(u, beta, t0)
		enrol(tie, alpha, t0)
		enrol(tie, beta, t0)
		clk.Add(2 * time.Hour)
		w.finish(t, u, "alpha")
		clk.Add(time.Hour)
		w.finish(t, u, "beta")
		w.event(t, u, "beta", 0, "heartbeat", 30)

		for _, c := range []struct {
			u    *store.User
			want []int64
		}{{u, []int64{alpha.ID, beta.ID}}, {tie, []int64{beta.ID, alpha.ID}}} {
			ens, err := st.EnrollmentsOf(ctx, c.u.ID)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, e := range ens {
				got = append(got, e.CourseID)
				g, err := st.EnrollmentOf(ctx, c.u.ID, e.CourseID)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(e, *g) {
					t.Errorf("EnrollmentsOf read %+v, GORM %+v", e, *g)
				}
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s: enrolments in courses %v, want %v", c.u.Username, got, c.want)
			}
		}

		all, err := st.AllProgressOf(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		var gorm []store.LessonProgress
		for _, c := range []*store.Course{alpha, beta} {
			ps, err := st.ProgressOf(ctx, u.ID, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			gorm = append(gorm, ps...)
		}
		byID := func(ps []store.LessonProgress) {
			sort.Slice(ps, func(i, j int) bool { return ps[i].ID < ps[j].ID })
		}
		byID(all)
		byID(gorm)
		if len(all) == 0 || !reflect.DeepEqual(all, gorm) {
			t.Errorf("AllProgressOf read %+v, GORM %+v", all, gorm)
		}

		cs, err := st.CertificatesOf(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != 2 || cs[0].CourseID != beta.ID {
			t.Fatalf("certificates %+v, want beta's then alpha's", cs)
		}
		if _, err := st.RevokeCertificate(ctx, cs[1].Serial, "issued in error", nil); err != nil {
			t.Fatal(err)
		}
		if cs, err = st.CertificatesOf(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			g, err := st.CertificateBySerial(ctx, c.Serial)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c, *g) {
				t.Errorf("CertificatesOf read %+v, GORM %+v", c, *g)
			}
		}
		if cs[1].RevokedAt == nil {
			t.Errorf("revocation not read: %+v", cs[1])
		}
	})
}
