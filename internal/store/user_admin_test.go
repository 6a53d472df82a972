package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// people is a small country: two institutions in Sichuan (a county's and
// a city's), one in Guangdong, staff and learners at each.
type people struct {
	st           *store.Store
	instA, instB int64 // 510104, 510100
	instC        int64 // 440100
	byName       map[string]*store.User
	clk          *storetest.Clock
}

func newPeople(t *testing.T, b storetest.Backend) *people {
	t.Helper()
	ctx := context.Background()
	clk := storetest.NewClock()
	st := b.Open(t, clk.Now)
	p := &people{st: st, clk: clk, byName: map[string]*store.User{}}
	sc, cd, gd := "510000", "510100", "440000"
	if err := st.UpsertRegions(ctx, []store.Region{{Code: sc, Name: "四川省"}, {Code: cd, Name: "成都市", ParentCode: &sc},
		{Code: "510104", Name: "锦江区", ParentCode: &cd}, {Code: gd, Name: "广东省"}, {Code: "440100", Name: "广州市", ParentCode: &gd}}); err != nil {
		t.Fatal(err)
	}
	for _, in := range []struct {
		id     *int64
		code   string
		region string
	}{{&p.instA, "a-lib", "510104"}, {&p.instB, "b-school", "510100"}, {&p.instC, "c-lib", "440100"}} {
		row := &store.Institution{Code: in.code, Name: in.code, Kind: "library", RegionCode: in.region, CreatedAt: clk.Now()}
		if err := st.CreateInstitution(ctx, row); err != nil {
			t.Fatal(err)
		}
		*in.id = row.ID
	}
	add := func(name, display, role string, inst int64, region string) {
		u := newUser(name, display, clk.Now())
		u.Role = role
		if inst != 0 {
			u.InstitutionID = &inst
		}
		if region != "" {
			u.RegionCode = &region
		}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		p.byName[name] = u
	}
	add("a-learner", "张三", "learner", p.instA, "")
	add("a-teacher", "李老师", "teacher", p.instA, "")
	add("a-admin", "王馆长", "institution_admin", p.instA, "")
	add("b-learner", "赵四", "learner", p.instB, "")
	add("c-learner", "陈五", "learner", p.instC, "")
	add("sc-region", "四川省管理员", "region_admin", 0, "510000")
	add("cd-region", "成都市管理员", "region_admin", 0, "510100")
	add("gd-region", "广东省管理员", "region_admin", 0, "440000")
	add("root", "管理员", "admin", 0, "")
	add("loner", "100%_done", "learner", 0, "")
	return p
}

func (p *people) regionOf(u *store.User) string {
	if u.RegionCode != nil {
		return *u.RegionCode
	}
	if u.InstitutionID == nil {
		return ""
	}
	in, _ := p.st.InstitutionByID(context.Background(), *u.InstitutionID)
	return in.RegionCode
}

func names(rows []store.UserListing) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Username)
	}
	slices.Sort(out)
	return out
}

// The query ListUsers runs and UserScope.Covers (used for single look-ups)
// are one rule written twice: they must agree on every user, every scope.
func TestListUsersAgreesWithCovers(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		p := newPeople(t, b)
		ctx := context.Background()
		scopes := map[string]store.UserScope{
			"admin":             {All: true},
			"province":          {RegionPrefix: "51", HideRegionAdminsAt: "510000"},
			"city":              {RegionPrefix: "5101", HideRegionAdminsAt: "510100"},
			"country":           {All: true, HideRegionAdminsAt: "000000"},
			"institution":       {InstitutionID: p.instA},
			"teacher":           {InstitutionID: p.instA, Roles: []string{"learner"}},
			"nobody (the zero)": {},
		}
		want := map[string][]string{
			"province":          {"a-admin", "a-learner", "a-teacher", "b-learner", "cd-region"},
			"city":              {"a-admin", "a-learner", "a-teacher", "b-learner"},
			"institution":       {"a-admin", "a-learner", "a-teacher"},
			"teacher":           {"a-learner"},
			"nobody (the zero)": nil,
		}
		for name, sc := range scopes {
			rows, err := p.st.ListUsers(ctx, store.UserQuery{Scope: sc, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			var covered []string
			for n, u := range p.byName {
				if sc.Covers(u.Role, deref(u.InstitutionID), p.regionOf(u)) {
					covered = append(covered, n)
				}
			}
			slices.Sort(covered)
			if got := names(rows); !slices.Equal(got, covered) {
				t.Errorf("%s: ListUsers %v, Covers %v", name, got, covered)
			}
			if w, ok := want[name]; ok && !slices.Equal(covered, w) {
				t.Errorf("%s: covers %v, want %v", name, covered, w)
			}
			for _, r := range rows {
				if r.Region != p.regionOf(&r.User) {
					t.Errorf("%s: %s region %q", name, r.Username, r.Region)
				}
			}
		}
	})
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func TestListUsersSearchAndPages(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		p := newPeople(t, b)
		ctx := context.Background()
		all := store.UserScope{All: true}
		for q, want := range map[string][]string{
			"LEARNER": {"a-learner", "b-learner", "c-learner"}, // case-insensitive
			"管理员":     {"cd-region", "gd-region", "root", "sc-region"},
			"%_":      {"loner"}, // wildcards are literal
			"_":       {"loner"},
			"zzz":     nil,
		} {
			rows, err := p.st.ListUsers(ctx, store.UserQuery{Scope: all, Text: q, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			if got := names(rows); !slices.Equal(got, want) {
				t.Errorf("q=%q: %v, want %v", q, got, want)
			}
		}
		var seen []int64
		var after int64
		for {
			rows, err := p.st.ListUsers(ctx, store.UserQuery{Scope: all, AfterID: after, Limit: 3})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) == 0 {
				break
			}
			for _, r := range rows {
				seen = append(seen, r.ID)
			}
			after = rows[len(rows)-1].ID
		}
		if len(seen) != len(p.byName) || !slices.IsSorted(seen) {
			t.Errorf("pages gave ids %v", seen)
		}
	})
}

// A change and its audit entry are one transaction: when the entry
// cannot be written, the change is not made either.
func TestChangeUserIsAuditedOrUndone(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		p := newPeople(t, b)
		ctx := context.Background()
		u := p.byName["a-learner"]
		yes, name := true, "新名字"
		first := &store.AuditEntry{Action: "user.update", Target: "user:1"}
		if err := p.st.Audit(ctx, first); err != nil {
			t.Fatal(err)
		}
		// An entry whose id is taken cannot be inserted.
		_, err := p.st.ChangeUser(ctx, u.ID, store.UserChange{Disabled: &yes, DisplayName: &name},
			&store.AuditEntry{ID: first.ID, Action: "user.disable", Target: "user:2"})
		if err == nil {
			t.Fatal("ChangeUser with a failing audit entry succeeded")
		}
		if got, _ := p.st.UserByID(ctx, u.ID); got.Disabled || got.DisplayName != u.DisplayName {
			t.Errorf("the change stayed without its entry: %+v", got)
		}

		hash := "$argon2id$v=19$m=64,t=1,p=1$bmV3$bmV3"
		p.clk.Add(time.Hour)
		inst := p.instB
		got, err := p.st.ChangeUser(ctx, u.ID, store.UserChange{Disabled: &yes, DisplayName: &name, PasswordHash: &hash,
			MustChangePassword: &yes, InstitutionID: &inst}, &store.AuditEntry{Action: "user.disable", Target: "user:2", TargetInstitutionID: &inst})
		if err != nil {
			t.Fatal(err)
		}
		if !got.Disabled || got.DisplayName != name || got.PasswordHash != hash || !got.MustChangePassword ||
			deref(got.InstitutionID) != inst || got.PasswordChangedAt == nil || !got.PasswordChangedAt.Equal(p.clk.Now()) {
			t.Errorf("after the change: %+v", got)
		}
		entries, _ := p.st.AuditEntries(ctx, "user.disable", 10)
		if len(entries) != 1 || entries[0].Outcome != store.OutcomeOK || deref(entries[0].TargetInstitutionID) != inst {
			t.Errorf("entries %+v", entries)
		}

		empty := ""
		got, err = p.st.ChangeUser(ctx, p.byName["cd-region"].ID, store.UserChange{RegionCode: &empty}, nil)
		if err != nil || got.RegionCode != nil {
			t.Errorf("clearing the region: %+v, %v", got, err)
		}
		if _, err := p.st.ChangeUser(ctx, 424242, store.UserChange{Disabled: &yes}, &store.AuditEntry{Action: "user.ghost", Target: "user:424242"}); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("unknown user: %v", err)
		}
		if ghosts, _ := p.st.AuditEntries(ctx, "user.ghost", 10); len(ghosts) != 0 {
			t.Errorf("a change of nobody was audited: %+v", ghosts)
		}
	})
}

// CreateUsers makes every account or none.
func TestCreateUsersAllOrNone(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		p := newPeople(t, b)
		ctx := context.Background()
		audit := func(u *store.User) *store.AuditEntry {
			return &store.AuditEntry{Action: "user.create", Target: fmt.Sprintf("user:%d", u.ID)}
		}
		var batch []*store.User
		for i := 0; i < 600; i++ { // more than one insert batch
			batch = append(batch, newUser(fmt.Sprintf("pupil%03d", i), "学生", p.clk.Now()))
		}
		batch = append(batch, newUser("a-learner", "taken", p.clk.Now()))
		if err := p.st.CreateUsers(ctx, batch, audit); !errors.Is(err, errs.ErrConflict) {
			t.Fatalf("a taken username: %v", err)
		}
		if taken, _ := p.st.UsernamesInUse(ctx, []string{"pupil000", "pupil599"}); len(taken) != 0 {
			t.Errorf("created despite the conflict: %v", taken)
		}
		if entries, _ := p.st.AuditEntries(ctx, "user.create", 10); len(entries) != 0 {
			t.Errorf("audited despite the conflict: %d", len(entries))
		}

		batch = batch[:600]
		for _, u := range batch {
			u.ID = 0
		}
		if err := p.st.CreateUsers(ctx, batch, audit); err != nil {
			t.Fatal(err)
		}
		entries, _ := p.st.AuditEntries(ctx, "user.create", 1000)
		if len(entries) != 600 {
			t.Fatalf("%d entries", len(entries))
		}
		targets := map[string]bool{}
		for _, e := range entries {
			targets[e.Target] = true
		}
		for _, u := range batch {
			got, err := p.st.UserByUsername(ctx, u.Username)
			if err != nil || got.ID != u.ID || !targets[fmt.Sprintf("user:%d", u.ID)] {
				t.Fatalf("%s: %+v, %v (audited %v)", u.Username, got, err, targets[fmt.Sprintf("user:%d", u.ID)])
			}
		}
		taken, err := p.st.UsernamesInUse(ctx, []string{"pupil000", "nobody", "a-learner"})
		slices.Sort(taken)
		if err != nil || !slices.Equal(taken, []string{"a-learner", "pupil000"}) {
			t.Errorf("in use: %v, %v", taken, err)
		}
	})
}

func TestListAuditScopesAndFilters(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		p := newPeople(t, b)
		ctx := context.Background()
		str := func(s string) *string { return &s }
		id := func(i int64) *int64 { return &i }
		root, teacher := p.byName["root"].ID, p.byName["a-teacher"].ID
		write := func(e store.AuditEntry) int64 {
			p.clk.Add(time.Hour)
			if err := p.st.Audit(ctx, &e); err != nil {
				t.Fatal(err)
			}
			return e.ID
		}
		e1 := write(store.AuditEntry{ActorID: &root, Action: "user.update", Target: "user:1", TargetInstitutionID: id(p.instA), TargetRegionCode: str("510104")})
		e2 := write(store.AuditEntry{ActorID: &root, Action: "user.update", Target: "user:5", TargetInstitutionID: id(p.instC), TargetRegionCode: str("440100")})
		e3 := write(store.AuditEntry{ActorID: &teacher, ActorInstitutionID: id(p.instA), ActorRegionCode: str("510104"), Action: "user.password_reset",
			Target: "user:99", TargetInstitutionID: id(p.instB), TargetRegionCode: str("510100")})
		e4 := write(store.AuditEntry{Action: "certificate.revoke", Target: "certificate:X"}) // no place: admins only
		ids := func(q store.AuditQuery) []int64 {
			t.Helper()
			if q.Limit == 0 {
				q.Limit = 100
			}
			rows, err := p.st.ListAudit(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, r := range rows {
				out = append(out, r.ID)
			}
			return out
		}
		cases := []struct {
			name string
			q    store.AuditQuery
			want []int64
		}{
			{"admin", store.AuditQuery{Scope: store.AuditScope{All: true}}, []int64{e4, e3, e2, e1}},
			{"sichuan", store.AuditQuery{Scope: store.AuditScope{RegionPrefix: "51"}}, []int64{e3, e1}},
			{"chengdu city", store.AuditQuery{Scope: store.AuditScope{RegionPrefix: "5101"}}, []int64{e3, e1}},
			{"guangdong", store.AuditQuery{Scope: store.AuditScope{RegionPrefix: "44"}}, []int64{e2}},
			{"institution A (actor or target)", store.AuditQuery{Scope: store.AuditScope{InstitutionID: p.instA}}, []int64{e3, e1}},
			{"institution B (target)", store.AuditQuery{Scope: store.AuditScope{InstitutionID: p.instB}}, []int64{e3}},
			{"nobody", store.AuditQuery{}, nil},
			{"by actor", store.AuditQuery{Scope: store.AuditScope{All: true}, ActorID: root}, []int64{e2, e1}},
			{"by target", store.AuditQuery{Scope: store.AuditScope{All: true}, Target: "user:5"}, []int64{e2}},
			{"from", store.AuditQuery{Scope: store.AuditScope{All: true}, From: p.clk.Now().Add(-90 * time.Minute)}, []int64{e4, e3}},
			{"to", store.AuditQuery{Scope: store.AuditScope{All: true}, To: p.clk.Now().Add(-90 * time.Minute)}, []int64{e2, e1}},
			{"to is exclusive", store.AuditQuery{Scope: store.AuditScope{All: true}, To: p.clk.Now().Add(-2 * time.Hour)}, []int64{e1}},
			{"page after e3", store.AuditQuery{Scope: store.AuditScope{All: true}, BeforeID: e3, Limit: 1}, []int64{e2}},
		}
		for _, c := range cases {
			if got := ids(c.q); !slices.Equal(got, c.want) {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
			}
		}
		rows, _ := p.st.ListAudit(ctx, store.AuditQuery{Scope: store.AuditScope{All: true}, Limit: 1, BeforeID: e2})
		if len(rows) != 1 || rows[0].ActorUsername != "root" || rows[0].Outcome != store.OutcomeOK {
			t.Errorf("listing %+v", rows)
		}
	})
}
