package audit

import (
	"net/http"
	"strings"
)

// Kind is the kind of request a probe sends.
type Kind uint8

const (
	// Simple is a GET with an Origin header, as fetch() sends it without a
	// preflight.
	Simple Kind = iota
	// Preflight is an OPTIONS request with Origin and
	// Access-Control-Request-Method, as a browser sends before a
	// non-simple request.
	Preflight
	// NoOrigin is a GET without Origin.
	NoOrigin
)

var kindNames = [...]string{Simple: "simple", Preflight: "preflight", NoOrigin: "no-origin"}

func (k Kind) String() string { return kindNames[k] }

// MarshalText implements [encoding.TextMarshaler].
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// role is what a probe is for.
type role uint8

const (
	roleOrigin         role = iota // an attacker-chosen origin of Probe.Class
	roleOwn                        // the target's own origin
	rolePolicy                     // an origin the policy allows (conformance)
	roleCRLF                       // CR/LF in Origin or Access-Control-Request-Headers
	roleNoOrigin                   // no Origin at all
	roleAnyMethod                  // a made-up method on a preflight
	roleAnyHeader                  // a made-up header on a preflight
	roleError                      // a URL that answers with an error status
	rolePrivateNetwork             // a Private Network Access preflight from an attacker origin
	roleCRLFAllowed                // CR/LF appended to an allowed origin
)

// crlf reports whether p carries a CR/LF meant to reach the response.
func (p *Probe) crlf() bool { return p.role == roleCRLF || p.role == roleCRLFAllowed }

// crlfOrigin returns origin with a percent-encoded CR/LF and a header
// line appended: a server that URL-decodes Origin and writes it back
// splits its response.
func crlfOrigin(origin string) string { return origin + "%0d%0a" + injectedName + ":%20crlf" }

// AttackerDomain is the domain the probe origins that an attacker would
// register are built on. It is reserved (RFC 6761), so no probe origin
// is anybody's real site.
const AttackerDomain = "evil.example"

// The made-up method, header and injected header of the probes.
const (
	probeMethod   = "CROSSGATE"
	probeHeader   = "X-Crossgate-Probe"
	injectedName  = "X-Crossgate-Injected"
	errorSegment  = "crossgate-audit-not-found"
	placeholderOr = "https://crossgate-audit.invalid"
)

// specialChars are the characters tried right after the target's host
// (https://host<c>.evil.example). Some browsers accept them in host names
// (Safari many, Chromium and Firefox "_" and a few more), and a pattern
// that only rules out "." and name characters after the host lets them
// through. "%60" is a backtick as a server that URL-decodes Origin sees
// it; the literal backtick is tried too.
var specialChars = []string{"_", "-", "~", "!", "$", "&", "'", "(", "*", "+", ",", ";", "=", "{", "}", "|", "^", "`", "%60"}

// localhostProbe is the host of the localhost-prefix probes: a name that
// starts with "localhost." under the attacker's domain.
const localhostProbe = "localhost.crossgate-audit." + AttackerDomain

// thirdParties are origins anyone can publish a page on.
var thirdParties = []string{
	"https://codepen.io",
	"https://cdpn.io",
	"https://jsfiddle.net",
	"https://fiddle.jshell.net",
	"https://jsbin.com",
	"https://crossgate-audit.github.io",
	"https://crossgate-audit.s3.amazonaws.com",
	"https://crossgate-audit.netlify.app",
	"https://crossgate-audit.vercel.app",
	"https://crossgate-audit.pages.dev",
}

// crlfForms are the encodings of CR/LF tried: percent-encoded (for servers
// that URL-decode the header) and as U+560D U+560A (for servers that keep
// the low byte of each character).
var crlfForms = []string{"%0d%0a", "%0a", "%0d", "\u560d\u560a"}

// Probe is one request of an audit.
type Probe struct {
	// Class is the class an attacker origin tests, or 0.
	Class Class
	Kind  Kind
	// Origin is the Origin header sent ("" for [NoOrigin]).
	Origin string
	// Method and Header are the script's request the probe stands for:
	// for [Simple], always GET with no header; for [Preflight], the
	// request the preflight is sent before.
	Method string
	Header http.Header
	// ACRH, when not "", replaces the Access-Control-Request-Headers a
	// browser would send (the CR/LF probe).
	ACRH string
	// PrivateNetwork adds Access-Control-Request-Private-Network: true to
	// a preflight, as Chromium sent it under Private Network Access.
	PrivateNetwork bool
	role           role
}

// relaxed reports whether p is graded relaxed (see [grader.grade]): an
// attacker whose origin passes picks another method or header.
func (p *Probe) relaxed() bool { return p.role == roleOrigin || p.role == rolePrivateNetwork }

// originProbe is an origin and the class it tests. Leads are the origins
// of its family an adaptive audit always tries (see adaptive.go).
type originProbe struct {
	class  Class
	origin string
	lead   bool
}

// originProbes returns the attacker origins for t, in report order and
// without duplicates. Every origin is scheme://host[:port]: never a path.
func originProbes(t *Target) []originProbe {
	s := t.URL.Scheme + "://"
	host, dom := t.Host, t.Domain
	var out []originProbe
	seen := map[string]bool{t.Origin: true}
	add := func(c Class, o string, lead bool) {
		if !seen[o] {
			seen[o] = true
			out = append(out, originProbe{c, o, lead})
		}
	}
	add(OriginReflected, s+AttackerDomain, true)
	add(NullOrigin, "null", true)
	// Suffix probes are built on the host and on the registrable domain:
	// an API on a subdomain often allows the apex site, by a prefix.
	for _, d := range []string{host, dom} {
		add(PostDomain, s+d+"."+AttackerDomain, true)
		add(PostDomain, s+d+AttackerDomain, false)
	}
	// A suffix check on the domain lets evilhost through too.
	for i, d := range []string{host, dom} {
		add(PreDomain, s+"evil"+d, i == 0)
	}
	if len(host) > 1 {
		add(Substring, s+host[:len(host)-1], true)
	}
	if i := strings.LastIndexByte(host, '.'); i > 0 {
		add(Substring, s+host[:i], false)
	}
	if len(dom) > 1 && strings.Contains(dom, ".") {
		add(Substring, s+dom[1:], false)
	}
	// Each dot in turn becomes a letter. The leads are the first dot and
	// the last: a regex escapes one and forgets the other
	// (^https://api\.example.com$), the last is the dot of the suffix.
	last := strings.LastIndexByte(host, '.')
	lead := true
	for i := 0; i < len(host); i++ {
		if host[i] == '.' {
			add(UnescapedDot, s+host[:i]+"x"+host[i+1:], lead || i == last)
			lead = false
		}
	}
	// "_" is the one that Chromium and Firefox accept in a host name.
	for _, c := range specialChars {
		add(SpecialChar, s+host+c+"."+AttackerDomain, c == "_")
	}
	// Each is an allowlist entry of its own: the leads are the two most
	// often listed (a playground, and *.github.io).
	for _, o := range thirdParties {
		add(ThirdPartyOrigin, o, o == "https://codepen.io" || strings.HasSuffix(o, ".github.io"))
	}
	// Development allowlists written as a prefix or an unanchored regex
	// (startsWith("http://localhost"), /^https?:\/\/localhost/) let a
	// name under the attacker's domain through, on either scheme.
	add(LocalhostPrefix, s+localhostProbe, true)
	add(LocalhostPrefix, "http://"+localhostProbe, true)
	if !t.isIP() {
		// A subdomain pattern on the domain matches evil.host too.
		// And a one-label pattern on the domain (^https://[a-z]+\.dom$)
		// matches evil.dom, not evil.host: both are leads.
		add(AnySubdomain, s+"evil."+host, true)
		add(AnySubdomain, s+"evil."+dom, true)
	}
	if t.URL.Scheme == "https" {
		add(InsecureOrigin, "http://"+hostPort(host, t.Port, "http"), true)
	}
	port := "1337"
	if t.Port == port {
		port = "1338"
	}
	add(AnyPort, s+hostPort(host, port, ""), true)
	return out
}

// probes returns the probes of t in the order they are sent, policy
// origins first (trusted, the origin used for the method and header
// probes), then the target's own origin, then the attacker origins, each
// on a simple request and on a preflight, then a Private Network Access
// preflight, the CR/LF probes and the request without Origin. The error-response probe depends on the answers
// and is added later.
func probes(t *Target, policy *targetPolicy) []Probe {
	var ps []Probe
	reqs := t.preflights()
	pm, ph := reqs[0].Method, reqs[0].Header
	trusted := t.Origin
	if policy != nil {
		for _, o := range policy.origins {
			ps = append(ps, Probe{Kind: Simple, Origin: o, Method: http.MethodGet, role: rolePolicy})
			for _, req := range policy.requests {
				ps = append(ps, Probe{Kind: Preflight, Origin: o, Method: req.method, Header: req.header.Clone(), role: rolePolicy})
			}
		}
		if len(policy.origins) > 0 {
			trusted = policy.origins[0]
		}
	}
	for _, o := range t.trusted() {
		ps = append(ps, Probe{Kind: Simple, Origin: o, Method: http.MethodGet, role: roleOwn})
		for _, r := range reqs {
			ps = append(ps, Probe{Kind: Preflight, Origin: o, Method: r.Method, Header: r.Header.Clone(), role: roleOwn})
		}
	}
	ps = append(ps,
		Probe{Kind: Preflight, Origin: trusted, Method: probeMethod, role: roleAnyMethod},
		Probe{Kind: Preflight, Origin: trusted, Method: http.MethodGet, Header: http.Header{probeHeader: {"1"}}, role: roleAnyHeader},
	)
	for _, op := range originProbes(t) {
		ps = append(ps,
			Probe{Class: op.class, Kind: Simple, Origin: op.origin, Method: http.MethodGet},
			Probe{Class: op.class, Kind: Preflight, Origin: op.origin, Method: pm, Header: ph.Clone()},
		)
	}
	evil := t.URL.Scheme + "://" + AttackerDomain
	// The preflight Chromium sent, under Private Network Access, before
	// even a simple GET to a more private address space.
	ps = append(ps, Probe{Class: PrivateNetworkAllowed, Kind: Preflight, Origin: evil, Method: http.MethodGet,
		PrivateNetwork: true, role: rolePrivateNetwork})
	for _, f := range crlfForms {
		o := evil + f + injectedName + ":" + "%20crlf"
		if !strings.HasPrefix(f, "%") {
			o = evil + f + injectedName + ": crlf"
		}
		ps = append(ps,
			Probe{Class: CRLFInjection, Kind: Simple, Origin: o, Method: http.MethodGet, role: roleCRLF},
			Probe{Class: CRLFInjection, Kind: Preflight, Origin: o, Method: pm, Header: ph.Clone(), role: roleCRLF},
		)
	}
	// The allowed origin with CR/LF appended: a server that decodes Origin
	// before its allowlist check trims or splits off the rest and lets it
	// through, then writes the decoded value back.
	ps = append(ps,
		Probe{Class: CRLFAllowedOrigin, Kind: Simple, Origin: crlfOrigin(trusted), Method: http.MethodGet, role: roleCRLFAllowed},
		Probe{Class: CRLFAllowedOrigin, Kind: Preflight, Origin: crlfOrigin(trusted), Method: pm, Header: ph.Clone(), role: roleCRLFAllowed},
	)
	ps = append(ps,
		Probe{Class: CRLFInjection, Kind: Preflight, Origin: trusted, Method: pm, Header: ph.Clone(),
			ACRH: "content-type%0d%0a" + injectedName + ":%20crlf", role: roleCRLF},
		Probe{Kind: NoOrigin, Method: http.MethodGet, role: roleNoOrigin},
	)
	return ps
}
