package main

import (
	"runtime"
	"testing"
)

// serve runs with twice Go's Ps unless GOMAXPROCS is set (procs.go says
// why); TestRunServesAndStopsOnSIGTERM checks that serve applies it.
func TestServeProcs(t *testing.T) {
	if got := serveProcs(mapEnv(nil)); got != 2*defaultProcs {
		t.Errorf("serveProcs without GOMAXPROCS = %d, want %d", got, 2*defaultProcs)
	}
	if got := serveProcs(mapEnv(map[string]string{"GOMAXPROCS": "3"})); got != runtime.GOMAXPROCS(0) {
		t.Errorf("serveProcs with GOMAXPROCS set = %d, want the runtime's %d", got, runtime.GOMAXPROCS(0))
	}
}
