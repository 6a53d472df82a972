package store

import "gorm.io/gorm"

// WriteGormForBench hands the benchmarks the store's own write handle, so the
// naive baseline runs on exactly the pool, dialect settings and GORM
// configuration the real progress writes use.
func (s *Store) WriteGormForBench() *gorm.DB { return s.w }
