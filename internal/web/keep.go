package web

import (
	"bytes"
	"net/http"
	"strconv"
	"sync"

	"github.com/labstack/echo/v4"
)

// keptAnswers keeps the 200 answers of read-only routes whose data changes
// only at known moments, each until that moment. The statistics change only
// when a pass of the upkeep commits (every 2 s, internal/stats.Worker), so a
// dashboard opened by many admins, or refreshed, reads its counters once per
// pass; the answer's as_of still says how current it is. The key is the
// user, their language and the request's path and query, so nobody is
// handed another's scope.
type keptAnswers struct {
	// generation changes whenever the data may have; nil keeps nothing.
	generation func() uint64
	mu         sync.Mutex
	m          map[string]keptAnswer
}

type keptAnswer struct {
	gen         uint64
	contentType string
	body        []byte
}

// maxKeptAnswers bounds memory (dashboard answers are a few kilobytes):
// past it the cache starts again empty.
const maxKeptAnswers = 4096

func (k *keptAnswers) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if k == nil || k.generation == nil {
			return next(c)
		}
		a, err := requireUser(c)
		if err != nil {
			return err
		}
		gen := k.generation()
		key := strconv.FormatInt(a.user.ID, 10) + "|" + a.user.Locale + "|" + c.Request().Header.Get("Accept-Language") +
			"|" + c.Request().RequestURI
		k.mu.Lock()
		kept, ok := k.m[key]
		k.mu.Unlock()
		if ok && kept.gen == gen {
			return c.Blob(http.StatusOK, kept.contentType, kept.body)
		}
		res := c.Response()
		rec := &recordingWriter{ResponseWriter: res.Writer}
		res.Writer = rec
		err = next(c)
		res.Writer = rec.ResponseWriter
		if err == nil && res.Status == http.StatusOK && rec.buf.Len() > 0 {
			k.mu.Lock()
			if k.m == nil || len(k.m) >= maxKeptAnswers {
				k.m = map[string]keptAnswer{}
			}
			k.m[key] = keptAnswer{gen: gen, contentType: res.Header().Get(echo.HeaderContentType),
				body: bytes.Clone(rec.buf.Bytes())}
			k.mu.Unlock()
		}
		return err
	}
}

// recordingWriter passes a response through and keeps a copy of its body.
type recordingWriter struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	w.buf.Write(b)
	return w.ResponseWriter.Write(b)
}
