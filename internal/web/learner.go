package web

import "github.com/labstack/echo/v4"

// Learning is everything the learner-facing handlers call; main passes the
// one service that does it all, and each handler keeps only its part.
type Learning interface {
	CourseCatalogue
	LessonReader
	QuizGrader
	ProgressRecorder
	MyLearningReader
	CertificateVerifier
	StatementIssuer
	AssetReader
	ProblemReporter
}

// LearnerAPI is the learner-facing handlers, one per noun, registered
// together. A URL's handler is in the file named for its noun: course.go,
// lesson.go, progress.go, mine.go, certificate.go, asset.go.
type LearnerAPI struct {
	Courses      *CourseAPI
	Lessons      *LessonAPI
	Progress     *ProgressAPI
	Mine         *MineAPI
	Certificates *CertificateAPI
	Statements   *StatementAPI
	Assets       *AssetAPI
}

// NewLearnerAPI gives each handler its part of l.
func NewLearnerAPI(l Learning) *LearnerAPI {
	return &LearnerAPI{
		Courses:      &CourseAPI{Courses: l},
		Lessons:      &LessonAPI{Lessons: l, Quizzes: l, Reports: l},
		Progress:     &ProgressAPI{Progress: l},
		Mine:         &MineAPI{Learning: l},
		Certificates: &CertificateAPI{Certificates: l},
		Statements:   &StatementAPI{Statements: l},
		Assets:       &AssetAPI{Assets: l},
	}
}

func (h *LearnerAPI) routes(app, api *echo.Group, pg *pages) {
	if h == nil {
		// Servers built without the learning service (the spine tests) still
		// serve the learner pages; their API calls fail as before.
		h = &LearnerAPI{}
	}
	h.Courses.routes(app, api, pg)
	h.Lessons.routes(app, api, pg)
	h.Progress.routes(api)
	h.Mine.routes(app, api, pg)
	h.Certificates.routes(app, api, pg)
	h.Statements.routes(app, api, pg)
	h.Assets.routes(app)
}
