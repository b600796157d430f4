package e2e_test

import (
	"net/url"
	"strings"

	"github.com/crossgate/crossgate/fetch"
)

// policy is a CORS policy as its author means it, kept apart from
// cors.Config so that what it allows is decided here, independently of the
// cors package.
type policy struct {
	name        string
	origins     []string // exact origins, "*", or patterns with "*." before the host or ":*" as the port
	credentials bool
	methods     []string // beyond GET, HEAD and POST; "*" for any
	headers     []string // request headers; "*" for any
	expose      []string
}

// intends reports whether p means to let a page on origin read the
// response to r: the origin is listed or matched by a pattern (and with
// credentials, listed or matched, never by "*"); the method is safelisted
// or listed (or "*" without credentials); each CORS-unsafe header is listed
// (or covered by "*" without credentials; "*" never covers Authorization).
func (p policy) intends(r fetch.Request) bool {
	include := r.Credentials == fetch.Include
	if include && !p.credentials {
		return false
	}
	originOK := false
	for _, o := range p.origins {
		if o == "*" && !include || o != "*" && originMatches(o, r.Origin) {
			originOK = true
		}
	}
	if !originOK {
		return false
	}
	m := fetch.NormalizeMethod(r.Method)
	if m == "" {
		m = "GET"
	}
	if !fetch.IsCORSSafelistedMethod(m) && !contains(p.methods, m, false) && !(contains(p.methods, "*", false) && !include) {
		return false
	}
	for _, name := range fetch.Chromium.UnsafeRequestHeaderNames(r.Header) {
		if contains(p.headers, name, true) {
			continue
		}
		if contains(p.headers, "*", false) && !include && name != "authorization" {
			continue
		}
		return false
	}
	return true
}

func contains(list []string, s string, fold bool) bool {
	for _, v := range list {
		if v == s || fold && strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// originMatches reports whether the serialized origin o matches pattern:
// the same scheme, a host equal to the pattern's or, for "*.d", ending in
// ".d" with at least one label before it, and the same port or any port
// for ":*".
func originMatches(pattern, o string) bool {
	pu, err1 := url.Parse(strings.Replace(strings.Replace(pattern, "://*.", "://wildcard.", 1), ":*", ":1", 1))
	ou, err2 := url.Parse(o)
	if err1 != nil || err2 != nil || pu.Scheme != ou.Scheme {
		return false
	}
	anyPort := strings.HasSuffix(pattern, ":*")
	if !anyPort && pu.Port() != ou.Port() {
		return false
	}
	if strings.Contains(pattern, "://*.") {
		suffix := "." + strings.TrimPrefix(pu.Hostname(), "wildcard.")
		return strings.HasSuffix(ou.Hostname(), suffix) && len(ou.Hostname()) > len(suffix)
	}
	return pu.Hostname() == ou.Hostname()
}
