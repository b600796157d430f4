package audit

import (
	"net/http"

	"github.com/crossgate/crossgate/fetch"
)

// grader decides, with the fetch model, what a page on the probe origin
// can do with a response.
type grader struct {
	engine fetch.Engine
	target *Target
}

// plan returns the browser's plan for the script request p stands for,
// made from page origin p.Origin. Origins that net/url cannot parse (a
// backtick or a brace in the host) are still compared byte for byte, as
// browsers and servers compare them: the plan is made with a placeholder
// origin, which is then replaced.
func (g grader) plan(p *Probe, c fetch.Credentials) *fetch.Plan {
	var h http.Header
	if p.Kind == Preflight {
		h = p.Header.Clone()
	}
	pl, err := g.engine.Classify(fetch.Request{
		Method: p.Method, URL: g.target.URL.String(), Origin: placeholderOr,
		Header: h, Credentials: c, UploadListener: p.Kind == Preflight,
	})
	if err != nil {
		return nil // unreachable: the target URL and the placeholder are valid
	}
	pl.Origin = p.Origin
	return pl
}

// grade returns the level a page on p.Origin reaches with resp, and the
// browser's failure for the credentialed attempt, if any. For a simple
// request it is whether the page reads the response; for a preflight,
// whether the page may send the request. With relaxed, a preflight that
// passes the origin check but refuses the method or headers still counts
// (an attacker picks another method or header), as long as its status is
// 2xx.
func (g grader) grade(p *Probe, resp fetch.Response, relaxed bool) (Level, *fetch.Failure) {
	if p.Kind == NoOrigin {
		return NoRead, nil
	}
	var first *fetch.Failure
	for _, c := range []struct {
		creds fetch.Credentials
		level Level
	}{{fetch.Include, CredentialedRead}, {fetch.Omit, Read}} {
		pl := g.plan(p, c.creds)
		if pl == nil {
			return NoRead, nil
		}
		var f *fetch.Failure
		if p.Kind == Preflight {
			f, _ = g.engine.CheckPreflight(pl, resp)
			if f != nil && relaxed && originPassed(f.ID) {
				f = nil
			}
		} else {
			f = g.engine.CheckResponse(pl, resp)
		}
		if f == nil {
			return c.level, first
		}
		if first == nil {
			first = f
		}
	}
	return NoRead, first
}

// originPassed reports whether a preflight that failed with id passed the
// origin, credentials and status checks.
func originPassed(id fetch.ErrorID) bool {
	switch id {
	case fetch.MethodDisallowedByPreflightResponse, fetch.HeaderDisallowedByPreflightResponse,
		fetch.InvalidAllowMethodsPreflightResponse, fetch.InvalidAllowHeadersPreflightResponse:
		return true
	}
	return false
}
