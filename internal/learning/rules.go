package learning

import (
	"math"
	"time"

	"github.com/xuetang-edu/xuetang/internal/course"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// The rules that turn a learner's activity into time on task, completed
// lessons, completed courses and 学时. They are decided here, once; the
// store applies them inside the transaction that writes the activity, so two
// requests can never both act on a state neither has committed.

// MaxCreditPerEvent caps the seconds one event may add, whatever the client
// claims: the reader sends a heartbeat every 30 seconds of activity.
const MaxCreditPerEvent = 60

// Credit is the active time one event earns: what the client claims, at
// most MaxCreditPerEvent, and never more than the wall-clock time since the
// learner's previous credited event (in any tab, any lesson), so parallel
// tabs and floods of events add nothing.
func Credit(claimed int, since time.Duration) int {
	return max(min(claimed, MaxCreditPerEvent, int(since/time.Second)), 0)
}

// RequiredSeconds is the credited active time a lesson of these minutes
// needs before it counts complete: share of its stated time, leaving room
// for the off-page "试一试" task. share 0 turns the gate off.
func RequiredSeconds(minutes int, share float64) int {
	if share <= 0 || minutes <= 0 {
		return 0
	}
	return int(math.Ceil(float64(minutes) * 60 * share))
}

// LessonDone says whether a lesson with this much credited active time is
// complete, and if not how many seconds are still needed.
func LessonDone(active, required int) (done bool, needed int) {
	if active >= required {
		return true, 0
	}
	return false, required - active
}

// NewRules are the rules where one 学时 is minutesPerHour minutes of lesson
// time (0: the national 45), issuing serials with newSerial (nil: NewSerial).
func NewRules(minutesPerHour int, newSerial func() string) store.Rules {
	if minutesPerHour <= 0 {
		minutesPerHour = course.MinutesPerStudyHour
	}
	if newSerial == nil {
		newSerial = NewSerial
	}
	return store.Rules{
		Credit: Credit, LessonDone: LessonDone, CourseDone: Complete, NewSerial: newSerial,
		Hours: func(v store.CourseVersion, lessonMinutes int) float64 {
			return course.HoursCredited(v.StudyHours, lessonMinutes, minutesPerHour)
		},
	}
}
