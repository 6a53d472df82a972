package store

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// CountryCode is the root of the division tree; provinces hang under it.
const CountryCode = "000000"

// Region is a GB/T 2260 administrative division.
type Region struct {
	Code       string  `gorm:"primaryKey;size:6"`
	Name       string  `gorm:"size:100"`
	ParentCode *string `gorm:"size:6"`
	Level      int     // 0 country, 1 province, 2 prefecture, 3 county
}

func (Region) TableName() string { return "regions" }

// RegionDataset records one list of divisions applied to the table.
type RegionDataset struct {
	Checksum  string `gorm:"primaryKey;size:64"`
	Source    string `gorm:"size:200"`
	Regions   int
	AppliedAt time.Time
}

func (RegionDataset) TableName() string { return "region_datasets" }

// RegionLevel derives the level from the code's shape: the six digits are
// province, prefecture and county pairs.
func RegionLevel(code string) int {
	switch {
	case code == CountryCode:
		return 0
	case len(code) == 6 && code[2:] == "0000":
		return 1
	case len(code) == 6 && code[4:] == "00":
		return 2
	}
	return 3
}

// UpsertRegions inserts or renames regions in one transaction. A zero level
// is derived from the code.
func (s *Store) UpsertRegions(ctx context.Context, rs []Region) error {
	if len(rs) == 0 {
		return nil
	}
	rs = slices.Clone(rs)
	for i := range rs {
		if rs[i].Level == 0 {
			rs[i].Level = RegionLevel(rs[i].Code)
		}
	}
	return classify(upsertRegions(s.w.WithContext(ctx), rs))
}

func upsertRegions(db *gorm.DB, rs []Region) error {
	return db.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "code"}},
		DoUpdates: clause.AssignmentColumns([]string{"name", "parent_code", "level"}),
	}).CreateInBatches(rs, 500).Error
}

// RegionByCode finds a region.
func (s *Store) RegionByCode(ctx context.Context, code string) (*Region, error) {
	var r Region
	if err := s.r.WithContext(ctx).Where("code = ?", code).Take(&r).Error; err != nil {
		return nil, classify(err)
	}
	return &r, nil
}

// RegionChildren lists the divisions directly under parent, by code.
func (s *Store) RegionChildren(ctx context.Context, parent string) ([]Region, error) {
	var out []Region
	err := s.r.WithContext(ctx).Where("parent_code = ?", parent).Order("code").Find(&out).Error
	return out, classify(err)
}

// AllRegions lists every division, by code.
func (s *Store) AllRegions(ctx context.Context) ([]Region, error) {
	var out []Region
	err := s.r.WithContext(ctx).Order("code").Find(&out).Error
	return out, classify(err)
}

// RegionDatasetApplied reports whether a list with this checksum was applied.
func (s *Store) RegionDatasetApplied(ctx context.Context, checksum string) (bool, error) {
	var n int64
	err := s.r.WithContext(ctx).Model(&RegionDataset{}).Where("checksum = ?", checksum).Count(&n).Error
	return n > 0, classify(err)
}

// RegionApply says how to apply a complete list of divisions.
type RegionApply struct {
	Checksum, Source string
	// Prune removes divisions missing from the list, except those still
	// referenced by an institution, a user or an enrolment, and their
	// ancestors, which are kept and reported.
	Prune bool
	Audit *AuditEntry // written in the same transaction when set
}

// RegionChanges is what applying a list did.
type RegionChanges struct {
	Added, Renamed, Moved, Removed []string
	Kept                           []string // missing from the list but in use
}

// ApplyRegions brings the table in line with rs in one transaction.
func (s *Store) ApplyRegions(ctx context.Context, rs []Region, o RegionApply) (RegionChanges, error) {
	var ch RegionChanges
	err := s.tx(ctx, func(tx *gorm.DB) error {
		ch = RegionChanges{}
		var existing []Region
		if err := tx.Find(&existing).Error; err != nil {
			return err
		}
		old := make(map[string]Region, len(existing))
		for _, r := range existing {
			old[r.Code] = r
		}
		var write []Region
		listed := make(map[string]bool, len(rs))
		for _, r := range rs {
			listed[r.Code] = true
			was, ok := old[r.Code]
			switch {
			case !ok:
				ch.Added = append(ch.Added, r.Code)
			case was.Name != r.Name:
				ch.Renamed = append(ch.Renamed, r.Code)
			case ptrString(was.ParentCode) != ptrString(r.ParentCode) || was.Level != r.Level:
				ch.Moved = append(ch.Moved, r.Code)
			default:
				continue
			}
			write = append(write, r)
		}
		if err := upsertRegions(tx, write); err != nil && len(write) > 0 {
			return err
		}
		if o.Prune {
			var missing []string
			for _, r := range existing {
				if !listed[r.Code] && r.Code != CountryCode {
					missing = append(missing, r.Code)
				}
			}
			slices.Sort(missing)
			inUse, err := regionsInUse(tx, missing)
			if err != nil {
				return err
			}
			keep := map[string]bool{}
			for _, c := range inUse {
				// A kept division keeps its ancestors, so the tree stays whole.
				for code := c; code != "" && !keep[code]; {
					keep[code] = true
					code = ptrString(old[code].ParentCode)
				}
			}
			var drop []string
			for _, c := range missing {
				if keep[c] {
					ch.Kept = append(ch.Kept, c)
				} else {
					drop = append(drop, c)
				}
			}
			for chunk := range slices.Chunk(drop, 500) {
				if err := tx.Where("code IN ?", chunk).Delete(&Region{}).Error; err != nil {
					return err
				}
			}
			ch.Removed = drop
		}
		now := s.now().UTC()
		if err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "checksum"}},
			DoUpdates: clause.AssignmentColumns([]string{"source", "applied_at"}),
		}).Create(&RegionDataset{Checksum: o.Checksum, Source: truncateRunes(o.Source, 200), Regions: len(rs), AppliedAt: now}).Error; err != nil {
			return err
		}
		return s.auditIn(tx, o.Audit, now)
	})
	return ch, err
}

// regionsInUse returns which of codes an institution, a user or an
// enrolment (kept for statistics) refers to.
func regionsInUse(tx *gorm.DB, codes []string) ([]string, error) {
	used := map[string]bool{}
	for chunk := range slices.Chunk(codes, 500) {
		for _, table := range []string{"institutions", "users", "enrollments"} {
			var got []string
			if err := tx.Table(table).Distinct("region_code").Where("region_code IN ?", chunk).Pluck("region_code", &got).Error; err != nil {
				return nil, err
			}
			for _, c := range got {
				used[c] = true
			}
		}
	}
	out := make([]string, 0, len(used))
	for c := range used {
		out = append(out, c)
	}
	slices.Sort(out)
	return out, nil
}

func ptrString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
