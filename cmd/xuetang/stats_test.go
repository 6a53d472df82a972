package main

import (
	"context"
	"strings"
	"testing"

	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

func TestStatsRebuildCommand(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		env := coursesEnv(t, b)
		src := coursetest.WriteDir(t, t.TempDir(), coursetest.Simple("counted"))
		if code, _, errOut := xuetang(env, "courses", "import", src); code != 0 {
			t.Fatalf("import: %s", errOut)
		}
		st := appStore(t, env)
		issueCertificate(t, st, "counted")
		for _, args := range [][]string{{"stats"}, {"stats", "rebuild", "now"}, {"stats", "rebiuld"}} {
			if code, _, _ := xuetang(env, args...); code != 2 {
				t.Errorf("%v: exit %d, want 2", args, code)
			}
		}
		code, out, errOut := xuetang(env, "stats", "rebuild")
		if code != 0 || !strings.Contains(out, "statistics rebuilt") {
			t.Fatalf("rebuild: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		rows, err := st.StatsCounters(context.Background(), store.CounterQuery{Period: store.PeriodAll, Scopes: []string{store.ScopeAll}, Dim: store.DimTotal})
		if err != nil || len(rows) != 1 || rows[0].Learners != 1 || rows[0].Completed != 1 || rows[0].Certificates != 1 || rows[0].HoursCenti != 200 {
			t.Fatalf("country totals after rebuild: %+v, %v", rows, err)
		}
	})
}
