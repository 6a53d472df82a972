package authoring

import "strings"

// Line operations of a diff.
const (
	LineSame = "same"
	LineIns  = "ins"
	LineDel  = "del"
	// LineSkip stands for Skipped unchanged lines between hunks.
	LineSkip = "skip"
)

// DiffLine is one line of a lesson's Markdown diff. From and To are 1-based
// line numbers in the older and newer body (0 where the line is absent).
type DiffLine struct {
	Op      string `json:"op"`
	Text    string `json:"text,omitempty"`
	From    int    `json:"from,omitempty"`
	To      int    `json:"to,omitempty"`
	Skipped int    `json:"skipped,omitempty"`
}

// maxDiffCells bounds the LCS table (lines of one side times the other,
// after the common start and end are cut): 4 M cells of int32 is 16 MB. A
// lesson is capped at 1 MiB, so a pathological pair shows as the old body
// removed and the new one added rather than costing more memory.
const maxDiffCells = 4 << 20

// diffContext is how many unchanged lines surround each change.
const diffContext = 3

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// lineDiff compares two texts line by line: the longest common subsequence
// of lines stays, the rest is deleted or inserted (deletions first within a
// change). Only changes with diffContext lines around them are returned;
// nil when the texts are equal.
func lineDiff(a, b string) []DiffLine {
	if a == b {
		return nil
	}
	return hunks(fullDiff(splitLines(a), splitLines(b)))
}

func fullDiff(x, y []string) []DiffLine {
	pre := 0
	for pre < len(x) && pre < len(y) && x[pre] == y[pre] {
		pre++
	}
	suf := 0
	for suf < len(x)-pre && suf < len(y)-pre && x[len(x)-1-suf] == y[len(y)-1-suf] {
		suf++
	}
	out := make([]DiffLine, 0, len(x)+len(y))
	for i := 0; i < pre; i++ {
		out = append(out, DiffLine{Op: LineSame, Text: x[i], From: i + 1, To: i + 1})
	}
	mx, my := x[pre:len(x)-suf], y[pre:len(y)-suf]
	out = append(out, middle(mx, my, pre)...)
	for i := 0; i < suf; i++ {
		fi, ti := len(x)-suf+i, len(y)-suf+i
		out = append(out, DiffLine{Op: LineSame, Text: x[fi], From: fi + 1, To: ti + 1})
	}
	return out
}

// middle diffs the differing middle parts, offset lines into both texts.
func middle(x, y []string, offset int) []DiffLine {
	n, m := len(x), len(y)
	var out []DiffLine
	if n == 0 || m == 0 || n*m > maxDiffCells {
		for i, l := range x {
			out = append(out, DiffLine{Op: LineDel, Text: l, From: offset + i + 1})
		}
		for j, l := range y {
			out = append(out, DiffLine{Op: LineIns, Text: l, To: offset + j + 1})
		}
		return out
	}
	// lcs[i][j]: length of the LCS of x[i:] and y[j:], in one flat slice.
	w := m + 1
	lcs := make([]int32, (n+1)*w)
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			} else if a, b := lcs[(i+1)*w+j], lcs[i*w+j+1]; a >= b {
				lcs[i*w+j] = a
			} else {
				lcs[i*w+j] = b
			}
		}
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && x[i] == y[j]:
			out = append(out, DiffLine{Op: LineSame, Text: x[i], From: offset + i + 1, To: offset + j + 1})
			i, j = i+1, j+1
		case j == m || (i < n && lcs[(i+1)*w+j] >= lcs[i*w+j+1]):
			out = append(out, DiffLine{Op: LineDel, Text: x[i], From: offset + i + 1})
			i++
		default:
			out = append(out, DiffLine{Op: LineIns, Text: y[j], To: offset + j + 1})
			j++
		}
	}
	return out
}

// hunks keeps the changed lines and diffContext unchanged lines around
// each, replacing longer unchanged runs by one skip line.
func hunks(all []DiffLine) []DiffLine {
	keep := make([]bool, len(all))
	changed := false
	for i, l := range all {
		if l.Op == LineSame {
			continue
		}
		changed = true
		for k := max(0, i-diffContext); k <= min(len(all)-1, i+diffContext); k++ {
			keep[k] = true
		}
	}
	if !changed {
		return nil
	}
	var out []DiffLine
	skipped := 0
	for i, l := range all {
		if keep[i] {
			if skipped > 0 {
				out = append(out, DiffLine{Op: LineSkip, Skipped: skipped})
				skipped = 0
			}
			out = append(out, l)
			continue
		}
		skipped++
	}
	if skipped > 0 {
		out = append(out, DiffLine{Op: LineSkip, Skipped: skipped})
	}
	return out
}
