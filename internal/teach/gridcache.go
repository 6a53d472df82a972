package teach

import (
	"sync"
	"time"

	"github.com/xuetang-edu/xuetang/internal/store"
)

// A class grid reads every member's enrolments and lesson rows in every
// assigned course (thousands of rows for a class of 200 with 10 courses) and
// answers hundreds of kilobytes of JSON, while a teacher's page and a
// projector in front of the class ask for it again and again. So a grid is
// kept, per class and viewer:
//   - until the class is changed through this service (members, assignments,
//     settings): the teacher's own changes show at once;
//   - once one of its learners' progress or enrolments changed on this
//     instance (learning.Service.OnLearnerChange), for at most
//     Config.GridFresh more: a class at work writes several events a
//     second, and re-reading the grid for each would cost more than it
//     tells;
//   - for at most Config.GridMaxAge in any case, which bounds how late what
//     other app instances wrote shows.
//
// The grid's as_of says when it was read. The same *Grid is handed out while
// it is kept, so the web layer encodes and compresses it once.

type gridKey struct{ class, viewer int64 }

type gridEntry struct {
	grid  *Grid
	class *store.Class
	inst  *store.Institution
	built time.Time
	users []int64
	dirty bool // a learner's rows changed since it was read
}

type gridCache struct {
	mu     sync.Mutex
	m      map[gridKey]*gridEntry
	byUser map[int64]map[gridKey]struct{}
	// building are the grids being read now: a change while one is read
	// keeps it from being stored, since it may hold the old rows.
	building map[*gridBuild]struct{}
}

type gridBuild struct {
	key   gridKey
	class *store.Class
	inst  *store.Institution
	users map[int64]bool
	stale bool // the class changed: not to be kept
	dirty bool // a learner changed: kept as changed already
}

// begin marks a grid as being read, before its class is read.
func (c *gridCache) begin(k gridKey) *gridBuild {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := &gridBuild{key: k}
	if c.building == nil {
		c.building = map[*gridBuild]struct{}{}
	}
	c.building[b] = struct{}{}
	return b
}

// members names the grid's learners, before their rows are read.
func (c *gridCache) members(b *gridBuild, users []int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b.users = make(map[int64]bool, len(users))
	for _, u := range users {
		b.users[u] = true
	}
}

// finish stores the grid unless something it shows changed meanwhile.
func (c *gridCache) finish(b *gridBuild, g *Grid, built time.Time, users []int64) {
	c.mu.Lock()
	delete(c.building, b)
	stale, dirty := b.stale, b.dirty
	c.mu.Unlock()
	if g != nil && !stale && b.class != nil && b.inst != nil {
		g.kept = true
		c.put(b.key, &gridEntry{grid: g, class: b.class, inst: b.inst, built: built, users: users, dirty: dirty})
	}
}

// maxGrids bounds memory (a grid of 200 learners and 10 courses is about
// 1 MB in memory): past it the cache starts again empty.
const maxGrids = 64

func (c *gridCache) get(k gridKey, now time.Time, maxAge, fresh time.Duration) *gridEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[k]
	if e == nil {
		return nil
	}
	age := now.Sub(e.built)
	if age >= maxAge || age < 0 || (e.dirty && age >= fresh) {
		c.dropLocked(k)
		return nil
	}
	return e
}

func (c *gridCache) put(k gridKey, e *gridEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxGrids {
		c.m, c.byUser = map[gridKey]*gridEntry{}, map[int64]map[gridKey]struct{}{}
	}
	c.dropLocked(k)
	c.m[k] = e
	for _, u := range e.users {
		ks := c.byUser[u]
		if ks == nil {
			ks = map[gridKey]struct{}{}
			c.byUser[u] = ks
		}
		ks[k] = struct{}{}
	}
}

func (c *gridCache) dropLocked(k gridKey) {
	e := c.m[k]
	if e == nil {
		return
	}
	delete(c.m, k)
	for _, u := range e.users {
		if ks := c.byUser[u]; ks != nil {
			delete(ks, k)
			if len(ks) == 0 {
				delete(c.byUser, u)
			}
		}
	}
}

// learnersChanged marks the grids that show any of these learners.
func (c *gridCache) learnersChanged(userIDs []int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for b := range c.building {
		for _, u := range userIDs {
			if b.users == nil || b.users[u] {
				b.dirty = true
				break
			}
		}
	}
	if len(c.m) == 0 {
		return
	}
	for _, u := range userIDs {
		for k := range c.byUser[u] {
			c.m[k].dirty = true
		}
	}
}

// classChanged drops every viewer's grid of a class.
func (c *gridCache) classChanged(classID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for b := range c.building {
		if b.key.class == classID {
			b.stale = true
		}
	}
	for k := range c.m {
		if k.class == classID {
			c.dropLocked(k)
		}
	}
}
