package learning

import (
	"regexp"
	"testing"
)

func TestSerials(t *testing.T) {
	re := regexp.MustCompile(`^XT(-[0-9ABCDEFGHJKMNPQRSTVWXYZ]{4}){4}$`)
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		s := NewSerial()
		if !re.MatchString(s) {
			t.Fatalf("serial %q has the wrong shape", s)
		}
		if seen[s] {
			t.Fatalf("serial %q issued twice", s)
		}
		seen[s] = true
		if NormalizeSerial(s) != s {
			t.Fatalf("NormalizeSerial(%q) = %q", s, NormalizeSerial(s))
		}
	}
	for in, want := range map[string]string{
		" xt-7kq2-m9wd-3hpa-tx6c ": "XT-7KQ2-M9WD-3HPA-TX6C",
		"XT 7KQ2 M9WD 3HPA TX6C":   "XT-7KQ2-M9WD-3HPA-TX6C",
		"xt7kq2m9wd3hpatx6c":       "XT-7KQ2-M9WD-3HPA-TX6C",
		"XT-OIL0-0000-0000-0000":   "XT-0110-0000-0000-0000", // read aloud, typed by hand
	} {
		if got := NormalizeSerial(in); got != want {
			t.Errorf("NormalizeSerial(%q) = %q, want %q", in, got, want)
		}
	}
}
