package learning

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/xuetang-edu/xuetang/internal/course"
	"github.com/xuetang-edu/xuetang/internal/errs"
)

// quizVariants is how many option orders a lesson's quiz has. Each is one
// shared, pre-compressed lesson response per learner state; a handful keeps
// that cache small while a learner retrying sees the options move.
const quizVariants = 4

// variantFor picks the order a learner sees from how many attempts they
// have made, so a retry always shows a different order.
func variantFor(attempts int) int { return attempts % quizVariants }

// permutation is the option order of question q in a variant: perm[shown]
// is the authored index of the option shown at position shown. It depends
// only on the lesson, the question and the variant, so every instance and
// every restart agree without storing it; the attempt stores the variant.
func permutation(lessonID int64, q course.Question, variant int) []int {
	perm := make([]int, len(q.Options))
	for i := range perm {
		perm[i] = i
	}
	if q.Fixed || len(perm) < 2 {
		return perm
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s/%d", lessonID, q.ID, variant)
	r := rand.New(rand.NewPCG(h.Sum64(), uint64(variant)))
	r.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
	return perm
}

// AttemptKey names the variant a lesson response showed; the attempt sends
// it back so its answers are read in the order the learner saw.
func attemptKey(lessonID int64, variant int) string {
	return strconv.FormatInt(lessonID, 10) + "." + strconv.Itoa(variant)
}

// parseAttemptKey returns the variant of a key for this lesson. An empty
// key is the authored order (variant -1), so older clients keep working.
func parseAttemptKey(lessonID int64, key string) (int, error) {
	if key == "" {
		return -1, nil
	}
	lesson, v, ok := strings.Cut(key, ".")
	n, err := strconv.Atoi(v)
	if !ok || lesson != strconv.FormatInt(lessonID, 10) || err != nil || n < 0 || n >= quizVariants {
		return 0, errs.New(errs.Invalid, "error.attempt_key_invalid").With("field", "attempt_key")
	}
	return n, nil
}

// Cooldown is the wait before the next attempt at a lesson's quiz, from the
// learner's attempts there today (newest first, in the deployment's time
// zone). The first retry after a failure is immediate; each further failure
// doubles the wait, 1, 2, 4 then 8 minutes at most. Passing, or a new day,
// starts over. A person reading the explanations needs the first retry at
// once; a script guessing answers needs hundreds, and waits hours.
func Cooldown(today []AttemptTime, now time.Time) time.Duration {
	failures := 0
	for _, a := range today {
		if a.Passed {
			break
		}
		failures++
	}
	if failures < 2 {
		return 0
	}
	wait := time.Minute << min(failures-2, 3)
	if left := today[0].At.Add(wait).Sub(now); left > 0 {
		return left
	}
	return 0
}

// AttemptTime is when an attempt was made and whether it passed.
type AttemptTime struct {
	At     time.Time
	Passed bool
}

// startOfDay is midnight of t's day in loc.
func startOfDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}
