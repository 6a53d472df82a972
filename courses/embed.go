// Package courses embeds the shipped citizen IT-skills curriculum, so a new
// installation can teach the same day it is installed.
package courses

import (
	"embed"
	"io/fs"
)

//go:embed all:*
var files embed.FS

// FS returns the shipped course packages (a folder of course folders).
func FS() fs.FS { return files }
