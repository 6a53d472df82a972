package account

import (
	"bufio"
	"bytes"
	"embed"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The shipped lists; commonpasswords/README.md says where they come from.
//
//go:embed commonpasswords/*.txt
var commonFiles embed.FS

var commonSet = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 20000)
	for _, name := range []string{"zxcvbn.txt", "chinese.txt"} {
		b, err := commonFiles.ReadFile("commonpasswords/" + name)
		if err != nil {
			panic(err) // embedded at build time
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if w := strings.TrimSpace(sc.Text()); w != "" {
				set[strings.ToLower(w)] = struct{}{}
			}
		}
	}
	return set
})

// IsCommonPassword reports whether pw is one that guessing tools try
// first: on the shipped lists, a pinyin name with a year or lucky number,
// one character repeated, a run like abcdefgh or 87654321, or a date
// written YYYYMMDD. Case is ignored.
func IsCommonPassword(pw string) bool {
	p := strings.ToLower(pw)
	if _, ok := commonSet()[p]; ok {
		return true
	}
	return isRun(p) || isDate(p) || isPinyinName(p)
}

// isRun: one character repeated, or consecutive letters or digits up or down.
func isRun(p string) bool {
	r := []rune(p)
	if len(r) < 2 {
		return false
	}
	same, up, down := true, true, true
	for i := 1; i < len(r); i++ {
		same = same && r[i] == r[0]
		up = up && r[i] == r[i-1]+1
		down = down && r[i] == r[i-1]-1
	}
	if same {
		return true
	}
	alnum := func(c rune) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' }
	for _, c := range r {
		if !alnum(c) {
			return false
		}
	}
	return up || down
}

// isDate: a birthday as eight digits, 19400101 to 20301231.
func isDate(p string) bool {
	if len(p) != 8 {
		return false
	}
	t, err := time.Parse("20060102", p)
	return err == nil && t.Year() >= 1940 && t.Year() <= 2030
}

// Pinyin names are generated at check time instead of shipped: a common
// surname, then up to two common given-name syllables, then nothing, a
// year from 1960 to 2010 (four or two digits) or a favourite number.
var (
	surnames = strings.Fields(`wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he
		gao lin luo zheng liang xie song tang han feng deng cao peng zeng xiao tian dong yuan pan yu
		jiang cai jia ding wei xue ye yan lu du dai xia zhong qiu jin shi fu fan fang tan liao zou
		xiong hao kong bai cui kang mao qin gu hou shao meng long wan duan lei qian yin yi chang qiao
		lai gong wen pang lan niu ren ou ouyang situ zhuge shangguan`)
	givenSyllables = strings.Fields(`wei fang na min jing li qiang lei jun yang yong yan jie juan tao
		ming chao xiu xia ping gang gui hua hong ying hui bo yu dan ling lin xin bin hao kai xiao long
		tian yi zhi peng fei jian guo cheng yun lan mei qing feng rui xue ting ning bing chen han kun
		shan jia hai liang dong zhen qian yue wen jun ya lu hong qi shu rong zi xuan hang yu ze hao
		meng ke xi chun`)
	nameSuffixes = strings.Fields(`123 1234 12345 123456 520 521 1314 5201314 666 888 6666 8888 66 88
		168 518 999 000 111`)
)

var pinyinSets = sync.OnceValue(func() [3]map[string]bool {
	var s [3]map[string]bool
	for i, list := range [][]string{surnames, givenSyllables, nameSuffixes} {
		s[i] = make(map[string]bool, len(list))
		for _, w := range list {
			s[i][w] = true
		}
	}
	return s
})

func isPinyinName(p string) bool {
	letters := strings.TrimRight(p, "0123456789")
	digits := p[len(letters):]
	if letters == "" || utf8.RuneCountInString(letters) > 30 || !commonNameNumber(digits) {
		return false
	}
	sets := pinyinSets()
	for i := 1; i <= len(letters) && i <= 9; i++ {
		if !sets[0][letters[:i]] {
			continue
		}
		rest := letters[i:]
		if rest == "" && digits != "" {
			return true // wang1990
		}
		if givenName(rest, sets[1], 2) {
			return true
		}
	}
	return false
}

// givenName: s is 1 to max syllables of the set.
func givenName(s string, syl map[string]bool, max int) bool {
	if s == "" || max == 0 {
		return false
	}
	if syl[s] {
		return true
	}
	for i := 1; i < len(s) && i <= 6; i++ {
		if syl[s[:i]] && givenName(s[i:], syl, max-1) {
			return true
		}
	}
	return false
}

func commonNameNumber(d string) bool {
	switch len(d) {
	case 0:
		return true
	case 2:
		y, _ := strconv.Atoi(d)
		return y >= 60 || y <= 10 || pinyinSets()[2][d]
	case 4:
		y, _ := strconv.Atoi(d)
		return y >= 1960 && y <= 2010 || pinyinSets()[2][d]
	}
	return pinyinSets()[2][d]
}
