package course

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

type zipEntry struct {
	name string
	data string
	mode fs.FileMode // 0 means a regular file
}

func makeZip(t *testing.T, entries []zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		fh := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if len(e.data) < 1024 {
			fh.Method = zip.Store // a deflate writer per tiny entry makes big zips slow to build
		}
		if e.mode != 0 {
			fh.SetMode(e.mode)
		}
		w, err := zw.CreateHeader(fh)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// packageEntries lays a MapFS out under prefix ("" for the zip root).
func packageEntries(prefix string, m fstest.MapFS) []zipEntry {
	var out []zipEntry
	for name, f := range m {
		out = append(out, zipEntry{name: prefix + name, data: string(f.Data)})
	}
	return out
}

func loadZipBytes(b []byte) ([]*Package, error) {
	return LoadZip(bytes.NewReader(b), int64(len(b)))
}

func TestLoadZipLayouts(t *testing.T) {
	other := validFS()
	other["course.yaml"] = &fstest.MapFile{Data: []byte(strings.Replace(validCourseYAML, "slug: internet-safety", "slug: other", 1))}
	tests := []struct {
		name    string
		entries []zipEntry
		slugs   []string
	}{
		{"package at the root", packageEntries("", validFS()), []string{"internet-safety"}},
		{"package in a top folder", append(packageEntries("internet-safety/", validFS()), zipEntry{name: "internet-safety/"}),
			[]string{"internet-safety"}},
		{"folder of packages", append(packageEntries("a/", validFS()), packageEntries("b/", other)...),
			[]string{"internet-safety", "other"}},
		{"macOS zip", append(packageEntries("internet-safety/", validFS()), zipEntry{name: "__MACOSX/internet-safety/._01-passwords.md", data: "\x00"}),
			[]string{"internet-safety"}},
		{"folder of packages in a top folder", append(packageEntries("courses/a/", validFS()), packageEntries("courses/b/", other)...),
			[]string{"internet-safety", "other"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := loadZipBytes(makeZip(t, tt.entries))
			if err != nil {
				t.Fatal(err)
			}
			var slugs []string
			for _, p := range pkgs {
				slugs = append(slugs, p.Slug)
			}
			if !reflect.DeepEqual(slugs, tt.slugs) {
				t.Errorf("got %v, want %v", slugs, tt.slugs)
			}
		})
	}
}

func TestLoadZipRejects(t *testing.T) {
	good := packageEntries("internet-safety/", validFS())
	with := func(extra ...zipEntry) []zipEntry { return append(append([]zipEntry(nil), good...), extra...) }
	bomb := strings.Repeat("\x00", 3<<20)
	tests := []struct {
		name    string
		entries []zipEntry
		want    []string
	}{
		{"dot dot", with(zipEntry{name: "../evil", data: "x"}), []string{"../evil: entry names must not contain .."}},
		{"dot dot inside", with(zipEntry{name: "internet-safety/assets/../../evil.png", data: "x"}),
			[]string{"internet-safety/assets/../../evil.png: entry names must not contain .."}},
		{"absolute", with(zipEntry{name: "/etc/passwd", data: "x"}), []string{"/etc/passwd: absolute paths are not allowed in a zip"}},
		{"backslash", with(zipEntry{name: `internet-safety\assets\x.png`, data: "x"}),
			[]string{`internet-safety\assets\x.png: entry name contains a backslash: zip entries use / between folders`}},
		{"drive letter", with(zipEntry{name: "C:/x.png", data: "x"}), []string{"C:/x.png: drive letters are not allowed in a zip"}},
		{"not clean", with(zipEntry{name: "internet-safety/./x.md", data: "x"}),
			[]string{"internet-safety/./x.md: entry name is not a clean relative path"}},
		{"symlink", with(zipEntry{name: "internet-safety/assets/passwd.png", data: "/etc/passwd", mode: fs.ModeSymlink | 0o777}),
			[]string{"internet-safety/assets/passwd.png: symbolic links are not allowed in a course package"}},
		{"duplicate entry", with(zipEntry{name: "internet-safety/course.yaml", data: validCourseYAML}),
			[]string{"internet-safety/course.yaml: the zip holds this entry twice"}},
		{"file and folder", with(zipEntry{name: "internet-safety/course.yaml/x", data: "x"}),
			[]string{"internet-safety/course.yaml/x: is inside internet-safety/course.yaml, which is a file"}},
		{"bomb asset", with(zipEntry{name: "internet-safety/assets/bomb.png", data: bomb}),
			[]string{"internet-safety/assets/bomb.png: file is larger than 2 MiB"}},
		{"large markdown", with(zipEntry{name: "internet-safety/03-big.md", data: strings.Repeat("a", MaxMarkdownBytes+1)}),
			[]string{"internet-safety/03-big.md: file is larger than 1 MiB"}},
		{"problems in the package", []zipEntry{{name: "internet-safety/course.yaml", data: validCourseYAML}},
			[]string{"internet-safety: a package needs at least one lesson file (01-lesson-slug.md)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := loadZipBytes(makeZip(t, tt.entries))
			if pkgs != nil {
				t.Error("got packages")
			}
			wantProblems(t, err, tt.want...)
		})
	}
}

func TestLoadZipTooManyEntries(t *testing.T) {
	entries := packageEntries("internet-safety/", validFS())
	for i := len(entries); i < 2001; i++ {
		entries = append(entries, zipEntry{name: fmt.Sprintf("internet-safety/assets/%d.png", i), data: "x"})
	}
	_, err := loadZipBytes(makeZip(t, entries))
	wantProblems(t, err, "the zip has 2001 entries; at most 2000 are allowed")
}

// TestZipEntryCount checks the early count against archive/zip's own, for
// plain and zip64 archives.
func TestZipEntryCount(t *testing.T) {
	for _, n := range []int{0, 3, 65535} {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for i := range n {
			if _, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprint(i), Method: zip.Store}); err != nil {
				t.Fatal(err)
			}
		}
		zw.SetComment("PK\x05\x06 in a comment")
		zw.Close()
		got, ok := zipEntryCount(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if !ok || got != uint64(n) {
			t.Errorf("%d entries: got %d, %v", n, got, ok)
		}
	}
	if _, ok := zipEntryCount(bytes.NewReader([]byte("short")), 5); ok {
		t.Error("found a count in a non-zip")
	}
}

func TestLoadZipUnsafeNames(t *testing.T) {
	entries := append(packageEntries("internet-safety/", validFS()),
		zipEntry{name: "internet-safety/\x1b[31mred.png", data: "x"},
		zipEntry{name: "internet-safety/\xff.png", data: "x"})
	_, err := loadZipBytes(makeZip(t, entries))
	wantProblems(t, err,
		`"internet-safety/\x1b[31mred.png": entry name contains control characters`,
		`"internet-safety/\xff.png": entry name is not UTF-8 (re-create the zip with a tool that stores UTF-8 names)`)
}

// TestLoadZipLyingHeader writes an entry whose header claims 10 bytes but
// which inflates to 3 MiB: the reader must stop, not trust the header.
func TestLoadZipLyingHeader(t *testing.T) {
	var deflated bytes.Buffer
	fw, _ := flate.NewWriter(&deflated, flate.BestSpeed)
	zeros := make([]byte, 3<<20)
	fw.Write(zeros)
	fw.Close()

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range packageEntries("internet-safety/", validFS()) {
		w, _ := zw.Create(e.name)
		w.Write([]byte(e.data))
	}
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name: "internet-safety/assets/bomb.png", Method: zip.Deflate,
		CRC32: crc32.ChecksumIEEE(zeros), CompressedSize64: uint64(deflated.Len()), UncompressedSize64: 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(deflated.Bytes())
	zw.Close()

	pkgs, err := loadZipBytes(buf.Bytes())
	if pkgs != nil || err == nil {
		t.Fatal("a lying header was accepted")
	}
	got := problemsOf(t, err)
	if len(got) != 1 || !strings.HasPrefix(got[0], "internet-safety/assets/bomb.png: cannot read: ") {
		t.Errorf("got %q", got)
	}
}

// TestLoadZipTotalLimit fills many files each under the per-file limit until
// the archive as a whole expands past its limit.
func TestLoadZipTotalLimit(t *testing.T) {
	entries := packageEntries("internet-safety/", validFS())
	for i := range 5 {
		entries = append(entries, zipEntry{name: fmt.Sprintf("internet-safety/assets/%d.png", i), data: strings.Repeat("\x00", 300<<10)})
	}
	b := makeZip(t, entries)
	lim := defaultZipLimits
	lim.total = 1 << 20
	_, err := readZip(bytes.NewReader(b), int64(len(b)), lim)
	wantProblems(t, err, "the zip expands to more than 1 MiB")
}

func TestLoadZipNotAZip(t *testing.T) {
	if _, err := loadZipBytes([]byte("not a zip")); err == nil || !strings.Contains(err.Error(), "not a readable zip file") {
		t.Errorf("got %v", err)
	}
}

func TestLoadZipFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "course.zip")
	if err := os.WriteFile(p, makeZip(t, packageEntries("internet-safety/", validFS())), 0o644); err != nil {
		t.Fatal(err)
	}
	pkgs, err := Load(p)
	if err != nil || len(pkgs) != 1 {
		t.Fatalf("got %v, %v", pkgs, err)
	}
}

func TestWriteZipRoundTrip(t *testing.T) {
	orig := &Package{
		Slug: "round-trip-en", Title: "123", Language: "en", Summary: "Key: value # not a comment",
		Audience: []string{"pupil", "cadre"}, Level: "advanced", StudyHours: 2, PassScore: 0, Version: 7,
		TranslationOf: "round-trip", Reviewed: "2026-01",
		Lessons: []Lesson{
			{
				Slug: "tricky", File: "01-tricky.md", Title: "  leading and trailing  ", Minutes: 600,
				Body: "---\nA body with a front-matter-looking line above.\n\n![pic](assets/img/p.png) ![](./assets/x.svg)\n\n    ---\n",
				Questions: []Question{
					{ID: "Q_1", Type: Single, Prompt: "true", Options: []string{"123456", "true", "null", "- dash", "'quoted'"},
						Answer: Answer{Index: 4}, Explanation: "line one\n---\nline three\n"},
					{ID: "q-2", Type: Multiple, Prompt: "@at *star* `tick`", Options: []string{"a", "b", "c"},
						Answer: Answer{Indexes: []int{2, 0}}},
					{ID: "q3", Type: TrueFalse, Prompt: "yes?", Answer: Answer{Bool: true}, Explanation: "  indented"},
					{ID: "q4", Type: FillBlank, Prompt: "WiFi is ____.", Answer: Answer{Texts: []string{"Wi-Fi", "ＷｉＦｉ", "0x10"}}},
				},
			},
			{Slug: "plain", File: "2-plain.md", Title: "No questions", Minutes: 1, Body: ""},
		},
		Assets: map[string][]byte{
			"assets/img/p.png":  {0x89, 'P', 'N', 'G', 0, 1, 2, 3},
			"assets/x.svg":      []byte(lockSVG),
			"assets/unused.gif": []byte("GIF89a"),
		},
	}
	var buf bytes.Buffer
	if err := orig.WriteZip(&buf); err != nil {
		t.Fatal(err)
	}
	pkgs, err := loadZipBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 1 || !reflect.DeepEqual(pkgs[0], orig) {
		t.Errorf("round trip changed the package\ngot  %+v\nwant %+v", pkgs[0], orig)
	}

	zr, _ := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	want := "round-trip-en/course.yaml round-trip-en/01-tricky.md round-trip-en/2-plain.md " +
		"round-trip-en/assets/img/p.png round-trip-en/assets/unused.gif round-trip-en/assets/x.svg"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("zip entries\n got %s\nwant %s", got, want)
	}

	// A parsed package round-trips too.
	parsed, err := Parse(validFS())
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if err := parsed.WriteZip(&buf); err != nil {
		t.Fatal(err)
	}
	again, err := loadZipBytes(buf.Bytes())
	if err != nil || !reflect.DeepEqual(again[0], parsed) {
		t.Errorf("parsed package changed: %v", err)
	}
}

func TestWriteZipRefusesEscapingAsset(t *testing.T) {
	p, err := Parse(validFS())
	if err != nil {
		t.Fatal(err)
	}
	p.Assets["assets/../../evil.png"] = []byte("x")
	wantProblems(t, p.WriteZip(&bytes.Buffer{}), "assets/../../evil.png: not a clean relative path")
}

func TestWriteZipRefusesInvalid(t *testing.T) {
	p, err := Parse(validFS())
	if err != nil {
		t.Fatal(err)
	}
	p.Lessons[0].Questions[0].Answer.Index = 9
	var buf bytes.Buffer
	err = p.WriteZip(&buf)
	// The line is in the regenerated file, so only the message is fixed.
	if got := problemsOf(t, err); len(got) != 1 || !strings.HasSuffix(got[0], ": answer 9 is not one of the 3 options") {
		t.Errorf("got %q", got)
	}
	if buf.Len() != 0 {
		t.Error("wrote a zip anyway")
	}
}
