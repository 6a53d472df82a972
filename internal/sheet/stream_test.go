package sheet_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/xuetang-edu/xuetang/internal/sheet"
)

const hyperlink = `=HYPERLINK("http://x","点我")`

func TestNeutralise(t *testing.T) {
	for in, want := range map[string]string{
		hyperlink: "'" + hyperlink, "+86 138": "'+86 138", "-1+2": "'-1+2", "@SUM(A1)": "'@SUM(A1)",
		"\tcmd": "'\tcmd", "\rx": "'\rx", "": "", "张伟": "张伟", "a=b": "a=b", " =x": " =x",
	} {
		if got := sheet.Neutralise(in); got != want {
			t.Errorf("Neutralise(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCSVBOMQuotingAndNeutralisation(t *testing.T) {
	var buf bytes.Buffer
	w, err := sheet.NewCSV(&buf, []string{"姓名", "备注", "学时"})
	if err != nil {
		t.Fatal(err)
	}
	rows := [][]any{
		{hyperlink, "a,b", 1.5},
		{"李\"娜\"", "line\nbreak", int64(3)},
		{"-5", nil, 0.25},
	}
	for _, r := range rows {
		if err := w.WriteRow(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	raw := buf.String()
	if !strings.HasPrefix(raw, "\ufeff姓名,备注,学时\r\n") {
		t.Fatalf("file does not start with BOM and CRLF header: %q", raw[:min(40, len(raw))])
	}
	if !strings.Contains(raw, `"'=HYPERLINK(""http://x"",""点我"")","a,b",1.5`+"\r\n") {
		t.Errorf("formula cell not neutralised and quoted per RFC 4180: %q", raw)
	}
	got, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(raw, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"姓名", "备注", "学时"}, {"'" + hyperlink, "a,b", "1.5"}, {`李"娜"`, "line\nbreak", "3"}, {"'-5", "", "0.25"}}
	if len(got) != len(want) {
		t.Fatalf("read back %d records, want %d: %q", len(got), len(want), got)
	}
	for i := range want {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("record %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestCSVHeaderOnly(t *testing.T) {
	var buf bytes.Buffer
	w, err := sheet.NewCSV(&buf, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "\ufeffa,b\r\n" {
		t.Errorf("empty export = %q", buf.String())
	}
}

// Strings are text cells whatever they begin with, numbers are numbers,
// and past the limit rows continue on a new sheet under the header again.
func TestXLSXTextCellsAndSheetRollover(t *testing.T) {
	var buf bytes.Buffer
	w, err := sheet.NewXLSX(&buf, []string{"姓名", "学时"}, "学习记录", 3, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	names := []string{hyperlink, "+1", "b", "c", "d", "e", "@f"}
	for i, n := range names {
		if err := w.WriteRow([]any{n, float64(i) + 0.5}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if strings.Join(sheets, "|") != "学习记录|学习记录 2|学习记录 3" {
		t.Fatalf("sheets %q", sheets)
	}
	var seen []string
	for s, name := range sheets {
		rows, err := f.GetRows(name)
		if err != nil {
			t.Fatal(err)
		}
		wantRows := []int{4, 4, 2}[s]
		if len(rows) != wantRows || rows[0][0] != "姓名" || rows[0][1] != "学时" {
			t.Fatalf("sheet %s: %q", name, rows)
		}
		for r, row := range rows[1:] {
			seen = append(seen, row[0])
			ref, _ := excelize.CoordinatesToCellName(1, r+2)
			if typ, _ := f.GetCellType(name, ref); typ != excelize.CellTypeInlineString {
				t.Errorf("%s!%s type %v, want inline text", name, ref, typ)
			}
			if fm, _ := f.GetCellFormula(name, ref); fm != "" {
				t.Errorf("%s!%s has formula %q", name, ref, fm)
			}
			ref, _ = excelize.CoordinatesToCellName(2, r+2)
			if typ, _ := f.GetCellType(name, ref); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
				t.Errorf("%s!%s type %v, want a number", name, ref, typ)
			}
		}
	}
	if strings.Join(seen, "|") != strings.Join(names, "|") {
		t.Errorf("rows read back %q, want %q", seen, names)
	}
}
