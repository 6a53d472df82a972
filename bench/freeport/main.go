// Command freeport prints N TCP ports on 127.0.0.1 that nothing listens on,
// one per line, for bench/run.sh: the kernel picks them, so runs beside each
// other (or beside anything else on the machine) do not collide on fixed
// ports. Every port is held until all are chosen, so the N differ; a port
// can still be taken between this exiting and the caller binding it, which
// the caller detects when its server fails to start.
//
//	freeport [N]     N from 1 to 64, default 1
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	n := 1
	if len(args) > 1 {
		fmt.Fprintln(stderr, "usage: freeport [N]")
		return 2
	}
	if len(args) == 1 {
		v, err := strconv.Atoi(args[0])
		if err != nil || v < 1 || v > 64 {
			fmt.Fprintf(stderr, "freeport: N %q: want 1 to 64\n", args[0])
			return 2
		}
		n = v
	}
	held := make([]net.Listener, 0, n)
	defer func() {
		for _, ln := range held {
			ln.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(stderr, "freeport:", err)
			return 1
		}
		held = append(held, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, p := range ports {
		fmt.Fprintln(stdout, p)
	}
	return 0
}
