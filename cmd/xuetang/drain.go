package main

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

// stopSignal is the cause of the context run cancels when a signal
// arrives, so serve can tell an orchestrator's SIGTERM (drain first) from a
// person's Ctrl-C at a terminal (stop now).
type stopSignal struct{ sig os.Signal }

func (s stopSignal) Error() string { return "received " + s.sig.String() }

// signalContext is signal.NotifyContext for SIGINT and SIGTERM with the
// signal kept as the context's cause.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			cancel(stopSignal{s})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

// terminated: the context ended because of SIGTERM, the signal systemd,
// Kubernetes and docker send to stop a service that others are balanced over.
func terminated(ctx context.Context) bool {
	var s stopSignal
	return errors.As(context.Cause(ctx), &s) && s.sig == syscall.SIGTERM
}

// drainer closes each connection after its response while draining: a
// keep-alive client (nginx's upstream pool, a browser) then opens its next
// connection afresh, and the balancer sends it to an instance that stays.
// Idle connections are not closed here, which could race a request being
// sent on them; the client's own idle timeout or the final Shutdown does it.
type drainer struct {
	on   atomic.Bool
	next http.Handler
}

func (d *drainer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if d.on.Load() {
		// net/http sees the header and closes after the reply.
		w.Header().Set("Connection", "close")
	}
	d.next.ServeHTTP(w, r)
}

func (d *drainer) draining() bool { return d.on.Load() }
