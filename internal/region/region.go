// Package region is the GB/T 2260 division tree: the list shipped in the
// binary, updates from newer lists, and lookups for pickers and scopes.
package region

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

//go:embed data/divisions.csv
var shipped embed.FS

// Levels of the tree, as stored and as the API reports them.
const (
	LevelCountry    = 0
	LevelProvince   = 1
	LevelPrefecture = 2
	LevelCounty     = 3
)

// List is a parsed, normalised list of divisions, sorted by code.
type List struct {
	Regions []store.Region
	// Checksum identifies the content, whatever file format it came in.
	Checksum string
}

// Shipped returns the list embedded in the binary.
func Shipped() (List, error) {
	b, err := shipped.ReadFile("data/divisions.csv")
	if err != nil {
		return List{}, err
	}
	return Parse(bytes.NewReader(b))
}

// groupingName reports whether a prefecture-level row is only a statistical
// grouping rather than a place: the 市辖区 and 县 of a municipality, a
// province's directly administered county-level cities. Such rows are
// dropped and their counties hang directly under the province.
func groupingName(name string) bool {
	return name == "市辖区" || name == "县" || strings.HasSuffix(name, "直辖县级行政区划")
}

// Parse reads CSV rows of code,name (further columns ignored, an optional
// header row skipped, a UTF-8 byte-order mark allowed). Codes of 2, 4 or 6
// digits are padded to six; 12-digit statistics codes ending in 000000 are
// cut to six. Parents are derived from the codes.
func Parse(r io.Reader) (List, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	names := map[string]string{}
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return List{}, errs.Wrap(errs.Invalid, "error.regions_file", err).With("line", line).With("reason", err.Error())
		}
		if line == 1 && len(rec) > 0 {
			rec[0] = strings.TrimPrefix(rec[0], "\uFEFF")
		}
		if len(rec) == 0 || (len(rec) == 1 && strings.TrimSpace(rec[0]) == "") {
			continue
		}
		code := strings.TrimSpace(rec[0])
		if line == 1 && !allDigits(code) {
			continue // header
		}
		bad := func(reason string) error {
			return errs.New(errs.Invalid, "error.regions_file").With("line", line).With("reason", reason)
		}
		if len(rec) < 2 {
			return List{}, bad("want code,name")
		}
		code, ok := sixDigits(code)
		if !ok {
			return List{}, bad(fmt.Sprintf("code %q is not 2, 4 or 6 digits", rec[0]))
		}
		name := strings.TrimSpace(rec[1])
		if name == "" || utf8.RuneCountInString(name) > 100 || !utf8.ValidString(name) {
			return List{}, bad(fmt.Sprintf("name of %s is empty, too long or not UTF-8", code))
		}
		if code == store.CountryCode {
			continue
		}
		if was, dup := names[code]; dup && was != name {
			return List{}, bad(fmt.Sprintf("code %s is both %s and %s", code, was, name))
		}
		names[code] = name
	}
	return build(names)
}

// build derives the tree: provinces under the country, prefectures under
// their province, counties under their prefecture or, when that is a
// grouping or absent, their province.
func build(names map[string]string) (List, error) {
	kept := func(code string) bool {
		n, ok := names[code]
		return ok && !(store.RegionLevel(code) == LevelPrefecture && groupingName(n))
	}
	codes := make([]string, 0, len(names))
	for c := range names {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	out := make([]store.Region, 0, len(codes))
	h := sha256.New()
	for _, c := range codes {
		if !kept(c) {
			continue
		}
		lvl := store.RegionLevel(c)
		var parent string
		switch lvl {
		case LevelProvince:
			parent = store.CountryCode
		case LevelPrefecture:
			parent = c[:2] + "0000"
		default:
			parent = c[:4] + "00"
			if !kept(parent) {
				parent = c[:2] + "0000"
			}
		}
		if lvl != LevelProvince && !kept(parent) {
			return List{}, errs.New(errs.Invalid, "error.regions_file").With("line", 0).
				With("reason", fmt.Sprintf("%s %s has no province %s in the file", c, names[c], c[:2]+"0000"))
		}
		p := parent
		out = append(out, store.Region{Code: c, Name: names[c], ParentCode: &p, Level: lvl})
		fmt.Fprintf(h, "%s,%s,%s\n", c, names[c], parent)
	}
	if len(out) == 0 {
		return List{}, errs.New(errs.Invalid, "error.regions_file").With("line", 0).With("reason", "no divisions")
	}
	return List{Regions: out, Checksum: hex.EncodeToString(h.Sum(nil))}, nil
}

func sixDigits(code string) (string, bool) {
	if !allDigits(code) {
		return "", false
	}
	switch len(code) {
	case 2, 4, 6:
		return code + strings.Repeat("0", 6-len(code)), true
	case 12:
		if code[6:] == "000000" {
			return code[:6], true
		}
	}
	return "", false
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// ValidCode reports whether s has the shape of a six-digit code.
func ValidCode(s string) bool { return len(s) == 6 && allDigits(s) }
