package main

import (
	"bytes"
	"net"
	"strconv"
	"strings"
	"testing"
)

func TestFreePorts(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"5"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	lines := strings.Fields(out.String())
	if len(lines) != 5 {
		t.Fatalf("printed %q, want 5 ports", out.String())
	}
	seen := map[string]bool{}
	for _, l := range lines {
		if p, err := strconv.Atoi(l); err != nil || p < 1 || p > 65535 {
			t.Fatalf("%q is not a port", l)
		}
		if seen[l] {
			t.Fatalf("port %s printed twice in %q", l, out.String())
		}
		seen[l] = true
		// Free once printed: the caller can bind it.
		ln, err := net.Listen("tcp", "127.0.0.1:"+l)
		if err != nil {
			t.Fatalf("port %s: %v", l, err)
		}
		ln.Close()
	}
}

func TestFreePortsUsage(t *testing.T) {
	for _, args := range [][]string{{"0"}, {"65"}, {"x"}, {"1", "2"}} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 2 || out.Len() != 0 {
			t.Errorf("%q: exit %d, printed %q; want 2 and nothing", args, code, out.String())
		}
	}
}
