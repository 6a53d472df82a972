// Package sheet writes tables for spreadsheets: CSV in UTF-8 with a
// byte-order mark (Excel on Chinese Windows reads UTF-8 without one as
// GBK) and RFC 4180 quoting, and XLSX; in both, text that a spreadsheet
// would run as a formula is neutralised.
package sheet

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Safe neutralises a cell that begins with =, +, -, @, tab or carriage
// return by putting an apostrophe in front, so a spreadsheet shows it as
// text instead of evaluating it. Numbers are written as numbers by the
// callers, never through Safe, so a negative number keeps its sign.
func Safe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Cell is a value: string (neutralised), int, int64 or float64.
type Cell = any

func text(v Cell) string {
	switch x := v.(type) {
	case string:
		return Safe(x)
	case nil:
		return ""
	default:
		return fmtNumber(x)
	}
}

// CSV renders rows (the first the header) as a CSV file.
func CSV(rows [][]Cell) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("\ufeff")
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	for _, r := range rows {
		rec := make([]string, len(r))
		for i, v := range r {
			rec[i] = text(v)
		}
		if err := w.Write(rec); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

// XLSX renders rows (the first the header, in bold and frozen) as a
// workbook of one sheet.
func XLSX(sheetName string, rows [][]Cell) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheetName); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(sheetName)
	if err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	for i, r := range rows {
		vals := make([]any, len(r))
		for j, v := range r {
			if s, ok := v.(string); ok {
				v = Safe(s)
			}
			if i == 0 {
				v = excelize.Cell{StyleID: bold, Value: v}
			}
			vals[j] = v
		}
		ref, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			return nil, err
		}
		if err := sw.SetRow(ref, vals); err != nil {
			return nil, err
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, err
	}
	if err := f.SetPanes(sheetName, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func fmtNumber(v any) string {
	switch x := v.(type) {
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}
