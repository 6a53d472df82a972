package web

import (
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

func offlineOf(t *testing.T, files fstest.MapFS) *offline {
	t.Helper()
	pg, err := loadPages(files)
	if err != nil {
		t.Fatal(err)
	}
	o, err := newOffline(pg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// The caches' version follows the frontend: any changed file gives a new
// version (so the old release's caches are deleted), the same files the same.
func TestOfflineVersionFollowsTheFrontend(t *testing.T) {
	sw := &fstest.MapFile{Data: []byte("const BUILD = /*BUILD*/{}/*END*/;\n")}
	site := func(js string) fstest.MapFS {
		return fstest.MapFS{"sw.js": sw, "js/app.js": {Data: []byte(js)}, "index.html": {Data: []byte("<p>")}, "js/admin/x.js": {Data: []byte("x")}}
	}
	a, b, c := offlineOf(t, site("one")), offlineOf(t, site("one")), offlineOf(t, site("two"))
	if a.version != b.version {
		t.Errorf("same files, versions %s and %s", a.version, b.version)
	}
	if a.version == c.version {
		t.Errorf("a changed script kept version %s", a.version)
	}
	body := string(c.sw.body)
	if !strings.Contains(body, `"version":"`+c.version+`"`) || !regexp.MustCompile(`"/js/app\.[0-9a-f]{10}\.js"`).MatchString(body) || strings.Contains(body, "/js/admin/") {
		t.Errorf("sw.js as served: %s", body)
	}
	if a.sw.etag == c.sw.etag {
		t.Error("a new release's sw.js kept the old ETag: browsers would not see it")
	}
	if _, err := newOffline(&pages{files: map[string]staticFile{"/sw.js": {body: []byte("no marker")}}}, nil); err == nil {
		t.Error("sw.js without its build object was accepted")
	}
}
