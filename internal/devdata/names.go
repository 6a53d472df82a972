package devdata

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/xuetang-edu/xuetang/internal/org"
)

// Common surnames, roughly in order of frequency, and characters common in
// given names: enough variety that a class list looks like one.
var (
	surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
	given    = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红玲文辉建国海燕鹏飞志宇婷雪琳欣怡浩然子轩梓涵一诺思彤佳琪雨欣宇航晨阳嘉怡俊杰博文梦瑶淑珍秀梅凤英桂芳春生永康德明")
)

// personName is a Chinese name of two or three characters.
func personName(r *rand.Rand) string {
	// Zipf-like: the first surnames are far more common.
	i := int(float64(len(surnames)) * r.Float64() * r.Float64())
	var b strings.Builder
	b.WriteRune(surnames[i])
	b.WriteRune(given[r.IntN(len(given))])
	if r.IntN(10) < 7 {
		b.WriteRune(given[r.IntN(len(given))])
	}
	return b.String()
}

// kindShare is how common each kind of institution is: schools by far,
// cadre training centres the fewest.
var kindShare = []struct {
	kind  string
	share float64
	// size scales the learners an institution of this kind has.
	size float64
}{
	{org.KindSchool, 0.55, 1.6},
	{org.KindLibrary, 0.08, 1.0},
	{org.KindCultureStation, 0.12, 0.5},
	{org.KindCommunityCentre, 0.12, 0.7},
	{org.KindCadreCentre, 0.05, 1.2},
	{org.KindOther, 0.08, 0.4},
}

// institutionName names the n-th institution of a kind in a region.
func institutionName(kind, region string, n int) string {
	switch kind {
	case org.KindSchool:
		if n%3 == 0 {
			return fmt.Sprintf("%s第%d中学", region, n/3+1)
		}
		return fmt.Sprintf("%s第%d小学", region, n-n/3)
	case org.KindLibrary:
		if n == 1 {
			return region + "图书馆"
		}
		return fmt.Sprintf("%s图书馆第%d分馆", region, n-1)
	case org.KindCultureStation:
		return fmt.Sprintf("%s第%d综合文化站", region, n)
	case org.KindCadreCentre:
		if n == 1 {
			return region + "干部教育培训中心"
		}
		return fmt.Sprintf("%s干部教育培训中心第%d分中心", region, n-1)
	case org.KindCommunityCentre:
		return fmt.Sprintf("%s第%d社区学习中心", region, n)
	}
	if n == 1 {
		return region + "老年大学"
	}
	return fmt.Sprintf("%s老年大学第%d教学点", region, n-1)
}

// className names the n-th class (from 1) of an institution.
func className(kind string, year, n int) string {
	switch kind {
	case org.KindSchool:
		return fmt.Sprintf("%d级%d班", year, n)
	case org.KindCadreCentre:
		return fmt.Sprintf("%d年第%d期培训班", year, n)
	}
	return fmt.Sprintf("数字技能第%d组", n)
}
