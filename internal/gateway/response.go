package gateway

import (
	"io"
	"net/http"
	"sync"

	"github.com/crossgate/crossgate/cors"
	"strings"

	"github.com/crossgate/crossgate/internal/httplex"
)

// recorder is the ResponseWriter the reverse proxy writes to. When the
// response header is written, whoever wrote it (the upstream's response,
// the gateway's own error, a preflight answer), it sets the policy's CORS
// headers and merges Vary; it also records what the access log reports.
type recorder struct {
	rw   http.ResponseWriter
	cors cors.Answer // the CORS decision and its headers
	keep bool        // keep_upstream_cors

	status     int
	bytes      int64
	err        error
	clientGone bool
	refusal    string     // why the gateway refused the request (protect.go), or ""
	body       bodyReader // the request body, if it has one (ReadCloser nil if not)
}

// bodyReader is a request body that remembers why reading it failed:
// the upstream's transport reports that failure as its own.
type bodyReader struct {
	io.ReadCloser
	mu  sync.Mutex // the transport reads the body on a goroutine of its own
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		b.mu.Lock()
		b.err = err
		b.mu.Unlock()
	}
	return n, err
}

// failure returns the error reading the body, or nil; there is none when
// the request had no body.
func (b *bodyReader) failure() error {
	if b.ReadCloser == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

func (w *recorder) Header() http.Header { return w.rw.Header() }

func (w *recorder) WriteHeader(code int) {
	if w.status != 0 || code < 200 {
		// 1xx responses (103 Early Hints, 100 Continue) go through as
		// they are; a second final status is net/http's to report.
		w.rw.WriteHeader(code)
		return
	}
	w.status = code
	w.applyCORS()
	w.rw.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.rw.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush sends what is buffered to the client, for streamed responses.
func (w *recorder) Flush() {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(w.rw).Flush()
}

// Unwrap gives http.ResponseController the underlying writer, for
// hijacking (protocol upgrades) and deadlines.
func (w *recorder) Unwrap() http.ResponseWriter { return w.rw }

// applyCORS sets the decision's headers on the response. Upstream
// Access-Control-* headers were removed by ModifyResponse, unless the
// policy keeps them: then a response that has any keeps them all, and
// only Vary is merged.
func (w *recorder) applyCORS() {
	h := w.rw.Header()
	if !w.keep || !hasCORS(h) {
		w.cors.SetHeaders(h)
		return
	}
	// The upstream's own CORS headers stay; only Vary is merged.
	own := make(http.Header)
	w.cors.SetHeaders(own)
	if v := own["Vary"]; len(v) > 0 {
		mergeVary(h, v)
	}
}

const corsPrefix = "Access-Control-"

// isCORSHeader reports whether the header name is an Access-Control-*
// name, whatever its case.
func isCORSHeader(k string) bool {
	return len(k) >= len(corsPrefix) && httplex.EqualFold(k[:len(corsPrefix)], corsPrefix)
}

func hasCORS(h http.Header) bool {
	for k := range h {
		if isCORSHeader(k) {
			return true
		}
	}
	return false
}

// stripCORS removes every Access-Control-* header from h.
func stripCORS(h http.Header) {
	for k := range h {
		if isCORSHeader(k) {
			delete(h, k)
		}
	}
}

// mergeVary adds to h's Vary the elements of add that it does not name
// yet, keeping what is there (the upstream's), as one field line. A Vary
// of "*" already covers everything.
func mergeVary(h http.Header, add []string) {
	old := h["Vary"]
	if len(old) == 0 {
		h["Vary"] = add
		return
	}
	if httplex.HasListElementFold(old, "*") {
		return
	}
	var b strings.Builder
	for _, line := range add {
		for e := range strings.SplitSeq(line, ",") {
			e = strings.TrimSpace(e)
			if e == "" || httplex.HasListElementFold(old, e) {
				continue
			}
			if b.Len() == 0 {
				for _, o := range old {
					if o = strings.TrimSpace(o); o != "" {
						b.WriteString(o)
						b.WriteString(", ")
					}
				}
			} else {
				b.WriteString(", ")
			}
			b.WriteString(e)
		}
	}
	if b.Len() > 0 {
		h["Vary"] = []string{b.String()}
	}
}
