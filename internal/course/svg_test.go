package course

import (
	"strings"
	"testing"
	"testing/fstest"
)

// inkscapeIcon is the shape of a file Inkscape saves ("Inkscape SVG"):
// editor namespaces, metadata, a style element, gradients referenced by
// url(#id) and xlink:href, an embedded PNG, and a bare SVG 1.1 DOCTYPE.
const inkscapeIcon = `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<!-- Created with Inkscape (http://www.inkscape.org/) -->
<svg
   width="48" height="48" viewBox="0 0 48 48" version="1.1" id="svg8"
   inkscape:version="1.2.2 (b0a8486541, 2022-12-01)"
   sodipodi:docname="lock.svg"
   xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"
   xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"
   xmlns:xlink="http://www.w3.org/1999/xlink"
   xmlns="http://www.w3.org/2000/svg"
   xmlns:svg="http://www.w3.org/2000/svg"
   xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
   xmlns:cc="http://creativecommons.org/ns#"
   xmlns:dc="http://purl.org/dc/elements/1.1/">
  <title id="title1">锁 &amp; 钥匙</title>
  <sodipodi:namedview id="namedview7" pagecolor="#ffffff" inkscape:zoom="8" showgrid="false">
    <inkscape:grid type="xygrid" id="grid1"/>
  </sodipodi:namedview>
  <defs id="defs2">
    <style id="style1">.body{fill:url(#grad1);stroke:#333} .shine { fill: url( "#grad2" ) }</style>
    <linearGradient id="grad1" inkscape:collect="always">
      <stop style="stop-color:#ffcc00;stop-opacity:1" offset="0" id="stop1"/>
      <stop style="stop-color:#cc8800;stop-opacity:1" offset="1" id="stop2"/>
    </linearGradient>
    <linearGradient xlink:href="#grad1" id="grad2" x1="0" y1="0" x2="0" y2="48" gradientUnits="userSpaceOnUse"/>
    <filter id="blur"><feGaussianBlur stdDeviation="0.5"/></filter>
    <clipPath id="clip"><rect width="48" height="48"/></clipPath>
  </defs>
  <metadata id="metadata5">
    <rdf:RDF>
      <cc:Work rdf:about="">
        <dc:format>image/svg+xml</dc:format>
        <dc:type rdf:resource="http://purl.org/dc/dcmitype/StillImage"/>
      </cc:Work>
    </rdf:RDF>
  </metadata>
  <g inkscape:label="Layer 1" inkscape:groupmode="layer" id="layer1" clip-path="url(#clip)" xml:space="preserve">
    <path class="body" d="M 12,20 H 36 V 42 H 12 Z" id="path1" filter="url(#blur)"/>
    <path style="fill:none;stroke:#333333;stroke-width:3" d="m 16,20 v -6 a 8,8 0 0 1 16,0 v 6" id="path2"/>
    <circle cx="24" cy="31" r="3" fill="url('#grad2')">
      <animate attributeName="r" values="3;4;3" dur="2s" repeatCount="indefinite"/>
    </circle>
    <image width="4" height="4" href="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="/>
    <use xlink:href="#path2" x="2"/>
    <text x="24" y="47" font-size="4" text-anchor="middle"><tspan>锁</tspan></text>
  </g>
</svg>
`

func TestCheckSVGAllows(t *testing.T) {
	for name, svg := range map[string]string{
		"inkscape icon":  inkscapeIcon,
		"minimal":        lockSVG,
		"plain set":      `<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"><set attributeName="fill" to="red" begin="click"/></rect></svg>`,
		"svg prefix":     `<s:svg xmlns:s="http://www.w3.org/2000/svg"><s:rect width="1" height="1"/></s:svg>`,
		"jpeg data href": `<svg xmlns="http://www.w3.org/2000/svg"><image href=" DATA:image/JPEG;base64,/9j/4AAQ"/></svg>`,
		"utf-8 BOM":      "\ufeff" + lockSVG,
	} {
		if line, msg := checkSVG([]byte(svg)); msg != "" {
			t.Errorf("%s: refused at line %d: %s", name, line, msg)
		}
	}
}

func TestCheckSVGRefuses(t *testing.T) {
	const open = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">`
	for _, c := range []struct{ name, svg, want string }{
		// the three that passed the old pattern
		{"prefixed script", open + `<x:script xmlns:x="http://www.w3.org/2000/svg">alert(1)</x:script></svg>`,
			"<script> is not allowed in an SVG image"},
		{"character reference javascript URL", open + `<image href="&#106;avascript:alert(1)"/></svg>`,
			"attribute href holds a script URL"},
		{"set writes an event handler", open + `<rect width="9" height="9"><set attributeName="onmouseover" to="alert(1)"/></rect></svg>`,
			`<set>: an animation may not change "onmouseover"`},

		{"script", open + `<script>alert(1)</script></svg>`, "<script> is not allowed"},
		{"script in CDATA-free uppercase", open + `<SCRIPT>alert(1)</SCRIPT></svg>`, "<SCRIPT> is not allowed"},
		{"onload", open + `<rect onload="alert(1)"/></svg>`, "<rect>: event handler attribute onload is not allowed"},
		{"onload on the root", `<svg xmlns="http://www.w3.org/2000/svg" ONLOAD="alert(1)"/>`, "event handler attribute ONLOAD"},
		{"foreignObject", open + `<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject></svg>`,
			"<foreignObject> is not allowed"},
		{"xhtml script", open + `<h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script></svg>`,
			`element <script> is in namespace "http://www.w3.org/1999/xhtml"`},
		{"default namespace switched to xhtml", open + `<g><iframe xmlns="http://www.w3.org/1999/xhtml" src="x"/></g></svg>`,
			`element <iframe> is in namespace "http://www.w3.org/1999/xhtml"`},
		{"unbound prefix", open + `<x:script>alert(1)</x:script></svg>`, `element <script> is in namespace "x"`},
		{"anchor", open + `<a href="https://example.org"><text>x</text></a></svg>`, "<a> is not allowed"},
		{"animate href", open + `<use href="#a"><animate attributeName="href" values="#b"/></use></svg>`,
			`an animation may not change "href"`},
		{"animate xlink:href", open + `<use href="#a"><animate attributeName="xlink:href" values="#b"/></use></svg>`,
			`an animation may not change "xlink:href"`},
		{"animate style", open + `<rect><animate attributeName="style" values="x"/></rect></svg>`,
			`an animation may not change "style"`},
		{"javascript in values", open + `<rect><animate attributeName="x" values="java&#9;script:alert(1)"/></rect></svg>`,
			"attribute values holds a script URL"},
		{"external href", open + `<image href="https://example.org/a.png"/></svg>`,
			"href may only point inside the image (#id) or embed a PNG, JPEG, GIF or WebP picture"},
		{"relative href", open + `<image xlink:href="photo.png"/></svg>`, "xlink:href may only point inside the image"},
		{"svg data href", open + `<image href="data:image/svg+xml;base64,PHN2Zz4="/></svg>`, "href may only point inside"},
		{"use of an external file", open + `<use href="other.svg#x"/></svg>`, "href may only point inside"},
		{"xml:base", open + `<g xml:base="https://example.org/"/></svg>`, "attribute xml:base is not allowed"},
		{"xml-events namespace", open + `<rect xmlns:ev="http://www.w3.org/2001/xml-events" ev:event="click"/></svg>`,
			`attribute event is in namespace "http://www.w3.org/2001/xml-events"`},
		{"style import", open + `<style>@import "https://example.org/a.css";</style></svg>`, `<style>: CSS may not contain "@import"`},
		{"style external url", open + `<style>rect{fill:url(https://example.org/p.svg#x)}</style></svg>`,
			"<style>: url() may only point inside the image"},
		{"style escape", open + `<style>rect{fill:u\72l(https://example.org/x)}</style></svg>`, `CSS may not contain "\\"`},
		{"style with an element", open + `<style><g/></style></svg>`, "<style> in an SVG image may hold only CSS text"},
		{"style attribute url", open + `<rect style="fill:url(//example.org/x)"/></svg>`, "<rect>: attribute style: url() may only point inside"},
		{"fill url", open + `<rect fill="url(https://example.org/x#g)"/></svg>`, "attribute fill: url() may only point inside"},
		{"entity declaration", `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "javascript:">]>` + open + `</svg>`,
			"may not declare entities"},
		{"undeclared entity", open + `<text>&nbsp;</text></svg>`, "not well-formed XML"},
		{"stylesheet processing instruction", `<?xml-stylesheet href="https://example.org/a.xsl" type="text/xsl"?>` + open + `</svg>`,
			"processing instruction <?xml-stylesheet?> is not allowed"},
		{"no namespace", `<svg onload="alert(1)"/>`, "an SVG image has one root element"},
		{"html root", `<html xmlns="http://www.w3.org/1999/xhtml"/>`, "an SVG image has one root element"},
		{"second root", open + `</svg>` + open + `</svg>`, "an SVG image has one root element"},
		{"not XML", `GIF89a`, "SVG image has text outside its <svg> element"},
		{"empty", ``, "not an SVG image"},
		{"other encoding", `<?xml version="1.0" encoding="UTF-7"?>` + open + `</svg>`, "not well-formed XML"},
		{"unclosed", open + `<g>`, "not well-formed XML"},
	} {
		_, msg := checkSVG([]byte(c.svg))
		if !strings.Contains(msg, c.want) {
			t.Errorf("%s: message %q, want it to contain %q", c.name, msg, c.want)
		}
	}
}

// A refused SVG fails the whole package with a problem naming the file and line.
func TestParseRefusesScriptedSVG(t *testing.T) {
	m := validFS()
	m["assets/evil.svg"] = &fstest.MapFile{Data: []byte("<svg xmlns=\"http://www.w3.org/2000/svg\">\n" +
		`<x:script xmlns:x="http://www.w3.org/2000/svg">alert(1)</x:script></svg>`)}
	_, err := Parse(m)
	if err == nil || !strings.Contains(err.Error(), "assets/evil.svg:2: <script> is not allowed in an SVG image") {
		t.Fatalf("Parse = %v", err)
	}
}
