package learning

import "context"

// Asset is an image of a course version, as the browser gets it.
type Asset struct {
	ContentType string
	Data        []byte
}

// Asset returns an image of a course version.
func (s *Service) Asset(ctx context.Context, slug string, version int, path string) (*Asset, error) {
	c, _, err := s.assets.CourseBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	v, err := s.assets.VersionByNumber(ctx, c.ID, version)
	if err != nil {
		return nil, err
	}
	a, err := s.assets.Asset(ctx, v.ID, path)
	if err != nil {
		return nil, err
	}
	return &Asset{ContentType: a.ContentType, Data: a.Data}, nil
}
