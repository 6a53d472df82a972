package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/export"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("\ufeff")) {
		t.Fatalf("no BOM: %q", b[:min(len(b), 20)])
	}
	recs, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func exportCSV(t *testing.T, svc *export.Service, a export.Actor, r export.Request) ([][]string, int64) {
	t.Helper()
	var buf bytes.Buffer
	if r.Format == "" {
		r.Format = export.FormatCSV
	}
	n, err := svc.Export(context.Background(), a, r, &buf, nil)
	if err != nil {
		t.Fatalf("export %+v: %v", r, err)
	}
	recs := readCSV(t, buf.Bytes())
	if int64(len(recs)-1) != n {
		t.Errorf("Export said %d rows, file has %d", n, len(recs)-1)
	}
	return recs, n
}

func TestCompletionRows(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b.Open(t, nil))
		svc := w.service(t, nil, export.Config{})
		recs, _ := exportCSV(t, svc, w.admin, export.Request{Lang: "en"})
		want := [][]string{
			{"Region", "Institution", "Username", "Name", "Course", "Enrolled", "Completed", "Study hours (学时)", "Active minutes", "Quiz average", "Certificate serial"},
			{"510104 锦江区", "成都图书馆", "alice", "'" + hyperlink, "Course safe", "2026-03-01 10:00", "2026-03-05 09:30", "2", "50", "90", "XT-ALICE"},
			{"440100 广州市", "广州图书馆", "bob", "王波", "Course safe", "2026-01-10 08:00", "", "0", "10", "35", ""},
			// Carol's history went with her to cd-lib; her revoked certificate is not shown.
			{"510104 锦江区", "成都图书馆", "carol", "陈可", "Course safe", "2026-03-02 00:30", "2026-03-04 15:00", "2", "0", "0", ""},
		}
		if len(recs) != len(want) {
			t.Fatalf("got %d records, want %d:\n%q", len(recs), len(want), recs)
		}
		for i := range want {
			if strings.Join(recs[i], "|") != strings.Join(want[i], "|") {
				t.Errorf("record %d:\n got %q\nwant %q", i, recs[i], want[i])
			}
		}
		// Headers default to Chinese.
		zh, _ := exportCSV(t, svc, w.admin, export.Request{})
		if zh[0][0] != "地区" || zh[0][7] != "学时" {
			t.Errorf("zh-CN header %q", zh[0])
		}
	})
}

func usernames(recs [][]string) string {
	var out []string
	for _, r := range recs[1:] {
		out = append(out, r[2])
	}
	return strings.Join(out, ",")
}

func TestCompletionScopeAndFilters(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b.Open(t, nil))
		svc := w.service(t, nil, export.Config{})
		cases := []struct {
			name  string
			actor export.Actor
			f     export.Filters
			want  string
		}{
			{"admin all", w.admin, export.Filters{}, "alice,bob,carol"},
			{"region admin sees Sichuan", w.region, export.Filters{}, "alice,carol"},
			{"other province", w.gdRegion, export.Filters{}, "bob"},
			{"institution admin", w.instAdm, export.Filters{}, "alice,carol"},
			{"admin region filter", w.admin, export.Filters{Region: "440000"}, "bob"},
			{"admin institution filter", w.admin, export.Filters{Institution: "cd-lib"}, "alice,carol"},
			{"region admin sub-region", w.region, export.Filters{Region: "510100"}, "alice,carol"},
			{"course filter", w.admin, export.Filters{Course: "safe"}, "alice,bob,carol"},
			// Inclusive dates in Beijing time: carol enrolled 00:30 on 2 March there.
			{"one day", w.admin, export.Filters{From: "2026-03-02", To: "2026-03-02"}, "carol"},
			{"completed within", w.admin, export.Filters{From: "2026-03-05", To: "2026-03-31"}, "alice"},
			{"made or completed", w.admin, export.Filters{From: "2026-03-04", To: "2026-03-05"}, "alice,carol"},
			{"from only", w.admin, export.Filters{From: "2026-02-01"}, "alice,carol"},
			{"to only", w.admin, export.Filters{To: "2026-01-31"}, "bob"},
			{"empty scope", w.gdRegion, export.Filters{From: "2026-03-01"}, ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				recs, _ := exportCSV(t, svc, tc.actor, export.Request{Filters: tc.f})
				if got := usernames(recs); got != tc.want {
					t.Errorf("rows %q, want %q", got, tc.want)
				}
			})
		}
	})
}

func TestBadRequests(t *testing.T) {
	w := newWorld(t, storetest.OpenSQLite(t, nil))
	svc := w.service(t, nil, export.Config{})
	learner := export.Actor{}
	learner.UserID, learner.Role = w.alice.ID, "learner"
	cases := []struct {
		name  string
		actor export.Actor
		r     export.Request
		code  errs.Code
		key   string
	}{
		{"learner", learner, export.Request{}, errs.Forbidden, "error.forbidden"},
		{"bad date", w.admin, export.Request{Filters: export.Filters{From: "2026-13-01"}}, errs.Invalid, "error.date_invalid"},
		{"not a date", w.admin, export.Request{Filters: export.Filters{To: "yesterday"}}, errs.Invalid, "error.date_invalid"},
		{"out of order", w.admin, export.Request{Filters: export.Filters{From: "2026-03-02", To: "2026-03-01"}}, errs.Invalid, "export.error_dates_order"},
		{"bad kind", w.admin, export.Request{Kind: "passwords"}, errs.Invalid, "export.error_kind"},
		{"bad format", w.admin, export.Request{Format: "pdf"}, errs.Invalid, "export.error_format"},
		{"bad lang", w.admin, export.Request{Lang: "fr"}, errs.Invalid, "export.error_lang"},
		{"bad region", w.admin, export.Request{Filters: export.Filters{Region: "51"}}, errs.Invalid, "error.region_invalid"},
		{"unknown region", w.admin, export.Request{Filters: export.Filters{Region: "990000"}}, errs.Invalid, "error.region_unknown"},
		{"region out of scope", w.region, export.Request{Filters: export.Filters{Region: "440000"}}, errs.Forbidden, "error.region_out_of_scope"},
		{"institution out of scope", w.region, export.Request{Filters: export.Filters{Institution: "gz-lib"}}, errs.NotFound, "error.institution_unknown"},
		{"institution admin elsewhere", w.instAdm, export.Request{Filters: export.Filters{Institution: "gz-lib"}}, errs.NotFound, "error.institution_unknown"},
		{"unknown institution", w.admin, export.Request{Filters: export.Filters{Institution: "nope"}}, errs.NotFound, "error.institution_unknown"},
		{"unknown course", w.admin, export.Request{Filters: export.Filters{Course: "nope"}}, errs.NotFound, "error.course_not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := svc.Export(context.Background(), tc.actor, tc.r, &buf, nil)
			if e := errs.As(err); err == nil || e.Code != tc.code || e.Key != tc.key {
				t.Errorf("err = %v, want %s %s", err, tc.code, tc.key)
			}
			if buf.Len() != 0 {
				t.Errorf("a refused export wrote %d bytes", buf.Len())
			}
			if _, err := svc.Submit(context.Background(), tc.actor, tc.r); errs.As(err).Key != tc.key {
				t.Errorf("Submit: %v, want %s", err, tc.key)
			}
		})
	}
}

func TestIndicators(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b.Open(t, nil))
		svc := w.service(t, nil, export.Config{})
		recs, n := exportCSV(t, svc, w.admin, export.Request{Kind: export.KindIndicators, Lang: "en"})
		want := [][]string{
			{"Region", "Institution", "Learners", "Enrolments", "Completions", "Completion rate", "Certificates", "Study hours (学时)"},
			{"440100 广州市", "广州图书馆", "1", "1", "0", "0", "0", "0"},
			{"510104 锦江区", "成都图书馆", "2", "2", "2", "1", "1", "4"},
		}
		if n != 2 || strings.Join(recs[1], "|")+";"+strings.Join(recs[2], "|") != strings.Join(want[1], "|")+";"+strings.Join(want[2], "|") ||
			strings.Join(recs[0], "|") != strings.Join(want[0], "|") {
			t.Errorf("indicators:\n got %q\nwant %q", recs, want)
		}
		// March only, Sichuan's admin: bob's January enrolment is neither in scope nor period.
		recs, _ = exportCSV(t, svc, w.region, export.Request{Kind: export.KindIndicators, Filters: export.Filters{From: "2026-03-05", To: "2026-03-31"}})
		if len(recs) != 2 || strings.Join(recs[1][2:], "|") != "2|0|1||1|2" {
			t.Errorf("Sichuan in March: %q", recs)
		}
	})
}

// The XLSX of a completion export reads back with the same cells, names as
// text and numbers as numbers.
func TestCompletionXLSX(t *testing.T) {
	w := newWorld(t, storetest.OpenSQLite(t, nil))
	svc := w.service(t, nil, export.Config{SheetRows: 2})
	var buf bytes.Buffer
	n, err := svc.Export(context.Background(), w.admin, export.Request{Format: export.FormatXLSX, Lang: "en"}, &buf, nil)
	if err != nil || n != 3 {
		t.Fatalf("export: %d rows, %v", n, err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := strings.Join(f.GetSheetList(), "|"); got != "Completions|Completions 2" {
		t.Fatalf("sheets %q", got)
	}
	rows, _ := f.GetRows("Completions")
	if len(rows) != 3 || rows[1][3] != hyperlink || rows[1][10] != "XT-ALICE" {
		t.Fatalf("first sheet %q", rows)
	}
	if typ, _ := f.GetCellType("Completions", "D2"); typ != excelize.CellTypeInlineString {
		t.Errorf("display name cell type %v", typ)
	}
	if v, _ := f.GetCellValue("Completions", "I2"); v != "50" {
		t.Errorf("active minutes %q", v)
	}
	more, _ := f.GetRows("Completions 2")
	if len(more) != 2 || more[0][0] != "Region" || more[1][2] != "carol" {
		t.Errorf("second sheet %q", more)
	}
}

// The command line's exports are audited like the browser's.
func TestExportIsAudited(t *testing.T) {
	w := newWorld(t, storetest.OpenSQLite(t, nil))
	svc := w.service(t, nil, export.Config{})
	exportCSV(t, svc, w.region, export.Request{Filters: export.Filters{Course: "safe"}})
	es, err := w.st.AuditEntries(context.Background(), "export.completions", 5)
	if err != nil || len(es) != 1 {
		t.Fatalf("audit entries %+v, %v", es, err)
	}
	e := es[0]
	var d map[string]any
	if err := json.Unmarshal([]byte(e.Detail), &d); err != nil {
		t.Fatal(err)
	}
	if e.ActorID == nil || *e.ActorID != w.region.UserID || d["rows"] != float64(2) || d["scope"] != "region:510000" ||
		d["filters"].(map[string]any)["course"] != "safe" || e.TargetRegionCode == nil || *e.TargetRegionCode != "510000" {
		t.Errorf("audit entry %+v detail %s", e, e.Detail)
	}
}

// gone is a read replica that has vanished since its last check.
type gone struct{ export.Source }

func (gone) CountIndicators(context.Context, store.ExportScope) (int64, error) {
	return 0, errs.New(errs.Unavailable, "error.unavailable")
}

// Rows come from the Reader (a read replica in production) while jobs and
// the audit stay on the Store; a replica that fails before the first row
// is passed over for the primary.
func TestRowsComeFromTheReader(t *testing.T) {
	w := newWorld(t, storetest.OpenSQLite(t, nil))
	replica := storetest.OpenSQLite(t, nil) // empty: no institutions yet
	var src export.Source = replica
	lag := int64(3)
	svc := w.service(t, nil, export.Config{Reader: func() (export.Source, store.ReadSource) {
		return src, store.ReadSource{Source: store.SourceReplica, LagSeconds: &lag}
	}})
	if recs, n := exportCSV(t, svc, w.admin, export.Request{Kind: export.KindIndicators}); n != 0 || len(recs) != 1 {
		t.Fatalf("from the empty replica: %d rows %q, want the header only", n, recs)
	}
	src = gone{replica}
	if _, n := exportCSV(t, svc, w.admin, export.Request{Kind: export.KindIndicators}); n != 2 {
		t.Fatalf("with the replica gone: %d rows, want the primary's 2", n)
	}
}
