package frontend

import (
	"io/fs"
	"strings"
	"testing"
)

// The dashboard's charts and styles are loaded by the dashboard alone:
// never by a learner's page, nor by another staff page.
func TestChartsOnlyOnTheDashboard(t *testing.T) {
	site := FS("")
	err := fs.WalkDir(site, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path == "admin/stats.html" || path == "js/admin/stats.js" {
			return err
		}
		if !strings.HasSuffix(path, ".html") && !strings.HasSuffix(path, ".js") {
			return nil
		}
		b, err := fs.ReadFile(site, path)
		if err != nil {
			return err
		}
		for _, s := range []string{"chart.js", "stats.css", "/vendor/"} {
			if strings.Contains(string(b), s) {
				t.Errorf("%s loads %s", path, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := fs.ReadFile(site, "admin/stats.html")
	if err != nil || !strings.Contains(string(b), "/js/admin/stats.js") {
		t.Fatalf("the dashboard page: %v", err)
	}
}
