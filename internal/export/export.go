// Package export writes completion records and indicator tables as CSV or
// XLSX, row by row from the database to the file, from the command line or
// as background jobs started in the browser.
package export

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/sheet"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Kinds of export.
const (
	KindCompletions = "completions"
	KindIndicators  = "indicators"
)

// Formats of export.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
)

// Languages the headers can be in.
var Languages = []string{"zh-CN", "en"}

// Translator gives catalog text (i18n.Catalog).
type Translator interface {
	T(lang, key string, args map[string]any) string
}

// columns are the catalog keys of each kind's headers, in order.
var columns = map[string][]string{
	KindCompletions: {"export.col.region", "export.col.institution", "export.col.username", "export.col.display_name",
		"export.col.course", "export.col.enrolled", "export.col.completed", "export.col.hours_credited",
		"export.col.active_minutes", "export.col.quiz_average", "export.col.certificate"},
	KindIndicators: {"export.col.region", "export.col.institution", "export.col.learners", "export.col.enrolled_count",
		"export.col.completed_count", "export.col.completion_rate", "export.col.certificates", "export.col.hours_credited"},
}

// Header is a kind's header row in lang.
func Header(t Translator, kind, lang string) []string {
	keys := columns[kind]
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = t.T(lang, k, nil)
	}
	return out
}

// Filters are what an admin asks for; every field may be empty.
type Filters struct {
	Region      string `json:"region,omitempty"`
	Institution string `json:"institution,omitempty"`
	Course      string `json:"course,omitempty"`
	From        string `json:"from,omitempty"` // YYYY-MM-DD, inclusive
	To          string `json:"to,omitempty"`   // YYYY-MM-DD, inclusive
}

// Request is one export asked for.
type Request struct {
	Kind, Format, Lang string
	Filters            Filters
}

// Actor is who exports, and from where (for the audit log).
type Actor struct {
	account.Principal
	IP string
}

// CLI exports from the command line: an administrator with no account.
var CLI = Actor{Principal: account.Principal{Role: account.RoleAdmin}}

// Lookup is what resolving filters needs from the database.
type Lookup interface {
	RegionByCode(ctx context.Context, code string) (*store.Region, error)
	InstitutionByCode(ctx context.Context, code string) (*store.Institution, error)
	CourseBySlug(ctx context.Context, slug string) (*store.Course, *store.CourseVersion, error)
}

var errForbidden = errs.New(errs.Forbidden, "error.forbidden")

// MayExport reports whether a principal may export at all: admins, region
// admins with a region and institution admins with an institution.
func MayExport(p account.Principal) bool {
	switch p.Role {
	case account.RoleAdmin:
		return true
	case account.RoleRegionAdmin:
		return p.RegionCode != ""
	case account.RoleInstitutionAdmin:
		return p.InstitutionID != 0
	}
	return false
}

// plan is a checked request: the scope it reads and where that scope
// stands, for the audit entry.
type plan struct {
	Request
	Scope store.ExportScope
	// TargetInstitutionID and TargetRegion place the data exported, so a
	// region admin finds exports of their region in their audit view.
	TargetInstitutionID int64
	TargetRegion        string
}

func (r *Request) normalise() error {
	r.Kind = strings.TrimSpace(r.Kind)
	if r.Kind == "" {
		r.Kind = KindCompletions
	}
	if _, ok := columns[r.Kind]; !ok {
		return errs.New(errs.Invalid, "export.error_kind").With("field", "kind")
	}
	r.Format = strings.ToLower(strings.TrimSpace(r.Format))
	if r.Format == "" {
		r.Format = FormatCSV
	}
	if r.Format != FormatCSV && r.Format != FormatXLSX {
		return errs.New(errs.Invalid, "export.error_format").With("field", "format")
	}
	if r.Lang == "" {
		r.Lang = "zh-CN"
	}
	if !slices.Contains(Languages, r.Lang) {
		return errs.New(errs.Invalid, "export.error_lang").With("field", "lang")
	}
	f := &r.Filters
	for _, p := range []*string{&f.Region, &f.Institution, &f.Course, &f.From, &f.To} {
		*p = strings.TrimSpace(*p)
	}
	return nil
}

// resolve checks a request against the actor's scope. Out-of-scope filters
// get the answers the other admin APIs give: an institution outside the
// scope is "unknown" (404, like an import's), so codes cannot be probed; a
// region outside it is 403 (region codes are public).
func resolve(ctx context.Context, db Lookup, a Actor, r Request, loc *time.Location) (plan, error) {
	if !MayExport(a.Principal) {
		return plan{}, errForbidden
	}
	if err := r.normalise(); err != nil {
		return plan{}, err
	}
	p := plan{Request: r}
	f := r.Filters
	var err error
	if p.Scope.From, err = parseDay("from", f.From, loc); err != nil {
		return plan{}, err
	}
	if p.Scope.To, err = parseDay("to", f.To, loc); err != nil {
		return plan{}, err
	}
	if !p.Scope.To.IsZero() {
		p.Scope.To = p.Scope.To.AddDate(0, 0, 1) // inclusive: up to the end of that day
		if !p.Scope.From.IsZero() && !p.Scope.To.After(p.Scope.From) {
			return plan{}, errs.New(errs.Invalid, "export.error_dates_order").With("field", "to")
		}
	}
	// The actor's own limit.
	switch a.Role {
	case account.RoleRegionAdmin:
		if prefix := account.RegionPrefix(a.RegionCode); prefix != "" {
			p.Scope.RegionPrefixes = append(p.Scope.RegionPrefixes, prefix)
		}
		p.TargetRegion = a.RegionCode
	case account.RoleInstitutionAdmin:
		p.Scope.InstitutionID, p.TargetInstitutionID, p.TargetRegion = a.InstitutionID, a.InstitutionID, a.RegionCode
	}
	if f.Region != "" {
		if len(f.Region) != 6 || strings.Trim(f.Region, "0123456789") != "" {
			return plan{}, errs.New(errs.Invalid, "error.region_invalid").With("field", "region")
		}
		if !a.Scope().All && !regionWithin(f.Region, a) {
			return plan{}, errs.New(errs.Forbidden, "error.region_out_of_scope").With("field", "region")
		}
		if _, err := db.RegionByCode(ctx, f.Region); errors.Is(err, errs.ErrNotFound) {
			return plan{}, errs.New(errs.Invalid, "error.region_unknown").With("code", f.Region).With("field", "region")
		} else if err != nil {
			return plan{}, err
		}
		if prefix := account.RegionPrefix(f.Region); prefix != "" {
			p.Scope.RegionPrefixes = append(p.Scope.RegionPrefixes, prefix)
		}
		p.TargetRegion = f.Region
	}
	if f.Institution != "" {
		in, err := db.InstitutionByCode(ctx, f.Institution)
		if in, err = a.VisibleInstitution(f.Institution, in, err); err != nil {
			return plan{}, err
		}
		p.Scope.InstitutionID, p.TargetInstitutionID, p.TargetRegion = in.ID, in.ID, in.RegionCode
	}
	if f.Course != "" {
		c, _, err := db.CourseBySlug(ctx, f.Course)
		if errors.Is(err, errs.ErrNotFound) {
			return plan{}, errs.New(errs.NotFound, "error.course_not_found").With("field", "course")
		}
		if err != nil {
			return plan{}, err
		}
		p.Scope.CourseID = c.ID
	}
	return p, nil
}

// regionWithin reports whether a region filter lies inside what a region
// or institution admin may read. An institution admin may name their
// institution's region or any region containing it (the export is still
// only their institution).
func regionWithin(code string, a Actor) bool {
	switch a.Role {
	case account.RoleRegionAdmin:
		return strings.HasPrefix(code, account.RegionPrefix(a.RegionCode))
	case account.RoleInstitutionAdmin:
		return a.RegionCode != "" && strings.HasPrefix(a.RegionCode, account.RegionPrefix(code))
	}
	return false
}

func parseDay(field, v string, loc *time.Location) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	d, err := time.ParseInLocation("2006-01-02", v, loc)
	if err != nil {
		return time.Time{}, errs.New(errs.Invalid, "error.date_invalid").With("field", field)
	}
	return d, nil
}

// Source is what writing an export reads.
type Source interface {
	CountCompletions(ctx context.Context, sc store.ExportScope) (int64, error)
	EachCompletion(ctx context.Context, sc store.ExportScope, fn func(*store.CompletionRow) error) error
	CountIndicators(ctx context.Context, sc store.ExportScope) (int64, error)
	EachIndicator(ctx context.Context, sc store.ExportScope, fn func(*store.IndicatorRow) error) error
}

// Options shape the file.
type Options struct {
	Translator Translator
	Location   *time.Location // dates in the deployment's time zone
	// SheetRows caps data rows per XLSX sheet (sheet.MaxSheetRows when 0).
	SheetRows int
	// TmpDir holds an XLSX's spill files.
	TmpDir string
	// Progress, when set, hears of rows written (estimate first, with done 0).
	Progress func(done, estimated int64)
}

// count estimates a plan's rows.
func count(ctx context.Context, src Source, p plan) (int64, error) {
	if p.Kind == KindIndicators {
		return src.CountIndicators(ctx, p.Scope)
	}
	return src.CountCompletions(ctx, p.Scope)
}

// write streams a plan's rows to w and returns how many data rows it wrote.
func write(ctx context.Context, src Source, p plan, w io.Writer, o Options) (int64, error) {
	header := Header(o.Translator, p.Kind, p.Lang)
	var out sheet.Writer
	var err error
	if p.Format == FormatXLSX {
		out, err = sheet.NewXLSX(w, header, o.Translator.T(p.Lang, "export.sheet."+p.Kind, nil), o.SheetRows, o.TmpDir)
	} else {
		out, err = sheet.NewCSV(w, header)
	}
	if err != nil {
		return 0, err
	}
	closed := false
	defer func() {
		if !closed {
			_ = out.Close() // releases an XLSX's spill files; the caller drops the file
		}
	}()
	var n int64
	cells := make([]any, len(header))
	emit := func() error {
		if err := out.WriteRow(cells); err != nil {
			return err
		}
		n++
		if o.Progress != nil && n%1000 == 0 {
			o.Progress(n, -1)
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return nil
	}
	loc := o.Location
	if p.Kind == KindIndicators {
		err = src.EachIndicator(ctx, p.Scope, func(r *store.IndicatorRow) error {
			indicatorCells(cells, r)
			return emit()
		})
	} else {
		err = src.EachCompletion(ctx, p.Scope, func(r *store.CompletionRow) error {
			completionCells(cells, r, loc)
			return emit()
		})
	}
	if err != nil {
		return n, err
	}
	closed = true
	if err := out.Close(); err != nil {
		return n, err
	}
	if o.Progress != nil {
		o.Progress(n, -1)
	}
	return n, nil
}

const timeLayout = "2006-01-02 15:04"

func completionCells(c []any, r *store.CompletionRow, loc *time.Location) {
	c[0] = place(r.RegionCode, r.RegionName)
	c[1] = r.InstitutionName
	c[2] = r.Username
	c[3] = r.DisplayName
	c[4] = r.CourseTitle
	c[5] = r.EnrolledAt.In(loc).Format(timeLayout)
	c[6] = ""
	if r.CompletedAt != nil {
		c[6] = r.CompletedAt.In(loc).Format(timeLayout)
	}
	c[7] = r.HoursCredited
	c[8] = r.ActiveSeconds / 60
	c[9] = nil
	if r.QuizAverage != nil {
		c[9] = math.Round(*r.QuizAverage*10) / 10
	}
	c[10] = r.CertificateSerial
}

// place names a region by code and name: names repeat across the country
// (many a 朝阳区), codes do not, and people read names.
func place(code, name string) string {
	switch {
	case code == "":
		return ""
	case name == "":
		return code
	}
	return code + " " + name
}

func indicatorCells(c []any, r *store.IndicatorRow) {
	c[0] = place(r.RegionCode, r.RegionName)
	c[1] = r.InstitutionName
	c[2] = r.Learners
	c[3] = r.Enrolled
	c[4] = r.Completed
	c[5] = nil
	if r.Enrolled > 0 {
		c[5] = math.Round(float64(r.Completed)/float64(r.Enrolled)*1000) / 1000
	}
	c[6] = r.Certificates
	c[7] = r.HoursCredited
}

// auditEntry records a finished export: who, what was asked, what scope it
// read and how many rows left the system.
func auditEntry(a Actor, p plan, jobID string, rows int64) *store.AuditEntry {
	d := map[string]any{"kind": p.Kind, "format": p.Format, "filters": p.Filters, "scope": scopeText(a), "rows": rows}
	target := "export:" + jobID
	if jobID == "" {
		target = "export:cli"
	} else {
		d["job"] = jobID
	}
	detail, _ := json.Marshal(d)
	e := a.AuditEntry("export."+p.Kind, target, a.IP, string(detail))
	if p.TargetInstitutionID != 0 {
		id := p.TargetInstitutionID
		e.TargetInstitutionID = &id
	}
	if p.TargetRegion != "" {
		rc := p.TargetRegion
		e.TargetRegionCode = &rc
	}
	return e
}

func scopeText(a Actor) string {
	sc := a.Scope()
	switch {
	case sc.All:
		return "all"
	case sc.RegionPrefix != "":
		return "region:" + a.RegionCode
	case sc.InstitutionID != 0:
		return "institution:" + itoa(sc.InstitutionID)
	}
	return "none"
}
