// Package httplex holds the small HTTP lexing rules CORS needs: tokens,
// optional whitespace and comma-separated list fields (RFC 9110 §5.6).
//
// It is written from RFC 9110 and the Fetch standard for crossgate and comes
// with no API stability promise.
package httplex

// tokenTable reports, for each byte, whether it is a tchar:
//
//	tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
//	        "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
//
// (RFC 9110 §5.6.2).
var tokenTable = [256]bool{
	'!': true, '#': true, '$': true, '%': true, '&': true, '\'': true, '*': true,
	'+': true, '-': true, '.': true, '^': true, '_': true, '`': true, '|': true, '~': true,
	'0': true, '1': true, '2': true, '3': true, '4': true, '5': true, '6': true, '7': true, '8': true, '9': true,
	'A': true, 'B': true, 'C': true, 'D': true, 'E': true, 'F': true, 'G': true, 'H': true, 'I': true,
	'J': true, 'K': true, 'L': true, 'M': true, 'N': true, 'O': true, 'P': true, 'Q': true, 'R': true,
	'S': true, 'T': true, 'U': true, 'V': true, 'W': true, 'X': true, 'Y': true, 'Z': true,
	'a': true, 'b': true, 'c': true, 'd': true, 'e': true, 'f': true, 'g': true, 'h': true, 'i': true,
	'j': true, 'k': true, 'l': true, 'm': true, 'n': true, 'o': true, 'p': true, 'q': true, 'r': true,
	's': true, 't': true, 'u': true, 'v': true, 'w': true, 'x': true, 'y': true, 'z': true,
}

// IsTokenByte reports whether b may appear in a token.
func IsTokenByte(b byte) bool { return tokenTable[b] }

// IsToken reports whether s is a non-empty token (RFC 9110 §5.6.2). Method
// names and header field names are tokens.
func IsToken(s string) bool {
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

// IsOWS reports whether b is optional whitespace: SP or HTAB (RFC 9110 §5.6.3).
func IsOWS(b byte) bool { return b == ' ' || b == '\t' }

// TrimOWS returns s without leading and trailing optional whitespace.
func TrimOWS(s string) string {
	for len(s) > 0 && IsOWS(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && IsOWS(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// NextElement splits the first element off a comma-separated list field
// value (RFC 9110 §5.6.1): it returns that element with its surrounding
// optional whitespace removed, and the rest of the list after the comma.
// Empty elements are returned as "" so that callers can decide whether to
// tolerate them. NextElement never allocates.
func NextElement(list string) (elem, rest string) {
	for i := 0; i < len(list); i++ {
		if list[i] == ',' {
			return TrimOWS(list[:i]), list[i+1:]
		}
	}
	return TrimOWS(list), ""
}

// ToLower returns s in ASCII lower case. It allocates only when s has an
// upper-case letter.
func ToLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// EqualFold reports whether s and t are equal under ASCII case folding.
func EqualFold(s, t string) bool {
	if len(s) != len(t) {
		return false
	}
	for i := 0; i < len(s); i++ {
		a, b := s[i], t[i]
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}

// HasListElementFold reports whether the comma-separated list values contain
// an element equal to name under ASCII case folding. It is meant for
// headers such as Vary.
func HasListElementFold(values []string, name string) bool {
	for _, v := range values {
		for v != "" {
			var e string
			e, v = NextElement(v)
			if EqualFold(e, name) {
				return true
			}
		}
	}
	return false
}

// IsUpgrade reports whether the header h (an http.Header) asks for a
// protocol upgrade (RFC 9110 §7.8): an Upgrade header, and "upgrade" among
// Connection's elements, on any of its lines and in any case.
func IsUpgrade(h map[string][]string) bool {
	return h["Upgrade"] != nil && HasListElementFold(h["Connection"], "upgrade")
}
