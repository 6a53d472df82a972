package course

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a package, located so an author can jump
// straight to it.
type Problem struct {
	File    string // slash path relative to the package (or to the loaded root); "" for the whole package
	Line    int    // 1-based line in File; 0 when the problem is not on one line
	Message string
}

func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(p.Line))
		}
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// ValidationError lists every problem found, so an author fixes a package in
// one pass instead of one error per import attempt.
type ValidationError struct {
	Slug     string // the package's slug when known; "" for a set of packages
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	n := len(e.Problems)
	noun := "problems"
	if n == 1 {
		noun = "problem"
	}
	if e.Slug != "" {
		fmt.Fprintf(&b, "course package %q has %d %s:", e.Slug, n, noun)
	} else {
		fmt.Fprintf(&b, "course packages have %d %s:", n, noun)
	}
	for _, p := range e.Problems {
		b.WriteString("\n")
		b.WriteString(p.String())
	}
	return b.String()
}

// maxProblems caps the report for one package: past a few hundred, more
// lines help nobody, and a hostile package could otherwise make millions.
const maxProblems = 500

// problems collects Problems for one file tree.
type problems struct {
	list    []Problem
	dropped int
}

func (ps *problems) add(file string, line int, format string, args ...any) {
	if len(ps.list) >= maxProblems {
		ps.dropped++
		return
	}
	ps.list = append(ps.list, Problem{File: file, Line: line, Message: fmt.Sprintf(format, args...)})
}

func (ps *problems) empty() bool { return len(ps.list) == 0 }

// sorted orders problems by file and line: authors read them top to bottom
// while the checks run in whatever order is simplest.
func (ps *problems) sorted() []Problem {
	out := append([]Problem(nil), ps.list...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Line < out[j].Line
	})
	if ps.dropped > 0 {
		out = append(out, Problem{Message: fmt.Sprintf("... and %d more problems", ps.dropped)})
	}
	return out
}
