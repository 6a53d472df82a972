package main

import "testing"

// The first-run hint names the command to paste: someone who typed go run
// has no xuetang on their PATH.
func TestSelfCommand(t *testing.T) {
	for _, c := range []struct{ arg0, want string }{
		{"/tmp/go-build3081712384/b001/exe/xuetang", "go run ./cmd/xuetang"},
		{"/home/me/.cache/gotmp/go-build11/b001/exe/xuetang", "go run ./cmd/xuetang"},
		{"/usr/local/bin/xuetang", "xuetang"},
		{"xuetang", "xuetang"},
		{"./xuetang", "xuetang"},
		{"/srv/exe/xuetang", "xuetang"},
		// go test's binary: the tests expect the installed form.
		{"/tmp/go-build3081712384/b001/xuetang.test", "xuetang"},
	} {
		if got := selfCommand(c.arg0); got != c.want {
			t.Errorf("selfCommand(%q) = %q, want %q", c.arg0, got, c.want)
		}
	}
}
