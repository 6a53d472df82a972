package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"syscall"
	"testing"
	"time"
)

// getTraced does a GET on client and reports whether the connection was
// reused and whether the response asked to close it.
func getTraced(t *testing.T, client *http.Client, url string) (status int, body string, reused, closing bool) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused },
	}))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b), reused, resp.Close
}

// On SIGTERM the instance says at once that it is not ready, keeps serving
// for XUETANG_DRAIN_TIMEOUT with every response closing its connection (so
// a keep-alive balancer reconnects, to another instance), and only then
// shuts down.
func TestSIGTERMDrainsBeforeShutdown(t *testing.T) {
	const drainFor = 2 * time.Second
	env := serveEnv(t)
	env["XUETANG_DRAIN_TIMEOUT"] = drainFor.String()
	addr, code, stdout, stderr := startRun(t, env)
	base := "http://" + addr
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 10 * time.Second}

	if status, _, _, closing := getTraced(t, client, base+"/readyz"); status != 200 || closing {
		t.Fatalf("/readyz before SIGTERM: %d, connection close %v", status, closing)
	}
	if _, _, reused, closing := getTraced(t, client, base+"/healthz"); !reused || closing {
		t.Fatalf("before SIGTERM: reused %v, close %v; want a kept-alive connection", reused, closing)
	}

	sigterm(t)
	signalled := time.Now()
	for {
		status, body, _, closing := getTraced(t, client, base+"/readyz")
		if status == http.StatusServiceUnavailable {
			var r struct{ Status string }
			if json.Unmarshal([]byte(body), &r) != nil || r.Status != "draining" {
				t.Errorf("/readyz while draining: %s", body)
			}
			if !closing {
				t.Error("/readyz while draining did not close its connection")
			}
			break
		}
		if time.Since(signalled) > drainFor/2 {
			t.Fatalf("/readyz still %d %s well into the drain", status, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if since := time.Since(signalled); since > 500*time.Millisecond {
		t.Errorf("/readyz took %v to turn 503; want at once", since)
	}

	// Still serving, one connection per request: nothing is reused.
	for time.Since(signalled) < drainFor*3/4 {
		status, _, reused, closing := getTraced(t, client, base+"/healthz")
		if status != 200 || !closing || reused {
			t.Fatalf("during the drain at %v: %d, close %v, reused %v; want 200 on a fresh connection that then closes",
				time.Since(signalled).Round(time.Millisecond), status, closing, reused)
		}
		time.Sleep(100 * time.Millisecond)
	}

	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("run returned %d; stderr: %s", c, stderr)
		}
		if took := time.Since(signalled); took < drainFor {
			t.Errorf("stopped %v after SIGTERM, before the %v drain was over", took, drainFor)
		}
	case <-time.After(drainFor + 30*time.Second):
		t.Fatal("run did not return after the drain")
	}
	out := stdout.String()
	d, s := strings.Index(out, `"msg":"draining`), strings.Index(out, `"msg":"shutting down`)
	if d < 0 || s < 0 || d > s {
		t.Errorf("want a draining line before the shutting-down line:\n%s", out)
	}
}

// Ctrl-C at a terminal is a person who wants the server gone: no drain.
func TestSIGINTStopsWithoutDraining(t *testing.T) {
	env := serveEnv(t)
	env["XUETANG_DRAIN_TIMEOUT"] = "30s"
	_, code, stdout, stderr := startRun(t, env)
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("run returned %d; stderr: %s", c, stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("run still draining 20 s after SIGINT")
	}
	if logLine(stdout.String(), "draining: /readyz answers 503, responses close their connections") != nil {
		t.Error("drained on SIGINT")
	}
}
