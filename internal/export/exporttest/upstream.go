// Package exporttest is the live differential harness of crossgate export:
// a misbehaving upstream, a battery of requests derived from a plan, and
// the judge that compares what a browser sees from a real server running
// an export with what it sees from crossgate's own gateway on the same
// policy file. Each target's test starts its server and calls [Run].
package exporttest

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// CaseHeader carries the battery case's id on every request, so that the
// upstream can tell which cases reached it.
const CaseHeader = "X-Crossgate-Case"

// Upstream is a loopback upstream that misbehaves the way real ones do: it
// sets CORS headers of its own (Access-Control-Allow-Origin: *,
// credentials, an exposed secret), a Vary of its own, and answers a path
// ending in /status/NNN with that status. It records every request.
type Upstream struct {
	URL string

	srv *httptest.Server
}

// Seen is what an upstream got for one case.
type Seen struct {
	Upstream string // the upstream's URL
	Method   string
	Path     string // the escaped path, as received
}

// seen records what every Upstream of the process got, by case id, so that
// a case sent to a policy with an upstream of its own is found too.
var seen sync.Map

// UpstreamHeaders are the headers the upstream sets on every response.
var UpstreamHeaders = map[string]string{
	"Access-Control-Allow-Origin":      "*",
	"Access-Control-Allow-Credentials": "true",
	"Access-Control-Expose-Headers":    "X-Upstream-Secret",
	"Access-Control-Allow-Methods":     "GET, POST, PUT, PATCH, DELETE, OPTIONS",
	"Access-Control-Max-Age":           "86400",
	"Vary":                             "Accept-Encoding",
	"X-Upstream-Secret":                "s3cr3t",
	"X-Total-Count":                    "42",
	"X-Request-Id":                     "req-1",
	"Link":                             "</next>; rel=next",
	"X-Ratelimit-Limit":                "100",
	"Content-Type":                     "text/plain; charset=utf-8",
}

// NewUpstream starts the upstream on 127.0.0.1; it stops at the end of
// the test.
func NewUpstream(t testing.TB) *Upstream {
	t.Helper()
	u := &Upstream{}
	u.srv = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(u.srv.Close)
	u.URL = u.srv.URL
	return u
}

func (u *Upstream) serve(w http.ResponseWriter, r *http.Request) {
	if id := r.Header.Get(CaseHeader); id != "" {
		seen.Store(id, Seen{Upstream: u.URL, Method: r.Method, Path: r.URL.EscapedPath()})
	}
	if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		// Accept the handshake (RFC 6455 §4.2.2), then hang up: what
		// counts is that the upgrade went through.
		sum := sha1.Sum([]byte(r.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
			base64.StdEncoding.EncodeToString(sum[:]))
		brw.Flush()
		conn.Close()
		return
	}
	for k, v := range UpstreamHeaders {
		w.Header().Set(k, v)
	}
	status := http.StatusOK
	p := r.URL.EscapedPath()
	if i := strings.LastIndex(p, "/status/"); i >= 0 {
		if n, err := strconv.Atoi(p[i+len("/status/"):]); err == nil && n >= 200 && n <= 599 {
			status = n
		}
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, "%s %s\n", r.Method, p)
}

// SeenAnywhere returns what any upstream of the process got for the case
// id.
func SeenAnywhere(id string) (Seen, bool) {
	v, ok := seen.Load(id)
	if !ok {
		return Seen{}, false
	}
	return v.(Seen), true
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago,
// for a server that must be told its port before it starts.
func FreePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}
