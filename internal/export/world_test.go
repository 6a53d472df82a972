package export_test

import (
	"context"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/frontend"
	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/export"
	"github.com/xuetang-edu/xuetang/internal/i18n"
	"github.com/xuetang-edu/xuetang/internal/store"
)

const hyperlink = `=HYPERLINK("http://x","点我")`

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

// world is two provinces: cd-lib in Sichuan (510104) with alice (display
// name a formula) and carol, who moved there from gz-lib and brought her
// history; gz-lib in Guangdong (440100) with bob. One course, "safe".
type world struct {
	st                     *store.Store
	cat                    *i18n.Catalog
	cdLib, gzLib           *store.Institution
	alice, bob, carol      *store.User
	admin, region, instAdm export.Actor
	gdRegion               export.Actor
}

func sh(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, shanghai).UTC()
}

func newWorld(t *testing.T, st *store.Store) *world {
	t.Helper()
	ctx := context.Background()
	cat, err := i18n.Load(frontend.FS(""), "i18n")
	if err != nil {
		t.Fatal(err)
	}
	w := &world{st: st, cat: cat}
	sc, cd, gd := "510000", "510100", "440000"
	if err := st.UpsertRegions(ctx, []store.Region{{Code: sc, Name: "四川省"}, {Code: cd, Name: "成都市", ParentCode: &sc},
		{Code: "510104", Name: "锦江区", ParentCode: &cd}, {Code: gd, Name: "广东省"}, {Code: "440100", Name: "广州市", ParentCode: &gd}}); err != nil {
		t.Fatal(err)
	}
	inst := func(code, name, region string) *store.Institution {
		in := &store.Institution{Code: code, Name: name, Kind: "library", RegionCode: region, CreatedAt: time.Now()}
		if err := st.CreateInstitution(ctx, in); err != nil {
			t.Fatal(err)
		}
		return in
	}
	w.cdLib, w.gzLib = inst("cd-lib", "成都图书馆", "510104"), inst("gz-lib", "广州图书馆", "440100")
	user := func(name, display, role string, in *store.Institution, region string) *store.User {
		u := &store.User{Username: name, DisplayName: display, PasswordHash: "x", Role: role, Locale: "zh-CN"}
		if in != nil {
			u.InstitutionID = &in.ID
		}
		if region != "" {
			u.RegionCode = &region
		}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		return u
	}
	w.alice = user("alice", hyperlink, "learner", w.cdLib, "")
	w.bob = user("bob", "王波", "learner", w.gzLib, "")
	w.carol = user("carol", "陈可", "learner", w.cdLib, "")
	actor := func(u *store.User, in *store.Institution) export.Actor {
		var inst *store.Institution
		if in != nil {
			inst = in
		}
		return export.Actor{Principal: account.PrincipalOf(u, inst), IP: "192.0.2.1"}
	}
	w.admin = actor(user("boss", "管理员", "admin", nil, ""), nil)
	w.region = actor(user("sc-admin", "四川", "region_admin", nil, sc), nil)
	w.gdRegion = actor(user("gd-admin", "广东", "region_admin", nil, gd), nil)
	w.instAdm = actor(user("cd-admin", "成都", "institution_admin", w.cdLib, ""), w.cdLib)

	coursetest.Import(t, st, coursetest.Simple("safe"))
	courseID := coursetest.CourseID(t, st, "safe")
	ls := coursetest.Lessons(t, st, "safe")
	enrol := func(u *store.User, at time.Time, done *time.Time, hours float64) *store.Enrollment {
		e := &store.Enrollment{UserID: u.ID, CourseID: courseID, CourseVersionID: ls[0].CourseVersionID, EnrolledAt: at, CompletedAt: done, HoursCredited: hours}
		if _, err := st.Enroll(ctx, e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	exec := func(q string, args ...any) {
		if _, err := st.DB().ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	progress := func(u *store.User, slug string, secs int, best any) {
		now := sh(2026, 3, 3, 12, 0)
		exec("INSERT INTO lesson_progress (user_id, course_id, lesson_slug, first_opened_at, last_seen_at, active_seconds, best_score, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
			u.ID, courseID, slug, now, now, secs, best)
	}
	cert := func(e *store.Enrollment, serial string, revoked *time.Time) {
		exec("INSERT INTO certificates (serial, enrollment_id, user_id, course_id, course_version_id, learner_name, course_title, institution_name, study_hours, issued_at, revoked_at, revoked_reason) VALUES (?, ?, ?, ?, ?, 'n', 't', 'i', 2, ?, ?, '')",
			serial, e.ID, e.UserID, e.CourseID, e.CourseVersionID, *e.CompletedAt, revoked)
	}
	// alice: enrolled 1 March 10:00 Beijing time, completed 5 March, quiz
	// scores 80 and 100, 50 active minutes, a certificate.
	aliceDone := sh(2026, 3, 5, 9, 30)
	ea := enrol(w.alice, sh(2026, 3, 1, 10, 0), &aliceDone, 2)
	progress(w.alice, ls[0].Slug, 1800, 80)
	progress(w.alice, ls[1].Slug, 1200, 100)
	progress(w.alice, ls[2].Slug, 0, nil)
	cert(ea, "XT-ALICE", nil)
	// bob: enrolled in January, one quiz of two at 70, not completed.
	enrol(w.bob, sh(2026, 1, 10, 8, 0), nil, 0)
	progress(w.bob, ls[0].Slug, 600, 70)
	// carol: enrolled 00:30 on 2 March Beijing time (still 1 March in UTC),
	// completed, certificate revoked.
	carolDone := sh(2026, 3, 4, 15, 0)
	ec := enrol(w.carol, sh(2026, 3, 2, 0, 30), &carolDone, 2)
	// She enrolled while at gz-lib; the enrolment row remembers that.
	exec("UPDATE enrollments SET institution_id = ?, region_code = ? WHERE id = ?", w.gzLib.ID, "440100", ec.ID)
	revoked := sh(2026, 3, 6, 0, 0)
	cert(ec, "XT-CAROL", &revoked)
	return w
}

func (w *world) service(t *testing.T, db export.Store, cfg export.Config) *export.Service {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	cfg.Translator, cfg.Location = w.cat, shanghai
	if cfg.HeartbeatEvery == 0 {
		cfg.HeartbeatEvery = 20 * time.Millisecond
	}
	if cfg.PollEvery == 0 {
		cfg.PollEvery = 20 * time.Millisecond
	}
	if cfg.SweepEvery == 0 {
		cfg.SweepEvery = time.Hour
	}
	if db == nil {
		db = w.st
	}
	return export.New(db, cfg)
}
