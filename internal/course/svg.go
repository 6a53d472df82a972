package course

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// An SVG asset is checked by parsing it as XML, the way a browser does when
// the file is opened directly, and refusing anything outside an allow-list.
// A pattern over the raw bytes is not enough: a namespace prefix
// (<x:script xmlns:x="…svg">), a character reference (&#106;avascript:) or an
// animation that writes an event attribute all run script without ever
// spelling "<script", "javascript:" or "onload=".
//
// Decisions (docs/COURSES.md, "SVG images", tells authors the same):
//   - Elements: shapes, text, paint servers, clipping, masking, filters and
//     SMIL animation, in the SVG namespace. No script, foreignObject, a,
//     iframe-like or unknown elements. Elements and attributes of the
//     drawing editors' metadata namespaces (Inkscape, Sodipodi, RDF, Creative
//     Commons, Dublin Core) are allowed: browsers render nothing for them.
//     Any other namespace is refused (XHTML or MathML inside SVG is live).
//   - Attributes: no event handlers (on*). href and xlink:href only as a
//     local reference "#id" or an embedded raster image
//     data:image/png|jpeg|gif|webp; an image links nothing outside itself.
//     Animations may not target an event attribute, href or style.
//     url(...) only as url(#id). No attribute value may hold a
//     javascript:/vbscript: URL, however it is encoded.
//   - <style> is allowed as plain CSS without @import, url() other than
//     url(#id), expression(), bindings or CSS escapes.
//   - A DOCTYPE may name the SVG DTD but may not declare anything: entity
//     declarations (and so entities other than XML's five) are refused.
//   - The file is refused, never rewritten: the author sees what to change.

const (
	svgNS   = "http://www.w3.org/2000/svg"
	xlinkNS = "http://www.w3.org/1999/xlink"
	xmlNS   = "http://www.w3.org/XML/1998/namespace"
)

var svgElements = setOf(
	"svg", "g", "defs", "desc", "title", "metadata", "symbol", "use", "switch", "image", "style",
	"path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
	"text", "tspan", "textPath",
	"linearGradient", "radialGradient", "stop", "pattern", "clipPath", "mask", "marker",
	"filter", "feBlend", "feColorMatrix", "feComponentTransfer", "feComposite", "feConvolveMatrix",
	"feDiffuseLighting", "feDisplacementMap", "feDistantLight", "feDropShadow", "feFlood",
	"feFuncA", "feFuncB", "feFuncG", "feFuncR", "feGaussianBlur", "feImage", "feMerge",
	"feMergeNode", "feMorphology", "feOffset", "fePointLight", "feSpecularLighting",
	"feSpotLight", "feTile", "feTurbulence",
	"animate", "animateMotion", "animateTransform", "set", "mpath",
)

// editorNS are the namespaces drawing programs write their own metadata in.
var editorNS = setOf(
	"http://www.inkscape.org/namespaces/inkscape",
	"http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
	"http://www.w3.org/1999/02/22-rdf-syntax-ns#",
	"http://creativecommons.org/ns#",
	"http://web.resource.org/cc/",
	"http://purl.org/dc/elements/1.1/",
	"http://purl.org/dc/terms/",
)

var (
	rasterDataURL = regexp.MustCompile(`(?i)^data:image/(png|jpeg|gif|webp)(;base64)?,`)
	animatedName  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*$`)
	localURL      = regexp.MustCompile(`^\s*['"]?\s*#`)
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// checkSVG returns the line and a message for the first thing in data that
// could run script or load something from elsewhere; msg is "" when the
// image is safe to serve.
func checkSVG(data []byte) (line int, msg string) {
	// A browser reads a UTF-8 byte-order mark as the encoding, not as text.
	d := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	d.Strict = true
	at := func() int { l, _ := d.InputPos(); return l }
	depth, roots := 0, 0
	inStyle := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return se.Line, "SVG image is not well-formed XML: " + se.Msg
			}
			return at(), "SVG image is not well-formed XML: " + err.Error()
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				if roots++; roots > 1 || t.Name.Space != svgNS || t.Name.Local != "svg" {
					return at(), `an SVG image has one root element <svg xmlns="http://www.w3.org/2000/svg">`
				}
			}
			if inStyle {
				return at(), "<style> in an SVG image may hold only CSS text"
			}
			if m := checkSVGElement(t); m != "" {
				return at(), m
			}
			inStyle = t.Name.Space == svgNS && t.Name.Local == "style"
			depth++
		case xml.EndElement:
			depth--
			inStyle = false
		case xml.CharData:
			if inStyle {
				if m := checkCSS(string(t)); m != "" {
					return at(), "<style>: " + m
				}
			} else if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return at(), "SVG image has text outside its <svg> element"
			}
		case xml.ProcInst:
			if t.Target != "xml" {
				return at(), fmt.Sprintf("processing instruction <?%s?> is not allowed in an SVG image", t.Target)
			}
		case xml.Directive:
			if !bytes.HasPrefix(t, []byte("DOCTYPE")) || bytes.ContainsAny(t, "[<") {
				return at(), "SVG images may not declare entities or a DOCTYPE with an internal subset"
			}
		}
	}
	if roots == 0 {
		return 0, `not an SVG image: no <svg xmlns="http://www.w3.org/2000/svg"> element`
	}
	return 0, ""
}

func checkSVGElement(t xml.StartElement) string {
	name := t.Name
	switch {
	case strings.Contains(name.Local, ":"):
		return fmt.Sprintf("element <%s> has a malformed name", name.Local)
	case name.Space == svgNS:
		if !svgElements[name.Local] {
			return fmt.Sprintf("<%s> is not allowed in an SVG image (allowed: shapes, text, gradients, patterns, clipping, masks, markers, filters, animation, style)", name.Local)
		}
	case editorNS[name.Space]:
	case name.Space == "":
		return fmt.Sprintf(`element <%s> is in no namespace; an SVG image declares xmlns="http://www.w3.org/2000/svg"`, name.Local)
	default:
		return fmt.Sprintf("element <%s> is in namespace %q, which SVG images may not use", name.Local, name.Space)
	}
	animation := name.Space == svgNS && (name.Local == "set" || strings.HasPrefix(name.Local, "animate"))
	for _, a := range t.Attr {
		if m := checkSVGAttr(a, animation); m != "" {
			return fmt.Sprintf("<%s>: %s", name.Local, m)
		}
	}
	return ""
}

func checkSVGAttr(a xml.Attr, animation bool) string {
	n, v := a.Name, a.Value
	if flat := flatURL(v); strings.Contains(flat, "javascript:") || strings.Contains(flat, "vbscript:") {
		return fmt.Sprintf("attribute %s holds a script URL", n.Local)
	}
	if strings.Contains(strings.ToLower(v), "url(") {
		if m := checkURLs(v); m != "" {
			return fmt.Sprintf("attribute %s: %s", n.Local, m)
		}
	}
	switch n.Space {
	case "":
	case "xmlns":
		return "" // a prefix declaration; what uses it is checked
	case xmlNS:
		if n.Local == "space" || n.Local == "lang" {
			return ""
		}
		return fmt.Sprintf("attribute xml:%s is not allowed", n.Local)
	case xlinkNS:
		switch n.Local {
		case "href":
			return checkHref("xlink:href", v)
		case "title":
			return ""
		}
		return fmt.Sprintf("attribute xlink:%s is not allowed", n.Local)
	default:
		if editorNS[n.Space] {
			return ""
		}
		return fmt.Sprintf("attribute %s is in namespace %q, which SVG images may not use", n.Local, n.Space)
	}
	switch local := n.Local; {
	case local == "xmlns":
		return ""
	case strings.Contains(local, ":"):
		return fmt.Sprintf("attribute %s has a malformed name", local)
	case strings.HasPrefix(strings.ToLower(local), "on"):
		return fmt.Sprintf("event handler attribute %s is not allowed", local)
	case local == "href":
		return checkHref("href", v)
	case local == "style":
		if m := checkCSS(v); m != "" {
			return "style attribute: " + m
		}
	case animation && local == "attributeName":
		target := strings.TrimSpace(v)
		low := strings.ToLower(target)
		if !animatedName.MatchString(target) || strings.HasPrefix(low, "on") || strings.Contains(low, "href") || low == "style" {
			return fmt.Sprintf("an animation may not change %q (event handlers, links and style are off limits)", v)
		}
	}
	return ""
}

// checkHref allows a reference inside the image or an embedded raster
// picture; nothing that navigates, runs or fetches.
func checkHref(attr, v string) string {
	u := strings.Trim(v, " \t\n\r\f\x00")
	if strings.HasPrefix(u, "#") && !strings.ContainsAny(u, " \t\n\r\f") {
		return ""
	}
	if rasterDataURL.MatchString(u) {
		return ""
	}
	return fmt.Sprintf("%s may only point inside the image (#id) or embed a PNG, JPEG, GIF or WebP picture as a data: URL", attr)
}

// checkCSS refuses CSS that could fetch, bind or run anything. Escapes are
// refused outright: u\72l( is url( to a browser but not to a substring test.
func checkCSS(css string) string {
	low := strings.ToLower(css)
	for _, bad := range []string{`\`, "@import", "expression", "behavior", "-moz-binding", "javascript:", "vbscript:"} {
		if strings.Contains(low, bad) {
			return fmt.Sprintf("CSS may not contain %q", bad)
		}
	}
	return checkURLs(css)
}

// checkURLs allows url(#id) and nothing else.
func checkURLs(s string) string {
	low := strings.ToLower(s)
	for {
		i := strings.Index(low, "url(")
		if i < 0 {
			return ""
		}
		low = low[i+len("url("):]
		if !localURL.MatchString(low) {
			return "url() may only point inside the image, as url(#id)"
		}
	}
}

// flatURL lowercases and drops the whitespace and control characters a URL
// parser skips, so "java\tscript:" reads as "javascript:".
func flatURL(v string) string {
	return strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return -1
		}
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, v)
}
