package learning

import (
	"io/fs"
	"sort"
	"strings"
	"testing"

	"github.com/xuetang-edu/xuetang/courses"
	"github.com/xuetang-edu/xuetang/internal/course"
)

// The shipped paths name only shipped courses meant for that audience, in
// every language they exist in, and every audience has a path.
func TestShippedPaths(t *testing.T) {
	data, err := fs.ReadFile(courses.FS(), "paths.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePaths(data)
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := course.LoadFS(courses.FS())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Check(pkgs); err != nil {
		t.Error(err)
	}
	for _, aud := range course.Audiences() {
		if len(p[aud]) == 0 {
			t.Errorf("no start-here path for audience %s", aud)
		}
	}
}

func TestParsePathsRejects(t *testing.T) {
	for name, src := range map[string]string{
		"unknown audience": "seniors: [a]\n",
		"empty path":       "senior: []\n",
		"named twice":      "senior: [a, b, a]\n",
		"not a list":       "senior: a\n",
	} {
		if _, err := ParsePaths([]byte(src)); err == nil {
			t.Errorf("%s: %q parsed without error", name, src)
		}
	}
	pkgs := []*course.Package{
		{Slug: "a", Language: "zh-CN", Audience: []string{"senior"}},
		{Slug: "a-en", Language: "en", Audience: []string{"adult"}, TranslationOf: "a"},
	}
	if err := (Paths{"senior": {"missing"}}).Check(pkgs); err == nil {
		t.Error("a path naming no course passed the check")
	}
	if err := (Paths{"senior": {"a"}}).Check(pkgs); err == nil || !strings.Contains(err.Error(), "a-en") {
		t.Errorf("a translation not meant for the audience: %v", err)
	}
	if err := (Paths{"adult": {"b"}}).Check(pkgs); err == nil {
		t.Error("unknown course passed")
	}
}

// The shipped Chinese titles sort by pinyin, not by code point.
func TestTitleOrderPinyin(t *testing.T) {
	titles := []string{"智能手机入门", "微信与家人联系", "网上看病与医保", "办公软件基础", "出行：购票、打车与地图",
		"领导干部信息化知识", "上网基础", "电脑入门", "人工智能与生活", "让手机更好用：长辈模式与求助", "Zoom", "apple"}
	less := titleOrder()
	sort.SliceStable(titles, func(i, j int) bool { return less(titles[i], titles[j]) })
	want := "apple,Zoom,办公软件基础,出行：购票、打车与地图,电脑入门,领导干部信息化知识,让手机更好用：长辈模式与求助," +
		"人工智能与生活,上网基础,网上看病与医保,微信与家人联系,智能手机入门"
	if got := strings.Join(titles, ","); got != want {
		t.Errorf("order:\n got %s\nwant %s", got, want)
	}
}
