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
// itself are left out as check --har leaves them out (devtools: forbidden
// request headers, Fetch; Sec-*; HTTP/2 pseudo-headers; Pragma and
// Cache-Control only as DevTools' "Disable cache" sets them), and Accept
// and Accept-Language, which never make a preflight; every value but Content-Type's is
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
		u, err := url.Parse(r.URL)
		if err != nil || u.Scheme != "http" && u.Scheme != "https" {
			continue
		}
		t, err := audit.ParseTarget(r.URL)
		if err != nil {
			return nil, fmt.Errorf("%s: log.entries[%d].request.url: %w", name, i, err)
		}
		// The headers the page set, as check --har reads them: the
		// browser's own are left out (devtools.Copied.Script).
		script, err := e.Copied().Script()
		if err != nil {
			continue // a navigation, which CORS does not concern
		}
		req := audit.ClientRequest{Method: strings.ToUpper(r.Method), Header: http.Header{}}
		for n, vs := range script.Request.Header {
			if n == "Accept" || n == "Accept-Language" {
				// CORS-safelisted, and set by the browser on every
				// fetch(): they never make a preflight.
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
