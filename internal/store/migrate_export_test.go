package store

import (
	"context"
	"io/fs"
)

// MigrateFS lets the external tests run a doctored migration set (a broken
// migration on top of the real ones) through the same code path as Migrate.
func (s *Store) MigrateFS(ctx context.Context, fsys fs.FS) (int64, error) {
	return s.migrateFS(ctx, fsys)
}

// Models lists every type with a table, for the schema tests;
// TestModelsListsEveryTableName keeps it complete.
func Models() []any {
	return []any{
		&AuditEntry{}, &Class{}, &ClassMember{}, &Course{}, &CourseVersion{}, &Lesson{}, &Question{},
		&CourseAsset{}, &Enrollment{}, &Assignment{}, &Region{}, &RegionDataset{}, &Institution{}, &LessonProgress{},
		&ProgressEvent{}, &ProgressEventDay{}, &ProgressEventKey{}, &QuizAttempt{}, &Certificate{}, &StudyHourTarget{}, &SessionRow{},
		&throttleCounter{}, &User{}, &ImportJob{}, &ExportJob{},
		&StatsState{}, &StatsTail{}, &StatsGap{}, &StatsLearner{}, &StatsLearnerDay{}, &StatsCounter{}, &ManualCredit{}, &Statement{},
		&CourseReview{}, &LessonReport{},
		&CourseDraft{}, &DraftAsset{}, &LearnerActivity{},
	}
}
