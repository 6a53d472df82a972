package course

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Load reads every course package at path: a course folder (it has a
// course.yaml), a folder of course folders, or a .zip of either. Either all
// packages are valid and returned, or none is and the error is a
// *ValidationError listing the problems of every package, each file prefixed
// with its package folder.
//
// In a folder of courses, loose files (embed.go, README.md), hidden entries
// and __MACOSX are ignored; every other subfolder must be a course.
func Load(path string) ([]*Package, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return LoadZip(f, fi.Size())
	}
	// os.Root keeps every read inside path even if a symbolic link appears
	// after Parse has looked at the listing.
	root, err := os.OpenRoot(path)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	name := filepath.Base(path)
	if abs, err := filepath.Abs(path); err == nil {
		name = filepath.Base(abs)
	}
	return loadTree(root.FS(), name)
}

// LoadFS is Load for a file system, such as the embedded shipped courses:
// its root is a course package or a folder of them.
func LoadFS(fsys fs.FS) ([]*Package, error) {
	return loadTree(fsys, "")
}

type packageDir struct {
	dir  string // in fsys
	name string // shown in problems; "" means the package's slug
}

func loadTree(fsys fs.FS, rootName string) ([]*Package, error) {
	ps := &problems{}
	dirs := findPackages(fsys, rootName, ps)

	var pkgs []*Package
	var all []Problem
	all = append(all, ps.sorted()...)
	bySlug := map[string]string{}
	for _, d := range dirs {
		sub, err := fs.Sub(fsys, d.dir)
		if err != nil {
			all = append(all, Problem{File: d.name, Message: err.Error()})
			continue
		}
		pkg, pps, slugLine := parsePackage(sub)
		name := d.name
		if name == "" {
			name = pkg.Slug
		}
		if pkg.Slug != "" {
			if prev, dup := bySlug[pkg.Slug]; dup {
				pps.add("course.yaml", slugLine, "slug %q is also used by %s", pkg.Slug, prev)
			} else {
				bySlug[pkg.Slug] = path.Join(name, "course.yaml")
			}
		}
		for _, p := range pps.sorted() {
			p.File = path.Join(name, p.File)
			all = append(all, p)
		}
		pkgs = append(pkgs, pkg)
	}
	if len(all) > 0 {
		e := &ValidationError{Problems: all}
		if len(pkgs) == 1 {
			e.Slug = pkgs[0].Slug
		}
		return nil, e
	}
	return pkgs, nil
}

// findPackages looks for packages at the root, or one level down, or, when
// the root holds a single folder that is not a course (how most zip tools
// wrap things), one level below that.
func findPackages(fsys fs.FS, rootName string, ps *problems) []packageDir {
	if isPackage(fsys, ".") {
		return []packageDir{{dir: ".", name: rootName}}
	}
	subdirs := listDirs(fsys, ".", rootName, ps)
	if len(subdirs) == 1 && !isPackage(fsys, subdirs[0]) {
		wrapper := subdirs[0]
		subdirs = nil
		for _, d := range listDirs(fsys, wrapper, path.Join(rootName, wrapper), ps) {
			subdirs = append(subdirs, path.Join(wrapper, d))
		}
	}
	var out []packageDir
	for _, d := range subdirs {
		name := path.Join(rootName, d)
		if !isPackage(fsys, d) {
			ps.add(name, 0, "not a course package: it has no course.yaml")
			continue
		}
		out = append(out, packageDir{dir: d, name: name})
	}
	if len(out) == 0 && ps.empty() {
		where := rootName
		if where == "" {
			where = "."
		}
		ps.add("", 0, "no course package found in %s (a course folder holds a course.yaml)", where)
	}
	return out
}

// listDirs returns the visible subfolders of dir, reporting symbolic links.
func listDirs(fsys fs.FS, dir, shownAs string, ps *problems) []string {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		ps.add(shownAs, 0, "cannot read the folder: %v", err)
		return nil
	}
	var out []string
	for _, e := range entries {
		// __MACOSX holds the resource forks macOS Finder adds to zips.
		if strings.HasPrefix(e.Name(), ".") || e.Name() == "__MACOSX" {
			continue
		}
		if e.Type()&fs.ModeSymlink != 0 {
			ps.add(path.Join(shownAs, e.Name()), 0, "symbolic links are not allowed in a course package")
			continue
		}
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// isPackage treats a folder with lesson files but no course.yaml as a
// package too, so the author hears "course.yaml is missing" rather than
// "no course found".
func isPackage(fsys fs.FS, dir string) bool {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if e.Name() == "course.yaml" || lessonFileRe.MatchString(e.Name()) {
			return true
		}
	}
	return false
}
