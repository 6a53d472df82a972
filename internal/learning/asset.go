package learning

import (
	"context"

	"github.com/xuetang-edu/xuetang/internal/errs"
)

// Asset is an image of a course version, as the browser gets it.
type Asset struct {
	ContentType string
	Data        []byte
	// Public: anyone may see the course, so shared caches may keep it.
	Public bool
}

// Asset returns an image of a course version.
func (s *Service) Asset(ctx context.Context, viewer Viewer, slug string, version int, path string) (*Asset, error) {
	c, _, err := s.assets.CourseBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	a, err := s.audience(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if ok, err := s.sees(ctx, viewer, a); err != nil {
		return nil, err
	} else if !ok {
		return nil, errs.New(errs.NotFound, "error.not_found")
	}
	v, err := s.assets.VersionByNumber(ctx, c.ID, version)
	if err != nil {
		return nil, err
	}
	img, err := s.assets.Asset(ctx, v.ID, path)
	if err != nil {
		return nil, err
	}
	return &Asset{ContentType: img.ContentType, Data: img.Data, Public: admits(a, Viewer{})}, nil
}
