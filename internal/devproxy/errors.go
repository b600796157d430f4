package devproxy

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
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
func (p *Proxy) guard(rp *httputil.ReverseProxy, role string, target *url.URL) *httputil.ReverseProxy {
	rp.Transport = p.tr
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
