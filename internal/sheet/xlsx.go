package sheet

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// MaxSheetRows is how many data rows fit on a worksheet under its header:
// Excel's 1,048,576 rows less one.
const MaxSheetRows = 1_048_575

// XLSXWriter streams rows into a workbook with excelize's StreamWriter,
// which keeps at most a small buffer in memory and spills the rest of a
// sheet to a temporary file. Past sheetRows data rows a new sheet begins,
// with the header again.
type XLSXWriter struct {
	out       io.Writer
	f         *excelize.File
	sw        *excelize.StreamWriter
	header    []any
	sheetName string
	sheetRows int
	sheets    int
	row       int // rows written on the current sheet, header included
}

// NewXLSX starts a workbook whose first sheet is sheetName; tmpDir holds
// the stream's spill files (for a large export, the same disk as the
// export, not /tmp, which may be small or in memory; "" is the system's).
// sheetRows caps the data rows on a sheet, MaxSheetRows when 0.
func NewXLSX(w io.Writer, header []string, sheetName string, sheetRows int, tmpDir string) (*XLSXWriter, error) {
	if sheetRows <= 0 {
		sheetRows = MaxSheetRows
	}
	x := &XLSXWriter{out: w, f: excelize.NewFile(excelize.Options{TmpDir: tmpDir}), sheetName: sheetName, sheetRows: sheetRows}
	bold, err := x.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		x.f.Close()
		return nil, err
	}
	x.header = make([]any, len(header))
	for i, h := range header {
		x.header[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := x.f.SetSheetName("Sheet1", x.name(1)); err != nil {
		x.f.Close()
		return nil, err
	}
	if err := x.startSheet(1); err != nil {
		x.f.Close()
		return nil, err
	}
	return x, nil
}

func (x *XLSXWriter) name(n int) string {
	if n == 1 {
		return x.sheetName
	}
	return fmt.Sprintf("%s %d", x.sheetName, n)
}

func (x *XLSXWriter) startSheet(n int) error {
	if x.sw != nil {
		if err := x.sw.Flush(); err != nil {
			return err
		}
	}
	if n > 1 {
		if _, err := x.f.NewSheet(x.name(n)); err != nil {
			return err
		}
	}
	sw, err := x.f.NewStreamWriter(x.name(n))
	if err != nil {
		return err
	}
	// The header stays in view while scrolling a long sheet.
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	x.sw, x.sheets, x.row = sw, n, 0
	return x.write(x.header)
}

func (x *XLSXWriter) write(cells []any) error {
	x.row++
	ref, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	return x.sw.SetRow(ref, cells)
}

// WriteRow adds a data row. Strings become inline text cells, never
// formulas, whatever they begin with; numbers stay numbers.
func (x *XLSXWriter) WriteRow(cells []any) error {
	if x.row > x.sheetRows {
		if err := x.startSheet(x.sheets + 1); err != nil {
			return err
		}
	}
	return x.write(cells)
}

// Close finishes the workbook, writes it out and removes the spill files.
func (x *XLSXWriter) Close() error {
	defer x.f.Close()
	if err := x.sw.Flush(); err != nil {
		return err
	}
	return x.f.Write(x.out)
}
