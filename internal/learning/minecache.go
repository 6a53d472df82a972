package learning

import (
	"sync"
	"time"
)

// myPages keeps each learner's computed "my learning" page. Building it
// takes about seven reads (catalogue aside), and the SQLite driver prepares
// each one again, so a learner going back and forth to the page cost
// several times a lesson view (docs/PERFORMANCE.md, "My learning against
// the lesson view").
//
// The rule is lessonStates': this process's own writes drop the entry
// before they are acknowledged, the learner's through forget (progress,
// completion and certificate, enrolment, quiz attempt, class join) and
// staff changes through clear (assignments, classes, targets, credits,
// accounts, courses), so in the one-binary default a page never shows a
// change older than its request. A write through another instance (or the
// command line, such as revoking a certificate) shows here within
// pageTTL.
type myPages struct {
	now func() time.Time

	mu sync.Mutex
	m  map[int64]*pageEntry // by user id
	// epochs count invalidations, so a page read racing a write is not
	// kept. They are spread over users by id, so one learner's heartbeats
	// do not keep everyone else's page from being kept.
	epochs [pageEpochs]uint64
}

// pageEntry is a learner's page for the target scopes and study-hour year
// it was built for: a learner moved to another institution or role, or a
// page built before New Year, misses.
type pageEntry struct {
	at     time.Time
	scopes TargetScopes
	year   int
	page   *MyLearning
}

// pageTTL bounds how stale a page can be after a write through another
// instance: the same as a lesson's states (stateTTL), so the two pages a
// learner moves between agree.
const pageTTL = stateTTL

// maxPageEntries bounds memory (a page is a few kilobytes): a page helps
// only within pageTTL, so this is the learners opening the page within ten
// seconds of each other. Past it expired pages go, and if that is not
// enough the cache starts again empty.
const maxPageEntries = 10000

const pageEpochs = 256

func newMyPages(now func() time.Time) *myPages {
	return &myPages{now: now, m: make(map[int64]*pageEntry)}
}

// get returns a copy of the learner's kept page, or, when there is none,
// the epoch to pass to put with the page built instead.
func (c *myPages) get(userID int64, scopes TargetScopes, year int) (*MyLearning, uint64) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[userID]
	if ok && e.scopes == scopes && e.year == year && now.Sub(e.at) < pageTTL {
		return e.page.clone(), 0
	}
	return nil, c.epochs[uint64(userID)%pageEpochs]
}

// put keeps a copy of a page built at epoch (from get), unless a write
// that may be missing from it was acknowledged meanwhile.
func (c *myPages) put(userID int64, scopes TargetScopes, year int, epoch uint64, at time.Time, page *MyLearning) {
	kept := page.clone()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epochs[uint64(userID)%pageEpochs] != epoch {
		return
	}
	if len(c.m) >= maxPageEntries {
		now := c.now()
		for id, e := range c.m {
			if now.Sub(e.at) >= pageTTL {
				delete(c.m, id)
			}
		}
		if len(c.m) >= maxPageEntries {
			c.m = make(map[int64]*pageEntry)
		}
	}
	c.m[userID] = &pageEntry{at: at, scopes: scopes, year: year, page: kept}
}

// forget drops these learners' pages; call it after a write that may change
// them has committed and before it is acknowledged.
func (c *myPages) forget(userIDs ...int64) {
	c.mu.Lock()
	for _, id := range userIDs {
		delete(c.m, id)
		c.epochs[uint64(id)%pageEpochs]++
	}
	c.mu.Unlock()
}

// clear drops every page.
func (c *myPages) clear() {
	c.mu.Lock()
	c.m = make(map[int64]*pageEntry)
	for i := range c.epochs {
		c.epochs[i]++
	}
	c.mu.Unlock()
}

// clone copies a page deep enough that neither the caller nor the cache
// can change the other's through it.
func (m *MyLearning) clone() *MyLearning {
	out := *m
	out.Courses = make([]MyCourse, len(m.Courses))
	for i, c := range m.Courses {
		c.QuizAverage = clonePtr(c.QuizAverage)
		c.CompletedAt = clonePtr(c.CompletedAt)
		c.CertificateSerial = clonePtr(c.CertificateSerial)
		c.DueAt = clonePtr(c.DueAt)
		out.Courses[i] = c
	}
	out.Certificates = append([]CertificateItem{}, m.Certificates...)
	return &out
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
