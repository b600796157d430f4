package fetch

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// MaxRedirects is the number of redirects a browser follows before it
// gives up (https://fetch.spec.whatwg.org/#http-redirect-fetch, step 5).
const MaxRedirects = 20

// NetworkError is a fetch that fails without a CORS verdict: the
// connection failed, or the browser refused a redirect. The script sees
// "TypeError: Failed to fetch" and Chromium logs the net error code.
type NetworkError struct {
	// Code is Chromium's net error, such as "net::ERR_CONNECTION_REFUSED".
	Code string
	// URL is the URL being fetched.
	URL string
	// Err is the underlying error, if any.
	Err error
}

// Error implements error.
func (e *NetworkError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("fetch: network error loading %q: %s: %v", e.URL, e.Code, e.Err)
	}
	return fmt.Sprintf("fetch: network error loading %q: %s", e.URL, e.Code)
}

// Unwrap returns the underlying error.
func (e *NetworkError) Unwrap() error { return e.Err }

// Redirect follows resp, a redirect response to p, as HTTP-redirect fetch
// does (https://fetch.spec.whatwg.org/#http-redirect-fetch), and returns
// the plan of the next request. The caller has already run
// [Engine.CheckResponse] on resp: the redirect response itself must pass
// the CORS check. Redirect returns a [*Failure] when the browser blocks
// the redirect for a CORS reason (a Location with a username and
// password), and a [*NetworkError] when it fails otherwise (not an
// http(s) URL, more than [MaxRedirects] redirects, a streamed body that
// cannot be sent again).
func (e Engine) Redirect(p *Plan, resp Response) (*Plan, *Failure, error) {
	if !resp.isRedirect() {
		return nil, nil, errors.New("fetch: not a redirect response")
	}
	here := serializeURL(p.URL)
	loc, err := p.URL.Parse(resp.Header.Get("Location"))
	if err != nil {
		return nil, nil, &NetworkError{Code: "net::ERR_INVALID_REDIRECT", URL: here, Err: err}
	}
	// Step 3 (of "location URL"): the fragment is inherited.
	if loc.Fragment == "" && p.URL.Fragment != "" {
		loc.Fragment = p.URL.Fragment
	}
	// Step 4.
	if loc.Scheme != "http" && loc.Scheme != "https" {
		return nil, nil, &NetworkError{Code: "net::ERR_UNSAFE_REDIRECT", URL: here}
	}
	// Step 5.
	if len(p.URLList) > MaxRedirects {
		return nil, nil, &NetworkError{Code: "net::ERR_TOO_MANY_REDIRECTS", URL: here}
	}
	// Steps 7-8: userinfo in a CORS redirect. Chromium reports the
	// location as an empty hint in 156 (reference §1.8).
	if loc.User != nil && (p.Tainting == Cors || p.Mode == CORS && !sameOrigin(loc, p.Origin)) {
		f := p.failure(RedirectContainsCredentials, "")
		f.Fix = fixFor(p, f, resp, false)
		return nil, f, nil
	}
	// Step 10: a body with a null source (a stream) cannot be sent again.
	if resp.Status != 303 && p.StreamBody {
		return nil, nil, &NetworkError{Code: "net::ERR_FAILED", URL: here}
	}
	next := *p
	next.URL = loc
	next.Header = p.Header.Clone()
	next.URLList = append(slices.Clip(p.URLList), serializeURL(loc))
	if !strings.EqualFold(loc.Host, p.URL.Host) {
		next.TargetAddressSpace = ""
	}
	// Step 12: 301 and 302 turn POST into GET, 303 turns anything but GET
	// and HEAD into GET; the body and its headers go.
	if (resp.Status == 301 || resp.Status == 302) && p.Method == "POST" ||
		resp.Status == 303 && p.Method != "GET" && p.Method != "HEAD" {
		next.Method = "GET"
		next.Body = nil
		next.StreamBody = false
		for _, name := range []string{"Content-Encoding", "Content-Language", "Content-Location", "Content-Type"} {
			next.Header.Del(name)
		}
	}
	// Step 13: a cross-origin hop drops Authorization.
	if urlOrigin(loc) != urlOrigin(p.URL) {
		next.Header.Del("Authorization")
	}
	// Redirect-taint (https://fetch.spec.whatwg.org/#concept-request-tainted-origin):
	// a hop from a URL that is not the page's origin to another origin.
	if urlOrigin(loc) != urlOrigin(p.URL) && !sameOrigin(p.URL, p.Origin) {
		next.Tainted = true
	}
	// Main fetch runs again (step 19): the tainting only ever widens.
	if p.Tainting == Basic && !sameOrigin(loc, p.Origin) {
		next.Tainting = taintingFor(p.Mode)
	}
	next.UnsafeHeaders = e.UnsafeRequestHeaderNames(next.Header)
	next.Dropped = nil
	return &next, nil, nil
}

// requestHeader returns the headers of the actual request for p: the
// script's, plus Origin as fetch adds it
// (https://fetch.spec.whatwg.org/#append-a-request-origin-header). A GET or
// HEAD that is not a CORS request carries no Origin.
func (p *Plan) requestHeader() http.Header {
	h := p.Header.Clone()
	if p.Tainting == Cors || p.Method != "GET" && p.Method != "HEAD" {
		h.Set("Origin", p.RequestOrigin())
	}
	return h
}
