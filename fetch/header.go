package fetch

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// safelistValueLimit is the longest value of a CORS-safelisted request
// header, and safelistTotalLimit the most bytes all safelisted values may
// add up to (https://fetch.spec.whatwg.org/#cors-safelisted-request-header,
// step 1, and #cors-unsafe-request-header-names, step 4).
const (
	safelistValueLimit = 128
	safelistTotalLimit = 1024
)

// IsCORSUnsafeRequestHeaderByte reports whether b is a CORS-unsafe
// request-header byte: a control byte other than HT, DEL, or one of
// " ( ) : < > ? @ [ \ ] { } (https://fetch.spec.whatwg.org/#cors-unsafe-request-header-byte).
func IsCORSUnsafeRequestHeaderByte(b byte) bool {
	switch b {
	case '"', '(', ')', ':', '<', '>', '?', '@', '[', '\\', ']', '{', '}', 0x7F:
		return true
	}
	return b < 0x20 && b != '\t'
}

func hasUnsafeByte(v string) bool {
	for i := 0; i < len(v); i++ {
		if IsCORSUnsafeRequestHeaderByte(v[i]) {
			return true
		}
	}
	return false
}

// IsCORSSafelistedRequestHeader reports whether (name, value) is a
// CORS-safelisted request-header under the Fetch standard alone
// (https://fetch.spec.whatwg.org/#cors-safelisted-request-header): a value
// of at most 128 bytes for one of Accept, Accept-Language,
// Content-Language, Content-Type or Range, with the rules of each. Use
// [Engine.IsSafelistedRequestHeader] for Chromium's wider list.
func IsCORSSafelistedRequestHeader(name, value string) bool {
	// Step 1.
	if len(value) > safelistValueLimit {
		return false
	}
	// Step 2.
	switch strings.ToLower(name) {
	case "accept":
		return !hasUnsafeByte(value)
	case "accept-language", "content-language":
		for i := 0; i < len(value); i++ {
			if !isLanguageByte(value[i]) {
				return false
			}
		}
		return true
	case "content-type":
		if hasUnsafeByte(value) {
			return false
		}
		essence, ok := ParseMIMEEssence(value)
		if !ok {
			return false
		}
		switch essence {
		case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
			return true
		}
		return false
	case "range":
		start, _, ok := ParseSingleRange(value)
		return ok && start >= 0
	}
	return false
}

// isLanguageByte reports whether b may appear in a safelisted
// Accept-Language or Content-Language value: 0-9 A-Z a-z SP * , - . ; =.
func isLanguageByte(b byte) bool {
	switch {
	case '0' <= b && b <= '9', 'A' <= b && b <= 'Z', 'a' <= b && b <= 'z':
		return true
	}
	return strings.IndexByte(" *,-.;=", b) >= 0
}

// ParseMIMEEssence parses value with the strict "parse a MIME type"
// algorithm of the MIME Sniffing standard (https://mimesniff.spec.whatwg.org/#parse-a-mime-type)
// and returns its essence, "type/subtype" in lower case. Parameters never
// make the parse fail, so they are skipped. This is the parser the
// Content-Type safelisting uses, not the lenient "extract a MIME type".
func ParseMIMEEssence(value string) (essence string, ok bool) {
	// Step 1: remove leading and trailing HTTP whitespace.
	s := trimHTTPWhitespace(value)
	// Steps 3-6: the type is everything up to "/", and must be a token.
	slash := strings.IndexByte(s, '/')
	if slash < 0 {
		return "", false
	}
	typ := s[:slash]
	if !isToken(typ) {
		return "", false
	}
	// Steps 7-9: the subtype runs to ";", without trailing HTTP whitespace.
	rest := s[slash+1:]
	if semi := strings.IndexByte(rest, ';'); semi >= 0 {
		rest = rest[:semi]
	}
	sub := strings.TrimRight(rest, "\n\r\t ")
	if !isToken(sub) {
		return "", false
	}
	return strings.ToLower(typ) + "/" + strings.ToLower(sub), true
}

// ParseSingleRange parses value with "parse a single range header value"
// and allowWhitespace false (https://fetch.spec.whatwg.org/#simple-range-header-value).
// start or end is -1 when absent. A value like "bytes=-500" parses with
// start -1; the Range safelisting then still refuses it. Chromium parses
// the numbers as 64-bit integers, so an overflowing number fails here too
// (WPT cors/cors-safelisted-request-header.any.js has a 61-digit case).
func ParseSingleRange(value string) (start, end int64, ok bool) {
	// Steps 2-6.
	rest, found := strings.CutPrefix(value, "bytes=")
	if !found {
		return 0, 0, false
	}
	// Steps 8-12.
	digits := func(s string) (n int64, tail string, ok bool) {
		i := 0
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		if i == 0 {
			return -1, s, true
		}
		n, err := strconv.ParseInt(s[:i], 10, 64)
		return n, s[i:], err == nil
	}
	start, rest, ok = digits(rest)
	if !ok {
		return 0, 0, false
	}
	rest, found = strings.CutPrefix(rest, "-")
	if !found {
		return 0, 0, false
	}
	end, rest, ok = digits(rest)
	// Steps 13-15.
	if !ok || rest != "" || (start < 0 && end < 0) || (start >= 0 && end >= 0 && start > end) {
		return 0, 0, false
	}
	return start, end, true
}

// IsNoCORSSafelistedRequestHeader reports whether (name, value) may be set
// on a no-cors request: a CORS-safelisted request-header named Accept,
// Accept-Language, Content-Language or Content-Type
// (https://fetch.spec.whatwg.org/#no-cors-safelisted-request-header).
func IsNoCORSSafelistedRequestHeader(name, value string) bool {
	switch strings.ToLower(name) {
	case "accept", "accept-language", "content-language", "content-type":
		return IsCORSSafelistedRequestHeader(name, value)
	}
	return false
}

// IsForbiddenRequestHeader reports whether a script may not set (name,
// value) (https://fetch.spec.whatwg.org/#forbidden-request-header): fetch()
// and XMLHttpRequest drop it silently. X-HTTP-Method, X-HTTP-Method-Override
// and X-Method-Override are forbidden only when a comma-separated value is a
// forbidden method.
func IsForbiddenRequestHeader(name, value string) bool {
	n := strings.ToLower(name)
	switch n {
	case "accept-charset", "accept-encoding", "access-control-request-headers",
		"access-control-request-method", "connection", "content-length", "cookie",
		"cookie2", "date", "dnt", "expect", "host", "keep-alive", "origin", "referer",
		"set-cookie", "te", "trailer", "transfer-encoding", "upgrade", "via":
		return true
	case "x-http-method", "x-http-method-override", "x-method-override":
		// Step 3: "get, decode, and split" the value; no method token holds
		// a comma or a quote, so a plain split is exact here.
		for m := range strings.SplitSeq(value, ",") {
			if IsForbiddenMethod(trimOWS(m)) {
				return true
			}
		}
		return false
	}
	return strings.HasPrefix(n, "proxy-") || strings.HasPrefix(n, "sec-")
}

// IsForbiddenResponseHeader reports whether name is Set-Cookie or
// Set-Cookie2, which no script can read
// (https://fetch.spec.whatwg.org/#forbidden-response-header-name).
func IsForbiddenResponseHeader(name string) bool {
	return strings.EqualFold(name, "Set-Cookie") || strings.EqualFold(name, "Set-Cookie2")
}

// IsCORSSafelistedResponseHeader reports whether a script may read the
// response header name without its being exposed
// (https://fetch.spec.whatwg.org/#cors-safelisted-response-header-name).
func IsCORSSafelistedResponseHeader(name string) bool {
	switch strings.ToLower(name) {
	case "cache-control", "content-language", "content-length", "content-type",
		"expires", "last-modified", "pragma":
		return true
	}
	return false
}

// IsSafelistedRequestHeader reports whether (name, value) is a safelisted
// request header under e. [Spec] applies
// [IsCORSSafelistedRequestHeader]. [Chromium] also safelists, as Chromium
// 156's IsCorsSafelistedHeader does (services/network/public/cpp/cors/cors.cc):
// Intervention (any value), Save-Data (on), DPR, Device-Memory and
// Downlink (1*DIGIT ["." 1*DIGIT]), Width, Viewport-Width and RTT (digits),
// and ECT (slow-2g, 2g, 3g, 4g), all within the 128-byte limit. Its
// Sec-CH-* client hints are safelisted too, but scripts cannot set them
// (they are forbidden), so they never reach this check from a page.
func (e Engine) IsSafelistedRequestHeader(name, value string) bool {
	if IsCORSSafelistedRequestHeader(name, value) {
		return true
	}
	if e != Chromium || len(value) > safelistValueLimit {
		return false
	}
	switch strings.ToLower(name) {
	case "intervention":
		return true
	case "save-data":
		// Chromium lower-cases the value before comparing.
		return strings.EqualFold(value, "on")
	case "dpr", "device-memory", "downlink":
		whole, frac, found := strings.Cut(value, ".")
		return allDigits(whole) && (!found || allDigits(frac))
	case "width", "viewport-width", "rtt":
		return allDigits(value)
	case "ect":
		switch value {
		case "slow-2g", "2g", "3g", "4g":
			return true
		}
	}
	return false
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// UnsafeRequestHeaderNames returns the CORS-unsafe request-header names of
// h under e, lower-cased, sorted and without duplicates
// (https://fetch.spec.whatwg.org/#cors-unsafe-request-header-names): every
// header that is not safelisted, and every safelisted one too when their
// values add up to more than 1024 bytes. Forbidden headers are skipped, as
// a browser never sends them from a script.
func (e Engine) UnsafeRequestHeaderNames(h http.Header) []string {
	var unsafe, potentially []string
	total := 0
	for name, values := range h {
		for _, v := range values {
			if IsForbiddenRequestHeader(name, v) {
				continue
			}
			if e.IsSafelistedRequestHeader(name, v) {
				potentially = append(potentially, strings.ToLower(name))
				total += len(v)
			} else {
				unsafe = append(unsafe, strings.ToLower(name))
			}
		}
	}
	if total > safelistTotalLimit {
		unsafe = append(unsafe, potentially...)
	}
	slices.Sort(unsafe)
	return slices.Compact(unsafe)
}
