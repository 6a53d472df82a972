package region

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Store is what the division tree needs from the database.
type Store interface {
	RegionByCode(ctx context.Context, code string) (*store.Region, error)
	RegionChildren(ctx context.Context, parent string) ([]store.Region, error)
	RegionDatasetApplied(ctx context.Context, checksum string) (bool, error)
	ApplyRegions(ctx context.Context, rs []store.Region, o store.RegionApply) (store.RegionChanges, error)
}

// Service reads and updates the division tree.
type Service struct{ db Store }

// New wires the service.
func New(db Store) *Service { return &Service{db: db} }

// Region is a division as the layers above the domain show it.
type Region struct {
	Code  string
	Name  string
	Level int // LevelCountry ... LevelCounty
}

// Children lists the divisions directly under parent; "" means the provinces.
// An unknown parent is not found; a known one without children lists none.
func (s *Service) Children(ctx context.Context, parent string) ([]Region, error) {
	if parent == "" {
		parent = store.CountryCode
	}
	if !ValidCode(parent) {
		return nil, errs.New(errs.Invalid, "error.region_invalid")
	}
	rs, err := s.db.RegionChildren(ctx, parent)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		if _, err := s.db.RegionByCode(ctx, parent); errors.Is(err, errs.ErrNotFound) {
			return nil, errs.New(errs.NotFound, "error.region_unknown").With("code", parent)
		} else if err != nil {
			return nil, err
		}
	}
	out := make([]Region, len(rs))
	for i, r := range rs {
		out[i] = Region{Code: r.Code, Name: r.Name, Level: r.Level}
	}
	return out, nil
}

// LoadShipped applies the list embedded in the binary unless this version of
// it was applied before, so an import of a newer list is not undone at the
// next start. It adds and renames, never removes: codes dropped between
// editions are the import's to prune, with its report. It reports whether
// anything was applied.
func (s *Service) LoadShipped(ctx context.Context) (bool, error) {
	l, err := Shipped()
	if err != nil {
		return false, err
	}
	done, err := s.db.RegionDatasetApplied(ctx, l.Checksum)
	if err != nil || done {
		return false, err
	}
	_, err = s.db.ApplyRegions(ctx, l.Regions, store.RegionApply{Checksum: l.Checksum, Source: "shipped"})
	return err == nil, err
}

// Import replaces the tree with a newer complete list in one transaction:
// new codes are added, renamed ones renamed, and codes missing from the
// list removed unless an institution, a user or an enrolment still uses
// them (those are kept and reported). A list that lacks a province the
// tree has is refused as incomplete: it is likely one province's file.
func (s *Service) Import(ctx context.Context, r io.Reader, source string, actorID *int64) (store.RegionChanges, error) {
	l, err := Parse(r)
	if err != nil {
		return store.RegionChanges{}, err
	}
	provinces, err := s.db.RegionChildren(ctx, store.CountryCode)
	if err != nil {
		return store.RegionChanges{}, err
	}
	listed := map[string]bool{}
	for _, r := range l.Regions {
		listed[r.Code] = true
	}
	var missing []string
	for _, p := range provinces {
		if !listed[p.Code] {
			missing = append(missing, p.Code+" "+p.Name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return store.RegionChanges{}, errs.New(errs.Invalid, "error.regions_incomplete").With("missing", strings.Join(missing, ", "))
	}
	return s.db.ApplyRegions(ctx, l.Regions, store.RegionApply{Checksum: l.Checksum, Source: source, Prune: true,
		Audit: &store.AuditEntry{ActorID: actorID, Action: "regions.import", Target: "regions", Detail: source}})
}
