package fetch

import "strings"

// IsCORSSafelistedMethod reports whether m is a CORS-safelisted method: GET,
// HEAD or POST, byte for byte (https://fetch.spec.whatwg.org/#cors-safelisted-method).
// Chromium compares after upper-casing, which makes no difference once the
// method is normalized ([NormalizeMethod]).
func IsCORSSafelistedMethod(m string) bool {
	return m == "GET" || m == "HEAD" || m == "POST"
}

// IsForbiddenMethod reports whether m is a forbidden method: a byte-case-
// insensitive match for CONNECT, TRACE or TRACK
// (https://fetch.spec.whatwg.org/#forbidden-method). fetch() and
// XMLHttpRequest refuse them before anything is sent.
func IsForbiddenMethod(m string) bool {
	return strings.EqualFold(m, "CONNECT") || strings.EqualFold(m, "TRACE") || strings.EqualFold(m, "TRACK")
}

// NormalizeMethod upper-cases m when it is a byte-case-insensitive match for
// DELETE, GET, HEAD, OPTIONS, POST or PUT, and returns every other method
// unchanged (https://fetch.spec.whatwg.org/#concept-method-normalize). So
// "patch" is sent as "patch", and Access-Control-Allow-Methods: PATCH does
// not allow it.
func NormalizeMethod(m string) string {
	for _, n := range [...]string{"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"} {
		if strings.EqualFold(m, n) {
			return n
		}
	}
	return m
}

// IsValidMethod reports whether m is a method token (RFC 9110 §9.1), as
// fetch() requires (https://fetch.spec.whatwg.org/#concept-method).
func IsValidMethod(m string) bool { return isToken(m) }
