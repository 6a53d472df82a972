package authoring

import (
	"fmt"
	"strings"
	"testing"
)

// render writes a diff as one line per entry: " x", "+x", "-x", or "…N".
func render(ls []DiffLine) string {
	var b strings.Builder
	for _, l := range ls {
		switch l.Op {
		case LineSame:
			b.WriteString(" " + l.Text)
		case LineIns:
			b.WriteString("+" + l.Text)
		case LineDel:
			b.WriteString("-" + l.Text)
		case LineSkip:
			fmt.Fprintf(&b, "…%d", l.Skipped)
		}
		b.WriteString("|")
	}
	return b.String()
}

func TestLineDiff(t *testing.T) {
	long := func(n int, extra ...string) string {
		var ls []string
		for i := 1; i <= n; i++ {
			ls = append(ls, fmt.Sprint(i))
		}
		return strings.Join(append(ls, extra...), "\n") + "\n"
	}
	cases := []struct {
		name, a, b, want string
	}{
		{"equal", "a\nb\n", "a\nb\n", ""},
		{"from nothing", "", "a\nb\n", "+a|+b|"},
		{"to nothing", "a\n", "", "-a|"},
		{"one line changed", "a\nb\nc\n", "a\nB\nc\n", " a|-b|+B| c|"},
		{"insert in the middle", "a\nc\n", "a\nb\nc\n", " a|+b| c|"},
		{"moved line", "a\nb\nc\n", "b\nc\na\n", "-a| b| c|+a|"},
		{"interleaved", "x\na\ny\nb\nz\n", "a\nq\nb\n", "-x| a|-y|+q| b|-z|"},
		{"context and skips", long(20), strings.Replace(long(20), "\n10\n", "\nten\n", 1),
			"…6| 7| 8| 9|-10|+ten| 11| 12| 13|…7|"},
		{"two hunks", long(20), strings.Replace(strings.Replace(long(20), "\n2\n", "\ntwo\n", 1), "\n19\n", "\nnineteen\n", 1),
			" 1|-2|+two| 3| 4| 5|…10| 16| 17| 18|-19|+nineteen| 20|"},
		{"no final newline", "a\nb", "a\nb\n", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := render(lineDiff(tc.a, tc.b)); got != tc.want {
				t.Errorf("lineDiff:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

// Line numbers point into each text; a diff too large for the table is
// the old text removed and the new one added, still correct.
func TestLineDiffNumbersAndLimit(t *testing.T) {
	got := lineDiff("a\nb\nc\n", "a\nx\nc\n")
	want := []DiffLine{{Op: LineSame, Text: "a", From: 1, To: 1}, {Op: LineDel, Text: "b", From: 2},
		{Op: LineIns, Text: "x", To: 2}, {Op: LineSame, Text: "c", From: 3, To: 3}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %+v", got)
	}
	var a, b []string
	for i := 0; i < 2100; i++ {
		a = append(a, fmt.Sprint("a", i))
		b = append(b, fmt.Sprint("b", i))
	}
	d := lineDiff(strings.Join(a, "\n"), strings.Join(b, "\n"))
	dels, ins := 0, 0
	for _, l := range d {
		switch l.Op {
		case LineDel:
			dels++
		case LineIns:
			ins++
		}
	}
	if dels != 2100 || ins != 2100 {
		t.Errorf("over the limit: %d deleted, %d inserted", dels, ins)
	}
}
