package main

import "runtime"

// defaultProcs is GOMAXPROCS as Go chose it for this machine or container
// (CPU quota included), taken before serve changes it.
var defaultProcs = runtime.GOMAXPROCS(0)

// serveProcs is how many Ps serve runs with: twice Go's default, unless the
// deployer set GOMAXPROCS. Why: progress events are stored by one writer
// goroutine, and each batch it commits releases the dozens of requests that
// waited for it at once. With one P per CPU the writer, woken by the
// database's next answer, queues behind them for a P (Go has no priorities),
// and that wait is in every event's round trip. With more Ps than CPUs the
// kernel shares the CPUs between the threads and runs a thread that wakes
// from sleep promptly. Measured in docs/PERFORMANCE.md (the progress
// scenario went from 11,318 to 12,497 requests/s on 2 CPUs at the same CPU
// per request; the lesson view did not slow down).
func serveProcs(getenv func(string) string) int {
	if getenv("GOMAXPROCS") != "" {
		return runtime.GOMAXPROCS(0) // the runtime has applied it
	}
	return 2 * defaultProcs
}
