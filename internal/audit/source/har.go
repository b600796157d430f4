package source

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/crossgate/crossgate/internal/audit"
	"github.com/crossgate/crossgate/internal/devtools"
)

// HAR returns one target per URL that a recorded browser session fetched
// cross-origin, in the order first fetched, with the requests sent to it
// (method and the headers the page set) and the origins they came from.
// The HAR is read as check --har reads it (package devtools): a request is
// cross-origin when its origin differs from its URL's; Chromium records a
// request blocked at its preflight without its Origin header, and
// devtools takes that origin from the Referer. Preflights are the
// browser's, not the page's, and are skipped. Headers the browser sets
// itself (forbidden request headers, Fetch; Sec-*, Accept-*; HTTP/2
// pseudo-headers) are left out, and every value but Content-Type's is
// replaced by a placeholder: a HAR holds the session's cookies and
// tokens, and the audit needs only the names.
func HAR(name string, src io.Reader) ([]*audit.Target, error) {
	f, err := devtools.ReadHAR(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var out []*audit.Target
	seen := map[string]*audit.Target{}
	for i := range f.Log.Entries {
		e := &f.Log.Entries[i]
		if !e.IsCrossOrigin() {
			continue
		}
		origin := e.Origin()
		if origin == "null" {
			continue
		}
		r := e.Request
		h := r.Header()
		u, err := url.Parse(r.URL)
		if err != nil || u.Scheme != "http" && u.Scheme != "https" {
			continue
		}
		t, err := audit.ParseTarget(r.URL)
		if err != nil {
			return nil, fmt.Errorf("%s: log.entries[%d].request.url: %w", name, i, err)
		}
		req := audit.ClientRequest{Method: strings.ToUpper(r.Method), Header: http.Header{}}
		for n, vs := range h {
			if browserSet(n) {
				continue
			}
			v := placeholder
			if n == "Content-Type" {
				v = vs[0]
			}
			req.Header.Set(n, v)
		}
		key := t.URL.String()
		if prev, ok := seen[key]; ok {
			t = prev
		} else {
			seen[key] = t
			out = append(out, t)
		}
		if !slices.ContainsFunc(t.Requests, func(c audit.ClientRequest) bool { return sameRequest(c, req) }) {
			t.Requests = append(t.Requests, req)
		}
		if !slices.Contains(t.Origins, origin) {
			t.Origins = append(t.Origins, origin)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no cross-origin request (one from an origin other than its URL's) among its %d entries", name, len(f.Log.Entries))
	}
	return out, nil
}

// browserSet reports whether the browser, not the page, sets a header:
// the forbidden request headers (Fetch, "forbidden request-header"), the
// Accept family, Sec-* and HTTP/2 pseudo-headers as DevTools records them.
func browserSet(name string) bool {
	n := strings.ToLower(name)
	if strings.HasPrefix(n, ":") || strings.HasPrefix(n, "sec-") || strings.HasPrefix(n, "proxy-") || strings.HasPrefix(n, "access-control-request-") {
		return true
	}
	switch n {
	case "accept", "accept-charset", "accept-encoding", "accept-language", "connection", "content-length", "cookie", "cookie2",
		"date", "dnt", "expect", "host", "keep-alive", "origin", "referer", "set-cookie", "te", "trailer", "transfer-encoding",
		"upgrade", "user-agent", "via", "priority", "pragma", "cache-control":
		return true
	}
	return false
}

func sameRequest(a, b audit.ClientRequest) bool {
	if a.Method != b.Method || len(a.Header) != len(b.Header) {
		return false
	}
	for n, vs := range a.Header {
		if !slices.Equal(vs, b.Header[n]) {
			return false
		}
	}
	return true
}

// Merge joins target lists, in order; targets with the same URL become
// one, with the requests and origins of both.
func Merge(lists ...[]*audit.Target) []*audit.Target {
	var out []*audit.Target
	seen := map[string]*audit.Target{}
	for _, list := range lists {
		for _, t := range list {
			key := t.URL.String()
			prev, ok := seen[key]
			if !ok {
				seen[key] = t
				out = append(out, t)
				continue
			}
			for _, r := range t.Requests {
				if !slices.ContainsFunc(prev.Requests, func(c audit.ClientRequest) bool { return sameRequest(c, r) }) {
					prev.Requests = append(prev.Requests, r)
				}
			}
			for _, o := range t.Origins {
				if !slices.Contains(prev.Origins, o) {
					prev.Origins = append(prev.Origins, o)
				}
			}
		}
	}
	return out
}
