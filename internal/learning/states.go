package learning

import (
	"context"
	"sync"
	"time"
)

// lessonStates keeps, per learner and course, which lessons are complete and
// their best quiz scores. The lesson reader shows both on every view; reading
// them from the database cost a round trip and about a fifth of a view's CPU,
// while they change only when the learner completes a lesson or takes a quiz.
//
// This process's own writes drop the entry before they are acknowledged, so
// a learner always sees their own completion at once when every request
// reaches the same instance (the one-binary default). A write made through
// another instance shows here within stateTTL, as the signed-in user cache
// does for a renamed user.
type lessonStates struct {
	st  ProgressStore
	now func() time.Time

	mu    sync.Mutex
	m     map[stateKey]*stateEntry
	epoch uint64 // counts invalidations, so a read racing a write is not kept
}

type stateKey struct{ user, course int64 }

type stateEntry struct {
	at     time.Time
	bySlug map[string]lessonState
}

type lessonState struct {
	completed bool
	hasBest   bool
	best      int
	attempts  int // quiz attempts: picks the option order shown next
}

// stateTTL bounds how stale a learner's lesson states can be after a write
// through another instance.
const stateTTL = 10 * time.Second

// maxStateEntries bounds memory: past it the cache starts again empty.
const maxStateEntries = 100000

func newLessonStates(st ProgressStore, now func() time.Time) *lessonStates {
	return &lessonStates{st: st, now: now, m: make(map[stateKey]*stateEntry)}
}

// of returns the learner's state on one lesson of a course, reading the
// whole course's states in one query when they are not cached.
func (c *lessonStates) of(ctx context.Context, userID, courseID int64, slug string) (lessonState, error) {
	k := stateKey{userID, courseID}
	now := c.now()
	c.mu.Lock()
	e, ok := c.m[k]
	epoch := c.epoch
	c.mu.Unlock()
	if ok && now.Sub(e.at) < stateTTL {
		return e.bySlug[slug], nil
	}
	rows, err := c.st.ProgressOf(ctx, userID, courseID)
	if err != nil {
		return lessonState{}, err
	}
	e = &stateEntry{at: now, bySlug: make(map[string]lessonState, len(rows))}
	for _, p := range rows {
		s := lessonState{completed: p.CompletedAt != nil, attempts: p.Attempts}
		if p.BestScore != nil {
			s.hasBest, s.best = true, *p.BestScore
		}
		e.bySlug[p.LessonSlug] = s
	}
	c.mu.Lock()
	// A write acknowledged while this read ran may be missing from it.
	if c.epoch == epoch {
		if len(c.m) >= maxStateEntries {
			c.m = make(map[stateKey]*stateEntry)
		}
		c.m[k] = e
	}
	c.mu.Unlock()
	return e.bySlug[slug], nil
}

// forget drops a learner's states in a course; call it after a write that
// may change them has committed and before it is acknowledged.
func (c *lessonStates) forget(userID, courseID int64) {
	c.mu.Lock()
	delete(c.m, stateKey{userID, courseID})
	c.epoch++
	c.mu.Unlock()
}
