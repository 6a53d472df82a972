package teach_test

import (
	"context"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/storetest"
	"github.com/xuetang-edu/xuetang/internal/teach"
)

// A kept grid is handed out again without reading the rows, until the class
// changes through the service, GridFresh after a learner's rows changed, or
// GridMaxAge in any case; the caller's right to the class is checked on every
// request, and each viewer has their own.
func TestGridKeptUntilSomethingChanges(t *testing.T) {
	ctx := context.Background()
	clk := storetest.NewClock()
	st := storetest.OpenSQLite(t, clk.Now)
	coursetest.Import(t, st, coursetest.Simple("grid-a"), coursetest.Simple("grid-b"), coursetest.Simple("grid-c"))
	p, id := classOf(t, st, clk, 4)
	cs := &counting{st: st}
	svc := teach.New(cs, nil, teach.Config{Now: clk.Now, Location: time.UTC, GridMaxAge: 10 * time.Second, GridFresh: 2 * time.Second})
	read := func(what string, a account.Principal) *teach.Grid {
		t.Helper()
		g, err := svc.Progress(ctx, a, id)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return g
	}
	g1 := read("first", p)
	if !g1.Kept() {
		t.Fatal("the grid is not kept")
	}
	before := cs.n.Load()
	if g := read("again", p); g != g1 {
		t.Error("a second view read the grid again")
	}
	if n := cs.n.Load() - before; n != 0 {
		t.Errorf("a kept grid's view ran %d statements, want none", n)
	}

	// Another viewer (the institution's admin) gets their own.
	admin := account.Principal{UserID: p.UserID + 1000, Role: account.RoleInstitutionAdmin, InstitutionID: p.InstitutionID}
	if g := read("admin", admin); g == g1 {
		t.Error("another viewer was handed the teacher's grid")
	}
	// Someone outside is refused even while the grid is kept.
	stranger := account.Principal{UserID: p.UserID + 2000, Role: account.RoleTeacher, InstitutionID: p.InstitutionID + 99}
	if _, err := svc.Progress(ctx, stranger, id); err == nil {
		t.Error("a teacher of another institution read a kept grid")
	}

	// A learner's rows changed: the kept grid stands for GridFresh, then is read again.
	member := g1.Learners[0].ID
	svc.LearnersChanged([]int64{member})
	clk.Add(time.Second)
	if g := read("just after a learner changed", p); g != g1 {
		t.Error("the grid was read again at once after a learner's change")
	}
	clk.Add(1500 * time.Millisecond)
	g2 := read("after GridFresh", p)
	if g2 == g1 {
		t.Error("the grid was still kept GridFresh after a learner's change")
	}
	// Someone not in the class changing changes nothing.
	svc.LearnersChanged([]int64{member + 100000})
	clk.Add(3 * time.Second)
	if g := read("after an outsider changed", p); g != g2 {
		t.Error("an outsider's change dropped the grid")
	}

	// The class changed through the service: read again at once.
	if _, _, err := svc.Assign(ctx, teach.Actor{Principal: p}, id, "grid-c", nil); err != nil {
		t.Fatal(err)
	}
	g3 := read("after an assignment", p)
	if g3 == g2 || len(g3.Courses) != 3 {
		t.Fatalf("after an assignment: same grid %v, %d courses", g3 == g2, len(g3.Courses))
	}
	// GridMaxAge bounds it whatever happens.
	clk.Add(10 * time.Second)
	if g := read("after GridMaxAge", p); g == g3 {
		t.Error("the grid was kept past GridMaxAge")
	}

	// Off by default: every view reads afresh.
	plain := teach.New(st, nil, teach.Config{Now: clk.Now, Location: time.UTC})
	a, _ := plain.Progress(ctx, p, id)
	b, _ := plain.Progress(ctx, p, id)
	if a == b || a.Kept() {
		t.Error("with no GridMaxAge the grid was kept")
	}
}
