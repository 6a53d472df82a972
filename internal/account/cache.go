package account

import (
	"context"
	"sync"
	"time"
)

// Every signed-in request needs its user and institution. Reading them
// from the database each time doubled the cost of a lesson view, so they
// are kept briefly. Staleness is bounded by signedInTTL: disabling an
// account also deletes its sessions, which takes effect at once, and a
// changed name or role shows within seconds.
const (
	signedInTTL    = 10 * time.Second
	maxCachedUsers = 50000
)

type cachedUser struct {
	user    User
	inst    *Institution
	p       Principal
	expires time.Time
}

type userCache struct {
	mu sync.RWMutex
	m  map[int64]cachedUser
}

func (c *userCache) get(id int64, now time.Time) (cachedUser, bool) {
	c.mu.RLock()
	e, ok := c.m[id]
	c.mu.RUnlock()
	return e, ok && now.Before(e.expires)
}

func (c *userCache) put(e cachedUser) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedUsers {
		c.m = make(map[int64]cachedUser)
	}
	c.m[e.user.ID] = e
	c.mu.Unlock()
}

// Forget drops a user from the cache after a change made by this process.
func (s *Service) Forget(id int64) {
	s.cache.mu.Lock()
	delete(s.cache.m, id)
	s.cache.mu.Unlock()
}

// SignedIn returns the user of a session with their institution and
// principal. The returned user is a copy the caller may keep.
func (s *Service) SignedIn(ctx context.Context, id int64) (*User, *Institution, Principal, error) {
	now := s.now()
	if e, ok := s.cache.get(id, now); ok {
		u := e.user
		return &u, e.inst, e.p, nil
	}
	row, err := s.db.UserByID(ctx, id)
	if err != nil {
		return nil, nil, Principal{}, err
	}
	p, instRow, err := s.Principal(ctx, row)
	if err != nil {
		return nil, nil, Principal{}, err
	}
	u, inst := userOf(row), institutionOf(instRow)
	s.cache.put(cachedUser{user: *u, inst: inst, p: p, expires: now.Add(signedInTTL)})
	return u, inst, p, nil
}
