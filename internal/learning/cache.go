package learning

import "sync"

// capped is a cache of values that never go stale (a published version's
// lessons and outline, when a learner enrolled): past max entries it starts
// again empty, so memory stays bounded whatever is read, and what is still
// in use comes back with one query each. Reads take a shared lock, as the
// lesson reader asks on every view.
type capped[K comparable, V any] struct {
	max int
	mu  sync.RWMutex
	m   map[K]V
}

func newCapped[K comparable, V any](max int) *capped[K, V] {
	return &capped[K, V]{max: max, m: make(map[K]V)}
}

func (c *capped[K, V]) get(k K) (V, bool) {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	return v, ok
}

func (c *capped[K, V]) put(k K, v V) {
	c.mu.Lock()
	if len(c.m) >= c.max {
		c.m = make(map[K]V)
	}
	c.m[k] = v
	c.mu.Unlock()
}

// clear empties the cache, for values that can change (a course's audience).
func (c *capped[K, V]) clear() {
	c.mu.Lock()
	c.m = make(map[K]V)
	c.mu.Unlock()
}
