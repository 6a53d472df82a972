package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/coursetest"
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
