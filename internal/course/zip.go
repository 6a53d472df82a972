package course

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// zipLimits bound what an uploaded zip can make the server read into memory.
// Tests shrink them to exercise the limits quickly.
type zipLimits struct {
	entries  int
	total    int64 // bytes actually decompressed, over all entries
	markdown int64 // per .md file
	file     int64 // per other file
}

var defaultZipLimits = zipLimits{
	entries:  2000,
	total:    64 << 20,
	markdown: MaxMarkdownBytes,
	file:     MaxAssetBytes,
}

// LoadZip reads course packages from a zip archive laid out as Load expects
// of a folder. Entries that could escape or exhaust the server (.. or
// absolute names, symbolic links, too many entries, more bytes than the
// limits once decompressed) make the whole archive fail.
func LoadZip(r io.ReaderAt, size int64) ([]*Package, error) {
	fsys, err := readZip(r, size, defaultZipLimits)
	if err != nil {
		return nil, err
	}
	return LoadFS(fsys)
}

var driveLetter = regexp.MustCompile(`^[A-Za-z]:`)

func readZip(r io.ReaderAt, size int64, lim zipLimits) (memFS, error) {
	tooMany := func(n uint64) error {
		return &ValidationError{Problems: []Problem{{
			Message: fmt.Sprintf("the zip has %d entries; at most %d are allowed", n, lim.entries)}}}
	}
	if n, ok := zipEntryCount(r, size); ok && n > uint64(lim.entries) {
		return nil, tooMany(n)
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("not a readable zip file: %w", err)
	}
	if len(zr.File) > lim.entries {
		return nil, tooMany(uint64(len(zr.File)))
	}
	ps := &problems{}
	fsys := memFS{}
	var total int64
	for _, f := range zr.File {
		name := f.Name
		if msg := zipNameProblem(name); msg != "" {
			shown := name
			if !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl) {
				shown = fmt.Sprintf("%q", name) // keep the terminal safe
			}
			ps.add(shown, 0, "%s", msg)
			continue
		}
		mode := f.Mode()
		clean := strings.TrimSuffix(name, "/")
		if _, dup := fsys[clean]; dup {
			ps.add(clean, 0, "the zip holds this entry twice")
			continue
		}
		switch {
		case mode&fs.ModeSymlink != 0:
			ps.add(clean, 0, "symbolic links are not allowed in a course package")
			continue
		case strings.HasSuffix(name, "/") || mode.IsDir():
			fsys[clean] = &memFile{mode: fs.ModeDir | 0o755}
			continue
		case !mode.IsRegular():
			ps.add(clean, 0, "not a regular file")
			continue
		}
		limit := lim.file
		if strings.HasSuffix(clean, ".md") {
			limit = lim.markdown
		}
		// The header is checked only for an early, clear message; the
		// bytes actually read are what count.
		if f.UncompressedSize64 > uint64(limit) {
			ps.add(clean, 0, "file is larger than %s", mibs(limit))
			continue
		}
		data, err := readZipFile(f, limit)
		total += int64(len(data))
		if total > lim.total {
			ps.add("", 0, "the zip expands to more than %s", mibs(lim.total))
			return nil, &ValidationError{Problems: ps.sorted()}
		}
		switch {
		case err != nil:
			ps.add(clean, 0, "cannot read: the zip is damaged or misstates its sizes (%v)", err)
		case int64(len(data)) > limit:
			ps.add(clean, 0, "file is larger than %s", mibs(limit))
		default:
			fsys[clean] = &memFile{data: data, mode: 0o644}
		}
	}
	for name := range fsys {
		for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
			if parent, ok := fsys[dir]; ok && !parent.mode.IsDir() {
				ps.add(name, 0, "is inside %s, which is a file", dir)
				break
			}
		}
	}
	if !ps.empty() {
		return nil, &ValidationError{Problems: ps.sorted()}
	}
	return fsys, nil
}

// zipEntryCount reads the entry count from the end-of-central-directory
// record (or its zip64 form), so an archive claiming millions of entries is
// refused before archive/zip allocates a header for each.
func zipEntryCount(r io.ReaderAt, size int64) (uint64, bool) {
	const eocdLen, locatorLen, zip64Len = 22, 20, 56
	n := min(size, eocdLen+0xFFFF) // the record plus the longest comment
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, size-n); err != nil && err != io.EOF {
		return 0, false
	}
	// The signature may also occur inside the comment; the real record is
	// the one whose comment runs exactly to the end of the file.
	i := bytes.LastIndex(buf, []byte("PK\x05\x06"))
	for i >= 0 && (len(buf)-i < eocdLen || i+eocdLen+int(binary.LittleEndian.Uint16(buf[i+20:])) != len(buf)) {
		i = bytes.LastIndex(buf[:i], []byte("PK\x05\x06"))
	}
	if i < 0 {
		return 0, false
	}
	if count := binary.LittleEndian.Uint16(buf[i+10:]); count != 0xFFFF {
		return uint64(count), true
	}
	loc := i - locatorLen
	if loc < 0 || !bytes.Equal(buf[loc:loc+4], []byte("PK\x06\x07")) {
		return 0xFFFF, true
	}
	off := binary.LittleEndian.Uint64(buf[loc+8:])
	if size < zip64Len || off > uint64(size-zip64Len) {
		return 0, false
	}
	rec := make([]byte, zip64Len)
	if _, err := r.ReadAt(rec, int64(off)); err != nil || !bytes.Equal(rec[:4], []byte("PK\x06\x06")) {
		return 0, false
	}
	return binary.LittleEndian.Uint64(rec[32:]), true
}

func readZipFile(f *zip.File, limit int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, limit+1))
}

func zipNameProblem(name string) string {
	switch {
	case name == "":
		return "an entry has an empty name"
	case !utf8.ValidString(name):
		return "entry name is not UTF-8 (re-create the zip with a tool that stores UTF-8 names)"
	case strings.ContainsFunc(name, unicode.IsControl):
		return "entry name contains control characters"
	case strings.Contains(name, `\`):
		return `entry name contains a backslash: zip entries use / between folders`
	case strings.HasPrefix(name, "/"):
		return "absolute paths are not allowed in a zip"
	case driveLetter.MatchString(name):
		return "drive letters are not allowed in a zip"
	}
	clean := strings.TrimSuffix(name, "/")
	if slices.Contains(strings.Split(clean, "/"), "..") {
		return "entry names must not contain .."
	}
	if !fs.ValidPath(clean) {
		return "entry name is not a clean relative path"
	}
	return ""
}

// The YAML shapes WriteZip emits; field order is the order authors expect.
type courseYAML struct {
	Slug          string   `yaml:"slug"`
	Title         string   `yaml:"title"`
	Language      string   `yaml:"language"`
	Summary       string   `yaml:"summary"`
	Audience      []string `yaml:"audience,flow"`
	Level         string   `yaml:"level"`
	StudyHours    float64  `yaml:"study_hours"`
	PassScore     int      `yaml:"pass_score"`
	Version       int      `yaml:"version"`
	TranslationOf string   `yaml:"translation_of,omitempty"`
	Reviewed      string   `yaml:"reviewed,omitempty"`
}

type frontMatterYAML struct {
	Title     string         `yaml:"title"`
	Minutes   int            `yaml:"minutes"`
	Questions []questionYAML `yaml:"questions,omitempty"`
}

type questionYAML struct {
	ID          string   `yaml:"id"`
	Type        string   `yaml:"type"`
	Prompt      string   `yaml:"prompt"`
	Options     []string `yaml:"options,omitempty"`
	Answer      any      `yaml:"answer"`
	Explanation string   `yaml:"explanation,omitempty"`
	Shuffle     *bool    `yaml:"shuffle,omitempty"`
}

// flow writes a list on one line, [0, 2], as authors are shown to write
// answers.
type flow[T any] []T

func (f flow[T]) MarshalYAML() (any, error) {
	var n yaml.Node
	if err := n.Encode([]T(f)); err != nil {
		return nil, err
	}
	n.Style = yaml.FlowStyle
	return &n, nil
}

// marshalYAML indents by two spaces, as the authoring guide does.
func marshalYAML(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// files renders the package as its files, keyed by path in the package.
func (p *Package) files() (map[string][]byte, error) {
	out := make(map[string][]byte, len(p.Lessons)+len(p.Assets)+1)
	cy, err := marshalYAML(courseYAML{
		Slug: p.Slug, Title: p.Title, Language: p.Language, Summary: p.Summary,
		Audience: p.Audience, Level: p.Level, StudyHours: p.StudyHours,
		PassScore: p.PassScore, Version: p.Version, TranslationOf: p.TranslationOf,
		Reviewed: p.Reviewed,
	})
	if err != nil {
		return nil, fmt.Errorf("course.yaml: %w", err)
	}
	out["course.yaml"] = cy
	for _, l := range p.Lessons {
		fm := frontMatterYAML{Title: l.Title, Minutes: l.Minutes}
		for _, q := range l.Questions {
			qy := questionYAML{ID: q.ID, Type: q.Type, Prompt: q.Prompt, Options: q.Options, Explanation: q.Explanation}
			if q.Fixed {
				qy.Shuffle = new(bool)
			}
			switch q.Type {
			case Single:
				qy.Answer = q.Answer.Index
			case Multiple:
				qy.Answer = flow[int](q.Answer.Indexes)
			case TrueFalse:
				qy.Answer = q.Answer.Bool
			default:
				qy.Answer = flow[string](q.Answer.Texts)
			}
			fm.Questions = append(fm.Questions, qy)
		}
		y, err := marshalYAML(fm)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", l.File, err)
		}
		var b strings.Builder
		b.WriteString("---\n")
		b.Write(y)
		b.WriteString("---\n")
		b.WriteString(l.Body)
		out[l.File] = []byte(b.String())
	}
	for name, data := range p.Assets {
		out[name] = data
	}
	return out, nil
}

// WriteZip writes the package as a zip holding one folder named after its
// slug, the form Load and LoadZip read back. It first parses what it is
// about to write, so it never exports a package that import would refuse.
func (p *Package) WriteZip(w io.Writer) error {
	files, err := p.files()
	if err != nil {
		return err
	}
	fsys := memFS{}
	for name, data := range files {
		// memFS would hide a path like "assets/../x" from Parse, but the
		// zip would still carry it.
		if !fs.ValidPath(name) {
			return &ValidationError{Slug: p.Slug, Problems: []Problem{{File: name, Message: "not a clean relative path"}}}
		}
		fsys[name] = &memFile{data: data, mode: 0o644}
	}
	if _, err := Parse(fsys); err != nil {
		return err
	}

	names := make([]string, 0, len(files))
	names = append(names, "course.yaml")
	for _, l := range p.Lessons {
		names = append(names, l.File)
	}
	assets := make([]string, 0, len(p.Assets))
	for name := range p.Assets {
		assets = append(assets, name)
	}
	sort.Strings(assets)
	names = append(names, assets...)

	zw := zip.NewWriter(w)
	for _, name := range names {
		method := zip.Deflate
		switch strings.ToLower(path.Ext(name)) {
		case ".png", ".jpg", ".jpeg", ".gif", ".webp":
			method = zip.Store // already compressed
		}
		fh := &zip.FileHeader{Name: p.Slug + "/" + name, Method: method}
		fh.SetMode(0o644)
		fw, err := zw.CreateHeader(fh)
		if err != nil {
			return err
		}
		if _, err := fw.Write(files[name]); err != nil {
			return err
		}
	}
	return zw.Close()
}

func mibs(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
