package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/store"
)

var cnNumber = map[string]int{"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}

// solve reads the sum as a person would: "七加五等于几？".
func solve(t *testing.T, q string) int {
	t.Helper()
	q = strings.TrimSuffix(q, "等于几？")
	for op, f := range map[string]func(a, b int) int{"加": func(a, b int) int { return a + b }, "减": func(a, b int) int { return a - b }} {
		if a, b, ok := strings.Cut(q, op); ok && cnNumber[a] > 0 && cnNumber[b] > 0 {
			return f(cnNumber[a], cnNumber[b])
		}
	}
	t.Fatalf("question %q is not a sum of two digits in words", q)
	return 0
}

type joinInfo struct {
	Institution struct{ Code, Name string } `json:"institution"`
	JoinURL     string                      `json:"join_url"`
	Question    string                      `json:"question"`
	QuestionEn  string                      `json:"question_en"`
	Challenge   string                      `json:"challenge"`
}

func joinQuestion(t *testing.T, c *client, code string) joinInfo {
	t.Helper()
	rec := c.do(request{method: "GET", path: "/api/v1/join/" + code})
	if rec.Code != 200 {
		t.Fatalf("GET join info: %d %s", rec.Code, rec.Body)
	}
	var info joinInfo
	if err := json.Unmarshal(rec.Body.Bytes(), &info); err != nil {
		t.Fatal(err)
	}
	return info
}

func joinBody(username, challenge, answer string) string {
	b, _ := json.Marshal(map[string]any{"username": username, "display_name": "王大爷", "password": "walk-in-password-9",
		"age_confirmed": true, "challenge": challenge, "answer": answer})
	return string(b)
}

// joinWorld has cd-lib open to self-registration, gz-lib not, and a closed
// library that had allowed it.
func joinWorld(t *testing.T) *unlockWorld {
	t.Helper()
	w := newUnlockWorld(t)
	ctx := context.Background()
	lib, _ := w.ts.st.InstitutionByCode(ctx, "cd-lib")
	lib.SelfRegistration = true
	if err := w.ts.st.SaveInstitution(ctx, lib, store.AuditEntry{Action: "institution.update"}); err != nil {
		t.Fatal(err)
	}
	closed := time.Now()
	old := &store.Institution{Code: "old-lib", Name: "旧馆", Kind: "library", RegionCode: "510104", CreatedAt: closed, SelfRegistration: true, ClosedAt: &closed}
	if err := w.ts.st.CreateInstitution(ctx, old); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestJoin(t *testing.T) {
	t.Parallel()
	w := joinWorld(t)
	ctx := context.Background()
	c := w.ts.client()
	c.prepareCSRF(t)

	info := joinQuestion(t, c, "CD-LIB")
	if info.Institution.Code != "cd-lib" || info.JoinURL != "http://xuetang.test/join/cd-lib" || !strings.HasPrefix(info.QuestionEn, "What is ") {
		t.Errorf("info = %+v", info)
	}
	answer := solve(t, info.Question)

	// Refusals first: none creates anyone or uses up the question.
	for name, body := range map[string]string{
		"wrong answer": joinBody("walkin", info.Challenge, fmt.Sprint(answer+1)),
		"no answer":    joinBody("walkin", info.Challenge, ""),
		"other id":     joinBody("walkin", "made-up", fmt.Sprint(answer)),
		"under 14":     strings.Replace(joinBody("walkin", info.Challenge, fmt.Sprint(answer)), `"age_confirmed":true`, `"age_confirmed":false`, 1),
	} {
		rec := c.do(request{method: "POST", path: "/api/v1/join/cd-lib", body: body, csrf: true})
		if rec.Code != 400 {
			t.Errorf("%s: %d %s", name, rec.Code, rec.Body)
		}
		errorOf(t, rec)
	}
	if rec := c.do(request{method: "POST", path: "/api/v1/join/cd-lib", body: joinBody("walkin", info.Challenge, fmt.Sprint(answer))}); rec.Code != 403 {
		t.Errorf("without the CSRF header: %d", rec.Code)
	}
	if _, err := w.ts.st.UserByUsername(ctx, "walkin"); err == nil {
		t.Fatal("a refused sign-up created the user")
	}

	rec := c.do(request{method: "POST", path: "/api/v1/join/cd-lib", body: joinBody("WalkIn", info.Challenge, " "+fmt.Sprint(answer)+" "), csrf: true})
	if rec.Code != 201 || !strings.Contains(rec.Body.String(), `"username":"walkin"`) {
		t.Fatalf("sign-up: %d %s", rec.Code, rec.Body)
	}
	u, err := w.ts.st.UserByUsername(ctx, "walkin")
	lib, _ := w.ts.st.InstitutionByCode(ctx, "cd-lib")
	if err != nil || u.Role != account.RoleLearner || u.InstitutionID == nil || *u.InstitutionID != lib.ID || u.DisplayName != "王大爷" {
		t.Fatalf("created %+v %v", u, err)
	}
	c.login(t, "walkin", "walk-in-password-9")

	// A question answers once.
	other := w.ts.client()
	other.prepareCSRF(t)
	rec = other.do(request{method: "POST", path: "/api/v1/join/cd-lib", body: joinBody("second", info.Challenge, fmt.Sprint(answer)), csrf: true})
	if rec.Code != 400 {
		t.Errorf("a used question: %d %s", rec.Code, rec.Body)
	}
	if _, err := w.ts.st.UserByUsername(ctx, "second"); err == nil {
		t.Error("a used question created a second account")
	}
}

func TestJoinUnavailable(t *testing.T) {
	t.Parallel()
	w := joinWorld(t)
	c := w.ts.client()
	c.prepareCSRF(t)
	// Off by default (gz-lib), closed (old-lib), unknown: all the same 404.
	for _, code := range []string{"gz-lib", "old-lib", "nowhere"} {
		for _, r := range []request{{method: "GET", path: "/api/v1/join/" + code},
			{method: "POST", path: "/api/v1/join/" + code, body: joinBody("x-"+code, "c", "1"), csrf: true},
			{method: "GET", path: "/join/" + code + "/qr.svg"}} {
			rec := c.do(r)
			if rec.Code != 404 {
				t.Errorf("%s %s: %d", r.method, r.path, rec.Code)
			}
		}
	}
	rec := c.do(request{method: "GET", path: "/join/cd-lib/qr.svg"})
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/svg+xml" || !strings.Contains(rec.Body.String(), "<svg") {
		t.Errorf("poster QR: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	for _, page := range []string{"/join/cd-lib", "/join/cd-lib/poster"} {
		if rec := c.do(request{method: "GET", path: page}); rec.Code != 200 || !strings.Contains(rec.Body.String(), "<main") {
			t.Errorf("%s: %d", page, rec.Code)
		}
	}
}

// Sign-up attempts from one address are limited, whatever their outcome.
func TestJoinThrottledPerAddress(t *testing.T) {
	t.Parallel()
	w := joinWorld(t)
	c := w.ts.client()
	c.prepareCSRF(t)
	var rec *httptest.ResponseRecorder
	for i := 0; i < 31; i++ {
		rec = c.do(request{method: "POST", path: "/api/v1/join/cd-lib", body: joinBody("t", "c", "1"), csrf: true, remoteAddr: "203.0.113.9:5000"})
	}
	if rec.Code != 429 || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("31st attempt: %d %s", rec.Code, rec.Body)
	}
	info := joinQuestion(t, c, "cd-lib")
	rec = c.do(request{method: "POST", path: "/api/v1/join/cd-lib", body: joinBody("late", info.Challenge, fmt.Sprint(solve(t, info.Question))),
		csrf: true, remoteAddr: "203.0.113.9:5000"})
	if rec.Code != 429 {
		t.Errorf("a right answer from the throttled address: %d", rec.Code)
	}
	rec = c.do(request{method: "POST", path: "/api/v1/join/cd-lib", body: joinBody("elsewhere", info.Challenge, fmt.Sprint(solve(t, info.Question))),
		csrf: true, remoteAddr: "198.51.100.20:5000"})
	if rec.Code != 201 {
		t.Errorf("another address: %d %s", rec.Code, rec.Body)
	}
}
