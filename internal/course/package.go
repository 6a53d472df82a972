// Package course reads, checks, writes and grades course packages: a folder
// (or zip) holding course.yaml, one Markdown file per lesson and an optional
// assets/ folder. docs/COURSES.md describes the format.
//
// The package is pure: it knows nothing of databases or HTTP, so the importer,
// the shipped-course loader and the authoring checks all share one parser and
// one set of rules.
package course

// Package is one course as its author wrote it.
type Package struct {
	Slug          string
	Title         string
	Language      string // zh-CN or en
	Summary       string
	Audience      []string // pupil, adult, senior, cadre
	Level         string   // beginner, intermediate, advanced
	StudyHours    float64  // 学时 credited on completion, kept as written
	PassScore     int      // 0-100
	Version       int      // >= 1
	TranslationOf string   // slug of the course this one translates, or ""
	// Reviewed is the month the facts were last checked, "YYYY-MM", or "".
	// Omitted from checksums when empty so packages written before the key
	// existed keep theirs.
	Reviewed string   `json:",omitempty"`
	Lessons  []Lesson // in file-name order
	// Assets maps a slash path relative to the package root ("assets/x.svg")
	// to the file's bytes. Never nil after Parse.
	Assets map[string][]byte
}

// Lesson is one Markdown file of a package.
type Lesson struct {
	Slug      string // file name without its "NN-" prefix and ".md"
	File      string // "01-passwords.md"
	Title     string
	Minutes   int
	Body      string // Markdown after the front matter, line endings normalised to \n
	Questions []Question
}

// Question types.
const (
	Single    = "single"
	Multiple  = "multiple"
	TrueFalse = "true_false"
	FillBlank = "fill_blank"
)

// Question is one quiz item of a lesson.
type Question struct {
	ID          string
	Type        string // Single, Multiple, TrueFalse or FillBlank
	Prompt      string
	Options     []string // only for Single and Multiple
	Answer      Answer
	Explanation string
	// Fixed keeps the options in authored order (shuffle: false), for
	// options such as "all of the above". Omitted from checksums when false
	// so packages written before the key existed keep theirs.
	Fixed bool `json:",omitempty"`
}

// Answer holds the correct answer; only the field matching the question type
// is meaningful: Index (single), Indexes (multiple), Bool (true_false),
// Texts (fill_blank: every accepted spelling).
type Answer struct {
	Index   int
	Indexes []int
	Bool    bool
	Texts   []string
}

// Limits of the format. They bound what one import can make the server hold
// in memory, and keep a typo (a huge pasted file) from becoming a course.
const (
	MaxLessons       = 200
	MaxMarkdownBytes = 1 << 20
	MaxLineBytes     = 4 << 10 // per line of a lesson body; see checkBody
	MaxAssetBytes    = 2 << 20
	MaxSlugLen       = 64
	MaxTitleRunes    = 200
	MaxStudyHours    = 200
	MaxMinutes       = 600
	MinOptions       = 2
	MaxOptions       = 10
)

var (
	languages  = []string{"zh-CN", "en"}
	audiences  = []string{"pupil", "adult", "senior", "cadre"}
	levels     = []string{"beginner", "intermediate", "advanced"}
	types      = []string{Single, Multiple, TrueFalse, FillBlank}
	assetTypes = []string{".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}
)

// Audiences are the audiences a course may name, in the order pages list them.
func Audiences() []string { return append([]string(nil), audiences...) }
