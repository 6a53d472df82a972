package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

func TestInstitutionsCreateSaveList(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clk := storetest.NewClock()
		st := b.Open(t, clk.Now)
		sc, cd, gd := "510000", "510100", "440000"
		if err := st.UpsertRegions(ctx, []store.Region{{Code: sc, Name: "四川省"}, {Code: cd, Name: "成都市", ParentCode: &sc},
			{Code: "510104", Name: "锦江区", ParentCode: &cd}, {Code: gd, Name: "广东省"}}); err != nil {
			t.Fatal(err)
		}
		if r, _ := st.RegionByCode(ctx, "510104"); r.Level != 3 {
			t.Errorf("derived level of 510104 = %d", r.Level)
		}
		mk := func(code, name, kind, region string) *store.Institution {
			t.Helper()
			in := &store.Institution{Code: code, Name: name, Kind: kind, RegionCode: region, CreatedAt: clk.Now()}
			if err := st.CreateInstitutionAudited(ctx, in, store.AuditEntry{Action: "institution.create", IP: "192.0.2.1"}); err != nil {
				t.Fatalf("create %s: %v", code, err)
			}
			return in
		}
		lib := mk("CD-Lib", "成都图书馆", "library", "510104")
		mk("cd_school", "成都100%小学", "school", cd)
		gz := mk("gz-lib", "广州图书馆", "library", gd)

		// Codes are one whatever their case, on both dialects.
		dup := &store.Institution{Code: "cd-lib", Name: "又一个", Kind: "school", RegionCode: cd, CreatedAt: clk.Now()}
		if err := st.CreateInstitutionAudited(ctx, dup, store.AuditEntry{Action: "institution.create"}); !errors.Is(err, errs.ErrConflict) {
			t.Fatalf("a code differing only in case: %v", err)
		}
		if got, err := st.InstitutionByCode(ctx, "cd-LIB"); err != nil || got.ID != lib.ID {
			t.Errorf("lookup by code in another case: %+v %v", got, err)
		}
		entries, _ := st.AuditEntries(ctx, "institution.create", 10)
		if len(entries) != 3 || entries[0].Target != fmt.Sprintf("institution:%d", gz.ID) || entries[2].IP != "192.0.2.1" {
			t.Errorf("audit after three creates and one refused: %+v", entries)
		}

		closed := clk.Now().Add(time.Hour)
		lib.Name, lib.ClosedAt, lib.SelfRegistration = "成都市图书馆", &closed, true
		if err := st.SaveInstitution(ctx, lib, store.AuditEntry{Action: "institution.close"}); err != nil {
			t.Fatal(err)
		}
		got, err := st.InstitutionByID(ctx, lib.ID)
		if err != nil || got.Name != "成都市图书馆" || got.ClosedAt == nil || !got.ClosedAt.Equal(closed) || !got.SelfRegistration {
			t.Errorf("after save: %+v %v", got, err)
		}
		if e, _ := st.AuditEntries(ctx, "institution.close", 1); len(e) != 1 || e[0].Target != fmt.Sprintf("institution:%d", lib.ID) {
			t.Errorf("close audit: %+v", e)
		}

		list := func(f store.InstitutionFilter) []string {
			t.Helper()
			if f.Limit == 0 {
				f.Limit = 10
			}
			rows, err := st.ListInstitutions(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, r := range rows {
				out = append(out, r.Code+"@"+r.RegionName)
			}
			return out
		}
		for name, tc := range map[string]struct {
			f    store.InstitutionFilter
			want string
		}{
			"all":                 {store.InstitutionFilter{}, "[CD-Lib@锦江区 cd_school@成都市 gz-lib@广东省]"},
			"province":            {store.InstitutionFilter{RegionPrefixes: []string{"51"}}, "[CD-Lib@锦江区 cd_school@成都市]"},
			"scope and filter":    {store.InstitutionFilter{RegionPrefixes: []string{"51", "510104"}}, "[CD-Lib@锦江区]"},
			"disjoint":            {store.InstitutionFilter{RegionPrefixes: []string{"51", "44"}}, "[]"},
			"kind":                {store.InstitutionFilter{Kind: "library"}, "[CD-Lib@锦江区 gz-lib@广东省]"},
			"one institution":     {store.InstitutionFilter{InstitutionID: gz.ID}, "[gz-lib@广东省]"},
			"name":                {store.InstitutionFilter{Query: "广州"}, "[gz-lib@广东省]"},
			"code any case":       {store.InstitutionFilter{Query: "cd-l"}, "[CD-Lib@锦江区]"},
			"percent is literal":  {store.InstitutionFilter{Query: "100%"}, "[cd_school@成都市]"},
			"underscore literal":  {store.InstitutionFilter{Query: "d_s"}, "[cd_school@成都市]"},
			"percent matches one": {store.InstitutionFilter{Query: "%"}, "[cd_school@成都市]"},
			"keyset":              {store.InstitutionFilter{AfterID: lib.ID, Limit: 1}, "[cd_school@成都市]"},
		} {
			if got := fmt.Sprint(list(tc.f)); got != tc.want {
				t.Errorf("%s: %s, want %s", name, got, tc.want)
			}
		}
	})
}
