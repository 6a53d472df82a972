// Package i18n loads the translation catalogs that the browser also fetches
// (frontend/i18n/*.json), so a key means the same words on both sides.
package i18n

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Default is the language used when a request names none we know.
const Default = "zh-CN"

// Catalog holds one flat key -> message map per language.
type Catalog struct {
	langs map[string]map[string]string
}

// Load reads every *.json file in dir of fsys; the file name is the language tag.
func Load(fsys fs.FS, dir string) (*Catalog, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	c := &Catalog{langs: map[string]map[string]string{}}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", e.Name(), err)
		}
		c.langs[strings.TrimSuffix(e.Name(), ".json")] = m
	}
	if _, ok := c.langs[Default]; !ok {
		return nil, fmt.Errorf("i18n: no %s catalog in %s", Default, dir)
	}
	return c, nil
}

// Languages lists the loaded language tags.
func (c *Catalog) Languages() []string {
	out := make([]string, 0, len(c.langs))
	for l := range c.langs {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// Keys returns the keys of one language, for completeness tests.
func (c *Catalog) Keys(lang string) []string {
	out := make([]string, 0, len(c.langs[lang]))
	for k := range c.langs[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// T translates key into lang, falling back to the default language and then
// to the key itself so a missing translation is visible but never fatal.
// Placeholders are written {name}.
//
// A key may have a ".one" form ("unit.lessons.one": "{n} lesson") used when
// the count {n} is exactly 1, the one plural rule the two languages need.
func (c *Catalog) T(lang, key string, args map[string]any) string {
	if _, ok := c.langs[lang][key+".one"]; ok && isOne(args["n"]) {
		key += ".one"
	}
	msg, ok := c.langs[lang][key]
	if !ok {
		msg, ok = c.langs[Default][key]
	}
	if !ok {
		msg = key
	}
	if len(args) == 0 {
		return msg
	}
	pairs := make([]string, 0, 2*len(args))
	for k, v := range args {
		pairs = append(pairs, "{"+k+"}", fmt.Sprint(v))
	}
	return strings.NewReplacer(pairs...).Replace(msg)
}

// Match picks the best supported language for an Accept-Language header value.
func (c *Catalog) Match(accept string) string {
	best, bestQ := "", -1.0
	for _, part := range strings.Split(accept, ",") {
		tag, q := parseRange(part)
		// q=0 means "not acceptable", not "least preferred".
		if tag == "" || q <= 0 || q <= bestQ {
			continue
		}
		if l := c.lookup(tag); l != "" {
			best, bestQ = l, q
		}
	}
	if best == "" {
		return Default
	}
	return best
}

func (c *Catalog) lookup(tag string) string {
	tag = strings.ToLower(tag)
	for l := range c.langs {
		if strings.ToLower(l) == tag {
			return l
		}
	}
	// zh, zh-Hans, zh-SG all read Simplified Chinese; en-GB reads en.
	primary, _, _ := strings.Cut(tag, "-")
	for l := range c.langs {
		p, _, _ := strings.Cut(strings.ToLower(l), "-")
		if p == primary {
			return l
		}
	}
	return ""
}

func parseRange(s string) (string, float64) {
	tag, params, _ := strings.Cut(strings.TrimSpace(s), ";")
	q := 1.0
	if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
		if _, err := fmt.Sscanf(v, "%g", &q); err != nil {
			q = 0
		}
	}
	return strings.TrimSpace(tag), q
}

func isOne(n any) bool {
	switch v := n.(type) {
	case int:
		return v == 1
	case int64:
		return v == 1
	case float64:
		return v == 1
	case string:
		return strings.TrimSpace(v) == "1"
	}
	return false
}
