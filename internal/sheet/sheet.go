// Package sheet writes tables for spreadsheets: CSV in UTF-8 with a
// byte-order mark (Excel on Chinese Windows reads UTF-8 without one as
// GBK) and RFC 4180 quoting, and XLSX. Both stream (NewCSV, NewXLSX);
// CSV and XLSX render a small table held in memory through them.
package sheet

import (
	"bytes"
)

// Cell is a value: string (neutralised), int, int64, float64 or bool.
type Cell = any

// Writer is a CSV or XLSX file being written.
type Writer interface {
	WriteRow(cells []any) error
	Close() error
}

// CSV renders rows (the first the header) as a CSV file.
func CSV(rows [][]Cell) ([]byte, error) {
	var b bytes.Buffer
	w, err := NewCSV(&b, header(rows, false))
	if err != nil {
		return nil, err
	}
	for _, r := range body(rows) {
		if err := w.WriteRow(r); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// XLSX renders rows (the first the header, in bold and frozen) as a
// workbook of one sheet. Unlike the streamed export, text here is also
// neutralised with an apostrophe, as the class grid's download always was.
func XLSX(sheetName string, rows [][]Cell) ([]byte, error) {
	var b bytes.Buffer
	w, err := NewXLSX(&b, header(rows, true), sheetName, 0, "")
	if err != nil {
		return nil, err
	}
	for _, r := range body(rows) {
		out := make([]any, len(r))
		for i, v := range r {
			if s, ok := v.(string); ok {
				v = Neutralise(s)
			}
			out[i] = v
		}
		if err := w.WriteRow(out); err != nil {
			_ = w.Close() // removes the spill files
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func header(rows [][]Cell, neutralise bool) []string {
	if len(rows) == 0 {
		return nil
	}
	out := make([]string, len(rows[0]))
	for i, v := range rows[0] {
		if s, ok := v.(string); ok && !neutralise {
			out[i] = s
		} else {
			out[i] = cellText(v)
		}
	}
	return out
}

func body(rows [][]Cell) [][]Cell {
	if len(rows) == 0 {
		return nil
	}
	return rows[1:]
}
