package store_test

import (
	"context"

	"testing"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

func TestIssueStatement(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clk := storetest.NewClock()
		st := b.Open(t, clk.Now)
		u := &store.User{Username: "stmt", DisplayName: "学员", PasswordHash: "x", Role: "learner", Locale: "zh-CN",
			CreatedAt: clk.Now(), UpdatedAt: clk.Now()}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		issue := func(serial, content string, year int) *store.Statement {
			t.Helper()
			s, _, err := st.IssueStatement(ctx, &store.Statement{Serial: serial, UserID: u.ID, Year: year, Total: 1.25,
				Content: content, IssuedAt: clk.Now()})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		a := issue("XS-A", `{"total":1.25}`, 2026)
		if b := issue("XS-B", `{"total":1.25}`, 2026); b.Serial != "XS-A" || b.ID != a.ID {
			t.Errorf("same content: got %s, want the first statement XS-A", b.Serial)
		}
		if c := issue("XS-C", `{"total":2}`, 2026); c.Serial != "XS-C" {
			t.Errorf("changed content: got %s, want the new XS-C", c.Serial)
		}
		if d := issue("XS-D", `{"total":2}`, 2025); d.Serial != "XS-D" {
			t.Errorf("another year: got %s, want XS-D", d.Serial)
		}
		if a2 := issue("XS-E", `{"total":1.25}`, 2026); a2.Serial != "XS-E" {
			t.Errorf("back to the first numbers: got %s; only the latest statement is reused", a2.Serial)
		}
		got, removed, err := st.StatementBySerial(ctx, "XS-A")
		if err != nil || removed || got.Content != `{"total":1.25}` || got.Total != 1.25 || got.Year != 2026 {
			t.Errorf("XS-A = %+v, %v, %v", got, removed, err)
		}
		if _, _, err := st.StatementBySerial(ctx, "XS-NONE"); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("unknown serial: %v, want ErrNotFound", err)
		}
		if n, err := st.AnonymiseUsers(ctx, []int64{u.ID}, func(int64) *store.AuditEntry {
			return &store.AuditEntry{Action: "user.delete", Target: "user"}
		}); err != nil || n != 1 {
			t.Fatal(n, err)
		}
		if _, removed, err := st.StatementBySerial(ctx, "XS-A"); err != nil || !removed {
			t.Errorf("after deletion: removed %v, %v", removed, err)
		}
	})
}
