package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/xuetang-edu/xuetang/internal/learning"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

type meDisplay struct {
	Display struct {
		LargeText    bool `json:"large_text"`
		HighContrast bool `json:"high_contrast"`
	} `json:"display"`
}

// The age-friendly display is stored with the account, so a second browser
// (another device) signing in gets it; a half-filled or wrongly typed body
// is a 400 that changes nothing, and signed out it is a 401.
func TestDisplayPreference(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		cs := newCourseServer(t, b)
		c, u := cs.learner(t, "granny", "")
		var me meDisplay
		c.callJSON(t, "GET", "/api/v1/me", nil, http.StatusOK, &me)
		if me.Display.LargeText || me.Display.HighContrast {
			t.Fatalf("a new account's display = %+v, want both off", me.Display)
		}
		c.callJSON(t, "PUT", "/api/v1/me/display", map[string]bool{"large_text": true, "high_contrast": false}, http.StatusOK, &me)
		if !me.Display.LargeText || me.Display.HighContrast {
			t.Fatalf("after PUT display = %+v", me.Display)
		}
		for _, bad := range []map[string]any{
			{"large_text": false},
			{"high_contrast": true},
			{"large_text": "yes", "high_contrast": true},
		} {
			rec := c.callJSON(t, "PUT", "/api/v1/me/display", bad, http.StatusBadRequest, nil)
			if !strings.Contains(rec.Body.String(), `"code":"invalid"`) {
				t.Errorf("PUT %v = %s", bad, rec.Body.String())
			}
		}
		other := cs.client()
		other.login(t, u.Username, learnerPassword)
		var again meDisplay
		other.callJSON(t, "GET", "/api/v1/me", nil, http.StatusOK, &again)
		if !again.Display.LargeText || again.Display.HighContrast {
			t.Errorf("on another device display = %+v, want large text only", again.Display)
		}
		other.callJSON(t, "POST", "/api/v1/auth/logout", nil, http.StatusOK, nil)
		other.callJSON(t, "PUT", "/api/v1/me/display", map[string]bool{"large_text": true, "high_contrast": true}, http.StatusUnauthorized, nil)
	})
}

// Chinese titles sort by pinyin: 办公 (bàn) before 网上 (wǎng) before 智能
// (zhì); code-point order would put 智 (U+667A) before 网 (U+7F51).
func TestCatalogueSortsByPinyin(t *testing.T) {
	t.Parallel()
	cs := newCourseServer(t, storetest.Backends(t)[0],
		courseVariant("zhi", "zh-CN", "智能手机入门", "s", "beginner", "senior"),
		courseVariant("wang", "zh-CN", "网上政务服务", "s", "beginner", "senior"),
		courseVariant("ban", "zh-CN", "办公软件基础", "s", "beginner", "adult"),
		courseVariant("alpha", "en", "alpha course", "s", "beginner", "adult"),
		courseVariant("beta", "en", "Beta course", "s", "beginner", "adult"),
	)
	var cat catalogue
	cs.client().callJSON(t, "GET", "/api/v1/courses", nil, http.StatusOK, &cat)
	if got, want := cat.slugs(), "alpha,beta,ban,wang,zhi"; got != want {
		t.Errorf("catalogue order = %s, want %s", got, want)
	}
}

// The start-here path lists an audience's courses in the curated order, in
// the language asked for; a step with no course in that language is left
// out, and an unknown audience or language is a 400.
func TestStartHere(t *testing.T) {
	t.Parallel()
	en := courseVariant("phone-en", "en", "Phones", "s", "beginner", "senior")
	en.TranslationOf = "phone"
	cs := newCourseServerWith(t, storetest.Backends(t)[0],
		learning.Config{Paths: learning.Paths{"senior": {"phone", "safety", "chat"}, "cadre": {"gov"}}},
		courseVariant("phone", "zh-CN", "智能手机", "s", "beginner", "senior"), en,
		courseVariant("safety", "zh-CN", "上网安全", "s", "beginner", "senior"),
		courseVariant("chat", "zh-CN", "微信", "s", "beginner", "senior"),
		courseVariant("gov", "zh-CN", "政务", "s", "beginner", "cadre"),
	)
	anon := cs.client()
	for query, want := range map[string]string{
		"?audience=senior&language=zh-CN": "phone,safety,chat",
		"?audience=senior&language=en":    "phone-en",
		"?audience=cadre&language=zh-CN":  "gov",
		"?audience=pupil&language=zh-CN":  "",
	} {
		var cat catalogue
		anon.callJSON(t, "GET", "/api/v1/start-here"+query, nil, http.StatusOK, &cat)
		if got := cat.slugs(); got != want {
			t.Errorf("start-here%s = %s, want %s", query, got, want)
		}
	}
	for _, query := range []string{"?audience=aliens&language=zh-CN", "?audience=senior&language=fr", ""} {
		anon.callJSON(t, "GET", "/api/v1/start-here"+query, nil, http.StatusBadRequest, nil)
	}
}
