package roster_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/roster"
)

var (
	today     = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	instAdmin = account.Principal{UserID: 7, Role: account.RoleInstitutionAdmin, InstitutionID: 1, RegionCode: "510104"}
	atCdLib   = roster.Target{InstitutionID: 1, InstitutionCode: "cd-lib", RegionCode: "510104"}
)

// A roster as a Chinese office writes it: Chinese headers, a child with a
// guardian, a teacher, a generated password.
const chineseRoster = "用户名,姓名,角色,出生年份,班级,初始密码,监护人,监护人同意日期\r\n" +
	"wangfang,王芳,学员,1958,周二班,,,\r\n" +
	"liming,李明,教师,1980,,lm-secret-2026,,\r\n" +
	"xiaohong,小红,,2015,周二班,,张丽,2026年2月1日\r\n"

func check(t *testing.T, name string, data []byte) *roster.Plan {
	t.Helper()
	tb, err := roster.Read(name, data)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return roster.Check(tb, instAdmin, atCdLib, today)
}

func gbk(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGBKAndUTF8BOMGiveTheSamePreview(t *testing.T) {
	withBOM := append([]byte{0xEF, 0xBB, 0xBF}, chineseRoster...)
	a, b := check(t, "名单.csv", withBOM), check(t, "名单.csv", gbk(t, chineseRoster))
	if len(a.Problems) != 0 || len(a.People) != 3 {
		t.Fatalf("UTF-8 roster: %d people, problems %v", len(a.People), a.Problems)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("GBK preview differs from UTF-8:\n utf-8 %+v\n gbk   %+v", a, b)
	}
	if got := a.People[2]; got.DisplayName != "小红" || got.Class != "周二班" || got.GuardianName != "张丽" || got.ConsentDate != "2026-02-01" {
		t.Errorf("third person = %+v", got)
	}
	if a.People[1].Role != account.RoleTeacher || a.People[0].Role != account.RoleLearner || a.People[2].Role != account.RoleLearner {
		t.Errorf("roles = %s %s %s", a.People[0].Role, a.People[1].Role, a.People[2].Role)
	}
}

func TestEncodingsDetected(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"utf-8", []byte("用户名\nzhang\n"), "utf-8"},
		{"utf-8 bom", []byte("\xEF\xBB\xBF用户名\nzhang\n"), "utf-8"},
		{"gbk", gbk(t, "用户名\nzhang\n"), "gb18030"},
		{"utf-16le bom", []byte("\xFF\xFEu\x00s\x00e\x00r\x00n\x00a\x00m\x00e\x00\n\x00z\x00h\x00\n\x00"), "utf-16"},
	} {
		tb, err := roster.Read("f.csv", tc.data)
		if err != nil || tb.Encoding != tc.want {
			t.Errorf("%s: encoding %v, %v; want %s", tc.name, tb, err, tc.want)
		}
	}
}

// Bytes that are neither UTF-8 nor GB18030 are refused, not shown as
// mojibake: Latin-1 "café" ends in a GB lead byte with no trail, a lead
// byte before a space or a lone 0xFF is never GB18030, and a NUL is no
// roster's text.
func TestBadEncodingRefused(t *testing.T) {
	for name, data := range map[string][]byte{
		"latin-1":             []byte("username\ncaf\xE9\n"),
		"lead byte, no trail": []byte("username\nab\x81 cd\n"),
		"0xFF":                []byte("username\n\xFFzhang\n"),
		"binary":              {0x00, 0x01, 0x02, 'a', '\n'},
		"bom then gbk":        append([]byte{0xEF, 0xBB, 0xBF}, gbk(t, "用户名\n张\n")...),
	} {
		_, err := roster.Read("f.csv", data)
		if e := errs.As(err); err == nil || e.Key != "error.import_bad_encoding" {
			t.Errorf("%s: err = %v, want error.import_bad_encoding", name, err)
		}
	}
}

func problemsOf(p *roster.Plan) []string {
	var out []string
	for _, pr := range p.Problems {
		out = append(out, fmt.Sprintf("%d %s %s", pr.Row, pr.Column, pr.Key))
	}
	return out
}

func TestEveryProblemByRowAndColumn(t *testing.T) {
	long := strings.Repeat("长", 101)
	file := "username,display_name,role,birth_year,class,password,guardian_name,guardian_consent_date\n" +
		"ok-one,,,,,,,\n" + // row 2: fine
		"OK-One,,,,,,,\n" + // row 3: duplicate of row 2 after normalising
		"boss,,institution_admin,,,,,\n" + // row 4: not for an institution admin
		"old,,,1850,,,,\n" + // row 5: birth year out of range
		"kid,,,2014,,,,\n" + // row 6: under 14, no guardian
		"kid2,,,2020,,,王,2026-02-30\n" + // row 7: no such date
		"longname," + long + ",,,,,,\n" + // row 8: display name too long
		",nobody,,,,,,\n" + // row 9: no username
		"weak,,,,,123,,\n" + // row 10: password too short
		"wizard,,wizard,,,,,\n" + // row 11: unknown role
		"a b,,,,,,,\n" + // row 12: not a username
		",,,,,,,\n" + // blank: skipped, keeps its number
		"tomorrow,,,2019,,,王,2026-03-03\n" + // row 14: consent in the future
		"fine-kid,,,2012,,,王,2025/9/1\n" // row 15: fine (born 2012, guardian given)
	p := check(t, "f.csv", []byte(file))
	want := []string{
		"3 username import.duplicate",
		"4 role import.role_not_allowed",
		"5 birth_year import.birth_year_invalid",
		"6 guardian_name import.guardian_required",
		"6 guardian_consent_date import.guardian_required",
		"7 guardian_consent_date import.date_invalid",
		"8 display_name import.too_long",
		"9 username import.required",
		"10 password error.password_length",
		"11 role import.role_unknown",
		"12 username error.username_invalid",
		"14 guardian_consent_date import.date_future",
	}
	if got := problemsOf(p); !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n got  %q\n want %q", got, want)
	}
	if p.Rows != 13 {
		t.Errorf("rows = %d, want 13 (the blank row is not a person)", p.Rows)
	}
	if len(p.People) != 2 || p.People[0].Username != "ok-one" || p.People[1].Username != "fine-kid" {
		t.Errorf("people = %+v", p.People)
	}
}

func TestHeaderProblems(t *testing.T) {
	p := check(t, "f.csv", []byte("姓名,shoe_size\n王芳,42\n"))
	want := []string{"1 shoe_size import.column_unknown", "1 username import.column_missing"}
	if got := problemsOf(p); !reflect.DeepEqual(got, want) {
		t.Errorf("problems %q, want %q", got, want)
	}
}

func TestRolesByActor(t *testing.T) {
	file := []byte("username,role\na1,learner\na2,teacher\na3,institution_admin\na4,region_admin\na5,admin\n")
	for _, tc := range []struct {
		actor   string
		allowed int
	}{
		{account.RoleInstitutionAdmin, 2}, {account.RoleRegionAdmin, 3}, {account.RoleAdmin, 5},
	} {
		tb, _ := roster.Read("f.csv", file)
		p := roster.Check(tb, account.Principal{UserID: 1, Role: tc.actor}, atCdLib, today)
		if len(p.People) != tc.allowed {
			t.Errorf("%s may create %d of the five roles, want %d: %v", tc.actor, len(p.People), tc.allowed, problemsOf(p))
		}
	}
	if roster.CanImport(account.Principal{Role: account.RoleTeacher}) || roster.CanImport(account.Principal{Role: account.RoleLearner}) {
		t.Error("teachers and learners may import")
	}
}

// Cells that look like formulas are names like any other: stored as the
// text written, never evaluated.
func TestFormulaCellsAreText(t *testing.T) {
	p := check(t, "f.csv", []byte("username,display_name\nf1,=1+1\nf2,@SUM(A1:A2)\nf3,+86 138\n"))
	if len(p.Problems) != 0 {
		t.Fatal(p.Problems)
	}
	for i, want := range []string{"=1+1", "@SUM(A1:A2)", "+86 138"} {
		if p.People[i].DisplayName != want {
			t.Errorf("row %d display name %q, want %q", i+2, p.People[i].DisplayName, want)
		}
	}

	f := excelize.NewFile()
	_ = f.SetSheetRow("Sheet1", "A1", &[]any{"username", "display_name", "birth_year", "guardian_name", "guardian_consent_date"})
	_ = f.SetSheetRow("Sheet1", "A2", &[]any{"x1", "", 1960})
	if err := f.SetCellFormula("Sheet1", "B2", "1+1"); err != nil {
		t.Fatal(err)
	}
	// A date cell arrives as Excel's serial number (46023 = 2026-01-01).
	_ = f.SetSheetRow("Sheet1", "A3", &[]any{"x2", "@SUM", 2016, "王", 46023})
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	p = check(t, "名单.xlsx", buf.Bytes())
	if len(p.Problems) != 0 || len(p.People) != 2 {
		t.Fatalf("workbook: %v, %+v", problemsOf(p), p.People)
	}
	if p.People[0].DisplayName != "=1+1" || p.People[1].DisplayName != "@SUM" || p.People[0].BirthYear != 1960 {
		t.Errorf("workbook people = %+v", p.People)
	}
	if p.People[1].ConsentDate != "2026-01-01" {
		t.Errorf("serial date read as %q", p.People[1].ConsentDate)
	}
}

func zipOf(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWorkbookBombAndNonWorkbookRefused(t *testing.T) {
	// 200 MB of zeros deflate to about 200 KB: a bomb for anything that
	// unzips it to look inside.
	bomb := zipOf(t, map[string][]byte{"[Content_Types].xml": []byte("<Types/>"), "xl/workbook.xml": []byte("<workbook/>"),
		"xl/worksheets/sheet1.xml": make([]byte, 200<<20)})
	if len(bomb) > 1<<20 {
		t.Fatalf("bomb is %d bytes, not small", len(bomb))
	}
	for _, tc := range []struct {
		name, file string
		data       []byte
		key        string
	}{
		{"bomb", "roster.xlsx", bomb, "error.import_workbook_too_large"},
		{"zip of photos", "roster.xlsx", zipOf(t, map[string][]byte{"photo.jpg": []byte("jpeg")}), "error.import_not_workbook"},
		{"text named xlsx", "roster.xlsx", []byte("username\nzhang\n"), "error.import_not_workbook"},
		{"old xls", "roster.xls", []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, "error.import_not_workbook"},
		{"broken workbook", "roster.xlsx", zipOf(t, map[string][]byte{"xl/workbook.xml": []byte("<not")}), "error.import_not_workbook"},
	} {
		_, err := roster.Read(tc.file, tc.data)
		if e := errs.As(err); err == nil || e.Key != tc.key || e.Code != errs.Invalid {
			t.Errorf("%s: err = %v, want %s", tc.name, err, tc.key)
		}
	}
}

func TestOneBadRowIn5000IsNamed(t *testing.T) {
	var b strings.Builder
	b.WriteString("username,birth_year\n")
	for i := range 5000 {
		year := "1970"
		if i == 3456 {
			year = "19x0"
		}
		fmt.Fprintf(&b, "person-%04d,%s\n", i, year)
	}
	p := check(t, "f.csv", []byte(b.String()))
	if got := problemsOf(p); !reflect.DeepEqual(got, []string{"3458 birth_year import.birth_year_invalid"}) {
		t.Errorf("problems = %q", got)
	}
}

func TestTooManyRows(t *testing.T) {
	var b strings.Builder
	b.WriteString("username\n")
	for i := range roster.MaxRows + 1 {
		fmt.Fprintf(&b, "p%d\n", i)
	}
	if _, err := roster.Read("f.csv", []byte(b.String())); errs.As(err).Key != "error.import_too_many_rows" {
		t.Errorf("10,001 rows: %v", err)
	}
}

func TestOneTimePassword(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		pw, err := roster.OneTimePassword()
		if err != nil || len(pw) != 10 || account.ValidatePassword(pw) != nil || strings.ContainsAny(pw, "01lIoO") || seen[pw] {
			t.Fatalf("one-time password %q, %v", pw, err)
		}
		seen[pw] = true
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte(chineseRoster))
	f.Add([]byte("username\n\"a,b\n"))
	f.Add([]byte("\xEF\xBB\xBFusername\tdisplay_name\nx\ty\n"))
	f.Add([]byte("\xFF\xFEu\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tb, err := roster.Read("f.csv", data)
		if err != nil {
			if errs.CodeOf(err) != errs.Invalid {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		p := roster.Check(tb, account.Principal{UserID: 1, Role: account.RoleAdmin}, atCdLib, today)
		for _, pr := range p.Problems {
			if pr.Row < 1 || pr.Key == "" {
				t.Fatalf("problem without a place: %+v", pr)
			}
		}
		seen := map[string]bool{}
		for _, person := range p.People {
			if seen[person.Username] || person.Username == "" || person.Row < 2 {
				t.Fatalf("person %+v passed twice or without a name or row", person)
			}
			seen[person.Username] = true
		}
	})
}
