package course_test

import (
	"fmt"
	"io/fs"
	"math"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/xuetang-edu/xuetang/courses"
	"github.com/xuetang-edu/xuetang/internal/course"
	"gopkg.in/yaml.v3"
)

// The citizen IT-skills plan (issue 3) promises, in each language, at least
// this much teaching content.
const (
	minCourses   = 8
	minLessons   = 40
	minQuestions = 150
)

// TestShippedCurriculum checks the embedded curriculum exactly as `serve`
// loads it: every package valid, enough content per language, every question
// explained, and every course offered in both languages.
func TestShippedCurriculum(t *testing.T) {
	pkgs, err := course.LoadFS(courses.FS())
	if err != nil {
		t.Fatalf("the shipped curriculum does not validate:\n%v", err)
	}
	type tally struct{ courses, lessons, questions int }
	per := map[string]*tally{"zh-CN": {}, "en": {}}
	bySlug := map[string]*course.Package{}
	for _, p := range pkgs {
		bySlug[p.Slug] = p
		n := per[p.Language]
		if n == nil {
			t.Errorf("%s: language %q is neither zh-CN nor en", p.Slug, p.Language)
			continue
		}
		n.courses++
		n.lessons += len(p.Lessons)
		for _, l := range p.Lessons {
			n.questions += len(l.Questions)
			for _, q := range l.Questions {
				if strings.TrimSpace(q.Explanation) == "" {
					t.Errorf("%s/%s: question %s has no explanation", p.Slug, l.File, q.ID)
				}
			}
		}
	}
	for lang, n := range per {
		t.Logf("%s: %d courses, %d lessons, %d questions", lang, n.courses, n.lessons, n.questions)
		if n.courses < minCourses || n.lessons < minLessons || n.questions < minQuestions {
			t.Errorf("%s: %d courses, %d lessons, %d questions; want at least %d, %d, %d",
				lang, n.courses, n.lessons, n.questions, minCourses, minLessons, minQuestions)
		}
	}

	// Each translation group is exactly one zh-CN course and one en course:
	// an English course names the Chinese one it translates, and every
	// Chinese course is named by one.
	translatedBy := map[string][]string{}
	for _, p := range pkgs {
		if p.TranslationOf == "" {
			continue
		}
		orig, ok := bySlug[p.TranslationOf]
		switch {
		case !ok:
			t.Errorf("%s: translation_of %q is not a shipped course", p.Slug, p.TranslationOf)
		case orig.Language == p.Language:
			t.Errorf("%s: translates %s, which is in the same language", p.Slug, orig.Slug)
		case orig.TranslationOf != "":
			t.Errorf("%s: translates %s, which is itself a translation", p.Slug, orig.Slug)
		}
		translatedBy[p.TranslationOf] = append(translatedBy[p.TranslationOf], p.Slug)
	}
	for _, p := range pkgs {
		if p.TranslationOf != "" {
			continue
		}
		if got := translatedBy[p.Slug]; len(got) != 1 {
			t.Errorf("%s (%s) has %d translations %v, want exactly one", p.Slug, p.Language, len(got), got)
		}
	}
}

// The measurable rules of the curriculum (issue 16, "Build"), checked by
// TestCurriculumRules for every shipped course and, for the whole set, by
// TestCurriculumComplete; docs/COURSES.md states them for authors. Each is
// a constant so a reviewer sees the whole policy in one place.
//
//	go test ./internal/course/ -run Curriculum -v   # per-language answer figures
//	XUETANG_CURRICULUM_LEGACY=1 go test ./internal/course/ -run CurriculumRules -v
//	                                                # what a legacy course still breaks
//
// The test reads courses/glossary.yaml: a tree without it fails, naming it.
const (
	// Reading speed of a beginner, and what the quiz and the task add.
	hanPerMinute      = 250 // Chinese characters
	wordsPerMinute    = 150 // English words
	minutesPerQuiz    = 1   // per question
	minutesForTask    = 3   // the 试一试 / Try it task
	minutesTolerance  = 2   // declared minutes may differ this much from the estimate
	minLessonMinutes  = 10
	maxLessonMinutes  = 15
	minutesPerStudyHr = 45 // 1 学时
	minQuestionsPer   = 4  // per lesson
	maxQuestionsPer   = 6
	minSteps          = 3 // numbered steps of a lesson
	maxSteps          = 6
	recapLines        = 3

	// Per language, over the questions of every checked course, in authored
	// order (what printed handouts, exports and shuffle: false show).
	maxPositionShare  = 0.40 // of single-choice answers at any one position
	positionsUsed     = 4    // positions 0..3 must each be right at least once
	minTrueShare      = 0.40 // of true/false answers
	maxTrueShare      = 0.60
	maxSameMultiShare = 0.30 // of multiple-choice keys equal to one key, or "all but the last option"

	minAltRunes = 4        // an alt text that says what the picture shows
	maxSVGBytes = 16 << 10 // hand-drawn schematics; the guideline is ~6 KB
)

// Section headings and markers the lessons must use, per language.
type lessonMarkers struct {
	task, check, recap, safety string
}

var markers = map[string]lessonMarkers{
	"zh-CN": {task: "## 试一试", check: "做到了吗？", recap: "## 小结", safety: "> **安全提示**"},
	"en":    {task: "## Try it", check: "Check:", recap: "## Recap", safety: "> **Safety**"},
}

// legacyCourses are the courses shipped before issue 16, at the version they
// had then. Each is being reworked on its own branch; until its version is
// bumped it is reported but not held to the new rules (its problems are
// logged), so each branch's test passes on its own. A bumped version, or any
// course not listed here, is checked in full. TestCurriculumComplete fails
// while any of these still applies.
var legacyCourses = map[string]int{
	"cadre-informatization": 1, "cadre-informatization-en": 1,
	"computer-basics": 1, "computer-basics-en": 1,
	"digital-payments": 1, "digital-payments-en": 1,
	"e-government": 1, "e-government-en": 1,
	"internet-basics": 2, "internet-basics-en": 2,
	"internet-safety": 1, "internet-safety-en": 1,
	"office-basics": 1, "office-basics-en": 1,
	"smartphone-basics": 1, "smartphone-basics-en": 1,
}

func isLegacy(p *course.Package) bool {
	v, ok := legacyCourses[p.Slug]
	return ok && v == p.Version
}

// glossary is courses/glossary.yaml.
type glossary struct {
	Terms []map[string]glossaryEntry `yaml:"terms"`
}

type glossaryEntry struct {
	Term   string   `yaml:"term"`
	Accept []string `yaml:"accept"`
	Avoid  []string `yaml:"avoid"`
}

func parseGlossary(data []byte) (*glossary, error) {
	var g glossary
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&g); err != nil {
		return nil, err
	}
	if len(g.Terms) == 0 {
		return nil, fmt.Errorf("no terms")
	}
	for i, t := range g.Terms {
		for lang := range t {
			if _, ok := markers[lang]; !ok {
				return nil, fmt.Errorf("term %d: language %q is neither zh-CN nor en", i+1, lang)
			}
		}
		for lang := range markers {
			if strings.TrimSpace(t[lang].Term) == "" {
				return nil, fmt.Errorf("term %d has no %s term", i+1, lang)
			}
		}
	}
	return &g, nil
}

// lessonStats are the figures the rules are computed from.
type lessonStats struct {
	units    int     // Chinese characters (zh-CN) or words (en) of the body
	estimate float64 // minutes: reading + quiz + task
	images   []image
}

type image struct{ alt, src string }

var (
	imageRe    = regexp.MustCompile(`!\[([^\]]*)\]\(([^)\s]+)`)
	linkDestRe = regexp.MustCompile(`\]\([^)]*\)`)
	itemRe     = regexp.MustCompile(`^([0-9]+)[.)] `)
	bulletRe   = regexp.MustCompile(`^[-*+] \S`)
	// Labels quoted as a screen shows them are not prose (see glossary.yaml).
	quotedRe = regexp.MustCompile(`“[^”\n]*”|"[^"\n]*"|「[^」\n]*」|‘[^’\n]*’`)
)

func measure(lang string, l course.Lesson) lessonStats {
	var s lessonStats
	if lang == "zh-CN" {
		for _, r := range l.Body {
			if unicode.Is(unicode.Han, r) {
				s.units++
			}
		}
		s.estimate = float64(s.units) / hanPerMinute
	} else {
		for _, w := range strings.Fields(l.Body) {
			if strings.IndexFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
				s.units++
			}
		}
		s.estimate = float64(s.units) / wordsPerMinute
	}
	s.estimate += float64(minutesPerQuiz*len(l.Questions) + minutesForTask)
	for _, m := range imageRe.FindAllStringSubmatch(l.Body, -1) {
		s.images = append(s.images, image{alt: strings.TrimSpace(m[1]), src: m[2]})
	}
	return s
}

// section returns the lines under the heading line exactly equal to heading,
// up to the next heading of level 1 or 2; ok is false if there is none.
func section(body, heading string) (lines []string, ok bool) {
	in := false
	for _, line := range strings.Split(body, "\n") {
		t := strings.TrimRight(line, " \t")
		switch {
		case t == heading:
			in, ok = true, true
			continue
		case in && (strings.HasPrefix(t, "# ") || strings.HasPrefix(t, "## ")):
			in = false
		}
		if in && strings.TrimSpace(t) != "" {
			lines = append(lines, t)
		}
	}
	return lines, ok
}

// orderedLists returns the item counts of the body's numbered lists
// ("1. ", "2. ", ...) written at the start of a line; indented lines and
// blank lines inside a list keep it going.
func orderedLists(body string) []int {
	var counts []int
	next := 0 // the number the current list expects next; 0 outside a list
	for _, line := range strings.Split(body, "\n") {
		if m := itemRe.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			switch {
			case next > 0 && n == next:
				counts[len(counts)-1]++
				next++
				continue
			case n == 1:
				counts = append(counts, 1)
				next = 2
				continue
			}
		}
		if next > 0 && line != "" && line[0] != ' ' && line[0] != '\t' {
			next = 0
		}
	}
	return counts
}

// lessonProblems checks one lesson of a checked course against the rules
// that apply lesson by lesson.
func lessonProblems(p *course.Package, l course.Lesson, s lessonStats) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	mk := markers[p.Language]

	if n := len(l.Questions); n < minQuestionsPer || n > maxQuestionsPer {
		add("%d questions; want %d to %d", n, minQuestionsPer, maxQuestionsPer)
	}
	if l.Minutes < minLessonMinutes || l.Minutes > maxLessonMinutes {
		add("declares %d minutes; a lesson takes %d to %d (merge or split it)", l.Minutes, minLessonMinutes, maxLessonMinutes)
	}
	if want := int(math.Round(s.estimate)); abs(l.Minutes-want) > minutesTolerance {
		unit := "Chinese characters"
		if p.Language == "en" {
			unit = "words"
		}
		add("declares %d minutes but its content takes about %d (%d %s, %d questions, the task); allowed ±%d",
			l.Minutes, want, s.units, unit, len(l.Questions), minutesTolerance)
	}

	task, ok := section(l.Body, mk.task)
	switch {
	case !ok:
		add("no hands-on task: a section headed exactly %q", mk.task)
	default:
		hasCheck, other := false, 0
		for _, line := range task {
			if strings.Contains(line, mk.check) {
				hasCheck = true
			} else {
				other++
			}
		}
		if !hasCheck {
			add("the %q section has no self-check (a line with %q)", mk.task, mk.check)
		}
		if other == 0 {
			add("the %q section says nothing but the self-check", mk.task)
		}
	}
	recap, ok := section(l.Body, mk.recap)
	if !ok {
		add("no recap: a section headed exactly %q", mk.recap)
	} else {
		bullets := 0
		for _, line := range recap {
			if bulletRe.MatchString(line) {
				bullets++
			}
		}
		if len(recap) != recapLines || bullets != recapLines {
			add("the recap has %d lines (%d bullet items); want exactly %d bullet items", len(recap), bullets, recapLines)
		}
	}
	lists := orderedLists(l.Body)
	if !slices.ContainsFunc(lists, func(n int) bool { return n >= minSteps && n <= maxSteps }) {
		add("no numbered steps: want a numbered list of %d to %d items (lists: %v)", minSteps, maxSteps, lists)
	}
	if slices.ContainsFunc(lists, func(n int) bool { return n > maxSteps }) {
		add("a numbered list has more than %d steps (lists: %v): split the lesson or group the steps", maxSteps, lists)
	}
	if strings.Contains(l.Body, "> **") {
		for _, line := range strings.Split(l.Body, "\n") {
			if strings.HasPrefix(line, "> **") && !strings.HasPrefix(line, mk.safety) {
				add("a box starts %q; safety boxes start %q", trunc(line, 24), mk.safety)
			}
		}
	}

	illustrated := slices.Contains(p.Audience, "senior") || slices.Contains(p.Audience, "pupil")
	if illustrated && len(s.images) == 0 {
		add("no picture: every lesson of a course for seniors or pupils shows its step in an image")
	}
	for _, im := range s.images {
		base := path.Base(im.src)
		switch {
		case utf8.RuneCountInString(im.alt) < minAltRunes:
			add("image %s: alt text %q does not say what it shows", im.src, im.alt)
		case im.alt == base || im.alt == strings.TrimSuffix(base, path.Ext(base)):
			add("image %s: alt text is the file name", im.src)
		}
	}
	return out
}

// proseProblems finds the glossary's avoided words in the texts learners
// read: title, body, prompts, options and explanations.
func proseProblems(lang string, g *glossary, l course.Lesson) []string {
	texts := []string{l.Title, l.Body}
	for _, q := range l.Questions {
		texts = append(texts, q.Prompt, q.Explanation)
		texts = append(texts, q.Options...)
	}
	prose := linkDestRe.ReplaceAllString(strings.Join(texts, "\n"), "]")
	prose = quotedRe.ReplaceAllString(prose, "")
	var out []string
	for _, t := range g.Terms {
		e := t[lang]
		for _, bad := range e.Avoid {
			if containsTerm(prose, bad) {
				out = append(out, fmt.Sprintf("says %q; the glossary's word is %q (quote a screen label exactly if you must show it)", bad, e.Term))
			}
		}
	}
	return out
}

// containsTerm matches a Latin word as a whole word ignoring case, and any
// other word anywhere.
func containsTerm(text, word string) bool {
	if !isASCII(word) {
		return strings.Contains(text, word)
	}
	lower, w := strings.ToLower(text), strings.ToLower(word)
	for i := 0; ; {
		j := strings.Index(lower[i:], w)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(w)
		if !asciiWordByte(lower, start-1) && !asciiWordByte(lower, end) {
			return true
		}
		i = start + 1
	}
}

func asciiWordByte(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return false
	}
	c := s[i]
	return c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z'
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// fillProblems: a fill-in whose answer is a glossary term or one of its
// variants accepts the term and every variant.
func fillProblems(lang string, g *glossary, q course.Question) []string {
	norm := func(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
	have := map[string]bool{}
	for _, a := range q.Answer.Texts {
		have[norm(a)] = true
	}
	var out []string
	for _, t := range g.Terms {
		e := t[lang]
		all := append([]string{e.Term}, e.Accept...)
		if !slices.ContainsFunc(all, func(s string) bool { return have[norm(s)] }) {
			continue
		}
		var missing []string
		for _, s := range all {
			if !have[norm(s)] {
				missing = append(missing, s)
			}
		}
		if len(missing) > 0 {
			out = append(out, fmt.Sprintf("question %s: the answer is the glossary term %q but does not accept %q", q.ID, e.Term, missing))
		}
	}
	return out
}

// balance tallies authored answer positions over one language's questions.
type balance struct {
	single        [course.MaxOptions]int
	singles       int
	trues, tfs    int
	multiKeys     map[string]int
	allButLast    int
	multis, fills int
}

func (b *balance) add(q course.Question) {
	switch q.Type {
	case course.Single:
		b.single[q.Answer.Index]++
		b.singles++
	case course.TrueFalse:
		b.tfs++
		if q.Answer.Bool {
			b.trues++
		}
	case course.Multiple:
		if b.multiKeys == nil {
			b.multiKeys = map[string]int{}
		}
		key := slices.Clone(q.Answer.Indexes)
		slices.Sort(key)
		b.multiKeys[fmt.Sprint(key)]++
		b.multis++
		if len(key) == len(q.Options)-1 && !slices.Contains(key, len(q.Options)-1) {
			b.allButLast++
		}
	case course.FillBlank:
		b.fills++
	}
}

func share(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// summary is the figures the report and the logs show.
func (b *balance) summary() string {
	var pos []string
	for i := 0; i < positionsUsed; i++ {
		pos = append(pos, fmt.Sprintf("%d:%.0f%%", i, 100*share(b.single[i], b.singles)))
	}
	rest := 0
	for i := positionsUsed; i < len(b.single); i++ {
		rest += b.single[i]
	}
	top, topKey := 0, ""
	for k, n := range b.multiKeys {
		if n > top || n == top && k < topKey {
			top, topKey = n, k
		}
	}
	return fmt.Sprintf("single %d (positions %s, 4+:%d); true/false %d (true %.0f%%); multiple %d (most common key %s %.0f%%, all-but-last %.0f%%); fill-in %d",
		b.singles, strings.Join(pos, " "), rest, b.tfs, 100*share(b.trues, b.tfs),
		b.multis, topKey, 100*share(top, b.multis), 100*share(b.allButLast, b.multis), b.fills)
}

func (b *balance) problems() []string {
	var out []string
	if b.singles > 0 {
		for i, n := range b.single {
			if s := share(n, b.singles); s > maxPositionShare {
				out = append(out, fmt.Sprintf("option %d is right in %.0f%% of single-choice questions (%d of %d); at most %.0f%%",
					i, 100*s, n, b.singles, 100*maxPositionShare))
			}
		}
		for i := 0; i < positionsUsed; i++ {
			if b.single[i] == 0 {
				out = append(out, fmt.Sprintf("option %d is never the right single-choice answer", i))
			}
		}
	}
	if b.tfs > 0 {
		if s := share(b.trues, b.tfs); s < minTrueShare || s > maxTrueShare {
			out = append(out, fmt.Sprintf("%.0f%% of true/false answers are true (%d of %d); want %.0f%% to %.0f%%",
				100*s, b.trues, b.tfs, 100*minTrueShare, 100*maxTrueShare))
		}
	}
	if b.multis > 0 {
		for k, n := range b.multiKeys {
			if s := share(n, b.multis); s > maxSameMultiShare {
				out = append(out, fmt.Sprintf("%.0f%% of multiple-choice keys are %s (%d of %d); at most %.0f%%",
					100*s, k, n, b.multis, 100*maxSameMultiShare))
			}
		}
		if s := share(b.allButLast, b.multis); s > maxSameMultiShare {
			out = append(out, fmt.Sprintf("%.0f%% of multiple-choice keys mark every option but the last; at most %.0f%%",
				100*s, 100*maxSameMultiShare))
		}
	}
	return out
}

// studyHoursFor is total minutes / 45, rounded down to a quarter.
func studyHoursFor(minutes int) float64 {
	return math.Floor(float64(minutes)*4/minutesPerStudyHr) / 4
}

// parityProblems compares a translation with its original: same lessons,
// same questions with the same types and keys, same minutes and credits.
func parityProblems(tr, orig *course.Package) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if !slices.Equal(sortedCopy(tr.Audience), sortedCopy(orig.Audience)) {
		add("audience %v differs from %s's %v", tr.Audience, orig.Slug, orig.Audience)
	}
	if tr.Level != orig.Level || tr.StudyHours != orig.StudyHours || tr.PassScore != orig.PassScore {
		add("level/study_hours/pass_score %s/%v/%d differ from %s's %s/%v/%d",
			tr.Level, tr.StudyHours, tr.PassScore, orig.Slug, orig.Level, orig.StudyHours, orig.PassScore)
	}
	if len(tr.Lessons) != len(orig.Lessons) {
		add("%d lessons; %s has %d", len(tr.Lessons), orig.Slug, len(orig.Lessons))
	}
	for i := 0; i < min(len(tr.Lessons), len(orig.Lessons)); i++ {
		a, b := tr.Lessons[i], orig.Lessons[i]
		if a.File != b.File {
			add("lesson %d is %s; %s has %s", i+1, a.File, orig.Slug, b.File)
			continue
		}
		if a.Minutes != b.Minutes {
			add("%s: %d minutes; %s declares %d", a.File, a.Minutes, orig.Slug, b.Minutes)
		}
		if na, nb := len(imageRe.FindAllString(a.Body, -1)), len(imageRe.FindAllString(b.Body, -1)); na != nb {
			add("%s: %d images; %s has %d", a.File, na, orig.Slug, nb)
		}
		if len(a.Questions) != len(b.Questions) {
			add("%s: %d questions; %s has %d", a.File, len(a.Questions), orig.Slug, len(b.Questions))
			continue
		}
		for j := range a.Questions {
			qa, qb := a.Questions[j], b.Questions[j]
			switch {
			case qa.ID != qb.ID || qa.Type != qb.Type:
				add("%s: question %d is %s (%s); %s has %s (%s)", a.File, j+1, qa.ID, qa.Type, orig.Slug, qb.ID, qb.Type)
			case len(qa.Options) != len(qb.Options) || qa.Fixed != qb.Fixed:
				add("%s: question %s has %d options (fixed %v); %s has %d (fixed %v)", a.File, qa.ID, len(qa.Options), qa.Fixed, orig.Slug, len(qb.Options), qb.Fixed)
			case qa.Type != course.FillBlank && (qa.Answer.Index != qb.Answer.Index || qa.Answer.Bool != qb.Answer.Bool ||
				!slices.Equal(qa.Answer.Indexes, qb.Answer.Indexes)):
				add("%s: question %s has a different answer key from %s's", a.File, qa.ID, orig.Slug)
			}
		}
	}
	return out
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func trunc(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// TestCurriculumRules computes the measurable rules of issue 16 for every
// shipped course: lesson shape (task with self-check, three-line recap,
// numbered steps), honest minutes and 学时, pictures with alt text for
// seniors and pupils, the glossary's words, zh-CN/en parity, and per
// language the spread of right answers over positions.
func TestCurriculumRules(t *testing.T) {
	pkgs, err := course.LoadFS(courses.FS())
	if err != nil {
		t.Fatalf("the shipped curriculum does not validate:\n%v", err)
	}
	data, err := fs.ReadFile(courses.FS(), "glossary.yaml")
	if err != nil {
		t.Fatalf("courses/glossary.yaml, the terms every course must use: %v", err)
	}
	g, err := parseGlossary(data)
	if err != nil {
		t.Fatalf("courses/glossary.yaml: %v", err)
	}

	bySlug := map[string]*course.Package{}
	for _, p := range pkgs {
		bySlug[p.Slug] = p
	}
	tally := map[string]*balance{"zh-CN": {}, "en": {}}
	checked := map[string]int{}
	for _, p := range pkgs {
		if _, ok := markers[p.Language]; !ok {
			t.Errorf("%s: language %q is neither zh-CN nor en", p.Slug, p.Language)
			continue
		}
		problems := coursePolicyProblems(p, g)
		if orig := bySlug[p.TranslationOf]; orig != nil {
			for _, m := range parityProblems(p, orig) {
				problems = append(problems, "parity: "+m)
			}
		}
		if isLegacy(p) {
			t.Logf("%s v%d: shipped before issue 16 and not yet reworked; %d problems against the new rules are not enforced until its version is bumped",
				p.Slug, p.Version, len(problems))
			if os.Getenv("XUETANG_CURRICULUM_LEGACY") != "" {
				for _, m := range problems {
					t.Logf("  %s: %s", p.Slug, m)
				}
			}
			continue
		}
		checked[p.Language]++
		for _, m := range problems {
			t.Errorf("%s: %s", p.Slug, m)
		}
		for _, l := range p.Lessons {
			for _, q := range l.Questions {
				tally[p.Language].add(q)
			}
		}
	}
	for _, lang := range []string{"zh-CN", "en"} {
		b := tally[lang]
		if checked[lang] == 0 {
			t.Logf("%s: no course follows the new rules yet; answer balance not computed", lang)
			continue
		}
		t.Logf("%s, %d checked courses: %s", lang, checked[lang], b.summary())
		for _, m := range b.problems() {
			t.Errorf("%s: %s", lang, m)
		}
	}
}

// coursePolicyProblems lists how one course breaks the rules, each message
// starting with the file it is about.
func coursePolicyProblems(p *course.Package, g *glossary) []string {
	var out []string
	total := 0
	for _, l := range p.Lessons {
		total += l.Minutes
		s := measure(p.Language, l)
		for _, m := range lessonProblems(p, l, s) {
			out = append(out, l.File+": "+m)
		}
		for _, m := range proseProblems(p.Language, g, l) {
			out = append(out, l.File+": "+m)
		}
		for _, q := range l.Questions {
			if strings.TrimSpace(q.Explanation) == "" {
				out = append(out, fmt.Sprintf("%s: question %s has no explanation", l.File, q.ID))
			}
			if q.Type == course.FillBlank {
				for _, m := range fillProblems(p.Language, g, q) {
					out = append(out, l.File+": "+m)
				}
			}
		}
	}
	if want := studyHoursFor(total); p.StudyHours > want || p.StudyHours < want-0.25 || p.StudyHours <= 0 {
		out = append(out, fmt.Sprintf("course.yaml: study_hours %v; %d minutes make %v 学时 at %d minutes each (rounded down to a quarter; %v is the least to claim)",
			p.StudyHours, total, want, minutesPerStudyHr, max(want-0.25, 0.25)))
	}
	for name, data := range p.Assets {
		if path.Ext(name) != ".svg" {
			continue
		}
		if len(data) > maxSVGBytes {
			out = append(out, fmt.Sprintf("%s: %d bytes; keep drawings under %d", name, len(data), maxSVGBytes))
		}
		if !strings.Contains(string(data), "viewBox") {
			out = append(out, name+": no viewBox, so it cannot scale to the screen")
		}
		if p.Language == "en" && strings.IndexFunc(string(data), func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0 {
			out = append(out, name+": Chinese text in an English course's picture: translate it")
		}
	}
	slices.Sort(out)
	return out
}

// Issue 16 "Build" 1: the size of the whole curriculum and who it serves.
const (
	minCoursesPerLanguage = 20
	minSeniorCourses      = 6
	minAdultCourses       = 5
	minPupilCourses       = 4
	minCadreCourses       = 4
)

// TestCurriculumComplete holds the curriculum as a whole to issue 16: 20
// courses per language, enough for each audience, none left on the old
// rules, every course saying when its facts were checked. The courses arrive on four branches, so it skips until the merged
// tree has 20 courses in each language.
func TestCurriculumComplete(t *testing.T) {
	pkgs, err := course.LoadFS(courses.FS())
	if err != nil {
		t.Fatalf("the shipped curriculum does not validate:\n%v", err)
	}
	count := map[string]int{}
	audience := map[string]map[string]int{"zh-CN": {}, "en": {}}
	for _, p := range pkgs {
		count[p.Language]++
		for _, a := range p.Audience {
			if audience[p.Language] != nil {
				audience[p.Language][a]++
			}
		}
	}
	if count["zh-CN"] < minCoursesPerLanguage || count["en"] < minCoursesPerLanguage {
		t.Errorf("the curriculum has %d zh-CN and %d en courses; issue 16 wants %d each (audiences now: %v)",
			count["zh-CN"], count["en"], minCoursesPerLanguage, audience)
	}
	want := map[string]int{"senior": minSeniorCourses, "adult": minAdultCourses, "pupil": minPupilCourses, "cadre": minCadreCourses}
	for _, lang := range []string{"zh-CN", "en"} {
		t.Logf("%s: %d courses, by audience %v", lang, count[lang], audience[lang])
		for a, n := range want {
			if audience[lang][a] < n {
				t.Errorf("%s: %d courses for %s; want at least %d", lang, audience[lang][a], a, n)
			}
		}
	}
	for _, p := range pkgs {
		if isLegacy(p) {
			t.Errorf("%s is still at version %d, as shipped before issue 16: rework it and bump its version", p.Slug, p.Version)
		}
		if p.Reviewed == "" {
			t.Errorf("%s has no reviewed: month; the course page tells learners when its facts were checked", p.Slug)
		}
	}
}

// TestCurriculumChecks shows each rule catching what it is for, on lessons
// made up here, so a passing curriculum run means something.
func TestCurriculumChecks(t *testing.T) {
	g, err := parseGlossary([]byte(`terms:
  - zh-CN: {term: 长辈模式, accept: [长辈版, 关怀模式], avoid: [简易模式]}
    en: {term: elder mode, accept: [care mode], avoid: [simple mode]}
  - zh-CN: {term: 应用, accept: [App], avoid: [App]}
    en: {term: app, accept: [], avoid: []}
`))
	if err != nil {
		t.Fatal(err)
	}
	han := strings.Repeat("学", 1000) // 4 minutes of reading
	good := "## 为什么要学\n" + han + "\n\n1. 打开设置\n2. 点显示\n3. 调大字号\n\n" +
		"![设置页里的字号滑块](assets/a.svg)\n\n## 试一试\n\n在自己的手机上把字调大。\n\n做到了吗？字变大了就对了。\n\n" +
		"## 小结\n\n- 一\n- 二\n- 三\n"
	qs := func(n int) []course.Question {
		out := make([]course.Question, n)
		for i := range out {
			out[i] = course.Question{ID: fmt.Sprint("q", i), Type: course.TrueFalse, Prompt: "?", Explanation: "因为"}
		}
		return out
	}
	senior := &course.Package{Slug: "s", Language: "zh-CN", Audience: []string{"senior"}, Version: 1}
	lesson := func(body string, minutes, questions int) course.Lesson {
		return course.Lesson{File: "01-x.md", Title: "课", Minutes: minutes, Body: body, Questions: qs(questions)}
	}
	check := func(p *course.Package, l course.Lesson) string {
		return strings.Join(append(lessonProblems(p, l, measure(p.Language, l)), proseProblems(p.Language, g, l)...), "\n")
	}
	if got := check(senior, lesson(good, 12, 5)); got != "" {
		t.Fatalf("a lesson that keeps every rule has problems:\n%s", got)
	}
	cases := []struct {
		name    string
		p       *course.Package
		l       course.Lesson
		problem string
	}{
		{"minutes overstated", senior, lesson(good, 15, 5), "content takes about 12"},
		{"too short", senior, lesson(strings.Replace(good, han, "学", 1), 8, 4), "a lesson takes 10 to 15"},
		{"few questions", senior, lesson(good, 12, 3), "3 questions"},
		{"no task", senior, lesson(strings.Replace(good, "## 试一试", "## 练习", 1), 12, 5), "no hands-on task"},
		{"no self-check", senior, lesson(strings.Replace(good, "做到了吗？", "", 1), 12, 5), "no self-check"},
		{"long recap", senior, lesson(good+"- 四\n", 12, 5), "recap has 4 lines"},
		{"no steps", senior, lesson(strings.Replace(good, "3. 调大字号", "然后调大字号", 1), 12, 5), "no numbered steps"},
		{"no picture", senior, lesson(strings.Replace(good, "![设置页里的字号滑块](assets/a.svg)", "", 1), 12, 5), "no picture"},
		{"file name alt", senior, lesson(strings.Replace(good, "设置页里的字号滑块", "a.svg", 1), 12, 5), "alt text is the file name"},
		{"avoided word", senior, lesson(strings.Replace(good, "## 试一试", "打开简易模式。\n\n## 试一试", 1), 12, 5), `says "简易模式"`},
		{"avoided Latin word", senior, lesson(strings.Replace(good, "## 试一试", "打开这个app。\n\n## 试一试", 1), 12, 5), `says "App"`},
		{"wrong box", senior, lesson(strings.Replace(good, "## 试一试", "> **注意** 小心\n\n## 试一试", 1), 12, 5), "safety boxes start"},
	}
	for _, c := range cases {
		if got := check(c.p, c.l); !strings.Contains(got, c.problem) {
			t.Errorf("%s: want a problem containing %q, got:\n%s", c.name, c.problem, got)
		}
	}
	// A label quoted as the screen shows it is not prose.
	if got := check(senior, lesson(strings.Replace(good, "## 试一试", "点“简易模式”和“App Store”。\n\n## 试一试", 1), 12, 5)); got != "" {
		t.Errorf("quoted screen labels are flagged:\n%s", got)
	}
	// English counts words.
	en := &course.Package{Slug: "e", Language: "en", Audience: []string{"adult"}, Version: 1}
	enBody := strings.Repeat("word ", 600) + "\n\n1. a\n2. b\n3. c\n\n## Try it\n\nDo it.\n\nCheck: it works.\n\n## Recap\n\n- a\n- b\n- c\n"
	if got := check(en, lesson(enBody, 12, 5)); got != "" {
		t.Errorf("an English lesson that keeps every rule has problems:\n%s", got)
	}

	fill := course.Question{ID: "f", Type: course.FillBlank, Answer: course.Answer{Texts: []string{"长辈模式", "长辈版"}}}
	if got := fillProblems("zh-CN", g, fill); len(got) != 1 || !strings.Contains(got[0], "关怀模式") {
		t.Errorf("a fill-in missing a glossary variant: got %v", got)
	}

	var b balance
	for i := 0; i < 10; i++ {
		b.add(course.Question{Type: course.Single, Options: []string{"a", "b", "c", "d"}, Answer: course.Answer{Index: i % 2}})
		b.add(course.Question{Type: course.TrueFalse, Answer: course.Answer{Bool: i < 3}})
		b.add(course.Question{Type: course.Multiple, Options: []string{"a", "b", "c", "d"}, Answer: course.Answer{Indexes: []int{0, 1, 2}}})
	}
	got := strings.Join(b.problems(), "\n")
	for _, want := range []string{"option 0 is right in 50%", "option 2 is never", "30% of true/false answers are true",
		"100% of multiple-choice keys are [0 1 2]", "every option but the last"} {
		if !strings.Contains(got, want) {
			t.Errorf("balance: want %q among:\n%s", want, got)
		}
	}

	if studyHoursFor(54) != 1 || studyHoursFor(90) != 2 || studyHoursFor(44) != 0.75 {
		t.Errorf("study hours: 54 min -> %v, 90 -> %v, 44 -> %v", studyHoursFor(54), studyHoursFor(90), studyHoursFor(44))
	}

	orig := &course.Package{Slug: "o", Language: "zh-CN", Lessons: []course.Lesson{lesson(good, 12, 5)}}
	tr := &course.Package{Slug: "o-en", Language: "en", Lessons: []course.Lesson{lesson(enBody, 13, 5)}}
	tr.Lessons[0].Questions[2].Answer.Bool = true
	got = strings.Join(parityProblems(tr, orig), "\n")
	for _, want := range []string{"13 minutes; o declares 12", "0 images; o has 1", "question q2 has a different answer key"} {
		if !strings.Contains(got, want) {
			t.Errorf("parity: want %q among:\n%s", want, got)
		}
	}
}
