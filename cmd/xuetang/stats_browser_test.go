package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The statistics dashboard in a real browser, on a generated population:
// an administrator drills from a province down to an institution, reads a
// chart as a table and with the keyboard, starts an XLSX export of it,
// watches it finish and downloads the file; a region administrator of
// another province sees none of the first province, not even by typing its
// code into the address. axe checks the page in both languages.
func TestBrowserStatsDashboard(t *testing.T) {
	exe := needChromium(t)
	env := map[string]string{
		"XUETANG_ADDR":      "127.0.0.1:0",
		"XUETANG_DATA_DIR":  t.TempDir(),
		"XUETANG_LOG_LEVEL": "warn",
	}
	getenv := func(k string) string { return env[k] }
	var out, errOut strings.Builder
	if code := run([]string{"dev", "generate", "--learners", "60", "--courses", "internet-safety", "--password", browserPassword},
		strings.NewReader(""), &out, &errOut, getenv); code != 0 {
		t.Fatalf("dev generate: exit %d: %s", code, errOut.String())
	}
	if code := run([]string{"stats", "rebuild"}, strings.NewReader(""), &out, &errOut, getenv); code != 0 {
		t.Fatalf("stats rebuild: exit %d: %s", code, errOut.String())
	}
	createUser(t, getenv, "stats-admin-zh", "admin", "统计管理员", "zh-CN")
	createUser(t, getenv, "stats-admin-en", "admin", "Stats Admin", "en")
	base := startBrowserServer(t, getenv, time.Now)
	browserCtx := startBrowser(t, exe)

	var province, institution string
	for _, lang := range []string{"zh-CN", "en"} {
		t.Run(lang, func(t *testing.T) {
			b := newBrowserSession(t, browserCtx, base, browserLearner{lang: lang, username: "stats-admin-" + map[string]string{"zh-CN": "zh", "en": "en"}[lang]})
			b.signIn(b.l.username)
			b.adminPage("/admin/stats")
			if n := b.count(`nav.admin-menu a[href="/admin/stats"]`); n != 1 {
				t.Errorf("the administration menu has %d links to the dashboard, want 1", n)
			}
			if n := b.count(`#summary .dash-card`); n != 10 {
				t.Errorf("%d headline numbers, want the 10 indicators", n)
			}
			if s := b.text("learners", `#summary [data-indicator="learners"] .dash-value`); s == "0" || s == "" {
				t.Errorf("learners registered reads %q, want the generated population", s)
			}
			if s := b.text("as of", "#dash-as-of"); !strings.Contains(s, strings.TrimSpace(strings.Split(b.msg("dash.as_of"), "{")[0])) {
				t.Errorf("the as-of line reads %q", s)
			}
			// Drill: province, then down through region rows until an
			// institution with learners, then that institution.
			p := b.firstRow(`tr[data-type="region"]`)
			if province == "" {
				province = p
			}
			b.drill(p)
			if !strings.Contains(b.location(), "region="+p) {
				t.Errorf("after drilling into %s the address is %s", p, b.location())
			}
			for range 3 {
				if b.count(`#regions-table tr[data-type="institution"] a.drill`) > 0 {
					break
				}
				b.drill(b.firstRow(`tr[data-type="region"]`))
			}
			inst := b.firstRow(`tr[data-type="institution"]`)
			if institution == "" {
				institution = inst
			}
			b.drill(inst)
			if n := b.count(`#regions-table tbody tr`); n != 1 {
				t.Errorf("an institution shows %d rows, want its own one", n)
			}
			// And on to its classes (the generated institutions have some).
			if n := b.count(`#classes-section:not([hidden]) #classes-table tbody tr[data-class]`); n == 0 {
				t.Errorf("institution %s shows no classes", inst)
			}
			if n := b.count(`#dash-trail li`); n < 3 {
				t.Errorf("the breadcrumb has %d steps from the country to an institution", n)
			}
			// Reload keeps the place; the breadcrumb goes back up.
			b.adminPage(strings.TrimPrefix(b.location(), base))
			if n := b.count(fmt.Sprintf(`#regions-table tr[data-code=%q]`, inst)); n != 1 {
				t.Errorf("after reload the institution %s is not shown", inst)
			}
			// Trend and breakdown with their table views.
			b.do("show the trend as a table", jsClick("#trend-chart .chart-toggle"), chromedp.WaitVisible(chromedp.CSS("#trend-chart table")))
			if n := b.count("#trend-chart table tbody tr"); n != 12 {
				t.Errorf("the monthly trend has %d rows, want 12 months", n)
			}
			b.do("read the chart with the keyboard", chromedp.Focus(chromedp.CSS("#trend-chart svg")),
				chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight))
			if s := b.text("chart readout", "#trend-chart .chart-read"); !strings.Contains(s, ":") {
				t.Errorf("after the arrow keys the chart reads %q, want a period and its value", s)
			}
			b.do("breakdown by age", jsSelect("#breakdown-by", "age_band"), chromedp.WaitVisible(chromedp.CSS(`main[data-ready="true"] #breakdown-chart svg`)))
			b.do("breakdown by audience", jsSelect("#breakdown-by", "audience"), chromedp.WaitVisible(chromedp.CSS(`main[data-ready="true"] #breakdown-chart svg`)),
				chromedp.WaitVisible(chromedp.CSS("#breakdown-note")))
			if n := b.count(`#breakdown-metric option[value="active"], #breakdown-metric option[value="learners"]`); n != 0 {
				t.Errorf("the audience breakdown offers %d indicators that do not add up over courses", n)
			}
			b.accessible("dashboard at an institution, trend table open")

			// An XLSX export of this institution, followed to the end.
			b.do("start the export", jsSelect("#export-format", "xlsx"), jsClick("#export-start"),
				chromedp.WaitVisible(chromedp.CSS("#export-progress")))
			b.do("wait for the export", chromedp.WaitVisible(chromedp.CSS(`#export-job[data-status="done"] #export-download`)))
			if v := b.attr("progress", "#export-progress", "value"); v != "1" {
				t.Errorf("a finished export's progress bar is at %q, want full", v)
			}
			got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(async () => {
				const r = await fetch(document.getElementById('export-download').href, { credentials: 'same-origin' });
				const b = new Uint8Array(await r.arrayBuffer());
				return r.status + ' ' + r.headers.get('content-type') + ' ' + String.fromCharCode(b[0], b[1]);
			})()`, chromedp.EvalAwaitPromise))
			if err != nil || !strings.HasPrefix(got, "200 application/vnd.openxmlformats-officedocument.spreadsheetml.sheet PK") {
				t.Errorf("download: %q, %v; want 200, the XLSX type and a zip", got, err)
			}
			b.accessible("dashboard with a finished export")
		})
	}

	// The institution's own administrator: their institution, as a plain name.
	createUser(t, getenv, "stats-inst-zh", "institution_admin", "机构管理员", "zh-CN", "--institution", institution)
	t.Run("institution admin", func(t *testing.T) {
		b := newBrowserSession(t, browserCtx, base, browserLearner{lang: "zh-CN", username: "stats-inst-zh"})
		b.signIn("stats-inst-zh")
		b.adminPage("/admin/stats")
		if n := b.count(fmt.Sprintf(`#regions-table tbody tr[data-code=%q]`, institution)); n != 1 || b.count("#regions-table tbody tr") != 1 {
			t.Errorf("an institution admin's table does not show their institution %s alone", institution)
		}
		if n := b.count("#regions-table a.drill, #dash-status.error"); n != 0 {
			t.Errorf("an institution admin is offered %d drill links or errors", n)
		}
		if n := b.count("#classes-table tbody tr[data-class]"); n == 0 {
			t.Error("an institution admin does not see their classes")
		}
	})

	// A region administrator of another province.
	other := "650000"
	if province == other {
		other = "640000"
	}
	createUser(t, getenv, "stats-region-en", "region_admin", "Region Admin", "en", "--region", other)
	t.Run("other province", func(t *testing.T) {
		b := newBrowserSession(t, browserCtx, base, browserLearner{lang: "en", username: "stats-region-en"})
		b.signIn("stats-region-en")
		b.adminPage("/admin/stats")
		if n := b.count(fmt.Sprintf(`#regions-table tr[data-code^=%q], #regions-table tr[data-code=%q]`, province[:2], institution)); n != 0 {
			t.Errorf("a region admin of %s sees %d rows of %s", other, n, province)
		}
		b.accessible("dashboard of another province")
		b.adminPage("/admin/stats?region=" + province)
		if n := b.count("#regions-table tbody tr, #summary .dash-card"); n != 0 {
			t.Errorf("forcing %s into the address shows %d rows or numbers", province, n)
		}
		if s := b.text("refusal", "#dash-status.error"); s == "" {
			t.Error("forcing another province shows no refusal")
		}
		b.adminPage("/admin/stats?institution=" + institution)
		if n := b.count("#regions-table tbody tr, #summary .dash-card"); n != 0 {
			t.Errorf("forcing institution %s into the address shows %d rows or numbers", institution, n)
		}
	})
}

// firstRow is the code of the first row of the region table matching sel
// that has learners, or else the first one.
func (b *browserSession) firstRow(sel string) string {
	b.t.Helper()
	code, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](fmt.Sprintf(`(() => {
		const rows = [...document.querySelectorAll('#regions-table ' + %s)];
		const busy = rows.find((r) => r.querySelector('td') && r.querySelector('td').textContent !== '0');
		return (busy || rows[0])?.dataset.code || '';
	})()`, jsString(sel))))
	if err != nil || code == "" {
		b.fail("find a row "+sel, fmt.Errorf("none (%v)", err))
	}
	return code
}

// drill clicks a row's name and waits for the table below it.
func (b *browserSession) drill(code string) {
	b.t.Helper()
	b.do("drill into "+code, jsClick(fmt.Sprintf(`#regions-table tr[data-code=%q] a.drill`, code)),
		chromedp.WaitVisible(chromedp.CSS(`main[data-ready="true"] #regions-table`)))
}
