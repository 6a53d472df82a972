// Command exportbench is the export benchmark's helper (bench/export.sh):
//
//	-print-sql -db mysql://...   print the exact SQL `xuetang export
//	                             completions` runs for an unfiltered export,
//	                             so the mysql client can dump the same rows
//	-xlsx-baseline -in F.csv -out F.xlsx
//	                             the XLSX yardstick: excelize's StreamWriter
//	                             writing the rows of an exported CSV with no
//	                             database and nothing else around it (cells
//	                             typed as the export types them, a new sheet
//	                             every 1,048,575 rows), streamed from the
//	                             file so the rows never sit in memory at once
package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/xuri/excelize/v2"

	"github.com/xuetang-edu/xuetang/internal/store"
)

func main() {
	printSQL := flag.Bool("print-sql", false, "print the completions export query")
	db := flag.String("db", "", "mysql://... for -print-sql")
	baseline := flag.Bool("xlsx-baseline", false, "write -in (CSV) as XLSX to -out")
	in := flag.String("in", "", "exported CSV")
	out := flag.String("out", "", "XLSX to write")
	flag.Parse()
	var err error
	switch {
	case *printSQL:
		err = sqlOf(*db)
	case *baseline:
		err = xlsxBaseline(*in, *out)
	default:
		err = fmt.Errorf("want -print-sql or -xlsx-baseline")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "exportbench:", err)
		os.Exit(1)
	}
}

func sqlOf(db string) error {
	st, err := store.Open(context.Background(), store.Options{DatabaseURL: db})
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Println(st.CompletionQuery(store.ExportScope{}))
	return nil
}

// numeric columns of a completion row: 学时, active minutes, quiz average.
var numeric = map[int]bool{7: true, 8: true, 9: true}

func xlsxBaseline(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	if _, err := br.Discard(3); err != nil { // the BOM
		return err
	}
	r := csv.NewReader(br)
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return err
	}
	head := make([]any, len(header))
	for i, h := range header {
		head[i] = h
	}
	x := excelize.NewFile(excelize.Options{TmpDir: os.TempDir()})
	defer x.Close()
	sheet, sheets, row := "Sheet1", 1, 0
	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	put := func(cells []any) error {
		row++
		ref, _ := excelize.CoordinatesToCellName(1, row)
		return sw.SetRow(ref, cells)
	}
	if err := put(head); err != nil {
		return err
	}
	cells := make([]any, len(header))
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if row > 1_048_575 {
			if err := sw.Flush(); err != nil {
				return err
			}
			sheets++
			sheet = fmt.Sprintf("Sheet%d", sheets)
			if _, err := x.NewSheet(sheet); err != nil {
				return err
			}
			if sw, err = x.NewStreamWriter(sheet); err != nil {
				return err
			}
			row = 0
			if err := put(head); err != nil {
				return err
			}
		}
		for i, v := range rec {
			cells[i] = v
			if numeric[i] && v != "" {
				if n, err := strconv.ParseFloat(v, 64); err == nil {
					cells[i] = n
				}
			} else if v == "" {
				cells[i] = nil
			}
		}
		if err := put(cells); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return x.SaveAs(out)
}
