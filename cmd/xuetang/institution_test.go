package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/region"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// withStdin runs the program in-process with a line on standard input.
func withStdin(env map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errOut, mapEnv(env))
	return code, out.String(), errOut.String()
}

// TestInstitutionAndStaffCommands is the README's first-run path: create an
// institution, then staff of every role with --institution or --region.
func TestInstitutionAndStaffCommands(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		env := coursesEnv(t, b)
		for _, args := range [][]string{
			{"institution"},
			{"institution", "delete", "--code", "x"},
			{"institution", "create", "--code", "cd-lib", "--name", "成都图书馆", "--kind", "library"},
			{"institution", "create", "--code", "cd-lib", "--name", "成都图书馆", "--kind", "zoo", "--region", "510104"},
			{"institution", "create", "--code", "cd-lib", "--name", "成都图书馆", "--kind", "library", "--region", "510104", "extra"},
			{"institution", "create", "--bogus"},
		} {
			if code, _, errOut := xuetang(env, args...); code != 2 || strings.Count(errOut, "\n") < 2 {
				t.Errorf("%v: exit %d, want 2 with usage; stderr %q", args, code, errOut)
			}
		}
		code, out, errOut := xuetang(env, "institution", "create", "--code", "cd-lib", "--name", "成都图书馆", "--kind", "library", "--region", "510104")
		if code != 0 || !strings.Contains(out, "created institution cd-lib") || !strings.Contains(out, "锦江区") {
			t.Fatalf("create: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		for args, reason := range map[string]string{
			"CD-LIB 图书馆 library 510104": "already in use",
			"cd-2 图书馆 library 510199":   "Unknown region code 510199",
			"cd@2 图书馆 library 510104":   "institution code is 1 to 32",
		} {
			f := strings.Fields(args)
			code, _, errOut := xuetang(env, "institution", "create", "--code", f[0], "--name", f[1], "--kind", f[2], "--region", f[3])
			if code != 1 || !strings.Contains(errOut, reason) || strings.Count(errOut, "\n") != 1 {
				t.Errorf("%s: exit %d, stderr %q, want one line saying %q", args, code, errOut, reason)
			}
		}

		const pw = "staff-password-2026\n"
		for _, args := range [][]string{
			{"--username", "sc-admin", "--role", "region_admin", "--region", "510000"}, // the README's example
			{"--username", "lib-admin", "--role", "institution_admin", "--institution", "CD-LIB"},
			{"--username", "lib-teacher", "--role", "teacher", "--institution", "cd-lib"},
			{"--username", "walk-in", "--role", "learner", "--institution", "cd-lib"},
		} {
			if code, out, errOut := withStdin(env, pw, append([]string{"user", "create"}, args...)...); code != 0 || !strings.Contains(out, "created user") {
				t.Errorf("user create %v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
			}
		}
		for args, reason := range map[string]string{
			"--username r2 --role region_admin":                            "needs a region",
			"--username r3 --role region_admin --region 519999":            "Unknown region code 519999",
			"--username i2 --role institution_admin":                       "needs an institution",
			"--username i3 --role institution_admin --institution nowhere": "Unknown institution code nowhere",
		} {
			if code, _, errOut := withStdin(env, pw, append([]string{"user", "create"}, strings.Fields(args)...)...); code != 1 || !strings.Contains(errOut, reason) {
				t.Errorf("user create %s: exit %d, stderr %q, want %q", args, code, errOut, reason)
			}
		}

		// A closed institution takes nobody new.
		st := appStore(t, env)
		in, err := st.InstitutionByCode(context.Background(), "cd-lib")
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		in.ClosedAt = &now
		if err := st.SaveInstitution(context.Background(), in, storeAudit("institution.close")); err != nil {
			t.Fatal(err)
		}
		if code, _, errOut := withStdin(env, pw, "user", "create", "--username", "late", "--role", "learner", "--institution", "cd-lib"); code != 1 ||
			!strings.Contains(errOut, "closed") {
			t.Errorf("learner at a closed institution: exit %d, stderr %q", code, errOut)
		}
	})
}

func TestRegionsImportCommand(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		env := coursesEnv(t, b)
		if code, _, errOut := xuetang(env, "institution", "create", "--code", "jj", "--name", "锦江文化站", "--kind", "culture_station", "--region", "510104"); code != 0 {
			t.Fatal(errOut)
		}
		shipped, err := region.Shipped()
		if err != nil {
			t.Fatal(err)
		}
		// The newer list: 锦江区 (in use) and 青羊区 (unused) are gone,
		// 成都市 renamed, a new county added.
		var csv strings.Builder
		csv.WriteString("\uFEFFcode,name\n")
		for _, r := range shipped.Regions {
			switch r.Code {
			case "510104", "510105":
				continue
			case "510100":
				r.Name = "成都市（更名）"
			}
			fmt.Fprintf(&csv, "%s,%s\n", r.Code, r.Name)
		}
		csv.WriteString("510199,新设区\n")
		dir := t.TempDir()
		file := filepath.Join(dir, "divisions-2026.csv")
		if err := os.WriteFile(file, []byte(csv.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := xuetang(env, "regions", "import", file)
		if code != 0 || !strings.Contains(out, "1 added, 1 renamed, 0 moved, 1 removed") ||
			!strings.Contains(out, "kept 1 codes missing from the file but still in use: 510104") {
			t.Fatalf("import: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		st := appStore(t, env)
		ctx := context.Background()
		if r, err := st.RegionByCode(ctx, "510100"); err != nil || r.Name != "成都市（更名）" {
			t.Errorf("510100 = %+v %v", r, err)
		}
		if _, err := st.RegionByCode(ctx, "510105"); err == nil {
			t.Error("unused 510105 still there")
		}
		// The next start does not put the shipped names back.
		if code, _, errOut := xuetang(env, "migrate"); code != 0 {
			t.Fatal(errOut)
		}
		if r, _ := st.RegionByCode(ctx, "510100"); r.Name != "成都市（更名）" {
			t.Errorf("a restart undid the import: %s", r.Name)
		}

		bad := filepath.Join(dir, "bad.csv")
		if err := os.WriteFile(bad, []byte("510000,四川省\n51010x,成都市\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		partial := filepath.Join(dir, "sichuan.csv")
		if err := os.WriteFile(partial, []byte("510000,四川省\n510100,成都市\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		for f, reason := range map[string]string{bad: "line 2", partial: "lacks provinces", filepath.Join(dir, "missing.csv"): "no such file"} {
			if code, _, errOut := xuetang(env, "regions", "import", f); code != 1 || !strings.Contains(errOut, reason) || strings.Count(errOut, "\n") != 1 {
				t.Errorf("%s: exit %d, stderr %q, want one line with %q", f, code, errOut, reason)
			}
		}
		for _, args := range [][]string{{"regions"}, {"regions", "import"}, {"regions", "export", file}, {"regions", "import", file, "extra"}} {
			if code, _, _ := xuetang(env, args...); code != 2 {
				t.Errorf("%v: exit %d, want 2", args, code)
			}
		}
	})
}

func storeAudit(action string) store.AuditEntry { return store.AuditEntry{Action: action} }
