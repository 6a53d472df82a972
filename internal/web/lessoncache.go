package web

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/xuetang-edu/xuetang/internal/learning"
	"github.com/xuetang-edu/xuetang/internal/teach"
)

// lessonBodies keeps encoded lesson answers. A lesson answer differs between
// learners only in three small fields (enrolled, completed, best score), so
// a class opening the same lesson together shares one encoding, and its gzip
// is made once, at the best compression for slow links, instead of per
// request. Encoding and compressing were 44% of a lesson view's CPU.
type lessonBodies struct {
	mu sync.RWMutex
	m  map[string]*lessonBody
}

type lessonBody struct {
	plain, gz []byte
}

// maxLessonBodies bounds memory: past it the cache starts again empty.
const maxLessonBodies = 20000

// gridBodies keeps the encoding of the class grids the teach service keeps
// (the same *teach.Grid while it is kept): a grid is hundreds of kilobytes
// of JSON, and encoding and compressing it was most of a repeated view.
type gridBodies struct {
	mu sync.Mutex
	m  map[*teach.Grid]*lessonBody
}

// maxGridBodies bounds memory: past it the cache starts again empty.
const maxGridBodies = 64

func (c *gridBodies) get(g *teach.Grid) (*lessonBody, error) {
	if !g.Kept() {
		return encodeBody(g, gzip.DefaultCompression)
	}
	c.mu.Lock()
	b, ok := c.m[g]
	c.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err := encodeBody(g, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxGridBodies {
		c.m = make(map[*teach.Grid]*lessonBody)
	}
	c.m[g] = b
	c.mu.Unlock()
	return b, nil
}

// encodeBody is v as JSON, plain and gzipped at level.
func encodeBody(v any, level int) (*lessonBody, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	plain = append(plain, '\n')
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, level)
	_, _ = zw.Write(plain)
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return &lessonBody{plain: plain, gz: gz.Bytes()}, nil
}

func lessonKey(v *learning.LessonView) string {
	best := -1
	if v.BestScore != nil {
		best = *v.BestScore
	}
	return fmt.Sprintf("%d/%t/%t/%d/%s", v.ID, v.Course.Enrolled, v.Completed, best, v.AttemptKey)
}

func (c *lessonBodies) get(v *learning.LessonView) (*lessonBody, error) {
	k := lessonKey(v)
	c.mu.RLock()
	b, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return b, nil
	}
	b, err := encodeBody(v, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxLessonBodies {
		c.m = make(map[string]*lessonBody)
	}
	c.m[k] = b
	c.mu.Unlock()
	return b, nil
}
