package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

func TestClassesAndAssignments(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clk := storetest.NewClock()
		st := b.Open(t, clk.Now)
		coursetest.Import(t, st, coursetest.Simple("assigned-a"), coursetest.Simple("assigned-b"))
		ca, _, _ := st.CourseBySlug(ctx, "assigned-a")
		cb, _, _ := st.CourseBySlug(ctx, "assigned-b")
		inst := &store.Institution{Code: "school-1", Name: "第一小学", Kind: "school", RegionCode: "000000", CreatedAt: clk.Now()}
		if err := st.CreateInstitution(ctx, inst); err != nil {
			t.Fatal(err)
		}
		u, other := cxUser(t, st, "pupil"), cxUser(t, st, "other")
		c1 := &store.Class{InstitutionID: inst.ID, Name: "三年级一班"}
		c2 := &store.Class{InstitutionID: inst.ID, Name: "兴趣小组"}
		for _, c := range []*store.Class{c1, c2} {
			if err := st.CreateClass(ctx, c); err != nil || c.ID == 0 {
				t.Fatalf("create class: %v (id %d)", err, c.ID)
			}
			for i := 0; i < 2; i++ { // twice: joining again changes nothing
				if err := st.AddClassMember(ctx, c.ID, u.ID); err != nil {
					t.Fatalf("add member (#%d): %v", i+1, err)
				}
			}
		}
		late, early := clk.Now().Add(30*24*time.Hour), clk.Now().Add(7*24*time.Hour)
		for _, a := range []*store.Assignment{
			{ClassID: c1.ID, CourseID: ca.ID, DueAt: &late},
			{ClassID: c2.ID, CourseID: ca.ID, DueAt: &early},
			{ClassID: c1.ID, CourseID: cb.ID},
		} {
			if err := st.Assign(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		got, err := st.AssignmentsFor(ctx, u.ID)
		if err != nil || len(got) != 2 {
			t.Fatalf("assignments = %+v, %v", got, err)
		}
		byCourse := map[int64]store.AssignedCourse{}
		for _, a := range got {
			byCourse[a.CourseID] = a
		}
		if d := byCourse[ca.ID].DueAt; d == nil || !d.Equal(early) {
			t.Errorf("due date of a course assigned twice = %v, want the earlier %v", d, early)
		}
		if a, ok := byCourse[cb.ID]; !ok || a.DueAt != nil {
			t.Errorf("course without due date = %+v, %v", a, ok)
		}
		// Assigning again moves the deadline.
		later := early.Add(24 * time.Hour * 60)
		if err := st.Assign(ctx, &store.Assignment{ClassID: c2.ID, CourseID: ca.ID, DueAt: &later}); err != nil {
			t.Fatal(err)
		}
		got, _ = st.AssignmentsFor(ctx, u.ID)
		for _, a := range got {
			if a.CourseID == ca.ID && (a.DueAt == nil || !a.DueAt.Equal(late)) {
				t.Errorf("after moving one deadline: %v, want %v", a.DueAt, late)
			}
		}
		if got, _ := st.AssignmentsFor(ctx, other.ID); len(got) != 0 {
			t.Errorf("a learner in no class has assignments %+v", got)
		}
	})
}

// TestClassListsCodesAndAudit: the list by scope in keyset pages with its
// counts, join codes unique, saving and archiving audited in the same
// change, members added and removed, attempts read by scope.
func TestClassListsCodesAndAudit(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clk := storetest.NewClock()
		st := b.Open(t, clk.Now)
		coursetest.Import(t, st, coursetest.Simple("listed"))
		course, _, _ := st.CourseBySlug(ctx, "listed")
		if err := st.UpsertRegions(ctx, []store.Region{{Code: "510000", Name: "四川省"}, {Code: "440000", Name: "广东省"}}); err != nil {
			t.Fatal(err)
		}
		sc := &store.Institution{Code: "sc-school", Name: "川校", Kind: "school", RegionCode: "510000", CreatedAt: clk.Now()}
		gd := &store.Institution{Code: "gd-school", Name: "粤校", Kind: "school", RegionCode: "440000", CreatedAt: clk.Now()}
		for _, in := range []*store.Institution{sc, gd} {
			if err := st.CreateInstitution(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		teacher, pupil := cxUser(t, st, "teacher"), cxUser(t, st, "pupil")
		if _, err := st.DB().Exec("UPDATE users SET institution_id = ? WHERE id IN (?, ?)", sc.ID, teacher.ID, pupil.ID); err != nil {
			t.Fatal(err)
		}
		code := func(s string) *string { return &s }
		starts := "2026-03-01"
		var classes []*store.Class
		for i, c := range []*store.Class{
			{InstitutionID: sc.ID, Name: "甲班", TeacherID: &teacher.ID, JoinCode: code("AAAAAA"), JoinCodeEnabled: false, StartsOn: &starts},
			{InstitutionID: sc.ID, Name: "乙班", JoinCode: code("BBBBBB"), JoinCodeEnabled: true},
			{InstitutionID: gd.ID, Name: "丙班", JoinCode: code("CCCCCC"), JoinCodeEnabled: true},
		} {
			if err := st.CreateClassAudited(ctx, c, &store.AuditEntry{ActorID: &teacher.ID, Action: "class.create"}); err != nil {
				t.Fatalf("class %d: %v", i, err)
			}
			classes = append(classes, c)
		}
		dup := &store.Class{InstitutionID: sc.ID, Name: "重码", JoinCode: code("AAAAAA")}
		if err := st.CreateClassAudited(ctx, dup, &store.AuditEntry{Action: "class.create"}); !errors.Is(err, errs.ErrConflict) {
			t.Errorf("a taken code: %v", err)
		}
		if got, _ := st.ClassByJoinCode(ctx, "AAAAAA"); got == nil || got.JoinCodeEnabled || got.StartsOn == nil || *got.StartsOn != starts {
			t.Errorf("by code: %+v", got)
		}
		if e, _ := st.AuditEntries(ctx, "class.create", 10); len(e) != 3 || e[0].Target != store.ClassTarget(classes[2].ID) {
			t.Errorf("audit %+v", e)
		}
		n, err := st.AddClassMembers(ctx, classes[0].ID, []int64{pupil.ID, teacher.ID}, teacher.ID, &store.AuditEntry{Action: "class.members_add"})
		if err != nil || n != 2 {
			t.Fatalf("add members: %d %v", n, err)
		}
		if n, _ := st.AddClassMembers(ctx, classes[0].ID, []int64{pupil.ID}, teacher.ID, nil); n != 0 {
			t.Errorf("adding again added %d", n)
		}
		if err := st.RemoveClassMember(ctx, classes[0].ID, teacher.ID, nil); err != nil {
			t.Fatal(err)
		}
		if err := st.RemoveClassMember(ctx, classes[0].ID, teacher.ID, nil); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("removing twice: %v", err)
		}
		if _, err := st.AssignAudited(ctx, &store.Assignment{ClassID: classes[0].ID, CourseID: course.ID}, func(bool) *store.AuditEntry { return nil }); err != nil {
			t.Fatal(err)
		}
		names := func(q store.ClassQuery) []string {
			t.Helper()
			var out []string
			for {
				q.Limit = 2
				rows, err := st.ListClasses(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rows {
					out = append(out, fmt.Sprintf("%s/%d/%d/%s", r.Name, r.Members, r.Assignments, r.InstitutionCode))
				}
				if len(rows) < 2 {
					return out
				}
				q.AfterID = rows[len(rows)-1].ID
			}
		}
		for _, tc := range []struct {
			scope store.ClassScope
			want  string
		}{
			{store.ClassScope{All: true}, "甲班/1/1/sc-school 乙班/0/0/sc-school 丙班/0/0/gd-school"},
			{store.ClassScope{RegionPrefix: "44"}, "丙班/0/0/gd-school"},
			{store.ClassScope{InstitutionID: sc.ID}, "甲班/1/1/sc-school 乙班/0/0/sc-school"},
			{store.ClassScope{InstitutionID: sc.ID, TeacherID: teacher.ID}, "甲班/1/1/sc-school"},
			{store.ClassScope{}, ""},
		} {
			if got := strings.Join(names(store.ClassQuery{Scope: tc.scope}), " "); got != tc.want {
				t.Errorf("scope %+v: %q, want %q", tc.scope, got, tc.want)
			}
		}
		// Archived: listed apart, and its courses leave the members' assignments.
		now := clk.Now()
		c0 := classes[0]
		c0.ArchivedAt = &now
		if err := st.SaveClass(ctx, c0, &store.AuditEntry{Action: "class.archive", Target: store.ClassTarget(c0.ID)}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(names(store.ClassQuery{Scope: store.ClassScope{All: true}, Archived: true}), " "); got != "甲班/1/1/sc-school" {
			t.Errorf("archived: %q", got)
		}
		if as, _ := st.AssignmentsFor(ctx, pupil.ID); len(as) != 0 {
			t.Errorf("an archived class assigns %+v", as)
		}
		// Attempts by scope, across versions by lesson slug.
		lessons := coursetest.Lessons(t, st, "listed")
		if _, err := st.DB().Exec(`INSERT INTO quiz_attempts (user_id, course_id, lesson_id, lesson_slug, score, passed, answers, created_at, variant, result)
			VALUES (?, ?, ?, ?, 50, ?, '{"q1":0}', ?, 0, '')`, pupil.ID, course.ID, lessons[0].ID, lessons[0].Slug, false, clk.Now()); err != nil {
			t.Fatal(err)
		}
		for scope, want := range map[string]int{"sc": 1, "gd": 0, "all": 1} {
			s := map[string]store.ClassScope{"sc": {InstitutionID: sc.ID}, "gd": {RegionPrefix: "44"}, "all": {All: true}}[scope]
			got, err := st.ScopeAttempts(ctx, s, course.ID, lessons[0].Slug, 10)
			if err != nil || len(got) != want || want == 1 && got[0].Answers != `{"q1":0}` {
				t.Errorf("attempts in %s: %+v %v", scope, got, err)
			}
		}
		if got, _ := st.MembersAttempts(ctx, []int64{pupil.ID}, course.ID, lessons[0].Slug); len(got) != 1 {
			t.Errorf("members' attempts %+v", got)
		}
	})
}
