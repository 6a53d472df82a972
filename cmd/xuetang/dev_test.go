package main

import (
	"strings"
	"testing"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// TestDevGenerateCommand: bad usage exits 2; a run on a fresh database
// (courses and divisions loaded by the command itself) writes the
// population with the password given; a second run is refused with a
// one-line reason unless --append.
func TestDevGenerateCommand(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		env := coursesEnv(t, b)
		for _, args := range [][]string{
			{"dev"},
			{"dev", "populate"},
			{"dev", "generate"},
			{"dev", "generate", "--learners", "0"},
			{"dev", "generate", "--learners", "10", "--days", "0"},
			{"dev", "generate", "--learners", "10", "--events-per-lesson", "-1"},
			{"dev", "generate", "--learners", "10", "extra"},
		} {
			if code, _, errOut := xuetang(env, args...); code != 2 || !strings.Contains(errOut, "usage:") {
				t.Errorf("%v: exit %d, want 2 with usage; stderr %q", args, code, errOut)
			}
		}
		if code, _, errOut := xuetang(env, "dev", "generate", "--learners", "10", "--courses", "no-such-course"); code != 1 ||
			!strings.Contains(errOut, "no published course no-such-course") {
			t.Errorf("unknown course: exit %d, stderr %q", code, errOut)
		}
		const pw = "demo-password-2026"
		code, out, errOut := xuetang(env, "dev", "generate", "--learners", "60", "--seed", "3", "--password", pw,
			"--courses", "internet-safety,smartphone-basics,cadre-informatization")
		if code != 0 || !strings.Contains(out, "60 learners") || !strings.Contains(errOut, "generate: done") || strings.Contains(out, pw) {
			t.Fatalf("generate: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		st := appStore(t, env)
		var other int64
		if err := st.DB().QueryRow(`SELECT COUNT(*) FROM enrollments e JOIN courses c ON c.id = e.course_id
			WHERE c.slug NOT IN ('internet-safety', 'smartphone-basics', 'cadre-informatization')`).Scan(&other); err != nil || other != 0 {
			t.Errorf("%d enrolments in courses not named by --courses (%v)", other, err)
		}
		code, _, errOut = xuetang(env, "dev", "generate", "--learners", "60")
		if code != 1 || !strings.Contains(errOut, "--append") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("second run: exit %d, stderr %q; want 1 and one line naming --append", code, errOut)
		}
		if code, out, errOut := xuetang(env, "dev", "generate", "--learners", "5", "--append"); code != 0 || !strings.Contains(out, "password") {
			t.Errorf("append: exit %d, stdout %q, stderr %q; want a random password printed", code, out, errOut)
		}

		var n int64
		if err := st.DB().QueryRow("SELECT COUNT(*) FROM users WHERE role = 'learner'").Scan(&n); err != nil || n != 65 {
			t.Fatalf("%d learners (%v), want 65", n, err)
		}
		var user, hash string
		if err := st.DB().QueryRow("SELECT username, password_hash FROM users WHERE username LIKE 'gen-l%' ORDER BY id LIMIT 1").
			Scan(&user, &hash); err != nil {
			t.Fatal(err)
		}
		if !account.CheckPassword(pw, hash) {
			t.Errorf("%s does not sign in with --password", user)
		}
	})
}
