package i18n_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/xuetang-edu/xuetang/frontend"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/i18n"
)

func shipped(t *testing.T) *i18n.Catalog {
	t.Helper()
	cat, err := i18n.Load(frontend.FS(""), "i18n")
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// The browser and the server read the same files; a key present in one
// language only shows the raw key (or the wrong language) to some users.
func TestCatalogsHaveTheSameKeys(t *testing.T) {
	cat := shipped(t)
	langs := cat.Languages()
	if !slices.Equal(langs, []string{"en", "zh-CN"}) {
		t.Fatalf("languages = %v, want [en zh-CN]", langs)
	}
	zh, en := cat.Keys("zh-CN"), cat.Keys("en")
	if len(zh) == 0 {
		t.Fatal("empty zh-CN catalog")
	}
	for _, k := range zh {
		if !slices.Contains(en, k) {
			t.Errorf("key %q is in zh-CN.json but missing from en.json", k)
		}
	}
	for _, k := range en {
		// A ".one" form is English grammar; Chinese has no plural.
		if base, one := strings.CutSuffix(k, ".one"); one {
			if !slices.Contains(zh, base) {
				t.Errorf("plural form %q has no base key in zh-CN.json", k)
			}
			continue
		}
		if !slices.Contains(zh, k) {
			t.Errorf("key %q is in en.json but missing from zh-CN.json", k)
		}
	}
}

// "1 study hours" read wrong on English certificates: the ".one" form is
// used for a count of exactly 1, and only then.
func TestPluralOne(t *testing.T) {
	cat := shipped(t)
	for _, tc := range []struct {
		n    any
		want string
	}{{1, "1 study hour"}, {1.0, "1 study hour"}, {"1", "1 study hour"}, {1.5, "1.5 study hours"}, {2, "2 study hours"}, {"1.25", "1.25 study hours"}} {
		if got := cat.T("en", "unit.study_hours", map[string]any{"n": tc.n}); got != tc.want {
			t.Errorf("n=%v: %q, want %q", tc.n, got, tc.want)
		}
	}
	if got := cat.T("zh-CN", "unit.study_hours", map[string]any{"n": 1}); got != "1 学时" {
		t.Errorf("zh-CN n=1: %q", got)
	}
}

var placeholderRe = regexp.MustCompile(`\{[a-z_]+\}`)

// A translation that drops or renames a {placeholder} silently loses the
// value (a region code, a limit) in one language.
func TestCatalogsAgreeOnPlaceholders(t *testing.T) {
	cat := shipped(t)
	for _, k := range cat.Keys("zh-CN") {
		zh := cat.T("zh-CN", k, nil)
		en := cat.T("en", k, nil)
		if strings.TrimSpace(zh) == "" || strings.TrimSpace(en) == "" {
			t.Errorf("%s: empty message (zh-CN %q, en %q)", k, zh, en)
		}
		pz := placeholderRe.FindAllString(zh, -1)
		pe := placeholderRe.FindAllString(en, -1)
		slices.Sort(pz)
		slices.Sort(pe)
		if !slices.Equal(slices.Compact(pz), slices.Compact(pe)) {
			t.Errorf("%s: placeholders differ: zh-CN %v, en %v", k, pz, pe)
		}
	}
}

// Every error code has a generic message, since the error handler falls
// back to "error.<code>" when an error carries no key.
func TestEveryErrorCodeHasAMessage(t *testing.T) {
	cat := shipped(t)
	codes := []errs.Code{errs.Invalid, errs.NotFound, errs.Conflict, errs.Unauthorized, errs.Forbidden,
		errs.TooManyRequests, errs.TooLarge, errs.Unavailable, errs.Internal}
	for _, c := range codes {
		key := "error." + string(c)
		for _, lang := range []string{"zh-CN", "en"} {
			if !slices.Contains(cat.Keys(lang), key) {
				t.Errorf("%s has no %q", lang, key)
			}
		}
	}
}

var errorKeyRe = regexp.MustCompile(`^error\.[a-z0-9_.]+$`)

// Every "error.*" key written in Go must exist in both catalogs, or users
// see "error.something" instead of a sentence. Scans the whole module, so it
// also guards code added later.
func TestGoErrorKeysAreTranslated(t *testing.T) {
	cat := shipped(t)
	root := filepath.Join("..", "..")
	found := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "testdata", "frontend", "courses":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			// A file mid-edit elsewhere must not fail this test.
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err == nil && errorKeyRe.MatchString(s) && !strings.HasSuffix(s, ".") {
				found[s] = path
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) < 10 {
		t.Fatalf("found only %d error keys; is the scan looking in the right place?", len(found))
	}
	for key, path := range found {
		for _, lang := range []string{"zh-CN", "en"} {
			if !slices.Contains(cat.Keys(lang), key) {
				t.Errorf("%s uses %q, missing from %s.json", path, key, lang)
			}
		}
	}
}

func TestMatch(t *testing.T) {
	cat := shipped(t)
	cases := []struct{ accept, want string }{
		{"en-US,en;q=0.9", "en"},
		{"zh", "zh-CN"},
		{"fr", "zh-CN"},
		{"", "zh-CN"},
		{"*", "zh-CN"},
		{"zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"},
		{"EN-gb", "en"},
		{"en", "en"},
		{"zh-Hans-CN", "zh-CN"},
		{"zh-TW", "zh-CN"},
		{"fr-FR, en;q=0.5", "en"},
		{"zh;q=0.4, en;q=0.8", "en"},
		{"en;q=0.8, zh;q=0.9", "zh-CN"},
		{"de, en;q=bogus", "zh-CN"},
		// q=0 means "not acceptable" (RFC 9110 §12.4.2).
		{"en;q=0", "zh-CN"},
		{"en;q=0, fr", "zh-CN"},
	}
	for _, tc := range cases {
		if got := cat.Match(tc.accept); got != tc.want {
			t.Errorf("Match(%q) = %q, want %q", tc.accept, got, tc.want)
		}
	}
}

func TestTranslate(t *testing.T) {
	cat, err := i18n.Load(fstest.MapFS{
		"i18n/zh-CN.json": {Data: []byte(`{"greet":"你好，{name}","only_zh":"仅中文"}`)},
		"i18n/en.json":    {Data: []byte(`{"greet":"Hello, {name}"}`)},
		"i18n/README.md":  {Data: []byte(`not a catalog`)},
	}, "i18n")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		lang, key string
		args      map[string]any
		want      string
	}{
		{"en", "greet", map[string]any{"name": "Wei"}, "Hello, Wei"},
		{"zh-CN", "greet", map[string]any{"name": "张伟"}, "你好，张伟"},
		{"en", "only_zh", nil, "仅中文"},     // falls back to the default language
		{"fr", "greet", nil, "你好，{name}"}, // unknown language reads the default
		{"en", "no.such.key", nil, "no.such.key"},
	}
	for _, tc := range cases {
		if got := cat.T(tc.lang, tc.key, tc.args); got != tc.want {
			t.Errorf("T(%q, %q) = %q, want %q", tc.lang, tc.key, got, tc.want)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := i18n.Load(fstest.MapFS{"i18n/en.json": {Data: []byte(`{}`)}}, "i18n"); err == nil {
		t.Error("a catalog set without zh-CN must be refused")
	}
	if _, err := i18n.Load(fstest.MapFS{"i18n/zh-CN.json": {Data: []byte(`{"a":`)}}, "i18n"); err == nil {
		t.Error("broken JSON must be refused")
	}
	if _, err := i18n.Load(fstest.MapFS{}, "i18n"); err == nil {
		t.Error("a missing folder must be refused")
	}
}

// The catalogs are read from disk in development (XUETANG_FRONTEND_DIR);
// the embedded copy and the files must be the same.
func TestEmbeddedCatalogMatchesDisk(t *testing.T) {
	for _, name := range []string{"zh-CN.json", "en.json"} {
		disk, err := os.ReadFile(filepath.Join("..", "..", "frontend", "i18n", name))
		if err != nil {
			t.Fatal(err)
		}
		emb, err := fs.ReadFile(frontend.FS(""), "i18n/"+name)
		if err != nil {
			t.Fatal(err)
		}
		if string(disk) != string(emb) {
			t.Errorf("%s: embedded copy differs from disk", name)
		}
	}
}
