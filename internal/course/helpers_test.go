package course

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

const validCourseYAML = `slug: internet-safety
title: 上网安全
language: zh-CN
summary: 一句话介绍
audience: [adult, senior]
level: beginner
study_hours: 0.5
pass_score: 60
version: 1
`

// Line numbers in the test expectations refer to this file: line 9 is
// "answer: 2", line 27 the image.
const validLesson = `---
title: 设置安全的密码
minutes: 10
questions:
  - id: q1
    type: single
    prompt: 哪个密码最安全？
    options: ["123456", "自己的生日", "Tq7!mZ2#pL"]
    answer: 2
    explanation: 长、随机、混合字符的密码最难被猜中。
  - id: q2
    type: multiple
    prompt: 哪些是好习惯？
    options: ["不同网站用不同密码", "把密码写在显示器上", "开启两步验证", "用生日"]
    answer: [0, 2]
  - id: q3
    type: true_false
    prompt: 可以把密码告诉朋友。
    answer: false
  - id: q4
    type: fill_blank
    prompt: 全国统一的报警电话是____。
    answer: ["110"]
---
## 为什么要设密码

![一把锁](assets/lock.svg)
`

const secondLesson = `---
title: 识别钓鱼短信
minutes: 8
questions:
  - id: l2q1
    type: true_false
    prompt: 短信里的链接都可以点。
    answer: false
    explanation: 不明链接可能是钓鱼网站。
---
陌生短信里的链接不要点。
`

const lockSVG = `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>`

func validFS() fstest.MapFS {
	return fstest.MapFS{
		"course.yaml":     {Data: []byte(validCourseYAML)},
		"01-passwords.md": {Data: []byte(validLesson)},
		"02-phishing.md":  {Data: []byte(secondLesson)},
		"assets/lock.svg": {Data: []byte(lockSVG)},
	}
}

// problemsOf returns the problem lines of a *ValidationError, failing the
// test for any other kind of error.
func problemsOf(t *testing.T, err error) []string {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want *ValidationError, got %T: %v", err, err)
	}
	var out []string
	for _, p := range ve.Problems {
		out = append(out, p.String())
	}
	return out
}

// wantProblems checks that every wanted line is exactly one of the reported
// problems, printing them all when one is missing.
func wantProblems(t *testing.T, err error, want ...string) {
	t.Helper()
	got := problemsOf(t, err)
	for _, w := range want {
		found := false
		for _, g := range got {
			if g == w {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("missing problem\n  %s\ngot:\n  %s", w, strings.Join(got, "\n  "))
		}
	}
}
