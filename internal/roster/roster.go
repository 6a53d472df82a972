package roster

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/errs"
)

// Canonical column names, as the API reports them.
const (
	ColUsername     = "username"
	ColDisplayName  = "display_name"
	ColRole         = "role"
	ColBirthYear    = "birth_year"
	ColClass        = "class"
	ColPassword     = "password"
	ColGuardianName = "guardian_name"
	ColConsentDate  = "guardian_consent_date"
)

// headerNames maps what a header cell may say (lower-cased, spaces and
// underscores removed) to the canonical column.
var headerNames = map[string]string{}

func init() {
	for col, aliases := range map[string][]string{
		ColUsername:     {"username", "用户名", "账号", "帐号"},
		ColDisplayName:  {"display_name", "姓名", "显示名"},
		ColRole:         {"role", "角色"},
		ColBirthYear:    {"birth_year", "出生年份", "出生年"},
		ColClass:        {"class", "班级"},
		ColPassword:     {"password", "初始密码", "密码"},
		ColGuardianName: {"guardian_name", "监护人", "监护人姓名"},
		ColConsentDate:  {"guardian_consent_date", "监护人同意日期"},
	} {
		for _, a := range aliases {
			headerNames[headerKey(a)] = col
		}
	}
}

func headerKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.NewReplacer(" ", "", "_", "", "-", "", "\u3000", "").Replace(s)
}

// roleNames accepts the stored role names and the words an office writes.
var roleNames = map[string]string{
	"learner": account.RoleLearner, "学员": account.RoleLearner, "学习者": account.RoleLearner, "学生": account.RoleLearner,
	"teacher": account.RoleTeacher, "教师": account.RoleTeacher, "老师": account.RoleTeacher,
	"institution_admin": account.RoleInstitutionAdmin, "机构管理员": account.RoleInstitutionAdmin,
	"region_admin": account.RoleRegionAdmin, "地区管理员": account.RoleRegionAdmin, "区域管理员": account.RoleRegionAdmin,
	"admin": account.RoleAdmin, "管理员": account.RoleAdmin, "系统管理员": account.RoleAdmin,
}

// Field limits, the same as the users table's columns.
const (
	maxUsernameRunes = 64
	maxNameRunes     = 100
	minBirthYear     = 1900
)

// Problem is one fault in the file: where (row as a spreadsheet numbers
// it, canonical column) and what (a catalog key and its arguments).
type Problem struct {
	Row    int
	Column string
	Key    string
	Args   map[string]any
}

// Person is a checked row, ready to become an account.
type Person struct {
	Row          int
	Username     string // normalised
	DisplayName  string
	Role         string
	BirthYear    int    // 0: not given
	Class        string // class name at the institution, "" for none
	Password     string // "" when one is to be generated
	GuardianName string
	ConsentDate  string // YYYY-MM-DD, "" when not given
}

// Target is where the imported people go: one institution, or none (an
// admin importing people who belong to no institution).
type Target struct {
	InstitutionID   int64
	InstitutionCode string
	RegionCode      string // the institution's region
}

// Plan is a checked file.
type Plan struct {
	Rows     int // data rows read
	People   []Person
	Problems []Problem
}

// AllowedRoles says which roles actor may create by import: teachers
// learners of their institution (into their classes); institution admins
// their learners and teachers; region admins also institution admins of
// their region; admins anyone.
func AllowedRoles(actor account.Principal) []string {
	switch actor.Role {
	case account.RoleAdmin:
		return account.Roles
	case account.RoleRegionAdmin:
		return []string{account.RoleLearner, account.RoleTeacher, account.RoleInstitutionAdmin}
	case account.RoleInstitutionAdmin:
		return []string{account.RoleLearner, account.RoleTeacher}
	case account.RoleTeacher:
		if actor.InstitutionID != 0 {
			return []string{account.RoleLearner}
		}
	}
	return nil
}

// CanImport reports whether the actor may import at all.
func CanImport(actor account.Principal) bool { return len(AllowedRoles(actor)) > 0 }

// Check reads every row and lists every problem; today gives the current
// year for birth years and the latest allowed consent date.
func Check(t *Table, actor account.Principal, target Target, today time.Time) *Plan {
	p := &Plan{Rows: len(t.Rows)}
	cols := map[string]int{}
	for i, h := range t.Header {
		if h == "" {
			continue
		}
		col, ok := headerNames[headerKey(h)]
		if !ok {
			p.Problems = append(p.Problems, Problem{Row: 1, Column: h, Key: "import.column_unknown", Args: map[string]any{"name": h}})
			continue
		}
		if _, dup := cols[col]; dup {
			p.Problems = append(p.Problems, Problem{Row: 1, Column: col, Key: "import.column_twice"})
			continue
		}
		cols[col] = i
	}
	if _, ok := cols[ColUsername]; !ok {
		p.Problems = append(p.Problems, Problem{Row: 1, Column: ColUsername, Key: "import.column_missing"})
	}
	if len(p.Problems) > 0 {
		return p
	}
	allowed := AllowedRoles(actor)
	seen := make(map[string]int, len(t.Rows))
	for _, rec := range t.Rows {
		cell := func(col string) string {
			if i, ok := cols[col]; ok && i < len(rec.Cells) {
				return rec.Cells[i]
			}
			return ""
		}
		bad := func(col, key string, args ...any) {
			pr := Problem{Row: rec.Row, Column: col, Key: key}
			if len(args) > 0 {
				pr.Args = map[string]any{}
				for i := 0; i+1 < len(args); i += 2 {
					pr.Args[args[i].(string)] = args[i+1]
				}
			}
			p.Problems = append(p.Problems, pr)
		}
		before := len(p.Problems)
		person := Person{Row: rec.Row}

		raw := cell(ColUsername)
		person.Username = account.NormalizeUsername(raw)
		switch {
		case person.Username == "":
			bad(ColUsername, "import.required")
		case utf8.RuneCountInString(person.Username) > maxUsernameRunes:
			bad(ColUsername, "import.too_long", "max", maxUsernameRunes)
		case !validUsername(person.Username):
			bad(ColUsername, "error.username_invalid")
		default:
			if first, dup := seen[person.Username]; dup {
				bad(ColUsername, "import.duplicate", "row", first)
			} else {
				seen[person.Username] = rec.Row
			}
		}

		person.DisplayName = cell(ColDisplayName)
		if person.DisplayName == "" {
			person.DisplayName = person.Username
		}
		if utf8.RuneCountInString(person.DisplayName) > maxNameRunes {
			bad(ColDisplayName, "import.too_long", "max", maxNameRunes)
		}

		person.Role = account.RoleLearner
		if r := cell(ColRole); r != "" {
			role, ok := roleNames[strings.ToLower(r)]
			switch {
			case !ok:
				bad(ColRole, "import.role_unknown", "role", r)
			case !contains(allowed, role):
				bad(ColRole, "import.role_not_allowed", "role", role)
			case target.InstitutionID == 0 && (role == account.RoleInstitutionAdmin || role == account.RoleRegionAdmin):
				bad(ColRole, "import.role_needs_institution", "role", role)
			}
			person.Role = role
		}

		if s := cell(ColBirthYear); s != "" {
			y, err := strconv.Atoi(strings.TrimSuffix(s, ".0"))
			if err != nil || y < minBirthYear || y > today.Year() {
				bad(ColBirthYear, "import.birth_year_invalid", "min", minBirthYear, "max", today.Year())
			} else {
				person.BirthYear = y
			}
		}

		person.Class = cell(ColClass)
		switch {
		case person.Class != "" && utf8.RuneCountInString(person.Class) > maxNameRunes:
			bad(ColClass, "import.too_long", "max", maxNameRunes)
		case person.Class != "" && target.InstitutionID == 0:
			bad(ColClass, "import.class_needs_institution")
		}

		person.Password = cell(ColPassword)
		if person.Password != "" {
			if err := account.ValidatePassword(person.Password); err != nil {
				e := errs.As(err)
				args := []any{}
				for k, v := range e.Args {
					if k != "field" {
						args = append(args, k, v)
					}
				}
				bad(ColPassword, e.Key, args...)
			}
		}

		person.GuardianName = cell(ColGuardianName)
		if utf8.RuneCountInString(person.GuardianName) > maxNameRunes {
			bad(ColGuardianName, "import.too_long", "max", maxNameRunes)
		}
		if s := cell(ColConsentDate); s != "" {
			d, ok := parseDate(s, t.Workbook)
			switch {
			case !ok:
				bad(ColConsentDate, "import.date_invalid")
			case d.After(today):
				bad(ColConsentDate, "import.date_future")
			case person.BirthYear != 0 && d.Year() < person.BirthYear:
				bad(ColConsentDate, "import.date_before_birth")
			default:
				person.ConsentDate = d.Format(time.DateOnly)
			}
		}
		if account.NeedsGuardian(person.BirthYear, today) {
			if person.GuardianName == "" {
				bad(ColGuardianName, "import.guardian_required", "age", account.GuardianAge)
			}
			if cell(ColConsentDate) == "" {
				bad(ColConsentDate, "import.guardian_required", "age", account.GuardianAge)
			}
		}
		if len(p.Problems) == before {
			p.People = append(p.People, person)
		}
	}
	sortProblems(p.Problems)
	return p
}

// AddTaken reports usernames that already have an account, at the row of
// each.
func (p *Plan) AddTaken(taken map[string]bool) {
	if len(taken) == 0 {
		return
	}
	kept := p.People[:0]
	for _, person := range p.People {
		if taken[person.Username] {
			p.Problems = append(p.Problems, Problem{Row: person.Row, Column: ColUsername, Key: "error.username_taken"})
			continue
		}
		kept = append(kept, person)
	}
	p.People = kept
	sortProblems(p.Problems)
}

// Usernames lists the usernames of the rows that passed the file's checks.
func (p *Plan) Usernames() []string {
	out := make([]string, len(p.People))
	for i, person := range p.People {
		out[i] = person.Username
	}
	return out
}

// validUsername applies account's own rule, so an imported username is one
// `xuetang user create` would accept: Validate checks the username first,
// and any later complaint is about fields this call does not fill in.
func validUsername(u string) bool {
	n := account.NewUser{Username: u, Role: account.RoleLearner}
	err := n.Validate()
	return err == nil || errs.As(err).Key != "error.username_invalid"
}

var dateRe = regexp.MustCompile(`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$`)

// parseDate reads 2025-03-01, 2025/3/1, 2025.3.1 or 2025年3月1日, and in a
// workbook a date cell's serial number. Day-first and month-first forms
// (01/03/2025) are refused: which one a clerk meant cannot be known.
func parseDate(s string, workbook bool) (time.Time, bool) {
	var y, m, d int
	if mm := dateRe.FindStringSubmatch(s); mm != nil {
		y, _ = strconv.Atoi(mm[1])
		m, _ = strconv.Atoi(mm[2])
		d, _ = strconv.Atoi(mm[3])
	} else if workbook {
		var ok bool
		if y, m, d, ok = excelSerialDate(s); !ok {
			return time.Time{}, false
		}
	} else {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Year() != y || int(t.Month()) != m || t.Day() != d || y < minBirthYear {
		return time.Time{}, false
	}
	return t, true
}

var columnOrder = map[string]int{ColUsername: 1, ColDisplayName: 2, ColRole: 3, ColBirthYear: 4, ColClass: 5,
	ColPassword: 6, ColGuardianName: 7, ColConsentDate: 8}

// sortProblems orders problems as a reader goes through the file: by row,
// then by column.
func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Row != ps[j].Row {
			return ps[i].Row < ps[j].Row
		}
		return columnOrder[ps[i].Column] < columnOrder[ps[j].Column]
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// String names a problem for logs and test failures.
func (p Problem) String() string {
	return fmt.Sprintf("row %d %s: %s %v", p.Row, p.Column, p.Key, p.Args)
}
