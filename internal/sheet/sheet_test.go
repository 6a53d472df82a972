package sheet_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/xuetang-edu/xuetang/internal/sheet"
)

var rows = [][]sheet.Cell{
	{"姓名", "note", "n"},
	{"=1+1", "+33 tel", -5},
	{"@SUM(A1)", "\tx", 2.5},
	{"plain", `with "quotes", and comma`, int64(7)},
}

func TestCSVIsUTF8WithBOMAndFormulaSafe(t *testing.T) {
	b, err := sheet.CSV(rows)
	if err != nil {
		t.Fatal(err)
	}
	want := "\ufeff姓名,note,n\r\n'=1+1,'+33 tel,-5\r\n'@SUM(A1),'\tx,2.5\r\nplain,\"with \"\"quotes\"\", and comma\",7\r\n"
	if string(b) != want {
		t.Errorf("csv:\n%q\nwant\n%q", b, want)
	}
}

func TestXLSXKeepsNumbersAndNeutralisesText(t *testing.T) {
	b, err := sheet.XLSX("progress", rows)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.GetRows("progress")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[1][0] != "'=1+1" || got[1][2] != "-5" || got[2][0] != "'@SUM(A1)" || got[3][1] != `with "quotes", and comma` {
		t.Errorf("rows %q", got)
	}
	if formula, _ := f.GetCellFormula("progress", "A2"); formula != "" {
		t.Errorf("A2 has formula %q", formula)
	}
	if typ, _ := f.GetCellType("progress", "C2"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Errorf("C2 (a number) stored as text: %v", typ)
	}
	if !strings.HasPrefix(string(b), "PK") {
		t.Error("not a zip")
	}
}
