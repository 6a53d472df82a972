package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Institution is a school, library, cadre training centre or similar.
type Institution struct {
	ID         int64
	Code       string `gorm:"size:32"`
	Name       string `gorm:"size:200"`
	Kind       string `gorm:"size:20"`
	RegionCode string `gorm:"size:6"`
	CreatedAt  time.Time
	// ClosedAt set: the institution takes no new learners; its history stays.
	ClosedAt         *time.Time
	SelfRegistration bool
}

func (Institution) TableName() string { return "institutions" }

// InstitutionRow is an institution with its region's name, as lists show it.
type InstitutionRow struct {
	Institution
	RegionName string
}

// CreateInstitution inserts an institution; a taken code is errs.Conflict.
func (s *Store) CreateInstitution(ctx context.Context, in *Institution) error {
	return classify(s.w.WithContext(ctx).Create(in).Error)
}

// CreateInstitutionAudited inserts an institution and its audit entry in one
// transaction; the entry's Target is filled in with the new id.
func (s *Store) CreateInstitutionAudited(ctx context.Context, in *Institution, e AuditEntry) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(in).Error; err != nil {
			return err
		}
		e.Target = InstitutionTarget(in.ID)
		id := in.ID
		e.TargetInstitutionID = &id
		return s.auditIn(tx, &e, s.now().UTC())
	})
}

// SaveInstitution writes an institution's editable fields and its audit
// entry in one transaction.
func (s *Store) SaveInstitution(ctx context.Context, in *Institution, e AuditEntry) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&Institution{}).Where("id = ?", in.ID).Updates(map[string]any{
			"name": in.Name, "kind": in.Kind, "region_code": in.RegionCode,
			"closed_at": in.ClosedAt, "self_registration": in.SelfRegistration,
		})
		if res.Error != nil {
			return res.Error
		}
		e.Target = InstitutionTarget(in.ID)
		return s.auditIn(tx, &e, s.now().UTC())
	})
}

// InstitutionTarget names an institution in the audit log.
func InstitutionTarget(id int64) string { return "institution:" + strconv.FormatInt(id, 10) }

// InstitutionByCode finds an institution by its code, whatever its case.
func (s *Store) InstitutionByCode(ctx context.Context, code string) (*Institution, error) {
	var in Institution
	cond := "code = ?" // MySQL: the column's _ci collation
	if s.dialect == SQLite {
		cond = "code = ? COLLATE NOCASE" // matches the NOCASE unique index
	}
	if err := s.r.WithContext(ctx).Where(cond, code).Take(&in).Error; err != nil {
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

// InstitutionFilter selects institutions. Every set field narrows the list.
type InstitutionFilter struct {
	RegionPrefixes []string // each one must match (the caller's scope and a filter)
	InstitutionID  int64
	Kind           string
	Query          string // part of the name or the code
	AfterID        int64  // keyset: ids above this one
	Limit          int
}

// ListInstitutions returns institutions by id, at most f.Limit of them.
func (s *Store) ListInstitutions(ctx context.Context, f InstitutionFilter) ([]InstitutionRow, error) {
	q := s.r.WithContext(ctx).Table("institutions AS i").
		Select("i.*, COALESCE(r.name, '') AS region_name").
		Joins("LEFT JOIN regions r ON r.code = i.region_code").
		Where("i.id > ?", f.AfterID).Order("i.id").Limit(f.Limit)
	for _, p := range f.RegionPrefixes {
		q = q.Where("i.region_code LIKE ?", likePrefix(p))
	}
	if f.InstitutionID != 0 {
		q = q.Where("i.id = ?", f.InstitutionID)
	}
	if f.Kind != "" {
		q = q.Where("i.kind = ?", f.Kind)
	}
	if f.Query != "" {
		pat := "%" + likeLiteral(f.Query) + "%"
		q = q.Where("(i.name LIKE ? ESCAPE '!' OR i.code LIKE ? ESCAPE '!')", pat, pat)
	}
	var out []InstitutionRow
	return out, classify(q.Scan(&out).Error)
}

// likeLiteral makes s match literally inside a LIKE pattern with ESCAPE '!'.
func likeLiteral(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}

// likePrefix matches codes starting with a prefix of digits (a region code
// prefix never contains LIKE's wildcards, but a caller's filter might).
func likePrefix(p string) string {
	return strings.NewReplacer("%", "", "_", "").Replace(p) + "%"
}
