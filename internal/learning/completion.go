package learning

import (
	"crypto/rand"
	"strings"

	"github.com/xuetang-edu/xuetang/internal/store"
)

// Complete is the completion rule: every lesson of the current version is
// complete, and the average of the best quiz scores of the lessons that have
// a quiz reaches the course's pass score (a quiz never taken counts as 0).
func Complete(st store.CourseState) bool {
	if len(st.Lessons) == 0 {
		return false
	}
	avg, ok := QuizAverage(st.Lessons)
	for _, l := range st.Lessons {
		if !l.Completed {
			return false
		}
	}
	return !ok || avg >= float64(st.Version.PassScore)
}

// QuizAverage is the mean best score over lessons with a quiz; ok is false
// when the course has no quiz at all.
func QuizAverage(ls []store.LessonState) (avg float64, ok bool) {
	sum, n := 0, 0
	for _, l := range ls {
		if !l.HasQuiz {
			continue
		}
		n++
		if l.BestScore != nil {
			sum += *l.BestScore
		}
	}
	if n == 0 {
		return 0, false
	}
	return float64(sum) / float64(n), true
}

// Crockford's base32 without I, L, O, U: serials are read aloud and typed
// by hand on the verification page.
const serialAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewSerial returns an unguessable certificate serial with 80 random bits,
// e.g. XT-7KQ2-M9WD-3HPA-TX6C.
func NewSerial() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	var sb strings.Builder
	sb.WriteString("XT")
	for i := 0; i < 16; i++ {
		if i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(serialAlphabet[b[i]&31])
	}
	return sb.String()
}

// NormalizeSerial accepts what people type: lower case, spaces, and the
// letters Crockford maps to digits.
func NormalizeSerial(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.NewReplacer(" ", "", "O", "0", "I", "1", "L", "1").Replace(s)
	if !strings.HasPrefix(s, "XT") {
		return s
	}
	body := strings.ReplaceAll(s[2:], "-", "")
	if len(body) != 16 {
		return s
	}
	return "XT-" + body[0:4] + "-" + body[4:8] + "-" + body[8:12] + "-" + body[12:16]
}
