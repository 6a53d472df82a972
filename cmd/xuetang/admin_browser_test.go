package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/xuetang-edu/xuetang/internal/store"
)

// The administration pages in a real browser, once per language: an
// administrator finds a learner who is locked out, lifts the delay, resets
// the password and reads the one-time password, with which the learner can
// then sign in; the audit log shows both actions. Every page, and the dialog,
// is checked with axe. A learner finds no way in.

type adminCase struct {
	lang, admin, learner, learnerName, other string
}

func TestBrowserAdministration(t *testing.T) {
	exe := needChromium(t)
	cases := []adminCase{
		{lang: "zh-CN", admin: "admin-zh", learner: "reset-zh", learnerName: "李秀英", other: "plain-zh"},
		{lang: "en", admin: "admin-en", learner: "reset-en", learnerName: "Bob Jones", other: "plain-en"},
	}
	env := map[string]string{
		"XUETANG_ADDR":      "127.0.0.1:0",
		"XUETANG_DATA_DIR":  t.TempDir(),
		"XUETANG_LOG_LEVEL": "warn",
		// Nobody here is that old: the retention page lists no one.
		"XUETANG_ACCOUNT_RETENTION": "400d",
	}
	getenv := func(k string) string { return env[k] }
	for _, c := range cases {
		createUser(t, getenv, c.admin, "admin", "Admin "+c.lang, c.lang)
		createUser(t, getenv, c.learner, "learner", c.learnerName, c.lang)
		createUser(t, getenv, c.other, "learner", "Plain "+c.lang, c.lang)
	}
	var out, errOut strings.Builder
	if code := run([]string{"institution", "create", "--code", "town-lib", "--name", "镇图书馆", "--kind", "library", "--region", "510104"},
		strings.NewReader(""), &out, &errOut, getenv); code != 0 {
		t.Fatalf("institution create: exit %d: %s", code, errOut.String())
	}
	createUser(t, getenv, "teacher-zh", "teacher", "张老师", "zh-CN", "--institution", "town-lib")
	createUser(t, getenv, "inst-admin-en", "institution_admin", "Ms Institution", "en", "--institution", "town-lib")
	createUser(t, getenv, "town-learner", "learner", "王大妈", "zh-CN", "--institution", "town-lib")
	// A teacher's people are the learners in their classes.
	func() {
		st := appStore(t, env)
		ctx := context.Background()
		teacher, err := st.UserByUsername(ctx, "teacher-zh")
		if err != nil {
			t.Fatal(err)
		}
		learner, err := st.UserByUsername(ctx, "town-learner")
		if err != nil {
			t.Fatal(err)
		}
		class := &store.Class{InstitutionID: *teacher.InstitutionID, Name: "老年班", TeacherID: &teacher.ID}
		if err := st.CreateClass(ctx, class); err != nil {
			t.Fatal(err)
		}
		if err := st.AddClassMember(ctx, class.ID, learner.ID); err != nil {
			t.Fatal(err)
		}
		st.Close()
	}()
	base := startBrowserServer(t, getenv, time.Now)
	browserCtx := startBrowser(t, exe)

	// Staff below the top see the pages their role may use, and no others.
	t.Run("roles", func(t *testing.T) {
		for _, r := range []struct {
			lang, username, headerLink string
			pages                      []string
		}{
			{"zh-CN", "teacher-zh", "/admin/users", []string{"/admin", "/admin/users"}},
			{"en", "inst-admin-en", "/admin", []string{"/admin", "/admin/users", "/admin/import", "/admin/audit", "/admin/stats"}},
		} {
			b := newBrowserSession(t, browserCtx, base, browserLearner{lang: r.lang, username: r.username})
			b.staffMenu(r.headerLink, r.pages)
		}
	})
	for _, c := range cases {
		t.Run(c.lang, func(t *testing.T) {
			b := newBrowserSession(t, browserCtx, base, browserLearner{lang: c.lang, username: c.admin})
			b.administer(c, browserCtx)
			l := newBrowserSession(t, browserCtx, base, browserLearner{lang: c.lang, username: c.other})
			l.noAdminForLearners()
		})
	}
}

func (b *browserSession) signIn(username string) {
	b.t.Helper()
	b.do("open sign-in page", chromedp.Navigate(b.base+"/login?lang="+b.l.lang), chromedp.WaitVisible(chromedp.CSS("#username")))
	b.do("sign in",
		chromedp.SendKeys(chromedp.CSS("#username"), username),
		chromedp.SendKeys(chromedp.CSS("#password"), browserPassword),
		jsClick("#login-form button[type=submit]"),
		chromedp.WaitVisible(chromedp.CSS("#greeting")),
	)
}

// adminPage opens an administration page and waits until it has settled.
func (b *browserSession) adminPage(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitVisible(chromedp.CSS(`main[data-ready="true"]`)))
}

func (b *browserSession) administer(c adminCase, browserCtx context.Context) {
	t := b.t
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	api := newAPIClient(t, b.base)
	api.lockOut(c.learner)

	b.signIn(c.admin)
	if n := b.count(`#site-header a[href="/admin"]`); n != 1 {
		t.Errorf("the header has %d links to the administration, want 1", n)
	}

	b.adminPage("/admin")
	b.accessible("admin home")
	for _, href := range []string{"/admin/users", "/admin/import", "/admin/audit", "/admin/institutions"} {
		if n := b.count(fmt.Sprintf(`nav.admin-menu a[href=%q]`, href)); n != 1 {
			t.Errorf("the administration menu has %d links to %s, want 1", n, href)
		}
		if n := b.count(fmt.Sprintf(`#admin-cards a[href=%q]`, href)); n != 1 {
			t.Errorf("the administration home has %d links to %s, want 1", n, href)
		}
	}

	// The list, then a search that finds the one learner.
	b.adminPage("/admin/users")
	if n := b.count(".user-card"); n < 3 {
		t.Errorf("the user list shows %d people, want every account (at least 3)", n)
	}
	b.accessible("users")
	if n := b.count(fmt.Sprintf(`.user-card[data-username=%q] [data-action]`, c.admin)); n != 0 {
		t.Errorf("the administrator's own card offers %d actions on their own account", n)
	}
	// Two at a time: "show more" adds the next two and moves focus to the
	// first of them.
	b.adminPage("/admin/users?limit=2")
	b.do("show more", jsClick("#load-more"), chromedp.WaitVisible(css(".user-card:nth-child(4)")))
	if n := b.count(".user-card"); n != 4 {
		t.Errorf("after show more, %d people listed, want 4", n)
	}
	if n := b.count(".user-card:nth-child(3) h2:focus"); n != 1 {
		t.Error("after show more, focus is not on the first person added")
	}
	b.adminPage("/admin/users")
	card := fmt.Sprintf(`.user-card[data-username=%q]`, c.learner)
	b.do("search",
		chromedp.SendKeys(css("#q"), c.learner),
		jsClick("#user-search button[type=submit]"),
		chromedp.WaitVisible(css(card)),
		chromedp.WaitNotPresent(css(fmt.Sprintf(`.user-card:not([data-username=%q])`, c.learner))),
	)
	if got := b.text("found", card+" h2"); got != c.learnerName {
		t.Errorf("search result names %q, want %q", got, c.learnerName)
	}

	// Unlock: the right password works again from the delayed address.
	b.do("unlock", jsClick(card+` [data-action="unlock"]`), chromedp.WaitVisible(css(card+` .status.ok`)))
	b.accessible("users after unlock")
	if code, _ := api.login(c.learner, browserPassword); code != 200 {
		t.Errorf("after unlock, the learner's sign-in answers %d, want 200", code)
	}

	// Reset: confirm in the dialog, read the one-time password once.
	b.do("reset password", jsClick(card+` [data-action="reset"]`), chromedp.WaitVisible(css("#confirm-dialog[open] #confirm-ok")))
	b.accessible("reset dialog")
	b.do("confirm reset", jsClick("#confirm-ok"), chromedp.WaitVisible(css("#otp-box:not([hidden]) #otp")))
	otp := b.text("one-time password", "#otp")
	if len(otp) < 8 {
		b.fail("one-time password", fmt.Errorf("%q is too short to be one", otp))
	}
	b.accessible("one-time password")
	// The page empties the password on the dialog's close event, a task
	// queued after [open] goes: wait for it, so a loaded machine does not
	// look like a password left behind (a password never emptied still
	// fails here, when the wait runs out).
	b.do("close dialog", jsClick("#confirm-cancel"), chromedp.WaitNotPresent(css("#confirm-dialog[open]")),
		chromedp.WaitNotPresent(css("#otp:not(:empty)")))
	if n := b.count(`#otp:not(:empty)`); n != 0 {
		t.Error("the one-time password stays in the page after the dialog closed")
	}
	if code, _ := api.login(c.learner, browserPassword); code != 401 {
		t.Errorf("the old password after the reset: %d, want 401", code)
	}
	code, body := api.login(c.learner, otp)
	if code != 200 || !strings.Contains(body, `"must_change_password":true`) {
		t.Errorf("sign-in with the one-time password: %d %s, want 200 and must_change_password", code, body)
	}

	// Disable, asked first; then enable again.
	b.do("disable", jsClick(card+` [data-action="disable"]`), chromedp.WaitVisible(css("#confirm-dialog[open] #confirm-ok")))
	b.do("confirm disable", jsClick("#confirm-ok"), chromedp.WaitVisible(css(card+`[data-disabled="true"] .status.ok`)))
	if code, _ := api.login(c.learner, otp); code == 200 {
		t.Error("a disabled account could still sign in")
	}
	b.do("enable", jsClick(card+` [data-action="enable"]`), chromedp.WaitVisible(css(card+`[data-disabled="false"]`)))
	b.accessible("users after enable")

	// The audit log has what was just done, dated today.
	b.adminPage("/admin/audit")
	for _, action := range []string{"user.unlock", "user.password_reset", "user.disable", "user.enable"} {
		if n := b.count(fmt.Sprintf(`#audit-rows tr[data-action=%q]`, action)); n < 1 {
			t.Errorf("the audit log shows no %s", action)
		}
	}
	b.accessible("audit")

	// Personal information: the privacy notice is offered until accepted;
	// the retention rule's list of inactive accounts.
	if n := b.count("#privacy-banner a[href^='/privacy']"); n != 1 {
		t.Errorf("before accepting, %d privacy notices in the header, want 1", n)
	}
	b.do("open the privacy notice", chromedp.Navigate(b.base+"/privacy"), chromedp.WaitVisible(css("#privacy-form button")))
	b.accessible("privacy notice")
	b.do("accept the privacy notice", jsClick("#privacy-form button[type=submit]"), chromedp.WaitVisible(css("#greeting")))
	if n := b.count("#privacy-banner"); n != 0 {
		t.Errorf("after accepting, %d privacy notices in the header", n)
	}
	b.adminPage("/admin/retention")
	if got := b.text("retention rule", "#retention-rule"); !strings.Contains(got, "400") {
		t.Errorf("the retention page says %q, want the 400-day rule", got)
	}
	b.accessible("retention")

	// An institution, created through the form.
	b.adminPage("/admin/institutions")
	b.accessible("institutions")
	inst := "lib-" + strings.ToLower(c.lang)
	b.do("create institution",
		chromedp.SendKeys(css("#c-code"), inst),
		chromedp.SendKeys(css("#c-name"), "Library "+c.lang),
		chromedp.SetValue(css("#c-kind"), "library"),
		jsSelect("#c-province", "510000"), jsSelect("#c-city", "510100"), jsSelect("#c-county", "510104"),
		jsClick("#create-form button[type=submit]"),
		chromedp.WaitVisible(css(fmt.Sprintf(`#inst-list li[data-code=%q]`, inst))),
		chromedp.WaitVisible(css("#create-status.ok")),
	)
	b.accessible("institution created")
	card = fmt.Sprintf(`#inst-list li[data-code=%q]`, inst)
	b.do("edit the institution",
		jsClick(card+" details.edit summary"),
		chromedp.WaitVisible(css(card+" details.edit input[name=name]")),
		chromedp.SetValue(css(card+" details.edit input[name=name]"), "Library "+c.lang+" (renamed)"),
		jsClick(card+" details.edit input[name=self_registration]"),
		jsClick(card+" details.edit button[type=submit]"),
		chromedp.WaitVisible(css(card+` a[href$="/poster"]`)),
	)
	if got := b.text("renamed", card+" h3"); got != "Library "+c.lang+" (renamed)" {
		t.Errorf("after editing, the institution is called %q", got)
	}
	b.accessible("institution edited")
	// Its walk-in sign-up page, now open.
	b.do("open the sign-up page", chromedp.Navigate(b.base+"/join/"+inst+"?lang="+c.lang), chromedp.WaitVisible(css("#join-form")))
	b.accessible("walk-in sign-up")

	// A roster into it: checked with one mistake, corrected, created.
	b.adminPage("/admin/import")
	b.accessible("import")
	prefix := "imp-" + strings.ToLower(c.lang) + "-"
	const rosterPassword = "Roster-pass-2026x"
	// In Chinese, the roster is as Excel on Chinese Windows saves it: GBK,
	// with Chinese column names.
	header, one, two := "username,display_name,role,password\n", "One", "Two"
	if c.lang == "zh-CN" {
		header, one, two = "用户名,姓名,角色,初始密码\n", "赵一", "钱二"
	}
	bad := b.rosterFile("bad.csv", header+prefix+"1,"+one+",learner,"+rosterPassword+"\n"+prefix+"1,"+two+",learner,"+rosterPassword+"\n")
	b.do("check a roster with a mistake",
		chromedp.SetUploadFiles(css("#file"), []string{bad}),
		chromedp.SendKeys(css("#institution"), inst),
		jsClick("#import-form button[type=submit]"),
		chromedp.WaitVisible(css(`#error-rows tr`)),
	)
	if got := b.text("problem row", "#error-rows tr th"); got != "3" {
		t.Errorf("the problem is reported on row %q, want 3 (the header is row 1)", got)
	}
	if n := b.count("#commit:not([hidden])"); n != 0 {
		t.Error("a roster with a problem may be committed")
	}
	b.accessible("import problems")
	good := b.rosterFile("good.csv", header+prefix+"1,"+one+",learner,"+rosterPassword+"\n"+prefix+"2,"+two+",learner,"+rosterPassword+"\n")
	b.do("check the corrected roster",
		chromedp.SetUploadFiles(css("#file"), []string{good}),
		jsClick("#import-form button[type=submit]"),
		chromedp.WaitVisible(css("#commit")),
	)
	b.do("create the accounts", jsClick("#commit"), chromedp.WaitVisible(css("#commit-status.ok")), chromedp.WaitVisible(css("#slips a")))
	b.accessible("import done")
	code, body = api.login(prefix+"2", rosterPassword)
	if code != 200 || !strings.Contains(body, `"must_change_password":true`) {
		t.Errorf("sign-in with the roster's password: %d %s, want 200 and must_change_password", code, body)
	}

	// The learner signs in with the one-time password and must choose a
	// new one before anything else.
	l := newBrowserSession(t, browserCtx, b.base, browserLearner{lang: c.lang, username: c.learner})
	l.do("sign in with the one-time password", chromedp.Navigate(b.base+"/login?lang="+c.lang),
		chromedp.SendKeys(css("#username"), c.learner),
		chromedp.SendKeys(css("#password"), otp),
		jsClick("#login-form button[type=submit]"),
		chromedp.WaitVisible(css("#new-password")),
	)
	l.accessible("choose a new password")
	l.do("choose a new password",
		chromedp.SendKeys(css("#new-password"), "a-new-password-"+c.lang),
		chromedp.SendKeys(css("#repeat-password"), "a-new-password-"+c.lang),
		jsClick("#change-form button[type=submit]"),
		chromedp.WaitVisible(css("#greeting")),
	)
	if code, _ := api.login(c.learner, "a-new-password-"+c.lang); code != 200 {
		t.Errorf("sign-in with the new password: %d", code)
	}
}

// jsSelect waits for a select to offer value, chooses it and tells the page,
// as a person choosing with the keyboard or a finger would.
func jsSelect(css, value string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[bool](fmt.Sprintf(`(() => {
			const s = document.querySelector(%s);
			if (!s || s.disabled || !s.querySelector('option[value=' + CSS.escape(%s) + ']')) return false;
			s.value = %s;
			s.dispatchEvent(new Event('change', { bubbles: true }));
			return true;
		})()`, jsString(css), jsString(value), jsString(value)))(ctx, t)
		return chromedp.Void{}, err
	}
}

// rosterFile writes a roster for the file input: GBK-encoded for Chinese.
func (b *browserSession) rosterFile(name, content string) string {
	data := []byte(content)
	if b.l.lang == "zh-CN" {
		var err error
		if data, err = simplifiedchinese.GBK.NewEncoder().Bytes(data); err != nil {
			b.t.Fatal(err)
		}
	}
	path := filepath.Join(b.t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.t.Fatal(err)
	}
	return path
}

// staffMenu signs in and checks the header's administration link, the menu
// on the administration home, and that the pages off the menu are not found.
func (b *browserSession) staffMenu(headerLink string, pages []string) {
	t := b.t
	b.signIn(b.l.username)
	if n := b.count(`#site-header a[href^="/admin"]`); n != 1 || b.count(fmt.Sprintf(`#site-header a[href=%q]`, headerLink)) != 1 {
		t.Errorf("%s: the header has %d administration links, want one to %s", b.l.username, n, headerLink)
	}
	b.adminPage("/admin")
	b.accessible(b.l.username + " admin home")
	mine := map[string]bool{}
	for _, p := range pages {
		mine[p] = true
	}
	// A page not theirs is opened, leaving the menu: theirs come first.
	for _, p := range []string{"/admin", "/admin/users", "/admin/import", "/admin/audit", "/admin/stats", "/admin/institutions"} {
		if n := b.count(fmt.Sprintf(`nav.admin-menu a[href=%q]`, p)); (n == 1) != mine[p] {
			t.Errorf("%s: %d menu links to %s, want it %v", b.l.username, n, p, mine[p])
		}
		if !mine[p] {
			b.do("open "+p, chromedp.Navigate(b.base+p), chromedp.WaitVisible(chromedp.CSS("#site-header .brand")))
			if got := b.text("not found", "main h1"); got != b.msg("page.not_found") {
				t.Errorf("%s at %s sees %q, want %q", b.l.username, p, got, b.msg("page.not_found"))
			}
		}
	}
	// Staff of one institution list its people only; a teacher is offered
	// the password reset alone.
	b.adminPage("/admin/users")
	b.accessible(b.l.username + " users")
	if n := b.count(`.user-card[data-username^="admin-"]`); n != 0 {
		t.Errorf("%s sees %d administrators of elsewhere in the user list", b.l.username, n)
	}
	if n := b.count(`.user-card[data-username="town-learner"] [data-action="reset"]`); n != 1 {
		t.Errorf("%s is not offered to reset their learner's password", b.l.username)
	}
	teacher := b.l.username == "teacher-zh"
	if n := b.count(`.user-card [data-action="unlock"]`); (n == 0) != teacher {
		t.Errorf("%s is offered unlock on %d cards", b.l.username, n)
	}
}

// A learner sees no administration link, and its pages are not found.
func (b *browserSession) noAdminForLearners() {
	b.signIn(b.l.username)
	if n := b.count(`#site-header a[href^="/admin"]`); n != 0 {
		b.t.Errorf("a learner's header has %d administration links", n)
	}
	b.do("admin as a learner", chromedp.Navigate(b.base+"/admin/users"), chromedp.WaitVisible(chromedp.CSS("#site-header .brand")))
	if got := b.text("not found", "main h1"); got != b.msg("page.not_found") {
		b.t.Errorf("a learner at /admin/users sees %q, want %q", got, b.msg("page.not_found"))
	}
	b.accessible("not found")
}

// apiClient talks to the server as a script would, from the same address
// as the browser.
type apiClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newAPIClient(t *testing.T, base string) *apiClient {
	jar, _ := cookiejar.New(nil)
	return &apiClient{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 20 * time.Second}}
}

func (a *apiClient) login(username, password string) (int, string) {
	a.t.Helper()
	u, _ := url.Parse(a.base)
	if res, err := a.c.Get(a.base + "/api/v1/auth/csrf"); err != nil {
		a.t.Fatal(err)
	} else {
		res.Body.Close()
	}
	csrf := ""
	for _, ck := range a.c.Jar.Cookies(u) {
		if ck.Name == "xuetang_csrf" {
			csrf = ck.Value
		}
	}
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	req, _ := http.NewRequest("POST", a.base+"/api/v1/auth/login", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", csrf)
	res, err := a.c.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// lockOut fails sign-in until the account is delayed for this address.
func (a *apiClient) lockOut(username string) {
	a.t.Helper()
	for i := 0; i < 20; i++ {
		if code, _ := a.login(username, "wrong-password-"+username); code == 429 {
			if code, _ := a.login(username, browserPassword); code != 429 {
				a.t.Fatalf("locked out, the right password answers %d, want 429", code)
			}
			return
		}
	}
	a.t.Fatalf("%s was never delayed", username)
}
