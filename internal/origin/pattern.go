package origin

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// AnyPort is the Port of a pattern that ends in ":*".
const AnyPort = -1

// A Pattern is an origin, or a set of origins written with one of two
// wildcards: "*." as the leftmost label of the host (one or more labels, never
// the bare domain) and ":*" as the port (any port, or none).
type Pattern struct {
	Scheme string
	// Host is the host, or for a subdomain pattern the domain under which
	// any subdomain matches.
	Host       string
	Subdomains bool
	// Port is the port written in the pattern, 0 when none is written, or
	// AnyPort.
	Port int
}

// String returns the pattern in its canonical form.
func (p Pattern) String() string {
	var b strings.Builder
	b.Grow(len(p.Scheme) + len("://*.") + len(p.Host) + len(":65535"))
	b.WriteString(p.Scheme)
	b.WriteString("://")
	if p.Subdomains {
		b.WriteString("*.")
	}
	b.WriteString(p.Host)
	switch p.Port {
	case 0:
	case AnyPort:
		b.WriteString(":*")
	default:
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(p.Port))
	}
	return b.String()
}

// IsExact reports whether p matches exactly one origin.
func (p Pattern) IsExact() bool { return !p.Subdomains && p.Port != AnyPort }

// IsIP reports whether the pattern's host is an IP address.
func (p Pattern) IsIP() bool {
	h := p.Host
	if strings.HasPrefix(h, "[") {
		return true
	}
	_, err := netip.ParseAddr(h)
	return err == nil
}

// Matches reports whether the request origin o is in the pattern.
func (p Pattern) Matches(o Origin) bool {
	if o.Scheme != p.Scheme {
		return false
	}
	if p.Port != AnyPort && o.Port != p.Port {
		return false
	}
	if !p.Subdomains {
		return o.Host == p.Host
	}
	return len(o.Host) > len(p.Host)+1 &&
		strings.HasSuffix(o.Host, p.Host) &&
		o.Host[len(o.Host)-len(p.Host)-1] == '.'
}

// PatternError says why a pattern was refused. Hint, when set, is a
// corrected pattern the user most likely meant.
type PatternError struct {
	Reason string
	Hint   string
}

func (e *PatternError) Error() string {
	if e.Hint != "" {
		return fmt.Sprintf("%s (did you mean %q?)", e.Reason, e.Hint)
	}
	return e.Reason
}

func bad(reason string, hint string) (Pattern, error) {
	return Pattern{}, &PatternError{Reason: reason, Hint: hint}
}

// ParsePattern parses an origin pattern. It is strict: a pattern must be
// written exactly as a browser serializes the origins it matches (lower
// case, no path, no default port, canonical IP addresses), so that
// byte-exact matching against the Origin header is correct. "*" and "null"
// are the caller's to handle; both are refused here.
func ParsePattern(s string) (Pattern, error) {
	// Most patterns are plain origins in canonical form: take them at the
	// cost of parsing a request origin, and leave the rest to the full
	// checks below.
	if p, ok := parsePlain(s); ok {
		return p, nil
	}
	return parsePattern(s)
}

// parsePattern is ParsePattern without the fast path.
func parsePattern(s string) (Pattern, error) {
	switch s {
	case "":
		return bad("empty origin", "")
	case "*":
		return bad("the wildcard \"*\" is not an origin pattern", "")
	case "null":
		return bad("the null origin is not an origin", "")
	}
	if len(s) > MaxLen {
		return bad(fmt.Sprintf("%d bytes long, and no origin is longer than %d", len(s), MaxLen), "")
	}
	if strings.TrimSpace(s) != s {
		return bad("leading or trailing whitespace", strings.TrimSpace(s))
	}
	if lower := strings.ToLower(s); lower != s {
		// Only the scheme and host are case-insensitive, and a pattern has
		// nothing else, so lower-casing all of it is the right hint.
		return bad("upper case: browsers serialize origins in lower case", lower)
	}
	i := strings.Index(s, "://")
	if i < 0 {
		if !strings.Contains(s, ":") && !strings.Contains(s, "/") {
			return bad("no scheme", "https://"+s)
		}
		return bad("no scheme: an origin is scheme://host[:port]", "")
	}
	scheme, rest := s[:i], s[i+3:]
	if !validScheme(scheme) {
		return bad(fmt.Sprintf("invalid scheme %q", scheme), "")
	}
	if OpaqueScheme(scheme) {
		return bad(fmt.Sprintf("%s: URLs have an opaque origin, which browsers send as null, never as %s://...", scheme, scheme), "")
	}
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		what := map[byte]string{'/': "a path", '?': "a query", '#': "a fragment"}[rest[j]]
		if rest[j:] == "/" {
			what = "a trailing slash"
		}
		return bad(what+": an origin is scheme://host[:port] and nothing after", scheme+"://"+rest[:j])
	}
	if j := strings.LastIndexByte(rest, '@'); j >= 0 {
		return bad("userinfo: an origin has no user name or password", scheme+"://"+rest[j+1:])
	}
	host, port, ok := splitHostPort(rest)
	if !ok {
		return bad("malformed host or port", "")
	}
	p := Pattern{Scheme: scheme}
	switch port {
	case "":
	case "*":
		p.Port = AnyPort
	default:
		n, ok := parsePort(port)
		if !ok {
			if n, err := strconv.Atoi(port); err == nil && n > 0 && n <= 65535 {
				return bad(fmt.Sprintf("port %q has a leading zero", port), fmt.Sprintf("%s://%s:%d", scheme, host, n))
			}
			return bad(fmt.Sprintf("invalid port %q: want 1 to 65535 (or * for any, in a pattern)", port), "")
		}
		if n == DefaultPort(scheme) {
			return bad(fmt.Sprintf("default port %d written out: browsers omit it from the Origin header", n), scheme+"://"+host)
		}
		p.Port = n
	}
	if strings.HasPrefix(host, "*.") {
		p.Subdomains = true
		host = host[2:]
	}
	if strings.Contains(host, "*") {
		return bad("a wildcard may only be the whole leftmost label of the host (\"*.example.com\") or the whole port (\":*\")", "")
	}
	if host == "" {
		return bad("no host", "")
	}
	if err := checkHost(host, p.Subdomains); err != nil {
		return Pattern{}, err
	}
	p.Host = host
	return p, nil
}

// checkHost validates a pattern's host: a canonical IPv4 or bracketed IPv6
// address, or an ASCII domain name of LDH labels.
func checkHost(host string, subdomains bool) error {
	if strings.HasPrefix(host, "[") {
		if subdomains {
			return &PatternError{Reason: "an IP address has no subdomains"}
		}
		if !strings.HasSuffix(host, "]") {
			return &PatternError{Reason: "unterminated IPv6 address"}
		}
		a, err := netip.ParseAddr(host[1 : len(host)-1])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return &PatternError{Reason: fmt.Sprintf("invalid IPv6 address %q", host)}
		}
		if canon := "[" + a.String() + "]"; canon != host {
			return &PatternError{Reason: "IPv6 address not in the canonical form browsers send", Hint: canon}
		}
		return nil
	}
	for i := 0; i < len(host); i++ {
		if host[i] >= 0x80 {
			return &PatternError{Reason: "non-ASCII host: browsers send internationalized domain names in their ASCII form (punycode, xn--...)"}
		}
	}
	last := host[strings.LastIndexByte(host, '.')+1:]
	if last != "" && isDigits(last) || strings.HasPrefix(last, "0x") {
		// WHATWG URL: a host whose last label is numeric is an IPv4 address.
		if subdomains {
			return &PatternError{Reason: "an IP address has no subdomains"}
		}
		a, err := netip.ParseAddr(host)
		if err != nil || !a.Is4() {
			return &PatternError{Reason: fmt.Sprintf("%q is neither a domain name nor a canonical IPv4 address", host)}
		}
		return nil
	}
	if len(host) > maxHostLen {
		return &PatternError{Reason: fmt.Sprintf("host longer than %d bytes", maxHostLen)}
	}
	for rest := host; ; {
		l, tail, more := strings.Cut(rest, ".")
		rest = tail
		if l == "" {
			return &PatternError{Reason: "empty label in host"}
		}
		if len(l) > 63 {
			return &PatternError{Reason: "label longer than 63 bytes in host"}
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return &PatternError{Reason: fmt.Sprintf("label %q starts or ends with a hyphen", l)}
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return &PatternError{Reason: fmt.Sprintf("invalid byte %q in host", c)}
			}
		}
		if l == "xn--" {
			return &PatternError{Reason: fmt.Sprintf("empty punycode label %q", l)}
		}
		if !more {
			return nil
		}
	}
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Byte classes for parsePlain.
const (
	cOther = iota
	cLetter
	cDigit
	cHyphen
	cDot
	cColon
)

var byteClass = func() (t [256]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = cLetter
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = cDigit
	}
	t['-'], t['.'], t[':'] = cHyphen, cDot, cColon
	return t
}()

// parsePlain parses, in one pass, the common pattern that needs no further
// check: scheme "://" domain [":" port], in lower case, a domain of LDH
// labels of 1 to 63 bytes (none starting or ending with a hyphen, none a
// bare "xn--", the last not numeric, which would make it an IPv4 address),
// a port of 1 to 65535 without a leading zero that is not the scheme's
// default. It reports false for anything else, which the full checks of
// ParsePattern then judge.
func parsePlain(s string) (Pattern, bool) {
	i := strings.Index(s, "://")
	if i < 0 || len(s) > MaxLen || !validScheme(s[:i]) || OpaqueScheme(s[:i]) {
		return Pattern{}, false
	}
	scheme, rest := s[:i], s[i+3:]
	labelStart, allDigits := 0, true
	end := len(rest)
	for j := 0; j < len(rest); j++ {
		switch byteClass[rest[j]] {
		case cLetter:
			allDigits = false
		case cDigit:
		case cHyphen:
			allDigits = false
			if j == labelStart {
				return Pattern{}, false
			}
		case cDot, cColon:
			l := rest[labelStart:j]
			if l == "" || len(l) > 63 || l[len(l)-1] == '-' || l == "xn--" {
				return Pattern{}, false
			}
			if rest[j] == ':' {
				end = j
				j = len(rest) // done with the host
				continue
			}
			labelStart, allDigits = j+1, true
		default:
			return Pattern{}, false
		}
	}
	host := rest[:end]
	if end == len(rest) {
		l := rest[labelStart:]
		if l == "" || len(l) > 63 || l[len(l)-1] == '-' || l == "xn--" {
			return Pattern{}, false
		}
	} else {
		allDigits = isDigits(rest[labelStart:end])
	}
	last := host[labelStart:]
	if len(host) > maxHostLen || allDigits || strings.HasPrefix(last, "0x") {
		return Pattern{}, false
	}
	p := Pattern{Scheme: scheme, Host: host}
	if end < len(rest) {
		port, ok := parsePort(rest[end+1:])
		if !ok || port == DefaultPort(scheme) {
			return Pattern{}, false
		}
		p.Port = port
	}
	return p, true
}

// OpaqueScheme reports whether URLs of the scheme have an opaque origin in
// every browser, which they serialize as "null": the URL standard gives a
// tuple origin only to http, https, ws, wss and ftp, and takes blob's from
// the URL inside it (https://url.spec.whatwg.org/#concept-url-origin);
// browsers give tuple origins to their extension schemes and to schemes an
// app's WebView registers, but never to these.
func OpaqueScheme(scheme string) bool {
	switch scheme {
	case "file", "javascript", "data", "about", "blob", "filesystem", "mailto", "tel", "sms", "urn", "view-source":
		return true
	}
	return false
}

// TupleScheme reports whether browsers are known to send origins of the
// scheme as scheme://host[:port]: the URL standard's tuple schemes, the
// extension schemes of Chromium, Firefox and Safari, Chromium's isolated
// web apps, and the schemes that the Capacitor, Ionic and Tauri WebViews
// register. Other schemes have an opaque origin under the URL standard;
// only a browser or WebView that registers them sends them as written.
func TupleScheme(scheme string) bool {
	switch scheme {
	case "http", "https", "ws", "wss", "ftp",
		"chrome-extension", "moz-extension", "safari-web-extension", "isolated-app",
		"capacitor", "ionic", "tauri":
		return true
	}
	return false
}
