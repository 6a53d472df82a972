package course

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

var (
	frontMatterKeys = []string{"title", "minutes", "questions"}
	questionKeys    = []string{"id", "type", "prompt", "options", "answer", "explanation", "shuffle"}
)

// parseLesson reads one lesson file. ids maps every question id already seen
// in the lesson to where it was defined: ids must be unique within a lesson,
// whose attempt answers are keyed by them.
func parseLesson(file string, data []byte, assets map[string][]byte, ids map[string]string, ps *problems) Lesson {
	m := lessonFileRe.FindStringSubmatch(file)
	l := Lesson{File: file, Slug: m[2]}
	if len(m[2]) > MaxSlugLen {
		ps.add(file, 0, "lesson slug is longer than %d characters", MaxSlugLen)
	}
	if !utf8.Valid(data) {
		ps.add(file, 0, "not valid UTF-8 text")
		return l
	}
	text := strings.TrimPrefix(string(data), "\uFEFF")
	// Files edited on Windows (or old Macs) must give the same lesson, and
	// the same line numbers, as files edited anywhere else; YAML and
	// Markdown both count a lone \r as a line end too.
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")

	first, rest, _ := strings.Cut(text, "\n")
	if strings.TrimRight(first, " \t") != "---" {
		ps.add(file, 1, "the file must start with front matter: a line ---, then title, minutes and questions, then a line ---")
		return l
	}
	// The closing line must be exactly --- (trailing blanks aside): an
	// indented --- inside a YAML block string does not end the front matter.
	var fm string
	closeLine, found, offset := 0, false, 0
	for i, line := range strings.SplitAfter(rest, "\n") {
		if strings.TrimRight(line, " \t\n") == "---" {
			fm, l.Body = rest[:offset], rest[offset+len(line):]
			closeLine, found = i+2, true
			break
		}
		offset += len(line)
	}
	if !found {
		ps.add(file, 1, "the front matter opened here is never closed with a line ---")
		return l
	}

	y := &yamlFile{file: file, offset: 1, ps: ps}
	if top := y.parse(fm); top != nil {
		readFrontMatter(y, top, &l, ids)
	}
	checkBody(file, l.Body, closeLine+1, assets, ps)
	return l
}

func readFrontMatter(y *yamlFile, top *yaml.Node, l *Lesson, ids map[string]string) {
	f, ok := y.mapping(top, "front matter", frontMatterKeys)
	if !ok {
		return
	}
	if n := f["title"]; n == nil {
		y.errorf(top, "title is required")
	} else {
		l.Title, _ = y.nonEmptyText(n, "title")
		checkTitle(y, n, l.Title)
	}
	if n := f["minutes"]; n == nil {
		y.errorf(top, "minutes is required")
	} else if v, ok := y.integer(n, "minutes"); ok {
		if v < 1 || v > MaxMinutes {
			y.errorf(n, "minutes must be from 1 to %d", MaxMinutes)
		}
		l.Minutes = v
	}
	n := f["questions"]
	if n == nil || isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		y.errorf(n, "questions must be a list, each item starting with - id:")
		return
	}
	for _, qn := range n.Content {
		q, idLine := readQuestion(y, qn)
		if q.ID != "" {
			where := fmt.Sprintf("%s:%d", y.file, idLine)
			if prev, dup := ids[q.ID]; dup {
				y.ps.add(y.file, idLine, "question id %q is also used at %s", q.ID, prev)
			} else {
				ids[q.ID] = where
			}
		}
		l.Questions = append(l.Questions, q)
	}
}

func readQuestion(y *yamlFile, n *yaml.Node) (q Question, idLine int) {
	f, ok := y.mapping(n, "question", questionKeys)
	if !ok {
		return q, 0
	}
	if idn := f["id"]; idn == nil {
		y.errorf(n, "question id is required")
	} else if s, ok := y.nonEmptyText(idn, "question id"); ok {
		if questionIDRe.MatchString(s) {
			q.ID, idLine = s, y.line(idn)
		} else {
			y.errorf(idn, "question id %q may only use A-Z, a-z, 0-9, _ and - (at most 32)", s)
		}
	}
	if pn := f["prompt"]; pn == nil {
		y.errorf(n, "prompt is required")
	} else {
		q.Prompt, _ = y.nonEmptyText(pn, "prompt")
	}
	if en := f["explanation"]; en != nil {
		q.Explanation, _ = y.text(en, "explanation")
	}

	tn := f["type"]
	if tn == nil {
		y.errorf(n, "question type is required (%s)", strings.Join(types, ", "))
		return q, idLine
	}
	s, ok := y.nonEmptyText(tn, "question type")
	if !ok {
		return q, idLine
	}
	if !slices.Contains(types, s) {
		y.errorf(tn, "unknown question type %q (use %s)", s, strings.Join(types, ", "))
		return q, idLine
	}
	q.Type = s

	on := f["options"]
	if on != nil && isNull(on) {
		on = nil
	}
	switch q.Type {
	case Single, Multiple:
		if on == nil {
			y.errorf(n, "options are required for %s questions", q.Type)
		} else {
			q.Options = readOptions(y, on)
		}
	default:
		if on != nil {
			y.errorf(on, "%s questions take no options", q.Type)
		}
	}
	if sn := f["shuffle"]; sn != nil {
		if shuffle, ok := y.boolean(sn, "shuffle"); ok {
			if q.Type != Single && q.Type != Multiple {
				y.errorf(sn, "%s questions have no options to shuffle", q.Type)
			}
			q.Fixed = !shuffle
		}
	}

	an := f["answer"]
	if an == nil || isNull(an) {
		y.errorf(n, "answer is required")
		return q, idLine
	}
	// With unreadable options the answer cannot be range-checked without
	// piling a second, misleading problem on the first.
	nopts := len(q.Options)
	checkRange := nopts > 0
	switch q.Type {
	case Single:
		if i, ok := optionIndex(y, an, "a single answer must be the index of the right option, counting from 0"); ok {
			if checkRange && !inRange(i, nopts) {
				y.errorf(an, "answer %d is not one of the %d options", i, nopts)
			}
			q.Answer.Index = i
		}
	case Multiple:
		q.Answer.Indexes = readIndexes(y, an, nopts, checkRange)
	case TrueFalse:
		q.Answer.Bool, _ = y.boolean(an, "true_false answer")
	case FillBlank:
		q.Answer.Texts = readTexts(y, an)
	}
	return q, idLine
}

func inRange(i, n int) bool { return i >= 0 && i < n }

func optionIndex(y *yamlFile, n *yaml.Node, msg string) (int, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		y.errorf(n, "%s", msg)
		return 0, false
	}
	return y.integer(n, "answer")
}

func readOptions(y *yamlFile, n *yaml.Node) []string {
	if n.Kind != yaml.SequenceNode {
		y.errorf(n, "options must be a list such as [\"first\", \"second\"]")
		return nil
	}
	if len(n.Content) < MinOptions || len(n.Content) > MaxOptions {
		y.errorf(n, "a question needs %d to %d options, not %d", MinOptions, MaxOptions, len(n.Content))
	}
	var out []string
	for i, c := range n.Content {
		s, ok := y.nonEmptyText(c, fmt.Sprintf("option %d", i))
		if !ok {
			out = append(out, "")
			continue
		}
		if j := slices.Index(out, s); j >= 0 {
			y.errorf(c, "option %d repeats option %d", i, j)
		}
		out = append(out, s)
	}
	return out
}

func readIndexes(y *yamlFile, n *yaml.Node, nopts int, checkRange bool) []int {
	if n.Kind != yaml.SequenceNode {
		y.errorf(n, "multiple answer must be a list of option indexes such as [0, 2]")
		return nil
	}
	if len(n.Content) == 0 {
		y.errorf(n, "multiple answer must list at least one option index")
		return nil
	}
	var out []int
	for _, c := range n.Content {
		i, ok := optionIndex(y, c, "each item of a multiple answer must be an option index, counting from 0")
		if !ok {
			continue
		}
		if checkRange && !inRange(i, nopts) {
			y.errorf(c, "answer %d is not one of the %d options", i, nopts)
		}
		if slices.Contains(out, i) {
			y.errorf(c, "answer lists option %d twice", i)
			continue
		}
		out = append(out, i)
	}
	return out
}

func readTexts(y *yamlFile, n *yaml.Node) []string {
	const what = "fill_blank answer"
	if n.Kind == yaml.ScalarNode {
		if s, ok := y.nonEmptyText(n, what); ok {
			return []string{s}
		}
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		y.errorf(n, "%s must be text or a list of accepted texts", what)
		return nil
	}
	if len(n.Content) == 0 {
		y.errorf(n, "%s must list at least one accepted text", what)
		return nil
	}
	var out []string
	for _, c := range n.Content {
		if s, ok := y.nonEmptyText(c, what); ok {
			out = append(out, s)
		}
	}
	return out
}
