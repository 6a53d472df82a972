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

// Every page links the web app manifest (the site installs from any page)
// and runs no inline script: the strict CSP, which the service worker's
// cached copies keep, would refuse it.
func TestPagesLinkTheManifest(t *testing.T) {
	site := FS("")
	pages, err := fs.Glob(site, "*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"admin", "teach"} {
		more, _ := fs.Glob(site, dir+"/*.html")
		pages = append(pages, more...)
	}
	if len(pages) < 10 {
		t.Fatalf("only %d pages found", len(pages))
	}
	for _, p := range pages {
		b, err := fs.ReadFile(site, p)
		if err != nil {
			t.Fatal(err)
		}
		html := string(b)
		if !strings.Contains(html, `<link rel="manifest" href="/manifest.webmanifest">`) {
			t.Errorf("%s does not link the manifest", p)
		}
		for _, s := range strings.Split(html, "<script")[1:] {
			if !strings.Contains(strings.SplitN(s, ">", 2)[0], " src=") {
				t.Errorf("%s has an inline script", p)
			}
		}
	}
}
