package main

import (
	"archive/tar"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/config"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// TestPreviousReleaseOnNewSchema is the upgrade rule of docs/OPERATIONS.md
// ("Upgrades: migrations while two versions run") made executable: during a
// rolling upgrade the new release migrates first, and instances of the
// previous release keep serving learners on the migrated database until they
// are replaced. So the previous release (the newest v0.* tag below HEAD) is
// built from its tagged sources, started against a database this tree has
// migrated, and driven through the learner API; then this tree serves the
// same database and must see what the old one wrote.
func TestPreviousReleaseOnNewSchema(t *testing.T) {
	tag, root := previousRelease(t)
	oldBin := buildRelease(t, root, tag)
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			env := map[string]string{"XUETANG_DATA_DIR": t.TempDir(), "XUETANG_LOG_LEVEL": "warn"}
			if b.URL != "" {
				env["XUETANG_DATABASE_URL"] = storetest.FreshMySQLURL(t, b.URL)
			}
			// The new release migrates first (its `xuetang migrate`).
			if code, out, errOut := xuetang(env, "migrate"); code != 0 {
				t.Fatalf("migrate with this tree: exit %d\n%s%s", code, out, errOut)
			}
			st := appStore(t, env)
			newVersion, err := st.SchemaVersion(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			makeUser(t, st, "lifang", "upgrade-password-1")
			st.Close()

			base, stop := startRelease(t, oldBin, env)
			slug, lessonID := learnerJourney(t, base, tag)
			stop()

			// The old release must have left the schema as the new one made it.
			st = appStore(t, env)
			if v, err := st.SchemaVersion(context.Background()); err != nil || v != newVersion {
				t.Errorf("schema version after %s served: %d (%v), want %d", tag, v, err, newVersion)
			}
			st.Close()

			env["XUETANG_ADDR"] = "127.0.0.1:0"
			cfg, err := config.FromEnv(mapEnv(env))
			if err != nil {
				t.Fatal(err)
			}
			nb, _ := startServe(t, cfg, serveHooks{})
			c := newAppClient(t, nb)
			if status, body := c.login("lifang", "upgrade-password-1"); status != 200 {
				t.Fatalf("login on this tree after %s: %d %s", tag, status, body)
			}
			status, body := c.do("GET", "/api/v1/me/courses", "")
			var mine struct {
				Courses []struct {
					Slug            string  `json:"slug"`
					ProgressPercent float64 `json:"progress_percent"`
				} `json:"courses"`
			}
			if status != 200 || json.Unmarshal(body, &mine) != nil {
				t.Fatalf("GET /api/v1/me/courses on this tree: %d %s", status, body)
			}
			found := false
			for _, m := range mine.Courses {
				found = found || m.Slug == slug
			}
			if !found {
				t.Errorf("this tree does not list the enrolment %s made in %s: %s", tag, slug, body)
			}
			if status, body := c.do("GET", fmt.Sprintf("/api/v1/lessons/%d", lessonID), ""); status != 200 {
				t.Errorf("GET lesson %d on this tree after %s: %d %s", lessonID, tag, status, body)
			}
		})
	}
}

// previousRelease finds the newest v0.* tag that HEAD contains, other than
// one on HEAD itself (a release commit is compared with the one before), and
// the checkout's top directory. It skips, saying why, outside a git checkout
// or when no such tag is there (a shallow clone without history or tags).
func previousRelease(t *testing.T) (tag, root string) {
	t.Helper()
	gitOut := func(args ...string) (string, error) {
		out, err := exec.Command("git", args...).Output()
		return strings.TrimSpace(string(out)), err
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed: cannot find the previous release")
	}
	root, err := gitOut("rev-parse", "--show-toplevel")
	if err != nil {
		t.Skip("not in a git checkout: cannot find the previous release")
	}
	head, err := gitOut("rev-parse", "HEAD")
	if err != nil {
		t.Skip("the checkout has no commits")
	}
	tags, err := gitOut("tag", "--merged", "HEAD", "--list", "v0.*", "--sort=-version:refname")
	if err != nil {
		t.Fatalf("git tag --merged HEAD: %v", err)
	}
	for _, tg := range strings.Fields(tags) {
		c, err := gitOut("rev-list", "-n", "1", tg)
		if err != nil {
			t.Fatalf("git rev-list %s: %v", tg, err)
		}
		if c != head {
			return tg, root
		}
	}
	t.Skip("no v0.* release tag below HEAD in this checkout (a shallow clone, or tags not fetched): nothing to compare with")
	return "", ""
}

// buildRelease extracts the tagged tree (git archive) into a temporary
// directory and builds its ./cmd/xuetang there with the go tool running
// this test. Its modules come from the same module cache.
func buildRelease(t *testing.T, root, tag string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH: cannot build the previous release")
	}
	src := t.TempDir()
	archive := exec.Command("git", "-C", root, "archive", "--format=tar", tag)
	pipe, err := archive.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	archive.Stderr = os.Stderr
	if err := archive.Start(); err != nil {
		t.Fatalf("git archive %s: %v", tag, err)
	}
	if err := untar(pipe, src); err != nil {
		t.Fatalf("extract %s: %v", tag, err)
	}
	if err := archive.Wait(); err != nil {
		t.Fatalf("git archive %s: %v", tag, err)
	}

	bin := filepath.Join(t.TempDir(), "xuetang-"+tag)
	// -trimpath keeps the temporary directory out of the compiled packages,
	// so building the same tag again (the next run, CI's second pass) is
	// served from the build cache.
	build := exec.Command(goBin, "build", "-trimpath", "-ldflags", "-X main.Version="+tag, "-o", bin, "./cmd/xuetang")
	build.Dir = src
	// No VCS stamping: the extracted tree is not a checkout.
	build.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
	start := time.Now()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", tag, err, out)
	}
	t.Logf("built %s in %s", tag, time.Since(start).Round(time.Second))
	return bin
}

// untar writes a tar stream's directories and regular files under dir;
// git archive has nothing else that a build needs.
func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(h.Name)
		if name == "." || strings.HasPrefix(name, "..") || filepath.IsAbs(name) {
			continue
		}
		p := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode)&0o755|0o600)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
}

// startRelease runs the built binary's serve on a port it picks and returns
// its base URL and a stop function (SIGTERM, then wait). Only the variables
// in env reach it: the test's own XUETANG_* settings must not.
func startRelease(t *testing.T, bin string, env map[string]string) (string, func()) {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "XUETANG_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "XUETANG_ADDR=127.0.0.1:0", "XUETANG_LOG_LEVEL=info")
	for k, v := range env {
		if k != "XUETANG_LOG_LEVEL" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("the previous release exited with %v\n%s%s", err, stdout, stderr)
			}
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("the previous release did not stop within 30 s")
		}
	}
	t.Cleanup(stop)
	deadline := time.Now().Add(90 * time.Second)
	for {
		if l := logLine(stdout.String(), "listening"); l != nil {
			if a, _ := l["addr"].(string); a != "" {
				return "http://" + a, stop
			}
		}
		select {
		case err := <-exited:
			stopped = true
			t.Fatalf("the previous release exited before listening (%v): it must start on a database migrated by newer code\n%s%s",
				err, stdout, stderr)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the previous release did not start listening within 90 s\n%s%s", stdout, stderr)
		}
	}
}

// learnerJourney is what a learner does on an instance of the previous
// release: sign in, browse the catalogue, enrol, open a lesson with a quiz,
// send progress, answer the quiz. It returns the course and lesson used.
func learnerJourney(t *testing.T, base, tag string) (string, int64) {
	t.Helper()
	c := newAppClient(t, base)
	must := func(what string, status int, body []byte, want ...int) []byte {
		t.Helper()
		for _, w := range want {
			if status == w {
				return body
			}
		}
		t.Fatalf("%s on %s: %d %s", what, tag, status, body)
		return nil
	}
	status, body := c.login("lifang", "upgrade-password-1")
	must("login", status, body, 200)
	status, body = c.do("GET", "/api/v1/me", "")
	must("GET /api/v1/me", status, body, 200)

	status, body = c.do("GET", "/api/v1/courses", "")
	var cat struct {
		Courses []struct {
			Slug         string `json:"slug"`
			LessonsCount int    `json:"lessons_count"`
		} `json:"courses"`
	}
	if json.Unmarshal(must("GET /api/v1/courses", status, body, 200), &cat) != nil || len(cat.Courses) == 0 {
		t.Fatalf("GET /api/v1/courses on %s: no courses: %s", tag, body)
	}
	slug := cat.Courses[0].Slug
	for _, co := range cat.Courses {
		if co.Slug == "internet-safety" {
			slug = co.Slug
		}
	}
	status, body = c.do("GET", "/api/v1/courses/"+slug, "")
	var course struct {
		Lessons []struct {
			ID int64 `json:"id"`
		} `json:"lessons"`
	}
	if json.Unmarshal(must("GET /api/v1/courses/"+slug, status, body, 200), &course) != nil || len(course.Lessons) == 0 {
		t.Fatalf("course %s on %s has no lessons: %s", slug, tag, body)
	}
	status, body = c.do("POST", "/api/v1/courses/"+slug+"/enroll", "")
	must("enrol in "+slug, status, body, 200, 201)

	type question struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	var lesson struct {
		ID         int64      `json:"id"`
		HTML       string     `json:"html"`
		AttemptKey string     `json:"attempt_key"`
		Questions  []question `json:"questions"`
	}
	for _, l := range course.Lessons {
		status, body = c.do("GET", fmt.Sprintf("/api/v1/lessons/%d", l.ID), "")
		lesson.Questions = nil
		if json.Unmarshal(must("GET lesson", status, body, 200), &lesson) != nil || lesson.HTML == "" {
			t.Fatalf("lesson %d on %s: %s", l.ID, tag, body)
		}
		if len(lesson.Questions) > 0 {
			break
		}
	}
	if len(lesson.Questions) == 0 {
		t.Fatalf("no lesson of %s on %s has a quiz", slug, tag)
	}

	for _, typ := range []string{"open", "heartbeat"} {
		ev, _ := json.Marshal(map[string]any{"event_id": eventUUID(), "lesson_id": lesson.ID, "type": typ, "seconds": 30})
		status, body = c.do("POST", "/api/v1/progress", string(ev))
		var r struct {
			Status string `json:"status"`
		}
		if json.Unmarshal(must("POST /api/v1/progress "+typ, status, body, 200), &r) != nil || r.Status != "recorded" {
			t.Fatalf("POST /api/v1/progress %s on %s: %s, want status recorded", typ, tag, body)
		}
	}

	answers := map[string]any{}
	for _, q := range lesson.Questions {
		switch q.Type {
		case "multiple":
			answers[q.ID] = []int{0}
		case "true_false":
			answers[q.ID] = true
		case "fill_blank":
			answers[q.ID] = "答案"
		default:
			answers[q.ID] = 0
		}
	}
	att, _ := json.Marshal(map[string]any{"answers": answers, "attempt_key": lesson.AttemptKey, "attempt_id": eventUUID()})
	status, body = c.do("POST", fmt.Sprintf("/api/v1/lessons/%d/attempts", lesson.ID), string(att))
	var graded struct {
		Score   *int  `json:"score"`
		Results []any `json:"results"`
	}
	if json.Unmarshal(must("quiz attempt", status, body, 200, 201), &graded) != nil || graded.Score == nil ||
		len(graded.Results) != len(lesson.Questions) {
		t.Fatalf("quiz attempt on %s: %s", tag, body)
	}
	return slug, lesson.ID
}

// eventUUID is a random (version 4) UUID, as the browser makes for events.
func eventUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
