package course

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func TestParseValid(t *testing.T) {
	pkg, err := Parse(validFS())
	if err != nil {
		t.Fatal(err)
	}
	want := &Package{
		Slug: "internet-safety", Title: "上网安全", Language: "zh-CN", Summary: "一句话介绍",
		Audience: []string{"adult", "senior"}, Level: "beginner", StudyHours: 0.5, PassScore: 60, Version: 1,
		Lessons: []Lesson{
			{
				Slug: "passwords", File: "01-passwords.md", Title: "设置安全的密码", Minutes: 10,
				Body: "## 为什么要设密码\n\n![一把锁](assets/lock.svg)\n",
				Questions: []Question{
					{ID: "q1", Type: Single, Prompt: "哪个密码最安全？",
						Options: []string{"123456", "自己的生日", "Tq7!mZ2#pL"}, Answer: Answer{Index: 2},
						Explanation: "长、随机、混合字符的密码最难被猜中。"},
					{ID: "q2", Type: Multiple, Prompt: "哪些是好习惯？",
						Options: []string{"不同网站用不同密码", "把密码写在显示器上", "开启两步验证", "用生日"},
						Answer:  Answer{Indexes: []int{0, 2}}},
					{ID: "q3", Type: TrueFalse, Prompt: "可以把密码告诉朋友。", Answer: Answer{Bool: false}},
					{ID: "q4", Type: FillBlank, Prompt: "全国统一的报警电话是____。", Answer: Answer{Texts: []string{"110"}}},
				},
			},
			{
				Slug: "phishing", File: "02-phishing.md", Title: "识别钓鱼短信", Minutes: 8,
				Body: "陌生短信里的链接不要点。\n",
				Questions: []Question{{ID: "l2q1", Type: TrueFalse, Prompt: "短信里的链接都可以点。",
					Explanation: "不明链接可能是钓鱼网站。"}},
			},
		},
		Assets: map[string][]byte{"assets/lock.svg": []byte(lockSVG)},
	}
	if !reflect.DeepEqual(pkg, want) {
		t.Errorf("got  %+v\nwant %+v", pkg, want)
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(fstest.MapFS)
		check  func(*testing.T, *Package)
	}{
		{"crlf and bom", func(m fstest.MapFS) {
			m["01-passwords.md"].Data = []byte("\uFEFF" + strings.ReplaceAll(validLesson, "\n", "\r\n"))
		}, func(t *testing.T, p *Package) {
			if p.Lessons[0].Body != "## 为什么要设密码\n\n![一把锁](assets/lock.svg)\n" {
				t.Errorf("body %q", p.Lessons[0].Body)
			}
		}},
		{"dot-slash image, translation_of, reviewed, fill_blank as one string", func(m fstest.MapFS) {
			m["course.yaml"].Data = []byte(validCourseYAML + "translation_of: anquan\nreviewed: 2026-11\n")
			m["01-passwords.md"].Data = []byte(strings.NewReplacer(
				"](assets/lock.svg)", "](./assets/lock.svg)",
				`answer: ["110"]`, `answer: 110`).Replace(validLesson))
		}, func(t *testing.T, p *Package) {
			if p.TranslationOf != "anquan" || p.Reviewed != "2026-11" || p.Lessons[0].Questions[3].Answer.Texts[0] != "110" {
				t.Errorf("got %+v", p)
			}
		}},
		{"numeric lesson order without zero padding", func(m fstest.MapFS) {
			m["10-last.md"] = &fstest.MapFile{Data: []byte("---\ntitle: x\nminutes: 1\n---\n")}
			m["2-second.md"] = &fstest.MapFile{Data: []byte("---\ntitle: x\nminutes: 1\n---\n")}
		}, func(t *testing.T, p *Package) {
			var files []string
			for _, l := range p.Lessons {
				files = append(files, l.File)
			}
			if got := strings.Join(files, " "); got != "01-passwords.md 02-phishing.md 2-second.md 10-last.md" {
				t.Errorf("order %s", got)
			}
		}},
		{"html comment, lesson without questions, front matter at end of file", func(m fstest.MapFS) {
			m["03-end.md"] = &fstest.MapFile{Data: []byte("---\ntitle: end\nminutes: 5\n---")}
			m["02-phishing.md"].Data = []byte(secondLesson + "\n<!-- note for authors -->\n")
		}, func(t *testing.T, p *Package) {
			if p.Lessons[2].Body != "" || p.Lessons[2].Questions != nil {
				t.Errorf("got %+v", p.Lessons[2])
			}
		}},
		{"question ids repeat across lessons", func(m fstest.MapFS) {
			m["02-phishing.md"].Data = []byte(strings.Replace(secondLesson, "id: l2q1", "id: q1", 1))
		}, func(t *testing.T, p *Package) {
			if p.Lessons[0].Questions[0].ID != "q1" || p.Lessons[1].Questions[0].ID != "q1" {
				t.Errorf("ids %q %q", p.Lessons[0].Questions[0].ID, p.Lessons[1].Questions[0].ID)
			}
		}},
		{"nested asset folder", func(m fstest.MapFS) {
			m["assets/icons/a.png"] = &fstest.MapFile{Data: []byte("png")}
			m["02-phishing.md"].Data = []byte(secondLesson + "\n![](assets/icons/a.png)\n")
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := validFS()
			tt.mutate(m)
			p, err := Parse(m)
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, p)
			}
		})
	}
}

func replaceLesson(old, new string) func(fstest.MapFS) {
	return func(m fstest.MapFS) {
		if !strings.Contains(validLesson, old) {
			panic("test lesson has no " + old)
		}
		m["01-passwords.md"].Data = []byte(strings.Replace(validLesson, old, new, 1))
	}
}

func replaceCourse(old, new string) func(fstest.MapFS) {
	return func(m fstest.MapFS) {
		if !strings.Contains(validCourseYAML, old) {
			panic("test course.yaml has no " + old)
		}
		m["course.yaml"].Data = []byte(strings.Replace(validCourseYAML, old, new, 1))
	}
}

func addFile(name, data string) func(fstest.MapFS) {
	return func(m fstest.MapFS) { m[name] = &fstest.MapFile{Data: []byte(data)} }
}

func TestParseProblems(t *testing.T) {
	const courseKeysList = "slug, title, language, summary, audience, level, study_hours, pass_score, version, translation_of, reviewed"
	tests := []struct {
		name   string
		mutate func(fstest.MapFS)
		want   []string
	}{
		// course.yaml
		{"course yaml syntax", replaceCourse("title: 上网安全", "title: [上网安全"),
			[]string{"course.yaml:2: YAML syntax error: did not find expected ',' or ']'"}},
		{"course unknown key", replaceCourse("version: 1\n", "version: 1\nautor: me\n"),
			[]string{`course.yaml:10: unknown key "autor" in course.yaml (allowed: ` + courseKeysList + ")"}},
		{"course duplicate key", replaceCourse("version: 1\n", "version: 1\nversion: 2\n"),
			[]string{`course.yaml:10: key "version" appears twice in course.yaml`}},
		{"course missing fields", replaceCourse("level: beginner\n", ""),
			[]string{"course.yaml:1: level is required"}},
		{"course.yaml missing", func(m fstest.MapFS) { delete(m, "course.yaml") },
			[]string{"course.yaml: course.yaml is missing"}},
		{"course.yaml not a mapping", func(m fstest.MapFS) { m["course.yaml"].Data = []byte("- a\n- b\n") },
			[]string{"course.yaml:1: course.yaml must be a list of key: value lines"}},
		{"slug pattern", replaceCourse("slug: internet-safety", "slug: Internet_Safety"),
			[]string{`course.yaml:1: slug "Internet_Safety" may only use a-z, 0-9 and single hyphens between words`}},
		{"slug double hyphen", replaceCourse("slug: internet-safety", "slug: internet--safety"),
			[]string{`course.yaml:1: slug "internet--safety" may only use a-z, 0-9 and single hyphens between words`}},
		{"slug too long", replaceCourse("slug: internet-safety", "slug: "+strings.Repeat("a", 65)),
			[]string{"course.yaml:1: slug is longer than 64 characters"}},
		{"language", replaceCourse("language: zh-CN", "language: fr"),
			[]string{`course.yaml:3: language "fr" is not one of zh-CN, en`}},
		{"audience value", replaceCourse("[adult, senior]", "[adult, kids]"),
			[]string{`course.yaml:5: audience "kids" is not one of pupil, adult, senior, cadre`}},
		{"audience not a list", replaceCourse("[adult, senior]", "adult"),
			[]string{"course.yaml:5: audience must be a list such as [adult, senior]"}},
		{"audience empty", replaceCourse("[adult, senior]", "[]"),
			[]string{"course.yaml:5: audience must name at least one of pupil, adult, senior, cadre"}},
		{"level", replaceCourse("level: beginner", "level: expert"),
			[]string{`course.yaml:6: level "expert" is not one of beginner, intermediate, advanced`}},
		{"study hours zero", replaceCourse("study_hours: 0.5", "study_hours: 0"),
			[]string{"course.yaml:7: study_hours must be more than 0 and at most 200"}},
		{"study hours too many", replaceCourse("study_hours: 0.5", "study_hours: 200.5"),
			[]string{"course.yaml:7: study_hours must be more than 0 and at most 200"}},
		{"study hours nan", replaceCourse("study_hours: 0.5", "study_hours: .nan"),
			[]string{"course.yaml:7: study_hours must be more than 0 and at most 200"}},
		{"study hours text", replaceCourse("study_hours: 0.5", "study_hours: lots"),
			[]string{"course.yaml:7: study_hours must be a number"}},
		{"pass score range", replaceCourse("pass_score: 60", "pass_score: 101"),
			[]string{"course.yaml:8: pass_score must be from 0 to 100"}},
		{"pass score fraction", replaceCourse("pass_score: 60", "pass_score: 60.5"),
			[]string{"course.yaml:8: pass_score must be a whole number"}},
		{"version", replaceCourse("version: 1", "version: 0"),
			[]string{"course.yaml:9: version must be 1 or more"}},
		{"translation of itself", replaceCourse("version: 1\n", "version: 1\ntranslation_of: internet-safety\n"),
			[]string{"course.yaml:10: translation_of names the course itself"}},
		{"translation of bad slug", replaceCourse("version: 1\n", "version: 1\ntranslation_of: Net Safety\n"),
			[]string{`course.yaml:10: translation_of "Net Safety" may only use a-z, 0-9 and single hyphens between words`}},
		{"reviewed not a month", replaceCourse("version: 1\n", "version: 1\nreviewed: 2026-13\n"),
			[]string{`course.yaml:10: reviewed "2026-13" must be the year and month the facts were checked, such as 2026-11`}},
		{"reviewed a whole date", replaceCourse("version: 1\n", "version: 1\nreviewed: 2026-11-05\n"),
			[]string{`course.yaml:10: reviewed "2026-11-05" must be the year and month the facts were checked, such as 2026-11`}},
		{"reviewed empty", replaceCourse("version: 1\n", "version: 1\nreviewed: \"\"\n"),
			[]string{"course.yaml:10: reviewed must not be empty"}},
		{"empty title", replaceCourse("title: 上网安全", `title: "  "`),
			[]string{"course.yaml:2: title must not be empty"}},
		{"boolean as text", replaceCourse("title: 上网安全", "title: true"),
			[]string{"course.yaml:2: title must be text, not true (put it in quotes if you mean the word)"}},
		{"yaml alias", func(m fstest.MapFS) {
			m["course.yaml"].Data = []byte(strings.NewReplacer("title: 上网安全", "title: &t 上网安全", "summary: 一句话介绍", "summary: *t").Replace(validCourseYAML))
		},
			[]string{"course.yaml:4: YAML aliases (*t) are not supported: write the value out"}},

		// files in the package
		{"bad lesson file name", addFile("1_intro.md", "x"),
			[]string{"1_intro.md: lesson file names look like 01-lesson-slug.md: digits, a hyphen, then words of a-z and 0-9 joined by single hyphens"}},
		{"readme markdown", addFile("README.md", "x"),
			[]string{"README.md: lesson file names look like 01-lesson-slug.md: digits, a hyphen, then words of a-z and 0-9 joined by single hyphens"}},
		{"uppercase lesson name", addFile("03-Intro.md", "x"),
			[]string{"03-Intro.md: lesson file names look like 01-lesson-slug.md: digits, a hyphen, then words of a-z and 0-9 joined by single hyphens"}},
		{"stray file", addFile("notes.txt", "x"),
			[]string{"notes.txt: unexpected file: a package holds course.yaml, lesson files (01-slug.md) and an assets/ folder only"}},
		{"stray folder", addFile("images/a.png", "x"),
			[]string{"images: unexpected folder: a package holds course.yaml, lesson files and an assets/ folder only"}},
		{"duplicate lesson slug", addFile("03-passwords.md", "---\ntitle: again\nminutes: 3\n---\n"),
			[]string{`03-passwords.md: lesson slug "passwords" is also used by 01-passwords.md`}},
		{"no lessons", func(m fstest.MapFS) { delete(m, "01-passwords.md"); delete(m, "02-phishing.md") },
			[]string{"a package needs at least one lesson file (01-lesson-slug.md)"}},
		{"symlink lesson", func(m fstest.MapFS) {
			m["03-link.md"] = &fstest.MapFile{Data: []byte("01-passwords.md"), Mode: fs.ModeSymlink | 0o777}
		}, []string{"03-link.md: symbolic links are not allowed in a course package"}},
		{"symlink asset", func(m fstest.MapFS) {
			m["assets/evil.svg"] = &fstest.MapFile{Data: []byte("/etc/passwd"), Mode: fs.ModeSymlink | 0o777}
		}, []string{"assets/evil.svg: symbolic links are not allowed in a course package"}},
		{"asset type", addFile("assets/notes.txt", "x"),
			[]string{"assets/notes.txt: assets may only be images: .png, .jpg, .jpeg, .gif, .svg, .webp"}},
		{"asset too large", addFile("assets/big.png", strings.Repeat("x", MaxAssetBytes+1)),
			[]string{"assets/big.png: file is larger than 2 MiB"}},
		{"scripted svg", addFile("assets/x.svg", `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`),
			[]string{`assets/x.svg:1: <svg>: event handler attribute onload is not allowed`}},
		{"markdown too large", addFile("03-big.md", "---\ntitle: big\nminutes: 3\n---\n"+strings.Repeat("x", MaxMarkdownBytes)),
			[]string{"03-big.md: file is larger than 1 MiB"}},

		// front matter
		{"no front matter", addFile("03-plain.md", "# Just text\n"),
			[]string{"03-plain.md:1: the file must start with front matter: a line ---, then title, minutes and questions, then a line ---"}},
		{"front matter not closed", addFile("03-open.md", "---\ntitle: x\nminutes: 3\n\nbody\n"),
			[]string{"03-open.md:1: the front matter opened here is never closed with a line ---"}},
		{"front matter syntax", replaceLesson("minutes: 10", "minutes: [10"),
			[]string{"01-passwords.md:3: YAML syntax error: did not find expected ',' or ']'"}},
		{"second yaml document", replaceLesson("minutes: 10\n", "minutes: 10\n...\n"),
			[]string{"01-passwords.md:5: YAML syntax error: did not find expected <document start>"}},
		{"front matter unknown key", replaceLesson("minutes: 10", "minutes: 10\ntitel: x"),
			[]string{`01-passwords.md:4: unknown key "titel" in front matter (allowed: title, minutes, questions)`}},
		{"empty front matter", addFile("03-empty.md", "---\n---\nbody\n"),
			[]string{"03-empty.md:1: title is required", "03-empty.md:1: minutes is required"}},
		{"title empty", replaceLesson("title: 设置安全的密码", "title:"),
			[]string{"01-passwords.md:2: title must not be empty"}},
		{"title too long", replaceLesson("title: 设置安全的密码", "title: "+strings.Repeat("长", 201)),
			[]string{"01-passwords.md:2: title is longer than 200 characters"}},
		{"minutes range", replaceLesson("minutes: 10", "minutes: 0"),
			[]string{"01-passwords.md:3: minutes must be from 1 to 600"}},
		{"minutes text", replaceLesson("minutes: 10", "minutes: ten"),
			[]string{"01-passwords.md:3: minutes must be a whole number"}},
		{"questions not a list", func(m fstest.MapFS) {
			m["02-phishing.md"].Data = []byte("---\ntitle: x\nminutes: 2\nquestions: {id: q}\n---\n")
		}, []string{"02-phishing.md:4: questions must be a list, each item starting with - id:"}},

		// questions
		{"question unknown key", replaceLesson("    explanation: 长", "    answr: 1\n    explanation: 长"),
			[]string{`01-passwords.md:10: unknown key "answr" in question (allowed: id, type, prompt, options, answer, explanation, shuffle)`}},
		{"question id duplicate within a lesson", replaceLesson("id: q3", "id: q1"),
			[]string{`01-passwords.md:16: question id "q1" is also used at 01-passwords.md:5`}},
		{"question id pattern", replaceLesson("id: q1", "id: q 1"),
			[]string{`01-passwords.md:5: question id "q 1" may only use A-Z, a-z, 0-9, _ and - (at most 32)`}},
		{"question id too long", replaceLesson("id: q1", "id: "+strings.Repeat("q", 33)),
			[]string{`01-passwords.md:5: question id "` + strings.Repeat("q", 33) + `" may only use A-Z, a-z, 0-9, _ and - (at most 32)`}},
		{"question id missing", replaceLesson("  - id: q1\n    type: single", "  - type: single"),
			[]string{"01-passwords.md:5: question id is required"}},
		{"question type unknown", replaceLesson("type: single", "type: essay"),
			[]string{`01-passwords.md:6: unknown question type "essay" (use single, multiple, true_false, fill_blank)`}},
		{"prompt empty", replaceLesson("prompt: 哪个密码最安全？", `prompt: ""`),
			[]string{"01-passwords.md:7: prompt must not be empty"}},
		{"prompt missing", replaceLesson("    prompt: 哪个密码最安全？\n", ""),
			[]string{"01-passwords.md:5: prompt is required"}},
		{"answer out of range", replaceLesson("answer: 2", "answer: 3"),
			[]string{"01-passwords.md:9: answer 3 is not one of the 3 options"}},
		{"answer negative", replaceLesson("answer: 2", "answer: -1"),
			[]string{"01-passwords.md:9: answer -1 is not one of the 3 options"}},
		{"single answer list", replaceLesson("answer: 2", "answer: [2]"),
			[]string{"01-passwords.md:9: a single answer must be the index of the right option, counting from 0"}},
		{"single answer quoted", replaceLesson("answer: 2", `answer: "2"`),
			[]string{"01-passwords.md:9: a single answer must be the index of the right option, counting from 0"}},
		{"answer missing", replaceLesson("    answer: 2\n", ""),
			[]string{"01-passwords.md:5: answer is required"}},
		{"one option", replaceLesson(`options: ["123456", "自己的生日", "Tq7!mZ2#pL"]`, `options: ["123456"]`),
			[]string{"01-passwords.md:8: a question needs 2 to 10 options, not 1",
				"01-passwords.md:9: answer 2 is not one of the 1 options"}},
		{"eleven options", replaceLesson(`options: ["123456", "自己的生日", "Tq7!mZ2#pL"]`, `options: [a, b, c, d, e, f, g, h, i, j, k]`),
			[]string{"01-passwords.md:8: a question needs 2 to 10 options, not 11"}},
		{"empty option", replaceLesson(`options: ["123456", "自己的生日", "Tq7!mZ2#pL"]`, `options: ["123456", "", "Tq7!mZ2#pL"]`),
			[]string{"01-passwords.md:8: option 1 must not be empty"}},
		{"repeated option", replaceLesson(`options: ["123456", "自己的生日", "Tq7!mZ2#pL"]`, `options: ["123456", "123456", "Tq7!mZ2#pL"]`),
			[]string{"01-passwords.md:8: option 1 repeats option 0"}},
		{"options not a list", replaceLesson(`options: ["123456", "自己的生日", "Tq7!mZ2#pL"]`, `options: 123456`),
			[]string{`01-passwords.md:8: options must be a list such as ["first", "second"]`}},
		{"options missing", replaceLesson("    options: [\"123456\", \"自己的生日\", \"Tq7!mZ2#pL\"]\n", ""),
			[]string{"01-passwords.md:5: options are required for single questions"}},
		{"options on true_false", replaceLesson("    prompt: 可以把密码告诉朋友。\n", "    prompt: 可以把密码告诉朋友。\n    options: [对, 错]\n"),
			[]string{"01-passwords.md:19: true_false questions take no options"}},
		{"options on fill_blank", replaceLesson("    prompt: 全国统一的报警电话是____。\n", "    prompt: 全国统一的报警电话是____。\n    options: [a, b]\n"),
			[]string{"01-passwords.md:23: fill_blank questions take no options"}},
		{"multiple out of range and repeated", replaceLesson("answer: [0, 2]", "answer: [0, 4, 0]"),
			[]string{"01-passwords.md:15: answer 4 is not one of the 4 options",
				"01-passwords.md:15: answer lists option 0 twice"}},
		{"multiple empty", replaceLesson("answer: [0, 2]", "answer: []"),
			[]string{"01-passwords.md:15: multiple answer must list at least one option index"}},
		{"multiple scalar", replaceLesson("answer: [0, 2]", "answer: 0"),
			[]string{"01-passwords.md:15: multiple answer must be a list of option indexes such as [0, 2]"}},
		{"multiple item text", replaceLesson("answer: [0, 2]", "answer: [0, b]"),
			[]string{"01-passwords.md:15: each item of a multiple answer must be an option index, counting from 0"}},
		{"true_false quoted", replaceLesson("answer: false", `answer: "false"`),
			[]string{"01-passwords.md:19: true_false answer must be true or false"}},
		{"true_false index", replaceLesson("answer: false", `answer: 0`),
			[]string{"01-passwords.md:19: true_false answer must be true or false"}},
		{"fill_blank empty", replaceLesson(`answer: ["110"]`, `answer: " "`),
			[]string{"01-passwords.md:23: fill_blank answer must not be empty"}},
		{"fill_blank empty item", replaceLesson(`answer: ["110"]`, `answer: ["110", ""]`),
			[]string{"01-passwords.md:23: fill_blank answer must not be empty"}},
		{"fill_blank empty list", replaceLesson(`answer: ["110"]`, `answer: []`),
			[]string{"01-passwords.md:23: fill_blank answer must list at least one accepted text"}},
		{"fill_blank boolean", replaceLesson(`answer: ["110"]`, `answer: true`),
			[]string{"01-passwords.md:23: fill_blank answer must be text, not true (put it in quotes if you mean the word)"}},
		{"fill_blank mapping", replaceLesson(`answer: ["110"]`, `answer: {a: b}`),
			[]string{"01-passwords.md:23: fill_blank answer must be text or a list of accepted texts"}},

		// body
		{"image missing", replaceLesson("assets/lock.svg", "assets/key.svg"),
			[]string{"01-passwords.md:27: image assets/key.svg is not in the package"}},
		{"image dot dot", replaceLesson("assets/lock.svg", "assets/../../secret.png"),
			[]string{`01-passwords.md:27: image "assets/../../secret.png" must not use .. to leave the package`}},
		{"image absolute path", replaceLesson("assets/lock.svg", "/etc/lock.svg"),
			[]string{`01-passwords.md:27: image "/etc/lock.svg" must be a relative path such as assets/picture.png`}},
		{"image outside assets", replaceLesson("assets/lock.svg", "images/lock.svg"),
			[]string{`01-passwords.md:27: image "images/lock.svg" must be a file under assets/`}},
		{"image on the internet", replaceLesson("assets/lock.svg", "https://example.com/lock.svg"),
			[]string{`01-passwords.md:27: image "https://example.com/lock.svg" is on the internet: copy it into assets/ so the course works offline`}},
		{"image protocol relative", replaceLesson("assets/lock.svg", "//example.com/lock.svg"),
			[]string{`01-passwords.md:27: image "//example.com/lock.svg" is on the internet: copy it into assets/ so the course works offline`}},
		{"image data url", replaceLesson("assets/lock.svg", "data:image/png;base64,AAAA"),
			[]string{`01-passwords.md:27: image "data:image/png;base64,AAAA" must be a file under assets/`}},
		{"image without alt in a table", func(m fstest.MapFS) {
			m["02-phishing.md"].Data = []byte(secondLesson + "\n| a | b |\n|---|---|\n| x | ![](assets/gone.png) |\n")
		}, []string{"02-phishing.md:15: image assets/gone.png is not in the package"}},
		{"reference image", func(m fstest.MapFS) {
			m["02-phishing.md"].Data = []byte(secondLesson + "\n![锁][lock]\n\n[lock]: assets/gone.png\n")
		}, []string{"02-phishing.md:13: image assets/gone.png is not in the package"}},
		{"raw html inline", func(m fstest.MapFS) {
			m["02-phishing.md"].Data = []byte(secondLesson + "\n按 <kbd>Enter</kbd> 键。\n")
		}, []string{`02-phishing.md:13: raw HTML is not shown to learners: "<kbd>" (write &lt; for a literal <)`}},
		{"line too long", func(m fstest.MapFS) {
			m["02-phishing.md"].Data = []byte(secondLesson + strings.Repeat("[a](", 1025) + "\n")
		}, []string{"02-phishing.md:12: line is longer than 4096 bytes: wrap long paragraphs onto several lines"}},
		{"raw html block", func(m fstest.MapFS) {
			m["02-phishing.md"].Data = []byte(secondLesson + "\n<div>\nhi\n</div>\n")
		}, []string{`02-phishing.md:13: raw HTML is not shown to learners: "<div>"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := validFS()
			tt.mutate(m)
			pkg, err := Parse(m)
			if pkg != nil {
				t.Errorf("got a package despite problems")
			}
			if err == nil {
				t.Fatal("want an error")
			}
			wantProblems(t, err, tt.want...)
		})
	}
}

func TestParseCapsProblems(t *testing.T) {
	m := validFS()
	m["02-phishing.md"].Data = []byte(secondLesson + strings.Repeat("![](assets/gone.png)\n", 600))
	got := problemsOf(t, func() error { _, err := Parse(m); return err }())
	if len(got) != maxProblems+1 || got[0] != "02-phishing.md:12: image assets/gone.png is not in the package" ||
		got[maxProblems] != "... and 100 more problems" {
		t.Errorf("got %d problems: %q ... %q", len(got), got[0], got[len(got)-1])
	}
}

func TestParseTooManyLessons(t *testing.T) {
	m := validFS()
	for i := 3; i <= 201; i++ {
		m[fmt.Sprintf("%03d-lesson-%d.md", i, i)] = &fstest.MapFile{Data: []byte("---\ntitle: x\nminutes: 1\n---\n")}
	}
	pkg, err := Parse(m)
	if pkg != nil {
		t.Error("got a package")
	}
	wantProblems(t, err, "the package has 201 lessons; at most 200 are allowed")
}

// TestParseAllProblemsAtOnce makes sure one run shows every problem, in
// file and line order, rather than stopping at the first.
func TestParseAllProblemsAtOnce(t *testing.T) {
	m := validFS()
	m["course.yaml"].Data = []byte(strings.NewReplacer("language: zh-CN", "language: de", "pass_score: 60", "pass_score: 120").Replace(validCourseYAML))
	m["01-passwords.md"].Data = []byte(strings.NewReplacer(
		"answer: 2", "answer: 3",
		"type: true_false", "type: yes_no",
		"assets/lock.svg", "http://example.com/a.png",
	).Replace(validLesson))
	m["notes.txt"] = &fstest.MapFile{Data: []byte("x")}
	_, err := Parse(m)
	want := []string{
		"01-passwords.md:9: answer 3 is not one of the 3 options",
		`01-passwords.md:17: unknown question type "yes_no" (use single, multiple, true_false, fill_blank)`,
		`01-passwords.md:27: image "http://example.com/a.png" is on the internet: copy it into assets/ so the course works offline`,
		`course.yaml:3: language "de" is not one of zh-CN, en`,
		"course.yaml:8: pass_score must be from 0 to 100",
		"notes.txt: unexpected file: a package holds course.yaml, lesson files (01-slug.md) and an assets/ folder only",
	}
	got := problemsOf(t, err)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, `course package "internet-safety" has 6 problems:`+"\n") || !strings.Contains(msg, "\n"+want[5]) {
		t.Errorf("Error() = %s", msg)
	}
}

func TestProblemString(t *testing.T) {
	for _, tt := range []struct {
		p    Problem
		want string
	}{
		{Problem{"01-passwords.md", 14, "answer 3 is not one of the 3 options"}, "01-passwords.md:14: answer 3 is not one of the 3 options"},
		{Problem{"notes.txt", 0, "unexpected"}, "notes.txt: unexpected"},
		{Problem{"", 0, "no lessons"}, "no lessons"},
	} {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

// writeTree writes a MapFS to a real folder, for tests that go through Load.
func writeTree(t *testing.T, dir string, m fstest.MapFS) {
	t.Helper()
	for name, f := range m {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadSymlinkOnDisk(t *testing.T) {
	dir := t.TempDir()
	course := filepath.Join(dir, "internet-safety")
	writeTree(t, course, validFS())
	outside := filepath.Join(dir, "secret.png")
	if err := os.WriteFile(outside, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(course, "assets", "secret.png")); err != nil {
		t.Skip("symlinks not available:", err)
	}
	if err := os.Symlink(course, filepath.Join(dir, "linked-course")); err != nil {
		t.Fatal(err)
	}
	pkgs, err := Load(dir)
	if pkgs != nil {
		t.Error("got packages")
	}
	base := filepath.Base(dir)
	wantProblems(t, err,
		base+"/linked-course: symbolic links are not allowed in a course package",
		base+"/internet-safety/assets/secret.png: symbolic links are not allowed in a course package")
}

func TestLoadFolders(t *testing.T) {
	t.Run("one course folder", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "internet-safety")
		writeTree(t, dir, validFS())
		pkgs, err := Load(dir)
		if err != nil || len(pkgs) != 1 || pkgs[0].Slug != "internet-safety" {
			t.Fatalf("got %v, %v", pkgs, err)
		}
	})
	t.Run("folder of courses with loose files", func(t *testing.T) {
		dir := t.TempDir()
		writeTree(t, filepath.Join(dir, "a"), validFS())
		other := validFS()
		other["course.yaml"].Data = []byte(strings.Replace(validCourseYAML, "slug: internet-safety", "slug: other", 1))
		writeTree(t, filepath.Join(dir, "b"), other)
		writeTree(t, dir, fstest.MapFS{"embed.go": {Data: []byte("package courses")}, ".git/HEAD": {Data: []byte("x")}})
		pkgs, err := Load(dir)
		if err != nil || len(pkgs) != 2 || pkgs[0].Slug != "internet-safety" || pkgs[1].Slug != "other" {
			t.Fatalf("got %v, %v", pkgs, err)
		}
	})
	t.Run("problems in several packages, prefixed by folder", func(t *testing.T) {
		dir := t.TempDir()
		bad := validFS()
		bad["01-passwords.md"].Data = []byte(strings.Replace(validLesson, "answer: 2", "answer: 3", 1))
		writeTree(t, filepath.Join(dir, "a"), bad)
		writeTree(t, filepath.Join(dir, "b"), validFS()) // same slug as a
		writeTree(t, filepath.Join(dir, "c"), fstest.MapFS{"notes.txt": {Data: []byte("x")}})
		pkgs, err := Load(dir)
		if pkgs != nil {
			t.Error("got packages")
		}
		base := filepath.Base(dir)
		wantProblems(t, err,
			base+"/a/01-passwords.md:9: answer 3 is not one of the 3 options",
			base+`/b/course.yaml:1: slug "internet-safety" is also used by `+base+"/a/course.yaml",
			base+"/c: not a course package: it has no course.yaml")
	})
	t.Run("empty folder", func(t *testing.T) {
		dir := t.TempDir()
		_, err := Load(dir)
		wantProblems(t, err, "no course package found in "+filepath.Base(dir)+" (a course folder holds a course.yaml)")
	})
	t.Run("missing path", func(t *testing.T) {
		if _, err := Load(filepath.Join(t.TempDir(), "nope")); err == nil {
			t.Error("want an error")
		}
	})
}

// shuffle: false keeps a question's options in authored order ("all of the
// above"); it survives export, and only questions with options take it.
func TestShuffleKey(t *testing.T) {
	fsys := validFS()
	replaceLesson("    answer: 2\n", "    answer: 2\n    shuffle: false\n")(fsys)
	pkg, err := Parse(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if !pkg.Lessons[0].Questions[0].Fixed || pkg.Lessons[0].Questions[1].Fixed {
		t.Errorf("fixed = %v, %v", pkg.Lessons[0].Questions[0].Fixed, pkg.Lessons[0].Questions[1].Fixed)
	}
	var buf bytes.Buffer
	if err := pkg.WriteZip(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := LoadZip(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if !back[0].Lessons[0].Questions[0].Fixed {
		t.Error("shuffle: false lost in export")
	}
	if Checksum(back[0]) != Checksum(pkg) {
		t.Error("export changed the checksum")
	}

	fsys = validFS()
	replaceLesson("    answer: false\n", "    answer: false\n    shuffle: false\n")(fsys)
	_, err = Parse(fsys)
	wantProblems(t, err, "01-passwords.md:20: true_false questions have no options to shuffle")
}
