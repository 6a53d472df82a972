package teach

import (
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/store"
)

// A change while a grid is being read: the class's keeps it from being
// stored (it may hold the old members or assignments); a learner's stores
// it as changed already, so it is read again after GridFresh.
func TestGridChangedWhileRead(t *testing.T) {
	var c gridCache
	now := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	k := gridKey{class: 1, viewer: 7}

	b := c.begin(k)
	b.class, b.inst = &store.Class{}, &store.Institution{}
	c.members(b, []int64{10, 11})
	c.classChanged(1)
	c.finish(b, &Grid{}, now, []int64{10, 11})
	if c.get(k, now, time.Minute, time.Second) != nil {
		t.Error("a grid read while its class changed was kept")
	}

	b = c.begin(k)
	b.class, b.inst = &store.Class{}, &store.Institution{}
	c.members(b, []int64{10, 11})
	c.learnersChanged([]int64{99}) // not in the class
	c.finish(b, &Grid{}, now, []int64{10, 11})
	if c.get(k, now.Add(5*time.Second), time.Minute, time.Second) == nil {
		t.Error("an outsider's change kept the grid from being kept")
	}

	b = c.begin(k)
	b.class, b.inst = &store.Class{}, &store.Institution{}
	c.members(b, []int64{10, 11})
	c.learnersChanged([]int64{11})
	g := &Grid{}
	c.finish(b, g, now, []int64{10, 11})
	if e := c.get(k, now.Add(500*time.Millisecond), time.Minute, time.Second); e == nil || e.grid != g {
		t.Error("a grid read while a learner changed was not kept for GridFresh")
	}
	if c.get(k, now.Add(2*time.Second), time.Minute, time.Second) != nil {
		t.Error("a grid read while a learner changed was kept past GridFresh")
	}
	// Before its members are known, any learner's change counts.
	b = c.begin(k)
	b.class, b.inst = &store.Class{}, &store.Institution{}
	c.learnersChanged([]int64{42})
	c.members(b, []int64{10})
	c.finish(b, &Grid{}, now, []int64{10})
	if c.get(k, now.Add(2*time.Second), time.Minute, time.Second) != nil {
		t.Error("a change before the members were read was missed")
	}
	if len(c.building) != 0 {
		t.Errorf("%d builds left behind", len(c.building))
	}
}
