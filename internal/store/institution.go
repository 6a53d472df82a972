package store

import (
	"context"
	"time"

	"gorm.io/gorm/clause"
)

// Region is a GB/T 2260 administrative division.
type Region struct {
	Code       string  `gorm:"primaryKey;size:6"`
	Name       string  `gorm:"size:100"`
	ParentCode *string `gorm:"size:6"`
}

func (Region) TableName() string { return "regions" }

// Institution is a school, library, cadre training centre or similar.
type Institution struct {
	ID         int64
	Code       string `gorm:"size:32"`
	Name       string `gorm:"size:200"`
	Kind       string `gorm:"size:20"`
	RegionCode string `gorm:"size:6"`
	CreatedAt  time.Time
}

func (Institution) TableName() string { return "institutions" }

// UpsertRegions inserts or renames regions in one transaction.
func (s *Store) UpsertRegions(ctx context.Context, rs []Region) error {
	if len(rs) == 0 {
		return nil
	}
	return classify(s.w.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "code"}},
		DoUpdates: clause.AssignmentColumns([]string{"name", "parent_code"}),
	}).CreateInBatches(rs, 500).Error)
}

// RegionByCode finds a region.
func (s *Store) RegionByCode(ctx context.Context, code string) (*Region, error) {
	var r Region
	if err := s.r.WithContext(ctx).Where("code = ?", code).Take(&r).Error; err != nil {
		return nil, classify(err)
	}
	return &r, nil
}

// CreateInstitution inserts an institution; a taken code is errs.Conflict.
func (s *Store) CreateInstitution(ctx context.Context, in *Institution) error {
	return classify(s.w.WithContext(ctx).Create(in).Error)
}

// InstitutionByCode finds an institution by its code.
func (s *Store) InstitutionByCode(ctx context.Context, code string) (*Institution, error) {
	var in Institution
	if err := s.r.WithContext(ctx).Where("code = ?", code).Take(&in).Error; err != nil {
		return nil, classify(err)
	}
	return &in, nil
}

// InstitutionByID finds an institution.
func (s *Store) InstitutionByID(ctx context.Context, id int64) (*Institution, error) {
	var in Institution
	if err := s.r.WithContext(ctx).Take(&in, id).Error; err != nil {
		return nil, classify(err)
	}
	return &in, nil
}
