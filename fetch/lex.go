package fetch

import (
	"net/http"
	"strings"
)

// tokenTable reports, for each byte, whether it is a tchar (RFC 9110 §5.6.2):
//
//	tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
//	        "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
var tokenTable = func() (t [256]bool) {
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	return t
}()

// isToken reports whether s is a non-empty token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenTable[s[i]] {
			return false
		}
	}
	return true
}

// trimOWS removes leading and trailing optional whitespace (SP and HTAB,
// RFC 9110 §5.6.3).
func trimOWS(s string) string { return strings.Trim(s, " \t") }

// trimHTTPWhitespace removes leading and trailing HTTP whitespace (LF, CR,
// HT, SP; https://fetch.spec.whatwg.org/#http-whitespace).
func trimHTTPWhitespace(s string) string { return strings.Trim(s, "\n\r\t ") }

// ParseTokenList parses a list-based header value made of tokens with the
// #rule of RFC 9110 §5.6.1, as "extract header list values" does for
// Access-Control-Allow-Methods (#method), Access-Control-Allow-Headers and
// Access-Control-Expose-Headers (#field-name)
// (https://fetch.spec.whatwg.org/#extract-header-list-values). Items are
// split on commas and trimmed of optional whitespace; empty items are
// skipped, as the #rule requires of recipients. If an item is not a token,
// ParseTokenList returns that item and ok false: the whole value is then a
// parse failure.
func ParseTokenList(value string) (items []string, bad string, ok bool) {
	for item := range strings.SplitSeq(value, ",") {
		item = trimOWS(item)
		if item == "" {
			continue
		}
		if !isToken(item) {
			return nil, item, false
		}
		items = append(items, item)
	}
	return items, "", true
}

// getHeader implements "get" (https://fetch.spec.whatwg.org/#concept-header-list-get):
// the values of every line named name, each stripped of the whitespace HTTP
// parsing removes, joined with ", ". ok is false when no line has the name.
func getHeader(h http.Header, name string) (value string, ok bool) {
	vs := h.Values(name)
	if len(vs) == 0 {
		return "", false
	}
	if len(vs) == 1 {
		return trimHTTPWhitespace(vs[0]), true
	}
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = trimHTTPWhitespace(v)
	}
	return strings.Join(parts, ", "), true
}

// extractList implements "extract header list values" for a #token list
// header: present is false when the header is absent (null), ok is false
// on a parse failure, with bad the first item that is not a token.
func extractList(h http.Header, name string) (items []string, present bool, bad string, ok bool) {
	v, present := getHeader(h, name)
	if !present {
		return nil, false, "", true
	}
	items, bad, ok = ParseTokenList(v)
	return items, true, bad, ok
}
