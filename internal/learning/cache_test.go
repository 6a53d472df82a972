package learning

import (
	"testing"
	"time"
)

// The cache never holds more than its bound, however many learners read,
// and still answers for the entry put last.
func TestCappedBounded(t *testing.T) {
	c := newCapped[enrolKey, time.Time](100)
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for i := int64(1); i <= 1000; i++ {
		k := enrolKey{user: i, course: 7}
		c.put(k, at)
		if n := len(c.m); n > 100 {
			t.Fatalf("after %d learners the cache holds %d entries, bound 100", i, n)
		}
		if got, ok := c.get(k); !ok || !got.Equal(at) {
			t.Fatalf("learner %d: got %v %v right after put", i, got, ok)
		}
	}
}
