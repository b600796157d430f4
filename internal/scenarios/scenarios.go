// Package scenarios holds the CORS scenarios the tests of fetch, of the
// check command and of the real-Chromium suite (e2e) share: a request a
// page makes and what the server answers at each URL. The tables hold no
// verdict: fetch's tests pair them with the verdicts observed in Chromium
// 156 (reference browser-cors.md §6), and the e2e suite asks a real
// Chromium.
package scenarios

import (
	"net/http"
	"time"

	"github.com/crossgate/crossgate/fetch"
)

// Env names the origins a table is built for: the page origin and two
// target URLs on two other origins. The reference's are
// http://127.0.0.1:8001, http://127.0.0.1:8002/api and
// http://localhost:8002/api; the e2e suite uses fresh ports and a fresh
// path for each case so that no preflight cache entry leaks between cases.
type Env struct {
	Origin  string // the page's origin
	Target  string // a URL on another origin, with a path
	Target2 string // a URL on a third origin, with a path
}

// Response is a canned response.
type Response struct {
	Status int // 0 means 200
	// Header is written as is: a name given twice is sent as two lines,
	// values keep their padding and their bytes.
	Header http.Header
}

// Route is what a server answers at one URL.
type Route struct {
	Preflight *Response // the answer to OPTIONS; nil: a bare 200
	Actual    *Response // the answer to any other method; nil: a bare 200
}

// Next is a request the same page makes after a case's first one, sharing
// its preflight cache.
type Next struct {
	Wait    time.Duration // how long the page waits before sending it
	Request fetch.Request // URL and Origin as for Case.Request
}

// Case is one scenario.
type Case struct {
	// Name is unique in its table and starts with the row's reference:
	// "§6#n" for the reference matrix, the WPT file for WPT-derived rows.
	Name string
	// Request is the request the page makes; an empty URL means
	// Env.Target and an empty Origin Env.Origin.
	Request fetch.Request
	// Routes are the server's answers, by absolute URL without fragment.
	Routes map[string]Route
	// Then are more requests, made in order after Request.
	Then []Next
	// WPT is what the WPT test the row comes from asserts, when it does:
	// whether the fetch succeeds and whether a preflight is sent.
	WPT *Expect
}

// Expect is a verdict asserted by a web-platform-test.
type Expect struct {
	OK        bool
	Preflight bool
}

// Requests returns the case's requests in order, each with its URL and
// Origin filled in from env.
func (c Case) Requests(env Env) []fetch.Request {
	reqs := []fetch.Request{c.Request}
	for _, n := range c.Then {
		reqs = append(reqs, n.Request)
	}
	for i := range reqs {
		if reqs[i].URL == "" {
			reqs[i].URL = env.Target
		}
		if reqs[i].Origin == "" {
			reqs[i].Origin = env.Origin
		}
	}
	return reqs
}

// H builds a header from name, value pairs; a name given again adds a
// line. It keeps the names as given.
func H(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h[kv[i]] = append(h[kv[i]], kv[i+1])
	}
	return h
}

// OK returns a 200 response with the header pairs kv.
func OK(kv ...string) *Response { return &Response{Status: 200, Header: H(kv...)} }

// Status returns a response with status s and the header pairs kv.
func Status(s int, kv ...string) *Response { return &Response{Status: s, Header: H(kv...)} }

// Redirect returns a redirect to loc with the header pairs kv.
func Redirect(s int, loc string, kv ...string) *Response {
	return &Response{Status: s, Header: H(append([]string{"Location", loc}, kv...)...)}
}

// at returns routes answering at the target only.
func at(target string, preflight, actual *Response) map[string]Route {
	return map[string]Route{target: {Preflight: preflight, Actual: actual}}
}

// All returns every table for env: the reference matrix, the additions it
// lists as worth making, and the WPT-derived rows.
func All(env Env) []Case {
	var all []Case
	all = append(all, Matrix(env)...)
	all = append(all, Extra(env)...)
	all = append(all, WPT(env)...)
	return all
}
