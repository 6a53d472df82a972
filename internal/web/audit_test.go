package web_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"testing"

	"github.com/xuetang-edu/xuetang/internal/account"
)

type auditPage struct {
	Entries []struct {
		ID    int64 `json:"id"`
		At    string
		Actor *struct {
			ID       int64  `json:"id"`
			Username string `json:"username"`
		} `json:"actor"`
		Action  string `json:"action"`
		Target  string `json:"target"`
		Address string `json:"address"`
		Outcome string `json:"outcome"`
	} `json:"entries"`
	Next *string `json:"next"`
}

func (w *adminWorld) audit(t *testing.T, c *client, query string) (auditPage, int) {
	t.Helper()
	rec := c.do(request{method: "GET", path: "/api/v1/admin/audit?" + query})
	var p auditPage
	if rec.Code == 200 {
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
	} else {
		errorOf(t, rec)
	}
	return p, rec.Code
}

// Each reader sees the entries whose actor or target is in their scope:
// the admin's rename of the remote learner (Guangdong) is not for Sichuan's
// admins; the region admin's rename of the nearby learner (another
// institution) is not for cd-lib's admin.
func TestAuditLogByRole(t *testing.T) {
	t.Parallel()
	w := newAdminWorld(t)
	act := func(actor string, target int64) {
		c := w.signIn(t, w.staff[actor])
		rec := c.do(request{method: "PATCH", path: fmt.Sprintf("/api/v1/admin/users/%d", target), body: `{"display_name":"改名"}`, csrf: true,
			remoteAddr: "192.0.2.4:1000"})
		if rec.Code != 200 {
			t.Fatalf("%s renames %d: %d %s", actor, target, rec.Code, rec.Body)
		}
	}
	act(account.RoleAdmin, w.remote.ID)
	act(account.RoleRegionAdmin, w.nearby.ID)
	act(account.RoleInstitutionAdmin, w.home.ID)
	want := map[string][]int64{
		account.RoleAdmin:            {w.home.ID, w.nearby.ID, w.remote.ID},
		account.RoleRegionAdmin:      {w.home.ID, w.nearby.ID},
		account.RoleInstitutionAdmin: {w.home.ID},
	}
	for _, role := range allRoles {
		c := w.signIn(t, w.staff[role])
		p, code := w.audit(t, c, "")
		if want[role] == nil {
			if code != 403 {
				t.Errorf("%s: %d", role, code)
			}
			continue
		}
		if code != 200 {
			t.Fatalf("%s: %d", role, code)
		}
		var renamed []int64
		for _, e := range p.Entries {
			if e.Action == "user.update" {
				var id int64
				fmt.Sscanf(e.Target, "user:%d", &id)
				renamed = append(renamed, id)
				if e.Actor == nil || e.Actor.Username == "" || e.Address != "192.0.2.4" || e.Outcome != "ok" || e.At == "" {
					t.Errorf("%s: entry %+v", role, e)
				}
			}
		}
		slices.Sort(renamed)
		slices.Sort(want[role])
		if !slices.Equal(renamed, want[role]) {
			t.Errorf("%s sees renames of %v, want %v", role, renamed, want[role])
		}
	}

	admin := w.signIn(t, w.staff[account.RoleAdmin])
	if p, _ := w.audit(t, admin, "action=&actor=s-region"); len(p.Entries) == 0 || !allActor(p, "s-region") {
		t.Errorf("actor filter: %+v", p.Entries)
	}
	if p, _ := w.audit(t, admin, "target=remote-learner"); len(p.Entries) == 0 || p.Entries[0].Target != account.UserTarget(w.remote.ID) {
		t.Errorf("target filter: %+v", p.Entries)
	}
	if p, _ := w.audit(t, admin, "actor=nobody-at-all"); len(p.Entries) != 0 {
		t.Errorf("unknown actor: %+v", p.Entries)
	}
	if p, _ := w.audit(t, admin, "from=2000-01-01&to=2000-12-31"); len(p.Entries) != 0 {
		t.Errorf("an old period: %+v", p.Entries)
	}
	if p, _ := w.audit(t, admin, "from=2000-01-01"); len(p.Entries) == 0 {
		t.Error("from 2000: nothing")
	}
	if _, code := w.audit(t, admin, "from=yesterday"); code != 400 {
		t.Errorf("bad date: %d", code)
	}
	// Pages of two, newest first, without gaps or repeats.
	all, _ := w.audit(t, admin, "limit=200")
	var paged []int64
	q := "limit=2"
	for {
		p, code := w.audit(t, admin, q)
		if code != 200 {
			t.Fatal(code)
		}
		for _, e := range p.Entries {
			paged = append(paged, e.ID)
		}
		if p.Next == nil {
			break
		}
		q = "limit=2&cursor=" + url.QueryEscape(*p.Next)
	}
	var ids []int64
	for _, e := range all.Entries {
		ids = append(ids, e.ID)
	}
	if !slices.Equal(paged, ids) || len(ids) < 4 || !slices.IsSortedFunc(ids, func(a, b int64) int { return int(b - a) }) {
		t.Errorf("paged %v, all %v", paged, ids)
	}
}

func allActor(p auditPage, name string) bool {
	for _, e := range p.Entries {
		if e.Actor == nil || e.Actor.Username != name {
			return false
		}
	}
	return true
}
