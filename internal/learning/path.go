package learning

import (
	"bytes"
	"context"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/xuetang-edu/xuetang/internal/course"
	"github.com/xuetang-edu/xuetang/internal/errs"
)

// Paths is the "start here" path of each audience: the courses a newcomer
// should take first, in order, named by translation group (the slug of the
// course the others translate), so one list serves every language. Nearly
// every shipped course is "beginner", so level alone cannot order them: the
// order is curated in courses/paths.yaml.
type Paths map[string][]string

// ParsePaths reads a paths file. An unknown audience, an empty path or a
// course named twice is an error, so a typo never silently drops a step.
func ParsePaths(data []byte) (Paths, error) {
	var p Paths
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("paths: %w", err)
	}
	for aud, groups := range p {
		if !contains(course.Audiences(), aud) {
			return nil, fmt.Errorf("paths: unknown audience %q (want one of %v)", aud, course.Audiences())
		}
		if len(groups) == 0 {
			return nil, fmt.Errorf("paths: %s: empty path", aud)
		}
		seen := map[string]bool{}
		for _, g := range groups {
			if seen[g] {
				return nil, fmt.Errorf("paths: %s: %q named twice", aud, g)
			}
			seen[g] = true
		}
	}
	return p, nil
}

// Check reports a path step that names no package in pkgs, or a course not
// meant for the path's audience in one of its languages.
func (p Paths) Check(pkgs []*course.Package) error {
	byGroup := map[string][]*course.Package{}
	for _, pk := range pkgs {
		g := pk.Slug
		if pk.TranslationOf != "" {
			g = pk.TranslationOf
		}
		byGroup[g] = append(byGroup[g], pk)
	}
	for aud, groups := range p {
		for _, g := range groups {
			if len(byGroup[g]) == 0 {
				return fmt.Errorf("paths: %s: no course %q", aud, g)
			}
			for _, pk := range byGroup[g] {
				if !contains(pk.Audience, aud) {
					return fmt.Errorf("paths: %s: course %q is not for audience %s", aud, pk.Slug, aud)
				}
			}
		}
	}
	return nil
}

// StartHere is the audience's path in one language, as catalogue cards in
// path order; steps the learner cannot see (not published, another
// institution's, no translation in that language) are left out.
func (s *Service) StartHere(ctx context.Context, viewer Viewer, audience, lang string) ([]CourseCard, error) {
	if !contains(course.Audiences(), audience) {
		return nil, errs.New(errs.Invalid, "catalog.error_audience").With("field", "audience")
	}
	if lang != "zh-CN" && lang != "en" {
		return nil, errs.New(errs.Invalid, "error.locale_invalid").With("field", "language")
	}
	cards, err := s.Catalogue(ctx, viewer, Filter{Language: lang})
	if err != nil {
		return nil, err
	}
	byGroup := map[string]CourseCard{}
	for _, c := range cards {
		byGroup[c.TranslationGroup] = c
	}
	out := []CourseCard{}
	for _, g := range s.paths[audience] {
		if c, ok := byGroup[g]; ok {
			out = append(out, c)
		}
	}
	return out, nil
}
