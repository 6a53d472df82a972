package course

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseLesson feeds arbitrary bytes as a lesson file of an otherwise
// valid package. The parser must never panic; a rejected package must come
// back as problems located inside the file; an accepted one must survive
// WriteZip and LoadZip unchanged and render without error.
func FuzzParseLesson(f *testing.F) {
	f.Add([]byte(validLesson))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := validFS()
		m["01-passwords.md"].Data = data
		pkg, err := Parse(m)
		if err != nil {
			if pkg != nil {
				t.Fatal("package returned with an error")
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("not a ValidationError with problems: %v", err)
			}
			lines := countLines(string(data))
			for _, p := range ve.Problems {
				if p.Message == "" {
					t.Errorf("empty message: %+v", p)
				}
				if p.File == "01-passwords.md" && (p.Line < 0 || p.Line > lines) {
					t.Errorf("line %d outside a %d-line file: %s", p.Line, lines, p)
				}
			}
			return
		}
		for _, l := range pkg.Lessons {
			if _, err := RenderMarkdown(l.Body, "/media/x/1/"); err != nil {
				t.Fatal(err)
			}
		}
		var buf bytes.Buffer
		if err := pkg.WriteZip(&buf); err != nil {
			t.Fatalf("cannot write an accepted package: %v", err)
		}
		again, err := LoadZip(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatalf("cannot read back a written package: %v", err)
		}
		if !reflect.DeepEqual(again[0], pkg) {
			t.Fatalf("round trip changed the package\n got %+v\nwant %+v", again[0].Lessons[0], pkg.Lessons[0])
		}
	})
}

// countLines counts lines the way the YAML scanner does, which also breaks
// lines at NEL, LS and PS.
func countLines(s string) int {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	n := 1
	for _, r := range s {
		switch r {
		case '\n', '\r', '\u0085', '\u2028', '\u2029':
			n++
		}
	}
	return n
}

// FuzzLoadZip feeds arbitrary bytes as an uploaded archive: never a panic,
// and either packages or an error, not both.
func FuzzLoadZip(f *testing.F) {
	pkg, err := Parse(validFS())
	if err != nil {
		f.Fatal(err)
	}
	var seed bytes.Buffer
	if err := pkg.WriteZip(&seed); err != nil {
		f.Fatal(err)
	}
	f.Add(seed.Bytes())
	f.Add([]byte("PK\x05\x06\x00\x00\x00\x00\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := LoadZip(bytes.NewReader(data), int64(len(data)))
		if (pkgs == nil) == (err == nil) {
			t.Fatalf("got %d packages and error %v", len(pkgs), err)
		}
	})
}
