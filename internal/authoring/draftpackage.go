package authoring

import (
	"errors"
	"fmt"
	"mime"
	"path"
	"sort"
	"strings"

	"github.com/xuetang-edu/xuetang/internal/course"
)

// The editor's structured course and the package format meet here: a draft
// becomes package files for every check and for publishing, and problems
// found in those files are placed back on the lesson, question or body line
// the author is looking at.

func fromPackage(p *course.Package) DraftCourse {
	d := DraftCourse{Title: p.Title, Language: p.Language, Summary: p.Summary, Audience: p.Audience, Level: p.Level,
		StudyHours: p.StudyHours, PassScore: p.PassScore, TranslationOf: p.TranslationOf, Reviewed: p.Reviewed,
		Lessons: make([]DraftLesson, 0, len(p.Lessons))}
	for _, l := range p.Lessons {
		dl := DraftLesson{Slug: l.Slug, Title: l.Title, Minutes: l.Minutes, Body: l.Body, Questions: []DraftQuestion{}}
		for _, q := range l.Questions {
			dl.Questions = append(dl.Questions, DraftQuestion{ID: q.ID, Type: q.Type, Prompt: q.Prompt, Options: q.Options,
				Index: q.Answer.Index, Indexes: q.Answer.Indexes, Bool: q.Answer.Bool, Texts: q.Answer.Texts,
				Explanation: q.Explanation, Fixed: q.Fixed})
		}
		d.Lessons = append(d.Lessons, dl)
	}
	return d
}

// lessonFile names a lesson's file by its place, so reordering lessons in
// the editor is reordering files.
func lessonFile(i, n int, slug string) string {
	if n >= 100 {
		return fmt.Sprintf("%03d-%s.md", i+1, slug)
	}
	return fmt.Sprintf("%02d-%s.md", i+1, slug)
}

func toPackage(slug string, version int, d DraftCourse, assets map[string][]byte) *course.Package {
	p := &course.Package{Slug: slug, Title: d.Title, Language: d.Language, Summary: d.Summary, Audience: d.Audience,
		Level: d.Level, StudyHours: d.StudyHours, PassScore: d.PassScore, Version: version,
		TranslationOf: d.TranslationOf, Reviewed: d.Reviewed, Assets: assets}
	for i, l := range d.Lessons {
		cl := course.Lesson{Slug: l.Slug, File: lessonFile(i, len(d.Lessons), l.Slug), Title: l.Title, Minutes: l.Minutes,
			Body: strings.ReplaceAll(l.Body, "\r\n", "\n")}
		for _, q := range l.Questions {
			cq := course.Question{ID: q.ID, Type: q.Type, Prompt: q.Prompt, Explanation: q.Explanation, Fixed: q.Fixed}
			switch q.Type {
			case course.Single:
				cq.Options, cq.Answer.Index = q.Options, q.Index
			case course.Multiple:
				cq.Options, cq.Answer.Indexes = q.Options, q.Indexes
			case course.TrueFalse:
				cq.Answer.Bool = q.Bool
			default:
				cq.Answer.Texts = q.Texts
			}
			cl.Questions = append(cl.Questions, cq)
		}
		p.Lessons = append(p.Lessons, cl)
	}
	return p
}

// placeholderSVG stands in for an SVG whose bytes were not loaded: every
// asset passed the allow-list when it was uploaded or imported, so only
// its name matters to the checks made while editing.
var placeholderSVG = []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)

// lessonLayout is where a lesson's parts sit in its generated file.
type lessonLayout struct {
	index     int
	bodyStart int   // file line of the body's first line
	questions []int // file line of each question's "- id:"
}

// check turns a draft into package files and lists everything publishing
// would refuse. assets maps each asset path to its bytes (nil when not
// loaded).
func check(slug string, version int, d DraftCourse, assets map[string][]byte) (map[string][]byte, []DraftProblem) {
	withData := make(map[string][]byte, len(assets))
	for name, data := range assets {
		if data == nil && strings.EqualFold(path.Ext(name), ".svg") {
			data = placeholderSVG
		}
		withData[name] = data
	}
	p := toPackage(slug, version, d, withData)
	files, err := p.Files()
	if err != nil {
		return nil, []DraftProblem{{Message: err.Error(), Lesson: -1, Question: -1}}
	}
	layout := map[string]lessonLayout{}
	for i, l := range p.Lessons {
		layout[l.File] = layoutOf(i, string(files[l.File]))
	}
	var out []DraftProblem
	_, err = course.ParseFiles(files)
	var ve *course.ValidationError
	switch {
	case errors.As(err, &ve):
		out = place(ve.Problems, layout)
	case err != nil:
		out = []DraftProblem{{Message: err.Error(), Lesson: -1, Question: -1}}
	}
	// Rules of the editor on top of the format's: every question explains
	// its answer, every image says what it shows.
	for i, l := range d.Lessons {
		file := p.Lessons[i].File
		for j, q := range l.Questions {
			if strings.TrimSpace(q.Explanation) == "" {
				line := 0
				if lay := layout[file]; j < len(lay.questions) {
					line = lay.questions[j]
				}
				out = append(out, DraftProblem{File: file, Line: line, Message: fmt.Sprintf("question %q needs an explanation: learners read it after answering", q.ID),
					Lesson: i, Question: j})
			}
		}
		start := layout[file].bodyStart
		for _, bp := range bodyProblems(i, p.Lessons[i].Body, nil) {
			if strings.HasPrefix(bp.Message, "image has no alt text") {
				bp.File, bp.Line = file, start+bp.BodyLine-1
				out = append(out, bp)
			}
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].Lesson != out[b].Lesson {
			return out[a].Lesson < out[b].Lesson
		}
		return out[a].Line < out[b].Line
	})
	if out == nil {
		out = []DraftProblem{}
	}
	return files, out
}

func layoutOf(index int, text string) lessonLayout {
	l := lessonLayout{index: index}
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		if i > 0 && line == "---" {
			l.bodyStart = i + 2
			break
		}
		if strings.HasPrefix(strings.TrimLeft(line, " "), "- id:") {
			l.questions = append(l.questions, i+1)
		}
	}
	return l
}

// place locates each problem in the editor.
func place(ps []course.Problem, layout map[string]lessonLayout) []DraftProblem {
	out := make([]DraftProblem, 0, len(ps))
	for _, p := range ps {
		dp := DraftProblem{File: p.File, Line: p.Line, Message: p.Message, Lesson: -1, Question: -1}
		if lay, ok := layout[p.File]; ok {
			dp.Lesson = lay.index
			switch {
			case p.Line > 0 && lay.bodyStart > 0 && p.Line >= lay.bodyStart:
				dp.BodyLine = p.Line - lay.bodyStart + 1
			case p.Line > 0:
				for j, start := range lay.questions {
					if p.Line >= start {
						dp.Question = j
					}
				}
			}
		}
		out = append(out, dp)
	}
	return out
}

func contentTypeOf(name string) string {
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		return ct
	}
	return "application/octet-stream"
}
