package devproxy

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/crossgate/crossgate/internal/via"
)

// DefaultTimeout is how long the proxy waits for an upstream's response
// headers when Config.Timeout is 0: long enough for a dev server's first
// build, short enough that a hung one gets a 504 that names it instead of a
// page that loads forever.
const DefaultTimeout = 2 * time.Minute

// newTransport is http.DefaultTransport's, with a response-header timeout.
func newTransport(timeout time.Duration) *http.Transport {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = timeout
	return t
}

// guard gives rp the proxy's transport and an error handler that answers
// 502 (unreachable) or 504 (no response in time) with a body naming the
// upstream, role ("the frontend", "the API /api"), and why: the
// developer sees it in the page or the network panel, and on standard
// error.
func (p *Proxy) guard(rp *httputil.ReverseProxy, role, flag string, target *url.URL) *httputil.ReverseProxy {
	rp.Transport = p.tr
	rewrite := rp.Rewrite
	entry := []string{fmt.Sprintf("1.1 %s.%d", p.via, len(p.flags))}
	p.flags = append(p.flags, flag+" "+target.Redacted())
	rp.Rewrite = func(pr *httputil.ProxyRequest) {
		rewrite(pr)
		// RFC 9110 §7.6.3: Via is how a proxy detects a request that
		// comes back to it (a --frontend or --api pointing at the
		// --listen address would otherwise multiply requests until the
		// process runs out of files).
		via.Append(pr.Out.Header, entry)
	}
	timeout := p.tr.ResponseHeaderTimeout
	rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		if errors.Is(r.Context().Err(), context.Canceled) {
			// The browser went away (a reload, a closed tab): nobody reads
			// the answer.
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		status, what := http.StatusBadGateway, "cannot be reached (is it running?)"
		var te interface{ Timeout() bool }
		if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &te) && te.Timeout() {
			status, what = http.StatusGatewayTimeout, fmt.Sprintf("sent no response within %s", timeout)
		}
		msg := fmt.Sprintf("crossgate dev: %s %s %s: %s %s: %v", role, target.Redacted(), what, r.Method, r.URL.Path, err)
		log.Print(msg)
		http.Error(w, fmt.Sprintf("%d %s: %s", status, http.StatusText(status), msg), status)
	}
	return rp
}

// newVia returns a pseudonym for Via (RFC 9110 §7.6.3) unique to this
// process, so that two crossgate dev in a chain are no loop.
func newVia() string { return via.NewPseudonym("crossgate-dev") }

// looped answers 508 Loop Detected (RFC 5842 §7.2) if r has been through
// this proxy already, naming the flag that sent it back, and reports
// whether it did.
func (p *Proxy) looped(w http.ResponseWriter, r *http.Request) bool {
	suffix, ok := via.Find(r.Header, p.via)
	if !ok {
		return false
	}
	// The suffix is ".N": the forwarder that sent the request.
	n, err := strconv.Atoi(strings.TrimPrefix(suffix, "."))
	if err != nil || !strings.HasPrefix(suffix, ".") {
		n = -1
	}
	flag := "a --frontend or --api"
	if n >= 0 && n < len(p.flags) {
		flag = p.flags[n]
	}
	msg := fmt.Sprintf("crossgate dev: %s is crossgate dev itself: the request came back to it (%s %s); point it at the dev server or the API, not at --listen",
		flag, r.Method, r.URL.Path)
	log.Print(msg)
	http.Error(w, "508 Loop Detected: "+msg, http.StatusLoopDetected)
	return true
}
