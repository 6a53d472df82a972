package course

import (
	"strings"
	"testing"
)

func TestRenderMarkdown(t *testing.T) {
	const base = "/media/courses/internet-safety/3/"
	tests := []struct {
		name    string
		body    string
		want    []string
		notWant []string
	}{
		{"script tag", "Hello <script>alert(1)</script>\n\n<script>\nalert(2)\n</script>\n",
			[]string{"<p>Hello"}, []string{"<script"}},
		{"javascript link", "[click](javascript:alert(1)) and [x](JaVaScRiPt:alert(1))\n",
			[]string{"click"}, []string{"javascript:", "JaVaScRiPt", "alert"}},
		{"raw html attributes", `<img src=x onerror="alert(1)"> <a href="http://e.com" onclick="x()">a</a>` + "\n",
			nil, []string{"onerror", "onclick", "<img src=\"x\""}},
		{"image rewritten", "![锁](assets/lock.svg) ![b](./assets/img/b%20c.png)\n",
			[]string{`<img src="` + base + `assets/lock.svg" alt="锁" loading="lazy">`,
				`<img src="` + base + `assets/img/b%20c.png" alt="b" loading="lazy">`}, nil},
		{"alt text with punctuation kept", "![手机屏幕：设置页，“已连接”（Wi-Fi）、¥20 @家人 +1?](assets/a.svg) ![a \"q\" <b>](assets/b.svg)\n",
			[]string{`alt="手机屏幕：设置页，“已连接”（Wi-Fi）、¥20 @家人 +1?"`, `alt="a &#34;q&#34;`}, []string{"<b>"}},
		{"foreign image left alone", "![x](https://example.com/x.png)\n",
			[]string{`src="https://example.com/x.png"`}, []string{base}},
		{"links", "[site](https://example.com/a) and https://example.org\n",
			[]string{`<a href="https://example.com/a" rel="nofollow noopener">site</a>`,
				`<a href="https://example.org" rel="nofollow noopener">https://example.org</a>`}, []string{"target="}},
		{"gfm", "| a | b |\n|---|--:|\n| 1 | ~~2~~ |\n\n## 标题\n",
			[]string{"<table>", "<td>1</td>", `<td align="right"><del>2</del></td>`, "<h2>标题</h2>"}, []string{"id="}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RenderMarkdown(tt.body, base)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(strings.ToLower(got), strings.ToLower(w)) {
					t.Errorf("unexpected %q in\n%s", w, got)
				}
			}
		})
	}
}

func TestRenderMarkdownBaseWithoutSlash(t *testing.T) {
	got, err := RenderMarkdown("![a](assets/a.png)", "/media/x/1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, `src="/media/x/1/assets/a.png"`) {
		t.Errorf("got %s", got)
	}
}
