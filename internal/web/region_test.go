package web_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/xuetang-edu/xuetang/internal/region"
)

func TestRegions(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	if _, err := region.New(ts.st).LoadShipped(context.Background()); err != nil {
		t.Fatal(err)
	}
	get := func(path string, headers map[string]string) *httptest.ResponseRecorder {
		c := ts.client()
		c.cookies["xuetang_session"] = "someone-elses-session"
		return c.do(request{method: "GET", path: path, headers: headers})
	}
	type regionJSON struct {
		Code, Name string
		Level      int
	}
	decode := func(rec *httptest.ResponseRecorder) []regionJSON {
		t.Helper()
		var body struct {
			Regions []regionJSON `json:"regions"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Regions == nil {
			t.Fatalf("%d %s: %v", rec.Code, rec.Body, err)
		}
		return body.Regions
	}

	rec := get("/api/v1/regions", nil)
	provinces := decode(rec)
	if rec.Code != 200 || len(provinces) != 34 || provinces[0] != (regionJSON{"110000", "北京市", 1}) {
		t.Fatalf("provinces: %d %v", rec.Code, provinces)
	}
	// The same for everyone and no cookie: cacheable by browsers and
	// proxies, unlike every other API answer.
	if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=21600" {
		t.Errorf("Cache-Control = %q", cc)
	}
	if sc := rec.Header().Values("Set-Cookie"); len(sc) != 0 {
		t.Errorf("a public, cacheable answer sets cookies: %v", sc)
	}
	etag := rec.Header().Get("ETag")
	if again := get("/api/v1/regions", map[string]string{"If-None-Match": etag}); etag == "" || again.Code != 304 || again.Body.Len() != 0 {
		t.Errorf("revalidation with ETag %q: %d", etag, again.Code)
	}

	bj := decode(get("/api/v1/regions?parent=110000", nil))
	if len(bj) != 16 || bj[0] != (regionJSON{"110101", "东城区", 3}) {
		t.Errorf("北京's districts: %v", bj)
	}
	sc := decode(get("/api/v1/regions?parent=510000", nil))
	if len(sc) != 21 || sc[0] != (regionJSON{"510100", "成都市", 2}) {
		t.Errorf("四川's prefectures: %d %v", len(sc), sc[:1])
	}
	if leaf := decode(get("/api/v1/regions?parent=510104", nil)); len(leaf) != 0 {
		t.Errorf("a county's children: %v", leaf)
	}

	for path, want := range map[string]int{"/api/v1/regions?parent=999900": 404, "/api/v1/regions?parent=51": 400, "/api/v1/regions?parent=abcdef": 400} {
		rec := get(path, nil)
		if rec.Code != want {
			t.Errorf("%s: %d, want %d", path, rec.Code, want)
		}
		errorOf(t, rec)
		if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: error cached: Cache-Control %q", path, cc)
		}
	}
}
