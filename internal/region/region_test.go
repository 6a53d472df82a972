package region_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/region"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

func byCode(rs []store.Region) map[string]store.Region {
	m := map[string]store.Region{}
	for _, r := range rs {
		m[r.Code] = r
	}
	return m
}

func parentOf(r store.Region) string {
	if r.ParentCode == nil {
		return ""
	}
	return *r.ParentCode
}

func TestShippedTree(t *testing.T) {
	t.Parallel()
	l, err := region.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	m := byCode(l.Regions)
	if n := len(l.Regions); n < 3200 || n > 3500 {
		t.Errorf("%d divisions shipped, want about 3,300", n)
	}
	provinces := 0
	for _, r := range l.Regions {
		if r.Level == region.LevelProvince {
			provinces++
		}
		if p := parentOf(r); p != store.CountryCode {
			if _, ok := m[p]; !ok {
				t.Errorf("%s %s: parent %s not in the list", r.Code, r.Name, p)
			}
		}
	}
	if provinces != 34 {
		t.Errorf("%d provinces, want 34 (31 + 台湾, 香港, 澳门)", provinces)
	}
	for _, tc := range []struct {
		code, name, parent string
		level              int
	}{
		{"110000", "北京市", "000000", 1},
		{"110101", "东城区", "110000", 3},     // a municipality's districts hang under it
		{"500229", "城口县", "500000", 3},     // 重庆's 县 grouping too
		{"510104", "锦江区", "510100", 3},     // an ordinary county
		{"429004", "仙桃市", "420000", 3},     // 省直辖县级行政区划
		{"659001", "石河子市", "650000", 3},    // 自治区直辖县级行政区划
		{"441900", "东莞市", "440000", 2},     // listed once though the source has it twice
		{"810000", "香港特别行政区", "000000", 1}, // added from GB/T 2260
	} {
		r, ok := m[tc.code]
		if !ok || r.Name != tc.name || parentOf(r) != tc.parent || r.Level != tc.level {
			t.Errorf("%s = %+v (parent %q), want %s under %s at level %d", tc.code, r, parentOf(r), tc.name, tc.parent, tc.level)
		}
	}
	for _, grouping := range []string{"110100", "500100", "500200", "429000", "659000"} {
		if r, ok := m[grouping]; ok {
			t.Errorf("grouping row %s %s kept", grouping, r.Name)
		}
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	ok := "\uFEFFcode,name,extra\n51,四川省,x\n5101,成都市\n510104,锦江区\n510000000000,四川省\n\n"
	l, err := region.Parse(strings.NewReader(ok))
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, r := range l.Regions {
		got = append(got, r.Code+">"+parentOf(r))
	}
	if want := []string{"510000>000000", "510100>510000", "510104>510100"}; !slices.Equal(got, want) {
		t.Errorf("parsed %v, want %v", got, want)
	}
	same, _ := region.Parse(strings.NewReader("510000,四川省\n510100,成都市\n510104,锦江区\n"))
	if same.Checksum != l.Checksum {
		t.Error("the same divisions in another spelling have another checksum")
	}
	for name, bad := range map[string]string{
		"short code":        "510,四川省\n",
		"letters":           "51A000,四川省\n",
		"no name":           "510000,\n",
		"one column":        "510000\n",
		"two names":         "510000,四川省\n510000,四川\n",
		"orphan county":     "510104,锦江区\n",
		"orphan prefecture": "510100,成都市\n",
		"empty":             "code,name\n",
	} {
		if _, err := region.Parse(strings.NewReader(bad)); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%s: err = %v, want invalid", name, err)
		}
	}
	_, err = region.Parse(strings.NewReader("510000,四川省\n5101x,成都市\n"))
	if e := errs.As(err); e.Args["line"] != 2 {
		t.Errorf("bad row reported as %v, want line 2", err)
	}
}

func TestLoadShippedOnce(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := b.Open(t, nil)
		svc := region.New(st)
		if applied, err := svc.LoadShipped(ctx); err != nil || !applied {
			t.Fatalf("first load: %v %v", applied, err)
		}
		// A later import renamed a division; the next start must not undo it.
		if err := st.UpsertRegions(ctx, []store.Region{{Code: "510104", Name: "新锦江区", ParentCode: ptr("510100")}}); err != nil {
			t.Fatal(err)
		}
		if applied, err := svc.LoadShipped(ctx); err != nil || applied {
			t.Fatalf("second load: %v %v", applied, err)
		}
		if r, _ := st.RegionByCode(ctx, "510104"); r.Name != "新锦江区" {
			t.Errorf("start-up undid a rename: %s", r.Name)
		}
		provinces, err := svc.Children(ctx, "")
		if err != nil || len(provinces) != 34 || provinces[0].Code != "110000" {
			t.Fatalf("provinces: %d %v", len(provinces), err)
		}
		bj, err := svc.Children(ctx, "110000")
		if err != nil || len(bj) != 16 || bj[0].Code != "110101" || bj[0].Level != region.LevelCounty {
			t.Errorf("北京's children: %d %v %v", len(bj), bj, err)
		}
		if leaf, err := svc.Children(ctx, "441900"); err != nil || len(leaf) != 0 {
			t.Errorf("东莞's children: %v %v", leaf, err)
		}
		if _, err := svc.Children(ctx, "999900"); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("unknown parent: %v", err)
		}
		if _, err := svc.Children(ctx, "51"); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("malformed parent: %v", err)
		}
	})
}

func ptr(s string) *string { return &s }

func TestImport(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := b.Open(t, nil)
		svc := region.New(st)
		old := "510000,四川省\n510100,成都市\n510104,锦江区\n510105,青羊区\n510106,金牛区\n440000,广东省\n"
		if _, err := svc.Import(ctx, strings.NewReader(old), "old.csv", nil); err != nil {
			t.Fatal(err)
		}
		// 青羊区 is used by an institution, 金牛区 by a region admin; both
		// are missing from the new list, as is the unused 锦江区.
		if err := st.CreateInstitution(ctx, &store.Institution{Code: "qy-lib", Name: "青羊图书馆", Kind: "library",
			RegionCode: "510105", CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		jn := "510106"
		if err := st.CreateUser(ctx, &store.User{Username: "jn-admin", DisplayName: "x", PasswordHash: "x", Role: "region_admin",
			RegionCode: &jn, Locale: "zh-CN", CreatedAt: time.Now(), UpdatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Import(ctx, strings.NewReader("510000,四川省\n"), "sichuan-only.csv", nil); !errors.Is(err, errs.ErrInvalid) ||
			!strings.Contains(errs.As(err).Args["missing"].(string), "440000") {
			t.Fatalf("a list without 广东 was not refused as incomplete: %v", err)
		}
		actor := int64(7)
		newer := "code,name\n510000,四川省\n510100,成都市（新）\n510107,武侯区\n440000,广东省\n"
		ch, err := svc.Import(ctx, strings.NewReader(newer), "new.csv", &actor)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ch.Added, []string{"510107"}) || !slices.Equal(ch.Renamed, []string{"510100"}) ||
			!slices.Equal(ch.Removed, []string{"510104"}) || !slices.Equal(ch.Kept, []string{"510105", "510106"}) {
			t.Errorf("changes = %+v", ch)
		}
		for code, want := range map[string]string{"510100": "成都市（新）", "510105": "青羊区", "510106": "金牛区", "510107": "武侯区"} {
			if r, err := st.RegionByCode(ctx, code); err != nil || r.Name != want {
				t.Errorf("%s after import: %+v %v, want %s", code, r, err, want)
			}
		}
		if _, err := st.RegionByCode(ctx, "510104"); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("unused 510104 kept: %v", err)
		}
		entries, err := st.AuditEntries(ctx, "regions.import", 10)
		if err != nil || len(entries) != 2 || entries[0].ActorID == nil || *entries[0].ActorID != actor || entries[0].Detail != "new.csv" {
			t.Errorf("audit = %+v %v", entries, err)
		}
		// The same list again changes nothing.
		if ch, err := svc.Import(ctx, strings.NewReader(newer), "new.csv", &actor); err != nil ||
			len(ch.Added)+len(ch.Renamed)+len(ch.Moved)+len(ch.Removed) != 0 {
			t.Errorf("second import: %+v %v", ch, err)
		}
	})
}
