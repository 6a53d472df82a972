package roster_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/roster"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

var fastParams = account.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32}

type world struct {
	st    *store.Store
	svc   *roster.Service
	admin account.Principal
	inst  *store.Institution
}

func newWorld(t *testing.T, b storetest.Backend, params account.Params) *world {
	t.Helper()
	ctx := context.Background()
	st := b.Open(t, nil)
	inst := &store.Institution{Code: "cd-lib", Name: "成都图书馆", Kind: "library", RegionCode: "000000", CreatedAt: time.Now()}
	if err := st.CreateInstitution(ctx, inst); err != nil {
		t.Fatal(err)
	}
	admin := &store.User{Username: "boss", DisplayName: "boss", PasswordHash: "x", Role: account.RoleAdmin, Locale: "zh-CN",
		CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := st.CreateUser(ctx, admin); err != nil {
		t.Fatal(err)
	}
	svc := roster.New(st, roster.Config{Params: params})
	t.Cleanup(svc.Close)
	return &world{st: st, svc: svc, admin: account.Principal{UserID: admin.ID, Role: account.RoleAdmin}, inst: inst}
}

func (w *world) users(t *testing.T) int {
	t.Helper()
	var n int
	if err := w.st.DB().QueryRow("SELECT COUNT(*) FROM users").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n - 1 // the admin
}

func people(n int, bad int) []byte {
	var b strings.Builder
	b.WriteString("username,display_name,birth_year,class\n")
	for i := range n {
		year := "1960"
		if i == bad {
			year = "1800"
		}
		fmt.Fprintf(&b, "p%05d,人%d,%s,班%d\n", i, i, year, i%3)
	}
	return []byte(b.String())
}

func TestCommitCreatesAllOrNone(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		w := newWorld(t, b, fastParams)
		req := roster.Request{Actor: w.admin, Institution: "cd-lib", FileName: "f.csv", IP: "192.0.2.1"}

		// One bad row in 5,000: nobody is created and the row is named.
		req.Data = people(5000, 4321)
		start := time.Now()
		out, err := w.svc.Commit(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if out.JobID != "" || len(out.Plan.Problems) != 1 || out.Plan.Problems[0].Row != 4323 || out.Plan.Problems[0].Column != "birth_year" {
			t.Fatalf("outcome %+v, problems %v", out, out.Plan.Problems)
		}
		if n := w.users(t); n != 0 {
			t.Fatalf("%d users created by a refused file", n)
		}
		t.Logf("checking 5,000 rows took %v", time.Since(start))

		// 300 good rows: created at once, in three classes.
		req.Data = people(300, -1)
		out, err = w.svc.Commit(ctx, req)
		if err != nil || out.Created != 300 || out.Queued {
			t.Fatalf("commit = %+v, %v", out, err)
		}
		var must, members, classes, audits int
		w.st.DB().QueryRow("SELECT COUNT(*) FROM users WHERE must_change_password = ? AND institution_id = ?", true, w.inst.ID).Scan(&must)
		w.st.DB().QueryRow("SELECT COUNT(*) FROM class_members").Scan(&members)
		w.st.DB().QueryRow("SELECT COUNT(*) FROM classes WHERE institution_id = ?", w.inst.ID).Scan(&classes)
		w.st.DB().QueryRow("SELECT COUNT(*) FROM audit_log WHERE action = 'user.import'").Scan(&audits)
		if must != 300 || members != 300 || classes != 3 || audits != 1 {
			t.Errorf("must_change_password %d, class members %d, classes %d, audit entries %d", must, members, classes, audits)
		}
		entries, _ := w.st.AuditEntries(ctx, "user.import", 5)
		if len(entries) != 1 || *entries[0].ActorID != w.admin.UserID || !strings.Contains(entries[0].Detail, `"count":300`) ||
			!strings.Contains(entries[0].Detail, "cd-lib") || entries[0].IP != "192.0.2.1" {
			t.Errorf("audit = %+v", entries)
		}

		// The same file again: every username is taken now.
		plan, err := w.svc.Preview(ctx, req)
		if err != nil || len(plan.Problems) != 300 || plan.Problems[0].Key != "error.username_taken" {
			t.Fatalf("preview of taken names: %d problems, %v", len(plan.Problems), err)
		}

		// The slips come once, with passwords that sign in.
		slips, err := w.svc.TakeSlips(ctx, w.admin, out.JobID)
		if err != nil || len(slips) != 300 {
			t.Fatalf("slips: %d, %v", len(slips), err)
		}
		u, err := w.st.UserByUsername(ctx, slips[7].Username)
		if err != nil || !account.CheckPassword(slips[7].Password, u.PasswordHash) {
			t.Errorf("slip password does not match %s: %v", slips[7].Username, err)
		}
		if _, err := w.svc.TakeSlips(ctx, w.admin, out.JobID); errs.As(err).Key != "error.import_slips_gone" {
			t.Errorf("second take: %v", err)
		}
	})
}

func TestBackgroundJob(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		w := newWorld(t, b, fastParams)
		out, err := w.svc.Commit(ctx, roster.Request{Actor: w.admin, Institution: "cd-lib", FileName: "f.csv", Data: people(roster.BackgroundAbove+1, -1)})
		if err != nil || !out.Queued || out.JobID == "" {
			t.Fatalf("commit = %+v, %v", out, err)
		}
		other := account.Principal{UserID: w.admin.UserID + 100, Role: account.RoleAdmin}
		if _, err := w.svc.Job(ctx, other, out.JobID); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("another admin polls the job: %v", err)
		}
		var j roster.Job
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if j, err = w.svc.Job(ctx, w.admin, out.JobID); err != nil || j.Status == store.ImportDone || j.Status == store.ImportFailed {
				break
			}
		}
		if err != nil || j.Status != store.ImportDone || j.Created != roster.BackgroundAbove+1 || !j.Slips {
			t.Fatalf("job = %+v, %v", j, err)
		}
		if n := w.users(t); n != roster.BackgroundAbove+1 {
			t.Errorf("%d users", n)
		}
	})
}

// A job cut off by shutdown ends failed with nobody created.
func TestShutdownFailsRunningJob(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		w := newWorld(t, b, account.DefaultParams) // the real cost: 600 hashes take seconds
		out, err := w.svc.Commit(ctx, roster.Request{Actor: w.admin, FileName: "f.csv", Data: []byte(peopleNoClass(600))})
		if err != nil || !out.Queued {
			t.Fatalf("commit = %+v, %v", out, err)
		}
		time.Sleep(50 * time.Millisecond)
		w.svc.Close()
		j, err := w.st.ImportJobByID(ctx, out.JobID)
		if err != nil || j.Status != store.ImportFailed || j.ErrorKey != "error.import_interrupted" {
			t.Fatalf("job after shutdown = %+v, %v", j, err)
		}
		if n := w.users(t); n != 0 {
			t.Errorf("%d users created by an interrupted job", n)
		}
	})
}

func peopleNoClass(n int) string {
	var b strings.Builder
	b.WriteString("username\n")
	for i := range n {
		fmt.Fprintf(&b, "q%05d\n", i)
	}
	return b.String()
}

func TestInstitutionScope(t *testing.T) {
	t.Parallel()
	b := storetest.Backends(t)[0]
	ctx := context.Background()
	w := newWorld(t, b, fastParams)
	file := []byte("username\nsomeone\n")
	for _, tc := range []struct {
		name  string
		actor account.Principal
		code  string
		want  errs.Code
		class int64
	}{
		{"institution admin, own by default", account.Principal{UserID: 1, Role: account.RoleInstitutionAdmin, InstitutionID: w.inst.ID}, "", "", 0},
		{"institution admin, other", account.Principal{UserID: 1, Role: account.RoleInstitutionAdmin, InstitutionID: w.inst.ID + 1}, "cd-lib", errs.NotFound, 0},
		{"region admin, outside", account.Principal{UserID: 1, Role: account.RoleRegionAdmin, RegionCode: "440000"}, "cd-lib", errs.NotFound, 0},
		{"region admin, no institution", account.Principal{UserID: 1, Role: account.RoleRegionAdmin, RegionCode: "440000"}, "", errs.Invalid, 0},
		{"admin, unknown code", w.admin, "nowhere", errs.NotFound, 0},
		{"admin, no institution", w.admin, "", "", 0},
		{"teacher, into a class", account.Principal{UserID: 1, Role: account.RoleTeacher, InstitutionID: w.inst.ID}, "", "", 1},
		{"teacher, not into a class", account.Principal{UserID: 1, Role: account.RoleTeacher, InstitutionID: w.inst.ID}, "", errs.Forbidden, 0},
		{"teacher, other", account.Principal{UserID: 1, Role: account.RoleTeacher, InstitutionID: w.inst.ID + 1}, "cd-lib", errs.NotFound, 1},
		{"teacher without institution", account.Principal{UserID: 1, Role: account.RoleTeacher}, "", errs.Forbidden, 1},
	} {
		_, err := w.svc.Preview(ctx, roster.Request{Actor: tc.actor, Institution: tc.code, FileName: "f.csv", Data: file, ClassID: tc.class})
		if got := errs.Code(""); err != nil {
			got = errs.CodeOf(err)
			if got != tc.want {
				t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
			}
		} else if tc.want != "" {
			t.Errorf("%s: allowed, want %s", tc.name, tc.want)
		}
	}
}
