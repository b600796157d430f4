package export

import (
	"strconv"
	"strings"

	"github.com/crossgate/crossgate/internal/origin"
)

// Flavor is a regex dialect. The expressions generated here use only what
// all of them share (literals, escapes, classes, bounded repetition,
// non-capturing groups, alternation); the flavours differ in the anchors
// and in what must be escaped.
type Flavor int

const (
	// PCRE: nginx (map ~), Apache (SetEnvIf, ap_expr), HAProxy (-m reg).
	// "$" matches at the end and before a final line feed, which a header
	// value cannot hold (RFC 9110 §5.5), so "^…$" is a full match.
	PCRE Flavor = iota
	// RE2: Go's regexp, as in Caddy, Traefik and Envoy's safe_regex.
	RE2
	// JS: a JavaScript RegExp literal /…/ (Express); "/" is escaped.
	JS
	// Python: re, as in django-cors-headers and Flask-CORS. "$" would
	// match before a trailing newline, so the end anchor is \Z.
	Python
)

// LabelClass is one DNS label as internal/origin accepts it in a request
// origin's host: 1 to 63 of [a-z0-9_-] (origin.validHostBytes). Lower case
// only: browsers serialize hosts in lower case, and a pattern compares
// byte for byte.
const LabelClass = `[a-z0-9_-]{1,63}`

// PortRegex matches a port as origin.Parse takes it: 1 to 65535, no
// leading zero.
const PortRegex = `(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])`

// QuoteMeta escapes every regex metacharacter of s for f. Origins hold
// only letters, digits and "+-._:[]/" (a scheme, a host, an IPv6 literal),
// but anything else is escaped too.
func QuoteMeta(s string, f Flavor) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\', '.', '+', '*', '?', '(', ')', '|', '[', ']', '{', '}', '^', '$':
			b.WriteByte('\\')
		case '/':
			if f == JS {
				b.WriteByte('\\')
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// patternBody returns the unanchored expression for one origin pattern: the
// scheme and "://" literally, for "*." one or more labels each followed by
// a dot before the escaped domain (any depth, never the apex, and the dot
// is a label boundary, so "xexample.com" is not under "example.com"), and
// for ":*" an optional port.
func patternBody(p origin.Pattern, f Flavor) string {
	var b strings.Builder
	b.WriteString(QuoteMeta(p.Scheme+"://", f))
	if p.Subdomains {
		b.WriteString(`(?:` + LabelClass + `\.)+`)
	}
	b.WriteString(QuoteMeta(p.Host, f))
	switch p.Port {
	case 0:
	case origin.AnyPort:
		b.WriteString(`(?::` + PortRegex + `)?`)
	default:
		b.WriteString(QuoteMeta(":"+strconv.Itoa(p.Port), f))
	}
	return b.String()
}

// anchors returns the start and end anchors of f.
func anchors(f Flavor) (string, string) {
	if f == Python {
		return `^`, `\Z`
	}
	return `^`, `$`
}

// OriginRegex returns a regex that matches exactly the origins the pattern
// p matches: anchored, every metacharacter escaped. It agrees with
// internal/origin's Matcher on every origin whose host is at most 253
// bytes long (FuzzOriginRegex); a longer host is no DNS name, so no page
// can have it as its origin, and the regex does not count the length.
func OriginRegex(p origin.Pattern, f Flavor) string {
	start, end := anchors(f)
	return start + patternBody(p, f) + end
}

// ExactRegex returns a regex that matches the origin s and nothing else.
func ExactRegex(s string, f Flavor) string {
	start, end := anchors(f)
	return start + QuoteMeta(s, f) + end
}

// OriginsRegex returns one anchored alternation of the exact origins and
// the patterns, "" when both are empty. It never matches "*" or "null".
func OriginsRegex(exact []string, patterns []origin.Pattern, f Flavor) string {
	var alts []string
	for _, s := range exact {
		alts = append(alts, QuoteMeta(s, f))
	}
	for _, p := range patterns {
		alts = append(alts, patternBody(p, f))
	}
	if len(alts) == 0 {
		return ""
	}
	start, end := anchors(f)
	return start + `(?:` + strings.Join(alts, "|") + `)` + end
}

// PolicyOriginsRegex is OriginsRegex for the policy's exact origins and
// patterns ("" for a "*" policy).
func (p *Policy) OriginsRegex(f Flavor) string {
	return OriginsRegex(p.Exact, p.Patterns, f)
}

// TokenChars is the class of RFC 9110 §5.6.2 token characters (tchar),
// with "$", "'" and "`" written as \x24, \x27 and \x60, which no
// configuration syntax reads as a variable or a quote.
const TokenChars = `[!#\x24%&\x27*+.^_\x60|~0-9A-Za-z-]`

// MethodSyntaxRegex matches an Access-Control-Request-Method value that is
// one method name (a token), as the cors middleware requires before it
// looks the method up; anything else gets 403. PCRE and RE2 alike.
const MethodSyntaxRegex = `^` + TokenChars + `+$`

// HeadersSyntaxRegex matches an Access-Control-Request-Headers value the
// cors middleware parses: header names (tokens) separated by commas, with
// optional whitespace and empty elements (RFC 9110 §5.6.1); anything else
// gets 403. PCRE and RE2 alike.
const HeadersSyntaxRegex = `^[\t ,]*(?:` + TokenChars + `+(?:[\t ]*,[\t ,]*` + TokenChars + `+)*)?[\t ,]*$`

// AuthorizationRegex matches an Access-Control-Request-Headers value that
// asks for Authorization (case-insensitive). PCRE and RE2 alike.
const AuthorizationRegex = `(?i)(?:^|,)[\t ]*authorization[\t ]*(?:,|$)`
