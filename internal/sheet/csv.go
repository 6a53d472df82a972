package sheet

import (
	"bufio"
	"encoding/csv"
	"io"
	"strconv"
)

// bom makes spreadsheet programs (Excel on Windows above all) read the file
// as UTF-8 rather than the local code page, which garbles Chinese.
const bom = "\ufeff"

// Neutralise makes a text cell safe to open in a spreadsheet: a cell that
// begins with = + - @, a tab or a carriage return could be taken for a
// formula (=HYPERLINK(...) sends data away when clicked), so it gets a
// leading apostrophe, which spreadsheets show as text and do not run
// (OWASP's advice for CSV injection). Other text is returned as is.
func Neutralise(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// CSVWriter writes RFC 4180 CSV (CRLF line ends, fields quoted when they
// hold a comma, quote or line break) in UTF-8 with a byte-order mark.
type CSVWriter struct {
	bw  *bufio.Writer
	w   *csv.Writer
	rec []string
}

// NewCSV starts a CSV file on w with the header row, if there is one.
func NewCSV(w io.Writer, header []string) (*CSVWriter, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	if _, err := bw.WriteString(bom); err != nil {
		return nil, err
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	c := &CSVWriter{bw: bw, w: cw}
	if len(header) > 0 {
		if err := c.WriteRow(Strings(header)); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Strings makes a row of text cells.
func Strings(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// WriteRow writes one record. Strings are neutralised; numbers are written
// plainly (a negative number is not a formula).
func (c *CSVWriter) WriteRow(cells []any) error {
	c.rec = c.rec[:0]
	for _, v := range cells {
		c.rec = append(c.rec, cellText(v))
	}
	return c.w.Write(c.rec)
}

func cellText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return Neutralise(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	panic("sheet: unsupported cell type") // the row builders use only the types above
}

// Close flushes everything written.
func (c *CSVWriter) Close() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return err
	}
	return c.bw.Flush()
}
