package web

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// compressMinLength: below this, gzip's header and checksum outweigh the
// saving, so small JSON answers go out as they are.
const compressMinLength = 1024

// compress gzips responses of compressMinLength bytes or more for clients
// that accept it. Unlike Echo's Gzip middleware it touches no compressor
// until a response has proved large enough: resetting one on every request
// was 39% of the CPU of a small signed-in API call.
func compress(skip func(echo.Context) bool) echo.MiddlewareFunc {
	pool := sync.Pool{New: func() any {
		w, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression)
		return w
	}}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			res := c.Response()
			res.Header().Add(echo.HeaderVary, echo.HeaderAcceptEncoding)
			if skip(c) || !strings.Contains(c.Request().Header.Get(echo.HeaderAcceptEncoding), "gzip") {
				return next(c)
			}
			cw := &compressWriter{ResponseWriter: res.Writer, pool: &pool}
			res.Writer = cw
			defer func() {
				res.Writer = cw.ResponseWriter
				cw.finish()
			}()
			return next(c)
		}
	}
}

type compressWriter struct {
	http.ResponseWriter
	pool    *sync.Pool
	code    int
	buf     bytes.Buffer
	gz      *gzip.Writer
	decided bool // passthrough or gzip chosen
}

func (w *compressWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *compressWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	if w.decided {
		if w.gz != nil {
			return w.gz.Write(b)
		}
		return w.ResponseWriter.Write(b)
	}
	w.buf.Write(b)
	if w.buf.Len() >= compressMinLength {
		w.decide(true)
	}
	return len(b), nil
}

// decide commits to gzip (when allowed) or passthrough and flushes the buffer.
func (w *compressWriter) decide(large bool) {
	w.decided = true
	h := w.ResponseWriter.Header()
	if large && h.Get(echo.HeaderContentEncoding) == "" && w.code != http.StatusNoContent && w.code != http.StatusNotModified {
		h.Set(echo.HeaderContentEncoding, "gzip")
		h.Del(echo.HeaderContentLength)
		w.gz = w.pool.Get().(*gzip.Writer)
		w.gz.Reset(w.ResponseWriter)
	}
	w.ResponseWriter.WriteHeader(w.code)
	if w.buf.Len() > 0 {
		if w.gz != nil {
			_, _ = w.gz.Write(w.buf.Bytes())
		} else {
			_, _ = w.ResponseWriter.Write(w.buf.Bytes())
		}
	}
	w.buf = bytes.Buffer{}
}

func (w *compressWriter) finish() {
	if !w.decided {
		if w.code == 0 {
			return // nothing written: the error handler writes afterwards
		}
		w.decide(false)
	}
	if w.gz != nil {
		_ = w.gz.Close()
		w.pool.Put(w.gz)
		w.gz = nil
	}
}

func (w *compressWriter) Flush() {
	if !w.decided {
		w.decide(w.buf.Len() >= compressMinLength)
	}
	if w.gz != nil {
		_ = w.gz.Flush()
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *compressWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *compressWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := w.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, errors.New("hijack not supported")
}
