// Package origin parses web origins and origin patterns and matches request
// origins against a set of patterns without allocating.
package origin

import (
	"net/netip"
	"strings"
)

// Limits on what a request's Origin header may hold before it is parsed at
// all. A browser's serialized origin is scheme "://" host [":" port]
// (https://html.spec.whatwg.org/#ascii-serialisation-of-an-origin).
const (
	maxSchemeLen = 64  // generous: registered schemes are far shorter
	maxHostLen   = 253 // a domain name in its dotted textual form (RFC 1035 §2.3.4)
	maxPortLen   = 5
	// MaxLen is the length of the longest origin this package accepts.
	// Anything longer is rejected in constant time.
	MaxLen = maxSchemeLen + len("://") + maxHostLen + 1 + maxPortLen
)

// Origin is a parsed tuple origin. Its strings are substrings of the parsed
// text: parsing never allocates.
type Origin struct {
	Scheme string
	Host   string // lower case; an IPv6 address keeps its brackets
	// Port is the port written in the origin, or 0 when none is written
	// (the scheme's default port is then implied).
	Port int
}

// Parse parses s as the value of a request's Origin header: a serialized
// origin as a browser sends it, in lower case, with no path and no default
// port written out. It reports false for anything else, "null" included.
// Parse does not allocate.
func Parse(s string) (Origin, bool) {
	if len(s) > MaxLen {
		return Origin{}, false
	}
	var o Origin
	i := strings.Index(s, "://")
	if i < 0 || !validScheme(s[:i]) {
		return Origin{}, false
	}
	o.Scheme, s = s[:i], s[i+3:]
	host, port, ok := splitHostPort(s)
	if !ok {
		return Origin{}, false
	}
	if port != "" {
		p, ok := parsePort(port)
		if !ok {
			return Origin{}, false
		}
		o.Port = p
	}
	if host == "" {
		return Origin{}, false
	}
	if host[0] == '[' {
		if !validIPv6Literal(host) {
			return Origin{}, false
		}
	} else if !validHostBytes(host) {
		return Origin{}, false
	}
	o.Host = host
	return o, true
}

// validScheme reports whether s is a scheme in lower case:
// ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 §3.1).
func validScheme(s string) bool {
	if s == "" || len(s) > maxSchemeLen || !('a' <= s[0] && s[0] <= 'z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// splitHostPort splits "host[:port]", where host may be a bracketed IPv6
// literal. It reports false when a port separator is followed by nothing.
func splitHostPort(s string) (host, port string, ok bool) {
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", "", false
		}
		host, s = s[:end+1], s[end+1:]
		if s == "" {
			return host, "", true
		}
		if s[0] != ':' || len(s) == 1 {
			return "", "", false
		}
		return host, s[1:], true
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, "", true
	}
	if i == len(s)-1 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// parsePort parses a port as a browser serializes it: 1 to 65535 in
// decimal, with no leading zero.
func parsePort(s string) (int, bool) {
	if s == "" || len(s) > maxPortLen || s[0] == '0' {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n <= 65535
}

// validHostBytes reports whether host is a plausible lower-case domain name
// or IPv4 address: labels of [a-z0-9-], none empty or longer than 63 bytes.
// It is the request-side check: patterns are validated far more strictly.
func validHostBytes(host string) bool {
	if len(host) > maxHostLen {
		return false
	}
	label := 0
	for i := 0; i < len(host); i++ {
		c := host[i]
		switch {
		case c == '.':
			if label == 0 {
				return false
			}
			label = 0
			continue
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return false
		}
		label++
		if label > 63 {
			return false
		}
	}
	return label > 0
}

func validIPv6Literal(host string) bool {
	if len(host) < 4 || host[len(host)-1] != ']' {
		return false
	}
	inner := host[1 : len(host)-1]
	for i := 0; i < len(inner); i++ {
		c := inner[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || c == ':' || c == '.') {
			return false // upper case, zones and junk
		}
	}
	a, err := netip.ParseAddr(inner)
	return err == nil && a.Is6()
}

// DefaultPort returns the default port of a special scheme, or 0.
func DefaultPort(scheme string) int {
	switch scheme {
	case "http", "ws":
		return 80
	case "https", "wss":
		return 443
	case "ftp":
		return 21
	}
	return 0
}

// IsLoopback reports whether host names this machine: localhost, a name
// under .localhost, an address in 127.0.0.0/8 or [::1]. Browsers treat
// these as potentially trustworthy origins even over plain http
// (https://w3c.github.io/webappsec-secure-contexts/#is-origin-trustworthy).
func IsLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}
