package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Exchange is one request as sent and the response as received: the
// evidence of a finding. Header values that carry credentials (Cookie,
// Authorization, Set-Cookie and the --credentials-header) are replaced by
// "[redacted]".
type Exchange struct {
	Request  Request   `json:"request"`
	Response *Response `json:"response,omitempty"`
	// Error is why no response came, when none did.
	Error string `json:"error,omitempty"`
}

// Request is a request as sent. Header holds every header crossgate
// sets; the transport adds Host (from URL) and nothing else.
type Request struct {
	Method string      `json:"method"`
	URL    string      `json:"url"`
	Header http.Header `json:"header"`
}

// Response is a response's status and headers, as received.
type Response struct {
	Status int         `json:"status"`
	Header http.Header `json:"header"`
	// Truncated says what of the header was left out, when the server
	// sent more than an audit keeps of a response (see bound.go), or "".
	Truncated string `json:"truncated,omitempty"`
}

// UserAgent is the User-Agent of every probe.
const UserAgent = "crossgate-audit/1 (+https://github.com/crossgate/crossgate)"

const maxRedirects = 5

// sender sends the probes of one target. It holds no state shared with
// other targets but the transport and the rate limiter.
type sender struct {
	rt      http.RoundTripper
	timeout time.Duration
	limit   *limiter
	key     string
	extra   http.Header // -H, on every request
	creds   http.Header // --credentials-header, on simple requests only
}

// send sends one request and follows redirects to the same origin (simple
// requests only: browsers never follow a redirect on a preflight). It
// never follows a redirect to another origin. It returns every hop.
func (s *sender) send(ctx context.Context, method, rawURL string, h http.Header, follow bool) ([]Exchange, *http.Response, error) {
	var exs []Exchange
	for hop := 0; ; hop++ {
		ex, resp, err := s.one(ctx, method, rawURL, h)
		exs = append(exs, ex)
		if err != nil {
			return exs, nil, err
		}
		loc := resp.Header.Get("Location")
		if !follow || hop >= maxRedirects || loc == "" || !isRedirect(resp.StatusCode) {
			return exs, resp, nil
		}
		cur, _ := url.Parse(rawURL)
		next, err := cur.Parse(loc)
		if err != nil || !sameOrigin(cur, next) {
			return exs, resp, nil
		}
		rawURL = next.String()
	}
}

func isRedirect(status int) bool {
	switch status {
	case 301, 302, 303, 307, 308:
		return true
	}
	return false
}

func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Host, b.Host)
}

func (s *sender) one(ctx context.Context, method, rawURL string, h http.Header) (Exchange, *http.Response, error) {
	ex := Exchange{Request: Request{Method: method, URL: rawURL, Header: s.redact(h)}}
	if err := s.limit.wait(ctx, s.key); err != nil {
		ex.Error = err.Error()
		return ex, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
	if err != nil {
		ex.Error = err.Error()
		return ex, nil, err
	}
	req.Header = h.Clone()
	resp, err := s.rt.RoundTrip(req)
	if err != nil {
		if tooBig(err) {
			err = errHeadersTooBig(0)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no response within %v: %w", s.timeout, err)
		}
		ex.Error = err.Error()
		return ex, nil, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBodyDrain))
	resp.Body.Close()
	// A transport other than DefaultTransport may have read more.
	if size, _ := headerSize(resp.Header); size > maxResponseHeaderBytes {
		err := errHeadersTooBig(size)
		ex.Error = err.Error()
		return ex, nil, err
	}
	// From here on only the kept part of the header exists: grading and
	// evidence see the same bounded header.
	var note string
	resp.Header, note = boundHeader(resp.Header)
	ex.Response = &Response{Status: resp.StatusCode, Header: s.redact(resp.Header), Truncated: note}
	return ex, resp, nil
}

var secretHeaders = []string{"Authorization", "Cookie", "Proxy-Authorization", "Set-Cookie"}

func (s *sender) redact(h http.Header) http.Header {
	out := h.Clone()
	if out == nil {
		out = http.Header{}
	}
	for name, vs := range out {
		_, isCred := s.creds[name]
		if isCred || slices.Contains(secretHeaders, name) {
			for i := range vs {
				vs[i] = "[redacted]"
			}
		}
	}
	return out
}

// limiter spaces the requests to each host by at least every.
type limiter struct {
	every time.Duration
	mu    sync.Mutex
	next  map[string]time.Time
}

func newLimiter(perSecond float64) *limiter {
	if perSecond <= 0 {
		return nil
	}
	return &limiter{every: time.Duration(float64(time.Second) / perSecond), next: make(map[string]time.Time)}
}

func (l *limiter) wait(ctx context.Context, key string) error {
	if l == nil {
		return ctx.Err()
	}
	l.mu.Lock()
	now := time.Now()
	at := l.next[key]
	if at.Before(now) {
		at = now
	}
	l.next[key] = at.Add(l.every)
	l.mu.Unlock()
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
