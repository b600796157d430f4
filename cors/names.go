package cors

import (
	"strings"

	"github.com/crossgate/crossgate/internal/httplex"
)

// The name rules of the Fetch standard that a policy is checked against.

// isForbiddenMethod reports whether m is a forbidden method: a byte-case-
// insensitive match for CONNECT, TRACE or TRACK
// (https://fetch.spec.whatwg.org/#forbidden-method).
func isForbiddenMethod(m string) bool {
	return httplex.EqualFold(m, "CONNECT") || httplex.EqualFold(m, "TRACE") || httplex.EqualFold(m, "TRACK")
}

// normalizeMethod upper-cases m when it is a byte-case-insensitive match for
// DELETE, GET, HEAD, OPTIONS, POST or PUT, as browsers do before sending
// (https://fetch.spec.whatwg.org/#concept-method-normalize).
func normalizeMethod(m string) string {
	for _, n := range [...]string{"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"} {
		if httplex.EqualFold(m, n) {
			return n
		}
	}
	return m
}

// isSafelistedMethod reports whether m is a CORS-safelisted method: GET,
// HEAD or POST, byte for byte (https://fetch.spec.whatwg.org/#cors-safelisted-method).
func isSafelistedMethod(m string) bool {
	return m == "GET" || m == "HEAD" || m == "POST"
}

// isForbiddenRequestHeader reports whether the lower-case name is a
// forbidden request-header name, one that scripts cannot set
// (https://fetch.spec.whatwg.org/#forbidden-request-header). The
// X-HTTP-Method family is forbidden only for some values; it is allowed
// here, since the values that make it forbidden never reach the server from
// a browser.
func isForbiddenRequestHeader(name string) bool {
	switch name {
	case "accept-charset", "accept-encoding", "access-control-request-headers",
		"access-control-request-method", "connection", "content-length", "cookie",
		"cookie2", "date", "dnt", "expect", "host", "keep-alive", "origin", "referer",
		"set-cookie", "te", "trailer", "transfer-encoding", "upgrade", "via":
		return true
	}
	return strings.HasPrefix(name, "proxy-") || strings.HasPrefix(name, "sec-")
}

// isSafelistedResponseHeader reports whether the lower-case name is a
// CORS-safelisted response-header name that needs no exposing
// (https://fetch.spec.whatwg.org/#cors-safelisted-response-header-name).
func isSafelistedResponseHeader(name string) bool {
	switch name {
	case "cache-control", "content-language", "content-length", "content-type",
		"expires", "last-modified", "pragma":
		return true
	}
	return false
}

// isCORSResponseHeader reports whether the lower-case name is one of the
// headers of the CORS protocol that only responses carry
// (https://fetch.spec.whatwg.org/#http-responses), Access-Control-Allow-
// Private-Network included: listing one among the request headers a
// preflight may ask for is a copy-paste mistake.
func isCORSResponseHeader(name string) bool {
	switch name {
	case "access-control-allow-origin", "access-control-allow-credentials",
		"access-control-allow-methods", "access-control-allow-headers",
		"access-control-max-age", "access-control-expose-headers",
		"access-control-allow-private-network":
		return true
	}
	return false
}

// isRequestOnlyHeader reports whether the lower-case name is a header that
// only requests carry: those of the CORS protocol
// (https://fetch.spec.whatwg.org/#http-requests) and others that browsers
// set on requests and servers never send back. Exposing one is a
// copy-paste mistake.
func isRequestOnlyHeader(name string) bool {
	switch name {
	case "origin", "access-control-request-method", "access-control-request-headers",
		"access-control-request-private-network", "cookie", "host", "referer":
		return true
	}
	return false
}
