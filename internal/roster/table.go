// Package roster reads a list of people from a CSV or XLSX file, checks
// every row and plans their accounts, for the bulk import of an institution's
// learners and staff. Reading and checking are pure; Service adds the
// database look-ups, password hashing and background jobs.
package roster

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	xunicode "golang.org/x/text/encoding/unicode"

	"github.com/xuetang-edu/xuetang/internal/errs"
)

// Limits of one file.
const (
	MaxRows = 10000 // data rows, the header not counted
	// MaxFileBytes bounds the upload: 10,000 rows of long Chinese names fit.
	MaxFileBytes = 8 << 20
	// maxUnzipped bounds what a workbook may expand to. A real roster of
	// 10,000 rows is a few MB of XML; a zip bomb claims far more.
	maxUnzipped = 64 << 20
	// maxCellRunes is far above any column's limit: longer cells are
	// reported as too long without keeping megabytes of text around.
	maxCellRunes = 1000
	maxColumns   = 64
)

// Table is a file's cells as text: the header row and the data rows, with
// row numbers as a spreadsheet shows them (the header is row 1).
type Table struct {
	Header []string
	Rows   []Record
	// Workbook is true for XLSX, whose dates may arrive as serial numbers.
	Workbook bool
	// Encoding names how a CSV file was decoded ("utf-8", "gb18030").
	Encoding string
}

// Record is one data row and the line it came from.
type Record struct {
	Row   int
	Cells []string
}

var (
	errBadEncoding = errs.New(errs.Invalid, "error.import_bad_encoding").With("field", "file")
	errNotWorkbook = errs.New(errs.Invalid, "error.import_not_workbook").With("field", "file")
	errEmpty       = errs.New(errs.Invalid, "error.import_empty").With("field", "file")
	errTooManyRows = errs.New(errs.Invalid, "error.import_too_many_rows").With("max", MaxRows).With("field", "file")
	errBomb        = errs.New(errs.Invalid, "error.import_workbook_too_large").With("field", "file")
)

// Read parses an uploaded file: a workbook when it is a zip (or its name
// says .xlsx), CSV otherwise. Old binary .xls files are refused by name
// rather than read as garbage.
func Read(name string, data []byte) (*Table, error) {
	lower := strings.ToLower(name)
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")) || strings.HasSuffix(lower, ".xlsx"):
		return readWorkbook(data)
	case bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0}) || strings.HasSuffix(lower, ".xls"):
		return nil, errNotWorkbook
	}
	return readCSV(data)
}

// Decode turns a CSV file's bytes into text. Offices send UTF-8 (with or
// without the BOM Excel writes), GB18030/GBK (Excel's "CSV" on Chinese
// Windows) and sometimes UTF-16 ("Unicode text"). Valid UTF-8 is taken as
// UTF-8: GBK text of any length is almost never valid UTF-8. Otherwise the
// bytes must decode as GB18030 with no invalid sequence and no control
// characters; anything else is refused instead of guessed.
func Decode(data []byte) (text, encoding string, err error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data = data[3:]
		if !utf8.Valid(data) {
			return "", "", errBadEncoding
		}
		return checkText(string(data), "utf-8")
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		t, err := decodeUTF16(data)
		if err != nil {
			return "", "", errBadEncoding
		}
		return checkText(t, "utf-16")
	case utf8.Valid(data):
		return checkText(string(data), "utf-8")
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	// The decoder writes U+FFFD for a byte sequence it cannot read; a real
	// GB18030 file never contains that character (it has no GB code).
	if err != nil || bytes.Contains(out, []byte("\uFFFD")) {
		return "", "", errBadEncoding
	}
	return checkText(string(out), "gb18030")
}

func decodeUTF16(data []byte) (string, error) {
	// The BOM says which byte order; the decoder reads and drops it.
	out, err := xunicode.UTF16(xunicode.LittleEndian, xunicode.ExpectBOM).NewDecoder().Bytes(data)
	if err != nil || bytes.Contains(out, []byte("\uFFFD")) {
		return "", errBadEncoding
	}
	return string(out), nil
}

// checkText refuses text with control characters other than tab and line
// ends: what a wrong decoding of binary or of another encoding looks like.
func checkText(t, enc string) (string, string, error) {
	for _, r := range t {
		if r == '\t' || r == '\n' || r == '\r' {
			continue
		}
		if unicode.IsControl(r) {
			return "", "", errBadEncoding
		}
	}
	return t, enc, nil
}

func readCSV(data []byte) (*Table, error) {
	text, enc, err := Decode(data)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = sniffDelimiter(text)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	t := &Table{Encoding: enc}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			return nil, errs.Wrap(errs.Invalid, "error.import_bad_csv", err).With("line", line).With("field", "file")
		}
		line, _ := r.FieldPos(0)
		if err := t.add(line, rec); err != nil {
			return nil, err
		}
	}
	return t.finish()
}

// sniffDelimiter picks tab for Excel's "Unicode text" export, comma
// otherwise, by looking at the header line.
func sniffDelimiter(text string) rune {
	head, _, _ := strings.Cut(text, "\n")
	if strings.Count(head, "\t") > strings.Count(head, ",") {
		return '\t'
	}
	return ','
}

// add keeps a row; the first non-blank row is the header. Blank rows (a
// spreadsheet's trailing empty lines) are skipped but keep their numbers.
func (t *Table) add(row int, cells []string) error {
	if len(cells) > maxColumns {
		cells = cells[:maxColumns]
	}
	blank := true
	for i, c := range cells {
		c = strings.TrimSpace(c)
		if utf8.RuneCountInString(c) > maxCellRunes {
			c = string([]rune(c)[:maxCellRunes+1])
		}
		cells[i] = c
		if c != "" {
			blank = false
		}
	}
	if blank {
		return nil
	}
	if t.Header == nil {
		t.Header = cells
		return nil
	}
	if len(t.Rows) == MaxRows {
		return errTooManyRows
	}
	t.Rows = append(t.Rows, Record{Row: row, Cells: cells})
	return nil
}

func (t *Table) finish() (*Table, error) {
	if t.Header == nil {
		return nil, errEmpty
	}
	return t, nil
}

// readWorkbook reads the first sheet of an XLSX file. The zip directory is
// checked before excelize sees it: the sizes every entry claims must add up
// to less than maxUnzipped (archive/zip refuses an entry that inflates past
// its claim), and a workbook must have xl/workbook.xml. Cells are read raw,
// and a formula is kept as its text, never evaluated and never replaced by a
// cached result the file's author chose.
func readWorkbook(data []byte) (*Table, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, errNotWorkbook
	}
	var total uint64
	hasWorkbook := false
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if total > maxUnzipped || len(zr.File) > 10000 {
			return nil, errBomb
		}
		if strings.EqualFold(strings.ReplaceAll(f.Name, "\\", "/"), "xl/workbook.xml") {
			hasWorkbook = true
		}
	}
	if !hasWorkbook {
		return nil, errNotWorkbook
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		RawCellValue: true, UnzipSizeLimit: maxUnzipped, UnzipXMLSizeLimit: 16 << 20,
	})
	if err != nil {
		if strings.Contains(err.Error(), "size") {
			return nil, errBomb
		}
		return nil, errNotWorkbook
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, errNotWorkbook
	}
	sheet := sheets[0]
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, errNotWorkbook
	}
	defer rows.Close()
	t := &Table{Workbook: true, Encoding: "xlsx"}
	for row := 1; rows.Next(); row++ {
		if row > MaxRows+1000 {
			return nil, errTooManyRows
		}
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, errNotWorkbook
		}
		if len(cells) > maxColumns {
			cells = cells[:maxColumns]
		}
		for col := range cells {
			ref, _ := excelize.CoordinatesToCellName(col+1, row)
			if formula, err := f.GetCellFormula(sheet, ref); err == nil && formula != "" {
				cells[col] = "=" + formula
			}
		}
		if err := t.add(row, cells); err != nil {
			return nil, err
		}
	}
	if err := rows.Error(); err != nil {
		return nil, errNotWorkbook
	}
	return t.finish()
}

// excelSerialDate reads a date cell of a workbook: Excel stores days since
// 1899-12-30 (a number such as 45717 for 2025-03-01).
func excelSerialDate(s string) (y, m, d int, ok bool) {
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n < 1 || n > 2958465 {
		return 0, 0, 0, false
	}
	tm, err := excelize.ExcelDateToTime(n, false)
	if err != nil {
		return 0, 0, 0, false
	}
	return tm.Year(), int(tm.Month()), tm.Day(), true
}
