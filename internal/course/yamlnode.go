package course

import (
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// yamlFile reads one YAML document node by node rather than into a struct:
// only the node tree knows line numbers, and walking it lets every problem be
// reported instead of stopping at the first one the decoder meets.
type yamlFile struct {
	file   string
	offset int // added to node lines: front matter starts after the opening ---
	ps     *problems
}

func (y *yamlFile) line(n *yaml.Node) int {
	if n == nil || n.Line == 0 {
		return y.offset
	}
	return n.Line + y.offset
}

func (y *yamlFile) errorf(n *yaml.Node, format string, args ...any) {
	y.ps.add(y.file, y.line(n), format, args...)
}

var yamlErrLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlParserProblems are the messages of yaml.v3's parser (as opposed to its
// scanner). For these it prints the 0-based line where the enclosing
// construct began and omits "line 0" entirely, so they need correcting;
// scanner messages already carry 1-based lines.
var yamlParserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// yamlErrorLine returns the 1-based line of a yaml.v3 error (0 if it has
// none) and its message without the "yaml: line N:" prefix. For parser
// errors yaml.v3 points at the start of the enclosing construct (the list or
// mapping being read), which is near, not always on, the faulty line.
func yamlErrorLine(err error) (int, string) {
	msg := err.Error()
	if m := yamlErrLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		if yamlParserProblems[m[2]] {
			line++
		}
		return line, m[2]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	// Without a line, a parser or scanner error is on the first line; only
	// the alias errors of yaml.v3's composer have no place at all.
	if strings.HasPrefix(msg, "unknown anchor") || strings.HasPrefix(msg, "anchor ") {
		return 0, msg
	}
	return 1, msg
}

// parse returns the document's top node, or nil (after reporting) when the
// text is not YAML. An empty document gives an empty mapping so callers can
// report the missing fields.
func (y *yamlFile) parse(text string) (top *yaml.Node) {
	var doc, extra yaml.Node
	err := func() (err error) {
		// yaml.v3 is third-party; a panic there on hostile input must become
		// a problem report, never a crashed import.
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("yaml: %v", r)
			}
		}()
		dec := yaml.NewDecoder(strings.NewReader(text))
		if err := dec.Decode(&doc); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
		// A stray "..." or "---" would start a second document that a
		// plain Unmarshal silently drops, taking its content with it.
		if err := dec.Decode(&extra); err != io.EOF {
			return err
		}
		return nil
	}()
	if err == nil && extra.Kind != 0 {
		y.errorf(&extra, "only one YAML document is allowed here: remove the line ... or --- above this one")
		return nil
	}
	if err != nil {
		line, msg := yamlErrorLine(err)
		if line > 0 {
			line += y.offset
		}
		y.ps.add(y.file, line, "YAML syntax error: %s", msg)
		return nil
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.MappingNode}
	}
	top = doc.Content[0]
	if y.hasAlias(top) {
		return nil
	}
	return top
}

// hasAlias reports aliases (*name): course files have no use for them, and
// an anchor may refer to its own parent, which would make the tree cyclic.
func (y *yamlFile) hasAlias(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode {
		y.errorf(n, "YAML aliases (*%s) are not supported: write the value out", n.Value)
		return true
	}
	found := false
	for _, c := range n.Content {
		if y.hasAlias(c) {
			found = true
		}
	}
	return found
}

// mapping checks that n is a mapping with only allowed keys and returns the
// values by key.
func (y *yamlFile) mapping(n *yaml.Node, what string, allowed []string) (map[string]*yaml.Node, bool) {
	if n.Kind != yaml.MappingNode {
		y.errorf(n, "%s must be a list of key: value lines", what)
		return nil, false
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			y.errorf(k, "%s has a key that is not a plain name", what)
			continue
		}
		if !slices.Contains(allowed, k.Value) {
			y.errorf(k, "unknown key %q in %s (allowed: %s)", k.Value, what, strings.Join(allowed, ", "))
			continue
		}
		if _, dup := out[k.Value]; dup {
			y.errorf(k, "key %q appears twice in %s", k.Value, what)
			continue
		}
		out[k.Value] = v
	}
	return out, true
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// text reads a scalar as the author wrote it. Numbers are accepted as text
// (an option "2026" needs no quotes); true/false are not, because a bare
// boolean where text belongs is nearly always a mistaken question type.
func (y *yamlFile) text(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		y.errorf(n, "%s must be text", what)
		return "", false
	}
	switch n.ShortTag() {
	case "!!null":
		return "", true
	case "!!bool":
		y.errorf(n, "%s must be text, not %s (put it in quotes if you mean the word)", what, n.Value)
		return "", false
	}
	return n.Value, true
}

// nonEmptyText is text that must carry something besides white space.
func (y *yamlFile) nonEmptyText(n *yaml.Node, what string) (string, bool) {
	s, ok := y.text(n, what)
	if ok && strings.TrimSpace(s) == "" {
		y.errorf(n, "%s must not be empty", what)
		return "", false
	}
	return s, ok
}

func (y *yamlFile) integer(n *yaml.Node, what string) (int, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		y.errorf(n, "%s must be a whole number", what)
		return 0, false
	}
	var v int64
	if err := n.Decode(&v); err != nil || v > math.MaxInt32 || v < math.MinInt32 {
		y.errorf(n, "%s is not a usable whole number", what)
		return 0, false
	}
	return int(v), true
}

func (y *yamlFile) number(n *yaml.Node, what string) (float64, bool) {
	tag := n.ShortTag()
	if n.Kind != yaml.ScalarNode || (tag != "!!int" && tag != "!!float") {
		y.errorf(n, "%s must be a number", what)
		return 0, false
	}
	var v float64
	if err := n.Decode(&v); err != nil {
		y.errorf(n, "%s is not a usable number", what)
		return 0, false
	}
	return v, true
}

func (y *yamlFile) boolean(n *yaml.Node, what string) (bool, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		y.errorf(n, "%s must be true or false", what)
		return false, false
	}
	var v bool
	if err := n.Decode(&v); err != nil {
		y.errorf(n, "%s must be true or false", what)
		return false, false
	}
	return v, true
}

// oneOf reads text that must be one of a fixed set of words.
func (y *yamlFile) oneOf(n *yaml.Node, what string, allowed []string) (string, bool) {
	s, ok := y.nonEmptyText(n, what)
	if !ok {
		return "", false
	}
	if !slices.Contains(allowed, s) {
		y.errorf(n, "%s %q is not one of %s", what, s, strings.Join(allowed, ", "))
		return "", false
	}
	return s, true
}
