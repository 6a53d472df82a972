// Package frontend embeds the static site: plain HTML, CSS and ES modules
// that run without a build step.
package frontend

import (
	"embed"
	"io/fs"
	"os"
)

//go:embed *.html sw.js admin teach css js i18n img
var files embed.FS

// FS returns the site. A non-empty dir serves files from disk instead, so a
// developer sees edits without rebuilding.
func FS(dir string) fs.FS {
	if dir != "" {
		return os.DirFS(dir)
	}
	return files
}
