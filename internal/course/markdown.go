package course

import (
	"bytes"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
)

// markdown is shared by the checks and the renderer so that what Parse
// accepts is exactly what RenderMarkdown shows. goldmark leaves raw HTML out
// by default (html.WithUnsafe is not set); keep it that way.
var markdown = goldmark.New(goldmark.WithExtensions(
	// GFM, with table alignment as the align attribute, which the HTML
	// policy keeps (it drops style attributes).
	extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
	extension.Strikethrough,
	extension.Linkify,
	extension.TaskList,
))

// htmlPolicy is the second fence behind goldmark's own escaping: whatever a
// future goldmark extension emits, only UGC-safe HTML reaches a learner.
var htmlPolicy = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(true)
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^nofollow noopener$`)).OnElements("a")
	p.AllowAttrs("loading").Matching(regexp.MustCompile(`^lazy$`)).OnElements("img")
	// The UGC policy's alt pattern drops any alt text with Chinese
	// punctuation, quotes or symbols (¥, @, +, ?): the text a screen reader
	// says would vanish. Any printable text is safe in an attribute, which
	// is escaped on output.
	p.AllowAttrs("alt").Matching(regexp.MustCompile(`^[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]*$`)).OnElements("img")
	return p
}()

// RenderMarkdown turns a lesson body into safe HTML. Image links into the
// package's assets/ are rewritten to assetBase + "assets/...", so assetBase
// is where the server publishes this package version's assets, e.g.
// "/media/courses/internet-safety/3/".
func RenderMarkdown(body string, assetBase string) (string, error) {
	if assetBase != "" && !strings.HasSuffix(assetBase, "/") {
		assetBase += "/"
	}
	src := []byte(body)
	doc := markdown.Parser().Parse(text.NewReader(src))
	err := ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Image:
			if p, msg := assetPath(string(n.Destination)); msg == "" {
				n.Destination = []byte(assetBase + p)
			}
			// Lessons are read on slow phone connections.
			n.SetAttributeString("loading", []byte("lazy"))
		case *ast.Link, *ast.AutoLink:
			n.SetAttributeString("rel", []byte("nofollow noopener"))
		}
		return ast.WalkContinue, nil
	})
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := markdown.Renderer().Render(&buf, src, doc); err != nil {
		return "", fmt.Errorf("render markdown: %w", err)
	}
	return htmlPolicy.Sanitize(buf.String()), nil
}

// assetPath resolves an image destination to an Assets key, or explains why
// it cannot be one. Courses must work offline and be self-contained, so an
// image may only point at a file shipped under assets/.
func assetPath(dest string) (key string, problem string) {
	u, err := url.Parse(dest)
	switch {
	case err != nil:
		return "", fmt.Sprintf("image %q is not a valid file path", dest)
	case u.Scheme == "http" || u.Scheme == "https" || u.Host != "":
		return "", fmt.Sprintf("image %q is on the internet: copy it into assets/ so the course works offline", dest)
	case u.Scheme != "" || u.Opaque != "":
		return "", fmt.Sprintf("image %q must be a file under assets/", dest)
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", fmt.Sprintf("image %q must be a plain file path without ? or #", dest)
	case strings.HasPrefix(u.Path, "/"):
		return "", fmt.Sprintf("image %q must be a relative path such as assets/picture.png", dest)
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == ".." {
			return "", fmt.Sprintf("image %q must not use .. to leave the package", dest)
		}
	}
	key = path.Clean(u.Path)
	if !strings.HasPrefix(key, "assets/") {
		return "", fmt.Sprintf("image %q must be a file under assets/", dest)
	}
	return key, ""
}

// checkBody reports images that are not shipped assets and raw HTML, which
// the renderer would silently drop (an author writing "press <Enter>" would
// lose the word). firstLine is the file line the body starts on.
func checkBody(file, body string, firstLine int, assets map[string][]byte, ps *problems) {
	src := []byte(body)
	var newlines []int
	long := false
	for i, start := 0, 0; i <= len(src); i++ {
		if i < len(src) && src[i] != '\n' {
			continue
		}
		if i-start > MaxLineBytes {
			ps.add(file, firstLine+len(newlines), "line is longer than %d bytes: wrap long paragraphs onto several lines", MaxLineBytes)
			long = true
		}
		newlines = append(newlines, i)
		start = i + 1
	}
	// goldmark takes time quadratic in line length on some inputs
	// ("[a](" repeated); lines of ordinary prose are far below the limit.
	if long {
		return
	}
	lineAt := func(off int) int { return firstLine + sort.SearchInts(newlines, off) }

	doc := markdown.Parser().Parse(text.NewReader(src))
	// Where the last image was found in each block, so several images in
	// one paragraph are located in order without rescanning it.
	searchFrom := map[ast.Node]int{}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Image:
			dest := string(n.Destination)
			key, msg := assetPath(dest)
			if msg == "" {
				if _, ok := assets[key]; !ok {
					msg = fmt.Sprintf("image %s is not in the package", key)
				}
			}
			if msg != "" {
				ps.add(file, lineAt(imageOffset(n, src, searchFrom)), "%s", msg)
			}
		case *ast.HTMLBlock:
			if n.HTMLBlockType == ast.HTMLBlockType2 || n.Lines().Len() == 0 {
				return ast.WalkContinue, nil // a comment: meant to be hidden
			}
			seg := n.Lines().At(0)
			ps.add(file, lineAt(seg.Start), "raw HTML is not shown to learners: %s", snippet(seg.Value(src)))
		case *ast.RawHTML:
			if n.Segments.Len() == 0 {
				return ast.WalkContinue, nil
			}
			seg := n.Segments.At(0)
			raw := seg.Value(src)
			// Comments are meant to be hidden; a closing tag is reported
			// with its opening one.
			if bytes.HasPrefix(raw, []byte("<!--")) || bytes.HasPrefix(raw, []byte("</")) {
				return ast.WalkContinue, nil
			}
			ps.add(file, lineAt(seg.Start), "raw HTML is not shown to learners: %s (write &lt; for a literal <)", snippet(raw))
		}
		return ast.WalkContinue, nil
	})
}

// imageOffset finds where an image is written. Inline nodes carry no
// position of their own; the alt text does, and failing that the
// destination is searched for in the enclosing block.
func imageOffset(img *ast.Image, src []byte, searchFrom map[ast.Node]int) int {
	if t, ok := img.FirstChild().(*ast.Text); ok {
		return t.Segment.Start
	}
	for p := img.Parent(); p != nil; p = p.Parent() {
		if p.Type() != ast.TypeBlock || p.Lines().Len() == 0 {
			continue
		}
		start, ok := searchFrom[p]
		if !ok {
			start = p.Lines().At(0).Start
		}
		if len(img.Destination) > 0 && start <= len(src) {
			if i := bytes.Index(src[start:], img.Destination); i >= 0 {
				searchFrom[p] = start + i + len(img.Destination)
				return start + i
			}
		}
		return start
	}
	return 0
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if utf8.RuneCountInString(s) > 40 {
		s = string([]rune(s)[:40]) + "…"
	}
	return fmt.Sprintf("%q", s)
}
