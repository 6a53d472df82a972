package main

// A minimal HTTP/1.1 client: one keep-alive TCP connection per worker, a
// request template built once per worker and written with one Write per
// request, and a response parser that reads the body only to count it.
// net/http's client costs tens of microseconds of CPU per request, which
// the server under test, sharing the machine, would lose.

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	// readBufferSize is each connection's bufio.Reader; a response header
	// line longer than this is still read, but only its start is looked at.
	readBufferSize = 16 << 10
	// maxResponseHeader caps the header bytes of one response.
	maxResponseHeader = 1 << 20
	// max1xx caps the informational responses skipped before the final one.
	max1xx = 5
	// defaultUserAgent is what net/http sent, kept so servers see no change.
	defaultUserAgent = "Go-http-client/1.1"
)

// client holds the workers' connections. They outlive one attack, so the
// measured run reuses the warm-up's connections, as net/http's pool did.
type client struct {
	dialer  *net.Dialer
	addr    string // host:port every connection dials
	timeout time.Duration
	conns   []*hconn // by worker index; worker i alone touches conns[i] during an attack
}

// hconn is one worker's connection; c is nil until dialled and after a close.
type hconn struct {
	c  net.Conn
	br *bufio.Reader
}

func (h *hconn) close() {
	if h.c != nil {
		h.c.Close()
		h.c = nil
	}
}

// errNotLoopback is returned by the dialer for any resolved non-loopback address.
var errNotLoopback = errors.New("refusing to connect to a non-loopback address")

func newClient(opt options) *client {
	dialer := &net.Dialer{
		Timeout: opt.timeout,
		// Control runs with the resolved address, so a hosts file that maps
		// localhost elsewhere cannot send traffic off the machine.
		Control: func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return fmt.Errorf("%w: %s", errNotLoopback, address)
			}
			return nil
		},
	}
	conns := make([]*hconn, opt.connections)
	for i := range conns {
		conns[i] = &hconn{}
	}
	return &client{dialer: dialer, addr: dialAddr(opt.targets[0]), timeout: opt.timeout, conns: conns}
}

// close closes every connection; call it only when no attack runs.
func (cl *client) close() {
	for _, h := range cl.conns {
		h.close()
	}
}

// dialAddr is the host:port a URL's server listens on.
func dialAddr(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// requestLines returns "METHOD request-URI HTTP/1.1\r\n" for each target.
func requestLines(method string, targets []*url.URL) [][]byte {
	lines := make([][]byte, len(targets))
	for i, u := range targets {
		lines[i] = []byte(method + " " + u.RequestURI() + " HTTP/1.1\r\n")
	}
	return lines
}

// headerBlock renders a worker's headers, Host first, as net/http would
// send them: canonical names in sorted order, one line per value, Host,
// Content-Length, Transfer-Encoding and Trailer from h ignored, and a
// default User-Agent unless h has one. Content-Length and the blank line
// are added per request.
func headerBlock(host string, h http.Header) []byte {
	b := []byte("Host: " + host + "\r\n")
	if _, ok := h["User-Agent"]; !ok {
		b = append(b, "User-Agent: "+defaultUserAgent+"\r\n"...)
	}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range h {
			if !yield(k) {
				return
			}
		}
	}) {
		switch http.CanonicalHeaderKey(k) {
		case "Host", "Content-Length", "Transfer-Encoding", "Trailer":
			continue
		}
		for _, v := range h[k] {
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	return b
}

// bodyTemplate is -body split once at its {{uuid}} and {{seq}} markers.
type bodyTemplate struct {
	parts   []bodyPart
	uuid    bool // some part is {{uuid}}
	seq     bool // some part is {{seq}}
	literal bool // no markers: parts is at most one literal
}

type bodyPart struct {
	lit  string
	kind byte // 0 literal, 'u' uuid, 's' seq
}

// parseBody splits s the way strings.NewReplacer("{{uuid}}", …, "{{seq}}", …)
// replaces it: leftmost markers first, without overlaps.
func parseBody(s string) bodyTemplate {
	var t bodyTemplate
	for s != "" {
		i := strings.Index(s, "{{")
		for i >= 0 && !strings.HasPrefix(s[i:], "{{uuid}}") && !strings.HasPrefix(s[i:], "{{seq}}") {
			j := strings.Index(s[i+1:], "{{")
			if j < 0 {
				i = -1
			} else {
				i += 1 + j
			}
		}
		if i < 0 {
			t.parts = append(t.parts, bodyPart{lit: s})
			break
		}
		if i > 0 {
			t.parts = append(t.parts, bodyPart{lit: s[:i]})
		}
		if strings.HasPrefix(s[i:], "{{uuid}}") {
			t.parts = append(t.parts, bodyPart{kind: 'u'})
			t.uuid = true
			s = s[i+len("{{uuid}}"):]
		} else {
			t.parts = append(t.parts, bodyPart{kind: 's'})
			t.seq = true
			s = s[i+len("{{seq}}"):]
		}
	}
	t.literal = !t.uuid && !t.seq
	return t
}

// appendBody appends one request's body: every {{uuid}} becomes the same
// fresh UUID and every {{seq}} the same next sequence number.
func (t *bodyTemplate) appendBody(dst []byte, seq *atomic.Int64) []byte {
	var id [36]byte
	var num [20]byte
	var n []byte
	if t.uuid {
		putUUID(&id)
	}
	if t.seq {
		n = strconv.AppendInt(num[:0], seq.Add(1), 10)
	}
	for _, p := range t.parts {
		switch p.kind {
		case 'u':
			dst = append(dst, id[:]...)
		case 's':
			dst = append(dst, n...)
		default:
			dst = append(dst, p.lit...)
		}
	}
	return dst
}

// putUUID writes a random (version 4) UUID for progress-event style bodies.
func putUUID(dst *[36]byte) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	j := 0
	for i, x := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst[j] = '-'
			j++
		}
		dst[j], dst[j+1] = hex[x>>4], hex[x&0x0f]
		j += 2
	}
}

// needsContentLength reports whether an empty body is still announced, as
// net/http does for the methods that normally carry one.
func needsContentLength(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		return true
	}
	return false
}

// response is what the worker keeps of one response.
type response struct {
	code      int
	status    string // "404 Not Found", for codes outside 2xx only
	bodyBytes int64  // as received: after de-chunking, before any decompression
	gzip      bool   // Content-Encoding: gzip
	close     bool   // the connection cannot carry another request
}

// errNoResponse marks a failure before any byte of the response arrived, on
// which a request on a reused connection may be retried.
var errNoResponse = errors.New("server closed the connection before responding")

// roundTrip sends req (already complete) on worker conn's connection and
// reads the response, redialling first when the connection is closed. The
// whole exchange must finish by deadline. A request on a reused connection
// that the server closed before answering is sent once more on a fresh
// one, as net/http does, when the write failed or the method is safe.
func (cl *client) roundTrip(conn int, req []byte, method string, deadline time.Time) (response, error) {
	h := cl.conns[conn]
	for attempt := 0; ; attempt++ {
		reused := h.c != nil
		if !reused {
			d := *cl.dialer
			d.Deadline = deadline
			c, err := d.Dial("tcp", cl.addr)
			if err != nil {
				return response{}, err
			}
			h.c = c
			if h.br == nil {
				h.br = bufio.NewReaderSize(c, readBufferSize)
			} else {
				h.br.Reset(c)
			}
		}
		if err := h.c.SetDeadline(deadline); err != nil {
			h.close()
			return response{}, err
		}
		_, err := h.c.Write(req)
		writeFailed := err != nil
		var resp response
		if err == nil {
			resp, err = readResponse(h.br, method)
		}
		if err == nil && h.br.Buffered() > 0 {
			resp.close = true // bytes after the response: do not trust the connection
		}
		if err != nil {
			h.close()
			retry := reused && attempt == 0 && !errors.Is(err, os.ErrDeadlineExceeded) &&
				(writeFailed || errors.Is(err, errNoResponse) && safeMethod(method))
			if retry {
				continue
			}
			return response{}, err
		}
		if resp.close {
			h.close()
		}
		return resp, nil
	}
}

// readResponse reads one final response (skipping 1xx but 101) and its body.
func readResponse(br *bufio.Reader, method string) (response, error) {
	for i := 0; ; i++ {
		resp, chunked, length, err := readHeader(br)
		if err != nil {
			return resp, err
		}
		switch {
		case resp.code == http.StatusSwitchingProtocols:
			resp.close = true
			return resp, nil
		case resp.code < 200:
			if i == max1xx {
				return resp, errors.New("too many 1xx informational responses")
			}
			continue
		case resp.code == http.StatusNoContent || resp.code == http.StatusNotModified || method == http.MethodHead:
			return resp, nil
		case chunked:
			resp.bodyBytes, err = readChunked(br)
		case length >= 0:
			var n int
			n, err = br.Discard(int(length))
			resp.bodyBytes = int64(n)
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
		default: // the body runs to the end of the connection
			resp.bodyBytes, err = br.WriteTo(io.Discard)
			resp.close = true
		}
		return resp, err
	}
}

// readHeader reads a status line and header fields. length is -1 unless
// a Content-Length was given (and the body is not chunked).
func readHeader(br *bufio.Reader) (resp response, chunked bool, length int64, err error) {
	length = -1
	line, err := br.ReadSlice('\n')
	if err != nil {
		if len(line) == 0 && (err == io.EOF || errors.Is(err, syscall.ECONNRESET)) {
			return resp, false, 0, fmt.Errorf("%w: %v", errNoResponse, err)
		}
		if err == io.EOF || err == bufio.ErrBufferFull {
			err = fmt.Errorf("malformed status line %q: %v", truncate(line), err)
		}
		return resp, false, 0, err
	}
	line = trimEOL(line)
	// HTTP/1.x NNN[ reason]
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' ||
		(line[7] != '0' && line[7] != '1') || len(line) > 12 && line[12] != ' ' {
		return resp, false, 0, fmt.Errorf("malformed status line %q", truncate(line))
	}
	code := 0
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return resp, false, 0, fmt.Errorf("malformed status code in %q", truncate(line))
		}
		code = code*10 + int(c-'0')
	}
	if code < 100 {
		return resp, false, 0, fmt.Errorf("malformed status code in %q", truncate(line))
	}
	resp.code = code
	if code < 200 || code > 299 {
		resp.status = string(bytes.TrimSpace(line[9:]))
	}
	http10 := line[7] == '0'
	var total int
	var sawEncoding, sawClose, sawKeepAlive bool
	for {
		line, err = br.ReadSlice('\n')
		total += len(line)
		long := err == bufio.ErrBufferFull
		if err != nil && !long {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return resp, false, 0, err
		}
		if !long {
			line = trimEOL(line)
			if len(line) == 0 {
				break
			}
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return resp, false, 0, fmt.Errorf("malformed header line %q", truncate(line))
		}
		name, value = bytes.TrimSpace(name), bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if long {
				return resp, false, 0, errors.New("overlong Content-Length")
			}
			n, perr := strconv.ParseInt(string(value), 10, 64)
			if perr != nil || n < 0 || value[0] == '+' {
				return resp, false, 0, fmt.Errorf("bad Content-Length %q", truncate(value))
			}
			if length >= 0 && n != length {
				return resp, false, 0, errors.New("conflicting Content-Length headers")
			}
			length = n
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			if long || !bytes.EqualFold(value, []byte("chunked")) {
				return resp, false, 0, fmt.Errorf("unsupported Transfer-Encoding %q", truncate(value))
			}
			chunked = true
		case bytes.EqualFold(name, []byte("Content-Encoding")):
			if !sawEncoding {
				sawEncoding = true
				resp.gzip = bytes.EqualFold(value, []byte("gzip"))
			}
		case bytes.EqualFold(name, []byte("Connection")):
			for tok := range bytes.SplitSeq(value, []byte(",")) {
				tok = bytes.TrimSpace(tok)
				sawClose = sawClose || bytes.EqualFold(tok, []byte("close"))
				sawKeepAlive = sawKeepAlive || bytes.EqualFold(tok, []byte("keep-alive"))
			}
		}
		for long { // skip the rest of an overlong line
			line, err = br.ReadSlice('\n')
			total += len(line)
			long = err == bufio.ErrBufferFull
			if err != nil && !long {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return resp, false, 0, err
			}
			if total > maxResponseHeader {
				break
			}
		}
		if total > maxResponseHeader {
			return resp, false, 0, fmt.Errorf("response header larger than %d bytes", maxResponseHeader)
		}
	}
	// HTTP/1.0 closes unless keep-alive is announced.
	resp.close = sawClose || http10 && !sawKeepAlive
	if chunked {
		length = -1
	}
	return resp, chunked, length, nil
}

// readChunked discards a chunked body, trailers included, and returns its
// size after de-chunking.
func readChunked(br *bufio.Reader) (int64, error) {
	var total int64
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return total, fmt.Errorf("chunk size line: %w", err)
		}
		line = trimEOL(line)
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i] // a chunk extension
		}
		line = bytes.TrimRight(line, " \t")
		if len(line) == 0 || len(line) > 15 {
			return total, fmt.Errorf("bad chunk size %q", truncate(line))
		}
		var size int64
		for _, c := range line {
			var d byte
			switch {
			case '0' <= c && c <= '9':
				d = c - '0'
			case 'a' <= c && c <= 'f':
				d = c - 'a' + 10
			case 'A' <= c && c <= 'F':
				d = c - 'A' + 10
			default:
				return total, fmt.Errorf("bad chunk size %q", truncate(line))
			}
			size = size<<4 | int64(d)
		}
		if size == 0 {
			break
		}
		n, err := br.Discard(int(size))
		total += int64(n)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return total, err
		}
		if line, err = br.ReadSlice('\n'); err != nil || len(trimEOL(line)) != 0 {
			if err == nil || err == io.EOF {
				err = errors.New("malformed chunk end")
			}
			return total, err
		}
	}
	// Trailers, up to a blank line.
	for size := 0; ; {
		line, err := br.ReadSlice('\n')
		size += len(line)
		if err != nil || size > maxResponseHeader {
			if err == nil || err == io.EOF || err == bufio.ErrBufferFull {
				err = errors.New("malformed chunked trailer")
			}
			return total, err
		}
		if len(trimEOL(line)) == 0 {
			return total, nil
		}
	}
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// truncate keeps error messages short.
func truncate(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "…"
	}
	return string(b)
}

// isToken reports whether s is an RFC 9110 token (a header name or method).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validHeaderValue refuses control characters (CR and LF above all) but tab.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
