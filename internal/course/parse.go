package course

import (
	"errors"
	"io"
	"io/fs"
	"math"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

var (
	slugRe       = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	lessonFileRe = regexp.MustCompile(`^([0-9]+)-([a-z0-9-]+)\.md$`)
	questionIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)
	// reviewed: a month of this century; the column holds 7 characters.
	reviewedRe = regexp.MustCompile(`^20[0-9]{2}-(0[1-9]|1[0-2])$`)
)

var courseKeys = []string{"slug", "title", "language", "summary", "audience", "level",
	"study_hours", "pass_score", "version", "translation_of", "reviewed"}

var errTooLarge = errors.New("file too large")

// Parse reads the package whose root is the root of fsys and checks all of
// it. On any problem it returns a nil Package and a *ValidationError listing
// every problem found, each with its file and line.
//
// Symbolic links anywhere in the package are problems. They are recognised
// from the type bits fs.ReadDir reports (os.DirFS, os.Root.FS and
// fstest.MapFS all report the link itself, not its target), so a link is
// never followed out of the package. Load opens folders with os.OpenRoot,
// which also refuses escaping links should one appear between the listing
// and the read.
func Parse(fsys fs.FS) (*Package, error) {
	pkg, ps, _ := parsePackage(fsys)
	if !ps.empty() {
		return nil, &ValidationError{Slug: pkg.Slug, Problems: ps.sorted()}
	}
	return pkg, nil
}

// parsePackage always returns a Package (filled as far as it could be read)
// so callers can name it in messages even when it is invalid. slugLine is
// the line of slug in course.yaml, for cross-package messages.
func parsePackage(fsys fs.FS) (pkg *Package, ps *problems, slugLine int) {
	pkg = &Package{Assets: map[string][]byte{}}
	ps = &problems{}

	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		ps.add("", 0, "cannot read the package folder: %v", err)
		return pkg, ps, 0
	}
	var lessonFiles []string
	haveCourse, haveAssets := false, false
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.Type()&fs.ModeSymlink != 0:
			ps.add(name, 0, "symbolic links are not allowed in a course package")
		case name == "course.yaml" && e.Type().IsRegular():
			haveCourse = true
		case name == "assets" && e.IsDir():
			haveAssets = true
		case e.IsDir():
			ps.add(name, 0, "unexpected folder: a package holds course.yaml, lesson files and an assets/ folder only")
		case !e.Type().IsRegular():
			ps.add(name, 0, "not a regular file")
		case strings.HasSuffix(name, ".md"):
			if m := lessonFileRe.FindStringSubmatch(name); m == nil || !slugRe.MatchString(m[2]) {
				ps.add(name, 0, "lesson file names look like 01-lesson-slug.md: digits, a hyphen, then words of a-z and 0-9 joined by single hyphens")
			} else {
				lessonFiles = append(lessonFiles, name)
			}
		default:
			ps.add(name, 0, "unexpected file: a package holds course.yaml, lesson files (01-slug.md) and an assets/ folder only")
		}
	}

	hoursLine := 0
	if haveCourse {
		slugLine, hoursLine = parseCourseYAML(fsys, pkg, ps)
	} else {
		ps.add("course.yaml", 0, "course.yaml is missing")
	}
	if haveAssets {
		readAssets(fsys, pkg.Assets, ps)
	}

	if len(lessonFiles) == 0 {
		ps.add("", 0, "a package needs at least one lesson file (01-lesson-slug.md)")
	}
	if len(lessonFiles) > MaxLessons {
		ps.add("", 0, "the package has %d lessons; at most %d are allowed", len(lessonFiles), MaxLessons)
	}
	sortLessonFiles(lessonFiles)
	slugs := map[string]string{}
	for _, file := range lessonFiles {
		data, err := readLimited(fsys, file, MaxMarkdownBytes)
		if err != nil {
			reportRead(ps, file, err, "1 MiB")
			continue
		}
		// Question ids are unique within a lesson only: attempts and their
		// answers are stored per lesson, so q1 may open every lesson's quiz.
		l := parseLesson(file, data, pkg.Assets, map[string]string{}, ps)
		if prev, dup := slugs[l.Slug]; dup {
			ps.add(file, 0, "lesson slug %q is also used by %s", l.Slug, prev)
		} else {
			slugs[l.Slug] = file
		}
		pkg.Lessons = append(pkg.Lessons, l)
	}
	if hoursLine > 0 {
		checkStudyHours(pkg, hoursLine, ps)
	}
	return pkg, ps, slugLine
}

// MinutesPerStudyHour is the national rule a package is checked against:
// one 学时 is 45 minutes of lesson time. Deployments that count differently
// cap what they credit instead (see HoursCredited); a package is judged the
// same everywhere so it can move between servers.
const MinutesPerStudyHour = 45

// MaxStudyHoursFor is the most study_hours a package with these lesson
// minutes may claim: minutes / 45, rounded to the nearest quarter.
func MaxStudyHoursFor(minutes int) float64 {
	return math.Round(float64(minutes)/MinutesPerStudyHour*4) / 4
}

// HoursCredited is what a completion of a course claiming studyHours over
// these lesson minutes earns where one 学时 is minutesPerHour minutes: the
// claim, capped at minutes / minutesPerHour rounded down to a quarter. The
// cap never refuses a course, so changing the setting cannot stop a server.
func HoursCredited(studyHours float64, minutes, minutesPerHour int) float64 {
	if minutesPerHour <= 0 {
		return studyHours
	}
	limit := math.Floor(float64(minutes)*4/float64(minutesPerHour)+1e-9) / 4
	return math.Min(studyHours, limit)
}

// checkStudyHours refuses a package that claims more 学时 than its lessons
// hold. When a lesson's minutes could not be read the total is unknown, and
// that lesson's own problem is the one to fix first.
func checkStudyHours(pkg *Package, line int, ps *problems) {
	total := 0
	for _, l := range pkg.Lessons {
		if l.Minutes <= 0 {
			return
		}
		total += l.Minutes
	}
	if len(pkg.Lessons) == 0 || pkg.StudyHours <= 0 {
		return
	}
	if max := MaxStudyHoursFor(total); pkg.StudyHours > max+1e-9 {
		ps.add("course.yaml", line, "study_hours %v is more than the lessons' %d minutes allow: 1 study hour is %d minutes, so at most %v",
			pkg.StudyHours, total, MinutesPerStudyHour, max)
	}
}

// sortLessonFiles orders by the number in front, then by name, so that
// 2-x.md comes before 10-y.md even when an author does not zero-pad. For
// zero-padded names this is plain file-name order.
func sortLessonFiles(files []string) {
	num := func(name string) string {
		n, _, _ := strings.Cut(name, "-")
		n = strings.TrimLeft(n, "0")
		return n
	}
	sort.SliceStable(files, func(i, j int) bool {
		a, b := num(files[i]), num(files[j])
		if len(a) != len(b) {
			return len(a) < len(b)
		}
		if a != b {
			return a < b
		}
		return files[i] < files[j]
	})
}

// readLimited reads at most limit bytes, counting what is actually read
// rather than trusting a size reported by the file system or a zip header.
func readLimited(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, errTooLarge
	}
	return data, nil
}

func reportRead(ps *problems, file string, err error, limit string) {
	if errors.Is(err, errTooLarge) {
		ps.add(file, 0, "file is larger than %s", limit)
		return
	}
	ps.add(file, 0, "cannot read: %v", err)
}

func parseCourseYAML(fsys fs.FS, pkg *Package, ps *problems) (slugLine, hoursLine int) {
	const file = "course.yaml"
	data, err := readLimited(fsys, file, MaxMarkdownBytes)
	if err != nil {
		reportRead(ps, file, err, "1 MiB")
		return 0, 0
	}
	if !utf8.Valid(data) {
		ps.add(file, 0, "not valid UTF-8 text")
		return 0, 0
	}
	y := &yamlFile{file: file, ps: ps}
	top := y.parse(strings.TrimPrefix(string(data), "\uFEFF"))
	if top == nil {
		return 0, 0
	}
	f, ok := y.mapping(top, file, courseKeys)
	if !ok {
		return 0, 0
	}
	required := func(key string) *yaml.Node {
		n := f[key]
		if n == nil {
			y.errorf(top, "%s is required", key)
		}
		return n
	}

	if n := required("slug"); n != nil {
		slugLine = y.line(n)
		if s, ok := y.nonEmptyText(n, "slug"); ok {
			pkg.Slug = s
			checkSlug(y, n, "slug", s)
		}
	}
	if n := required("title"); n != nil {
		pkg.Title, _ = y.nonEmptyText(n, "title")
		checkTitle(y, n, pkg.Title)
	}
	if n := required("language"); n != nil {
		pkg.Language, _ = y.oneOf(n, "language", languages)
	}
	if n := required("summary"); n != nil {
		pkg.Summary, _ = y.nonEmptyText(n, "summary")
		// The database column holds 1000 characters: MySQL would refuse a
		// longer one at import while SQLite took it.
		if utf8.RuneCountInString(pkg.Summary) > 1000 {
			y.errorf(n, "summary is longer than 1000 characters")
		}
	}
	if n := required("audience"); n != nil {
		pkg.Audience = readAudience(y, n)
	}
	if n := required("level"); n != nil {
		pkg.Level, _ = y.oneOf(n, "level", levels)
	}
	if n := required("study_hours"); n != nil {
		if h, ok := y.number(n, "study_hours"); ok {
			// Written as a negated range so NaN fails too.
			if !(h > 0 && h <= MaxStudyHours) {
				y.errorf(n, "study_hours must be more than 0 and at most %d", MaxStudyHours)
			} else if c := h * 100; math.Abs(c-math.Round(c)) > 1e-6 {
				// The database keeps hours to the hundredth (DECIMAL(6,2)):
				// more digits would be credited rounded and would make an
				// exported package differ from the stored one.
				y.errorf(n, "study_hours may have at most 2 decimal places")
			} else {
				hoursLine = y.line(n)
			}
			pkg.StudyHours = h
		}
	}
	if n := required("pass_score"); n != nil {
		if v, ok := y.integer(n, "pass_score"); ok {
			if v < 0 || v > 100 {
				y.errorf(n, "pass_score must be from 0 to 100")
			}
			pkg.PassScore = v
		}
	}
	if n := required("version"); n != nil {
		if v, ok := y.integer(n, "version"); ok {
			if v < 1 {
				y.errorf(n, "version must be 1 or more")
			}
			pkg.Version = v
		}
	}
	if n := f["translation_of"]; n != nil {
		if s, ok := y.nonEmptyText(n, "translation_of"); ok {
			pkg.TranslationOf = s
			if checkSlug(y, n, "translation_of", s) && s == pkg.Slug {
				y.errorf(n, "translation_of names the course itself")
			}
		}
	}
	if n := f["reviewed"]; n != nil {
		if s, ok := y.nonEmptyText(n, "reviewed"); ok {
			if !reviewedRe.MatchString(s) {
				y.errorf(n, "reviewed %q must be the year and month the facts were checked, such as 2026-11", s)
			} else {
				pkg.Reviewed = s
			}
		}
	}
	return slugLine, hoursLine
}

func checkSlug(y *yamlFile, n *yaml.Node, what, s string) bool {
	if len(s) > MaxSlugLen {
		y.errorf(n, "%s is longer than %d characters", what, MaxSlugLen)
		return false
	}
	if !slugRe.MatchString(s) {
		y.errorf(n, "%s %q may only use a-z, 0-9 and single hyphens between words", what, s)
		return false
	}
	return true
}

func checkTitle(y *yamlFile, n *yaml.Node, title string) {
	if utf8.RuneCountInString(title) > MaxTitleRunes {
		y.errorf(n, "title is longer than %d characters", MaxTitleRunes)
	}
}

func readAudience(y *yamlFile, n *yaml.Node) []string {
	if n.Kind != yaml.SequenceNode {
		y.errorf(n, "audience must be a list such as [adult, senior]")
		return nil
	}
	if len(n.Content) == 0 {
		y.errorf(n, "audience must name at least one of %s", strings.Join(audiences, ", "))
		return nil
	}
	var out []string
	for _, c := range n.Content {
		s, ok := y.oneOf(c, "audience", audiences)
		if !ok {
			continue
		}
		if slices.Contains(out, s) {
			y.errorf(c, "audience %q is listed twice", s)
			continue
		}
		out = append(out, s)
	}
	return out
}

func readAssets(fsys fs.FS, assets map[string][]byte, ps *problems) {
	_ = fs.WalkDir(fsys, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			ps.add(p, 0, "cannot read: %v", err)
			return nil
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			ps.add(p, 0, "symbolic links are not allowed in a course package")
			return nil
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			ps.add(p, 0, "not a regular file")
			return nil
		}
		if !slices.Contains(assetTypes, strings.ToLower(path.Ext(p))) {
			ps.add(p, 0, "assets may only be images: %s", strings.Join(assetTypes, ", "))
			return nil
		}
		data, err := readLimited(fsys, p, MaxAssetBytes)
		if err != nil {
			reportRead(ps, p, err, "2 MiB")
			return nil
		}
		if strings.EqualFold(path.Ext(p), ".svg") {
			if line, msg := checkSVG(data); msg != "" {
				ps.add(p, line, "%s", msg)
				return nil
			}
		}
		assets[p] = data
		return nil
	})
}
