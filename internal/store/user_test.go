package store_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

func newUser(name, display string, at time.Time) *store.User {
	return &store.User{Username: name, DisplayName: display, PasswordHash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA",
		Role: "learner", Locale: "zh-CN", CreatedAt: at, UpdatedAt: at}
}

func TestUniqueUsername(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clk := storetest.NewClock()
		st := b.Open(t, clk.Now)
		if err := st.CreateUser(ctx, newUser("zhangwei", "张伟", clk.Now())); err != nil {
			t.Fatal(err)
		}
		err := st.CreateUser(ctx, newUser("zhangwei", "另一个张伟", clk.Now()))
		if !errors.Is(err, errs.ErrConflict) {
			t.Fatalf("duplicate username: err = %v, want errs.Conflict", err)
		}
		if errs.CodeOf(err) != errs.Conflict {
			t.Errorf("CodeOf = %s", errs.CodeOf(err))
		}
		// The first account is untouched.
		u, err := st.UserByUsername(ctx, "zhangwei")
		if err != nil || u.DisplayName != "张伟" {
			t.Errorf("first user = %+v, %v", u, err)
		}
	})
}

// Names of learners are Chinese; display names may carry emoji. MySQL's
// legacy utf8 (3 bytes) would reject or mangle the 4-byte ones.
func TestUnicodeRoundTrip(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clk := storetest.NewClock()
		st := b.Open(t, clk.Now)
		cases := []struct{ username, display string }{
			{"张伟", "张伟"},
			{"xuexi", "学习😀🎉"},
			{"吉野", "𠮷野家"}, // a supplementary-plane CJK character, 4 bytes in UTF-8
			{"laoli", "李老师（退休）· 👴🏻"},
		}
		for _, c := range cases {
			u := newUser(c.username, c.display, clk.Now())
			if err := st.CreateUser(ctx, u); err != nil {
				t.Fatalf("%s: %v", c.display, err)
			}
			got, err := st.UserByID(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Username != c.username || got.DisplayName != c.display {
				t.Errorf("round trip: got %q/%q, want %q/%q", got.Username, got.DisplayName, c.username, c.display)
			}
			byName, err := st.UserByUsername(ctx, c.username)
			if err != nil || byName.ID != u.ID {
				t.Errorf("lookup by %q: %+v, %v", c.username, byName, err)
			}
		}
		if err := st.Audit(ctx, &store.AuditEntry{Action: "test", Target: "user:1", Detail: "改名为 学习😀🎉"}); err != nil {
			t.Fatal(err)
		}
		entries, err := st.AuditEntries(ctx, "test", 1)
		if err != nil || len(entries) != 1 || entries[0].Detail != "改名为 学习😀🎉" {
			t.Errorf("audit detail round trip: %+v, %v", entries, err)
		}
	})
}

// Times are stored and read in UTC whatever zone the caller's value is in,
// so reports by day mean the same thing on SQLite and MySQL.
func TestTimesRoundTripInUTC(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := b.Open(t, nil)
		at := time.Date(2026, 3, 2, 9, 30, 15, 123_000_000, time.UTC)
		u := newUser("clock", "clock", at)
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		got, err := st.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.CreatedAt.Equal(at) || got.CreatedAt.Location() != time.UTC {
			t.Errorf("CreatedAt = %v (%v), want %v UTC", got.CreatedAt, got.CreatedAt.Location(), at)
		}
	})
}

func TestUserNotFoundAndUpdates(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clk := storetest.NewClock()
		st := b.Open(t, clk.Now)
		if _, err := st.UserByID(ctx, 424242); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("UserByID unknown: %v", err)
		}
		if _, err := st.UserByUsername(ctx, "nobody"); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("UserByUsername unknown: %v", err)
		}
		if err := st.SetUserPassword(ctx, 424242, "x"); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("SetUserPassword unknown: %v", err)
		}
		u := newUser("wang", "王芳", clk.Now())
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		clk.Add(time.Hour)
		if err := st.SetUserLocale(ctx, u.ID, "en"); err != nil {
			t.Fatal(err)
		}
		if err := st.SetUserPassword(ctx, u.ID, "new-hash"); err != nil {
			t.Fatal(err)
		}
		got, _ := st.UserByID(ctx, u.ID)
		if got.Locale != "en" || got.PasswordHash != "new-hash" || !got.UpdatedAt.Equal(clk.Now()) {
			t.Errorf("after updates: %+v", got)
		}
	})
}

func TestCountAdmins(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := b.Open(t, nil)
		now := time.Now().UTC()
		if n, err := st.CountAdmins(ctx); err != nil || n != 0 {
			t.Fatalf("empty database: %d admins, %v", n, err)
		}
		a := newUser("root", "root", now)
		a.Role = "admin"
		off := newUser("old-root", "old", now)
		off.Role, off.Disabled = "admin", true
		for _, u := range []*store.User{a, off, newUser("learner", "l", now)} {
			if err := st.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := st.CountAdmins(ctx); err != nil || n != 1 {
			t.Errorf("CountAdmins = %d, %v; want 1 (disabled admins do not count)", n, err)
		}
	})
}

func TestForeignKeysAreEnforced(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := b.Open(t, nil)
		u := newUser("orphan", "orphan", time.Now().UTC())
		inst := int64(999)
		u.InstitutionID = &inst
		if err := st.CreateUser(ctx, u); err == nil {
			t.Error("a user pointing at a missing institution was stored")
		}
	})
}

func TestRegionsAndInstitutions(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := b.Open(t, nil)
		sc := "510000"
		if err := st.UpsertRegions(ctx, []store.Region{{Code: "510000", Name: "四川"}, {Code: "510100", Name: "成都", ParentCode: &sc}}); err != nil {
			t.Fatal(err)
		}
		if err := st.UpsertRegions(ctx, []store.Region{{Code: "510000", Name: "四川省"}}); err != nil {
			t.Fatal(err)
		}
		if r, err := st.RegionByCode(ctx, "510000"); err != nil || r.Name != "四川省" {
			t.Errorf("renamed region = %+v, %v", r, err)
		}
		in := &store.Institution{Code: "cd-lib", Name: "成都图书馆", Kind: "library", RegionCode: "510100", CreatedAt: time.Now().UTC()}
		if err := st.CreateInstitution(ctx, in); err != nil {
			t.Fatal(err)
		}
		dup := &store.Institution{Code: "cd-lib", Name: "又一个", Kind: "school", RegionCode: "510100", CreatedAt: time.Now().UTC()}
		if err := st.CreateInstitution(ctx, dup); !errors.Is(err, errs.ErrConflict) {
			t.Errorf("duplicate institution code: %v", err)
		}
		if got, err := st.InstitutionByCode(ctx, "cd-lib"); err != nil || got.ID != in.ID || got.Name != "成都图书馆" {
			t.Errorf("InstitutionByCode = %+v, %v", got, err)
		}
		if _, err := st.InstitutionByID(ctx, 999); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("InstitutionByID unknown: %v", err)
		}
	})
}

// Sign-in failures from many app instances (or many requests of one) land
// on one counter at once; every hit must count and none may fail.
func TestHitCounterConcurrent(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := b.Open(t, nil)
		const n = 20
		for round, key := range []string{"login:ip:203.0.113.1", "login:ip:203.0.113.1"} {
			var wg sync.WaitGroup
			results := make([]int, n)
			errc := make(chan error, n)
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					h, err := st.HitCounter(ctx, key, time.Hour)
					if err != nil {
						errc <- err
					}
					results[i] = h
				}()
			}
			wg.Wait()
			close(errc)
			for err := range errc {
				t.Errorf("round %d: concurrent hit failed: %v", round, err)
			}
			if got, err := st.CounterValue(ctx, key); err != nil || got != n*(round+1) {
				t.Errorf("round %d: counter = %d, %v; want %d", round, got, err, n*(round+1))
			}
			sort.Ints(results)
			if results[n-1] != n*(round+1) {
				t.Errorf("round %d: highest count seen %d, want %d (%v)", round, results[n-1], n*(round+1), fmt.Sprint(results))
			}
		}
	})
}
