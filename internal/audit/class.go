package audit

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Severity is how bad a finding is, graded by what an attacker's page can
// read (see [Level]). The zero value is [Info].
type Severity uint8

// The severities, from least to most severe.
const (
	Info Severity = iota
	Low
	Medium
	High
)

var severityNames = [...]string{Info: "info", Low: "low", Medium: "medium", High: "high"}

// String returns "info", "low", "medium" or "high".
func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return fmt.Sprintf("Severity(%d)", s)
}

// ParseSeverity parses the String form of a severity.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(s, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("audit: unknown severity %q: want info, low, medium or high", s)
}

// MarshalText implements [encoding.TextMarshaler].
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Level is what a page on the probe origin can do with the response, per
// the fetch model ([fetch.Engine.CheckResponse] for simple requests,
// [fetch.Engine.CheckPreflight] for preflights).
type Level uint8

const (
	// NoRead: the browser blocks the response (or the preflight).
	NoRead Level = iota
	// Read: the page reads the response of a request sent without
	// credentials (or may send a non-simple request without them).
	Read
	// CredentialedRead: the page reads the response of a request sent
	// with the user's cookies (or may send a non-simple request with them).
	CredentialedRead
)

var levelNames = [...]string{NoRead: "none", Read: "uncredentialed", CredentialedRead: "credentialed"}

func (l Level) String() string {
	if int(l) < len(levelNames) {
		return levelNames[l]
	}
	return fmt.Sprintf("Level(%d)", l)
}

// MarshalText implements [encoding.TextMarshaler].
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// Class is a misconfiguration class. Its String form is a stable
// kebab-case identifier: reports, SARIF rule ids and the README table use
// it, and it never changes meaning.
type Class uint8

// The classes, in the order findings of one probe are reported.
const (
	OriginReflected Class = iota + 1
	NullOrigin
	PostDomain
	PreDomain
	Substring
	UnescapedDot
	SpecialChar
	ThirdPartyOrigin
	LocalhostPrefix
	AnySubdomain
	InsecureOrigin
	AnyPort
	WildcardOrigin
	WildcardCredentials
	InvalidAllowOrigin
	CRLFInjection
	CRLFAllowedOrigin
	VaryOriginMissing
	VaryOriginPartial
	VaryPreflightMissing
	AllowOriginWithoutOrigin
	WildcardWithoutOrigin
	PreflightAnyMethod
	PreflightAnyHeader
	PrivateNetworkAllowed
	PreflightRedirected
	PreflightAuthRequired
	PreflightFailed
	CORSMissingOnError
	PolicyAllowedRefused
	PolicyExceeded
	numClasses
)

// kind groups the classes by how their severity is graded.
type gradeKind uint8

const (
	// gradeAttacker: an origin nobody trusts on purpose. High when the
	// page reads with credentials, Medium without.
	gradeAttacker gradeKind = iota
	// gradeAdjacent: an origin next to the target's own (a subdomain, the
	// http:// twin, another port): trusted by mistake more than by design,
	// and the attacker must first control it. Medium with credentials,
	// Low without.
	gradeAdjacent
	// gradeFixed: the class has one severity.
	gradeFixed
	// gradeNetwork: Low, Medium when the target is on a loopback,
	// private or link-local address or named localhost, where what the
	// class opens up is protected by the network boundary alone.
	gradeNetwork
)

type classInfo struct {
	id    string
	title string
	grade gradeKind
	fixed Severity // for gradeFixed
	fix   string
}

var classes = [numClasses]classInfo{
	OriginReflected: {"origin-reflected", "any origin is allowed (reflected)", gradeAttacker, 0,
		"Check the Origin header against an exact allowlist of origins and send Access-Control-Allow-Origin only for a listed one; never echo the request's Origin unchecked."},
	NullOrigin: {"null-origin", "the null origin is allowed", gradeAttacker, 0,
		"Remove \"null\" from the allowlist: sandboxed iframes, data: URLs and file: pages all send Origin: null, so any attacker can."},
	PostDomain: {"post-domain", "origins that start with the target's host or registrable domain are allowed", gradeAttacker, 0,
		"Compare whole origins (scheme, host and port) for equality, or anchor the pattern at the end: a prefix check lets https://victim.com.evil.example through."},
	PreDomain: {"pre-domain", "origins that end with the target's host or registrable domain are allowed", gradeAttacker, 0,
		"Match subdomains on a label boundary (\".example.com\" with the dot), or list the origins: a suffix check lets https://evilexample.com through."},
	Substring: {"substring", "origins contained in an allowed origin are allowed", gradeAttacker, 0,
		"Look the origin up in a set of exact origins; do not test whether the allowlist string contains it."},
	UnescapedDot: {"unescaped-dot", "an unescaped dot in an origin pattern matches any character", gradeAttacker, 0,
		"Escape the dots of origin regular expressions (\\.) and anchor them (^...$), or use exact origins or a pattern syntax that has no regex."},
	SpecialChar: {"special-char", "origins with a special character after the target's host are allowed", gradeAttacker, 0,
		"Parse the origin and compare its host for equality; a pattern that only excludes dots and letters after the host lets characters some browsers accept in host names (_ ` } $ ~ ...) through."},
	ThirdPartyOrigin: {"third-party-origin", "an origin on a public hosting or code-sharing site is allowed", gradeAttacker, 0,
		"Remove public hosting and code-playground origins (github.io, codepen, jsfiddle, S3, netlify, vercel ...) from the allowlist: anyone can publish a page there."},
	LocalhostPrefix: {"localhost-prefix", "origins that merely start with localhost are allowed (an unanchored development pattern)", gradeAttacker, 0,
		"Anchor development patterns at both ends (^https?://localhost(:[0-9]+)?$) or list the exact origins, and keep them out of production: a prefix check or an unanchored regex lets https://localhost.evil.example, a name anyone can register, through."},
	AnySubdomain: {"any-subdomain", "any subdomain is allowed", gradeAdjacent, 0,
		"List the subdomains that need access; with a subdomain wildcard, an XSS or a takeover of any subdomain reads these responses."},
	InsecureOrigin: {"insecure-origin", "an http:// origin is trusted by an https:// resource", gradeAdjacent, 0,
		"Allow only https:// origins for an https:// resource: a network attacker can inject script into the http:// origin and read the response."},
	AnyPort: {"any-port", "the target's host is allowed on any port", gradeAdjacent, 0,
		"Compare the whole origin, port included; another service on the same host (often less trusted) can otherwise read the response."},
	WildcardOrigin: {"wildcard-origin", "any origin may read responses (Access-Control-Allow-Origin: *)", gradeNetwork, Low,
		"Keep \"*\" for public data only; for anything behind a network boundary or IP-based access, list the origins."},
	WildcardCredentials: {"wildcard-credentials", "Access-Control-Allow-Origin: * is sent with Access-Control-Allow-Credentials: true", gradeFixed, Low,
		"Browsers refuse this pair for credentialed requests; decide: \"*\" without credentials for public data, or a list of origins with credentials. Do not \"fix\" it by reflecting the Origin."},
	InvalidAllowOrigin: {"invalid-allow-origin", "Access-Control-Allow-Origin is malformed or sent more than once", gradeFixed, Low,
		"Send exactly one Access-Control-Allow-Origin value: \"*\", \"null\" never, or one serialized origin. When both a gateway and the application set CORS headers, strip them in one of the two."},
	CRLFInjection: {"crlf-injection", "CR/LF from the request is written into the response headers", gradeFixed, Medium,
		"Never URL-decode request headers into response headers; write the Origin back only after an exact allowlist match."},
	CRLFAllowedOrigin: {"crlf-allowed-origin", "CR/LF appended to an allowed origin is written into the response headers", gradeFixed, Medium,
		"Compare the Origin header byte for byte with the allowlist before anything else, never after URL-decoding or trimming it, and write back only the listed origin itself: a server that decodes <allowed>%0d%0aX-Injected:%20x and writes it into Access-Control-Allow-Origin lets any client split the response and poison caches."},
	VaryOriginMissing: {"vary-origin-missing", "a response whose Access-Control-Allow-Origin depends on Origin has no Vary: Origin", gradeFixed, Low,
		"Send Vary: Origin on every response whose CORS headers depend on the Origin (and Vary: Access-Control-Request-Method, Access-Control-Request-Headers on preflights), so that caches do not serve one origin's answer to another."},
	VaryOriginPartial: {"vary-origin-partial", "Vary: Origin is sent on allowed responses only, not on refused ones or those without Origin", gradeFixed, Low,
		"Send Vary: Origin on every response of a URL whose CORS headers depend on the Origin, refused origins and requests without Origin included: a shared cache stores the refused or no-Origin response, which has no Vary, and serves it to the allowed origin, whose page then fails (any client can poison the cache that way)."},
	VaryPreflightMissing: {"vary-preflight-missing", "a preflight whose answer depends on Access-Control-Request-* has no Vary naming them", gradeFixed, Info,
		"Send Vary: Access-Control-Request-Method, Access-Control-Request-Headers (and Access-Control-Request-Private-Network and Origin where the answer depends on them) on preflight responses, or answer every preflight with the same fixed lists; a cache that stores preflights otherwise serves one request's answer to another."},
	AllowOriginWithoutOrigin: {"allow-origin-without-origin", "Access-Control-Allow-Origin is sent on a request without Origin", gradeFixed, Info,
		"Decide CORS from the request's Origin header: an Access-Control-Allow-Origin on requests without one is hard-coded or left over from another request, and caches may serve it to other origins."},
	WildcardWithoutOrigin: {"wildcard-without-origin", "requests without Origin get Access-Control-Allow-Origin: * and no Vary: Origin, while requests with one are checked", gradeFixed, Low,
		"Decide CORS from the Origin header only, and send Vary: Origin on every response: a shared cache stores the no-Origin answer with \"*\" and serves it to any origin, so the allowlist checked on requests with an Origin no longer protects the cached responses."},
	PreflightAnyMethod: {"preflight-any-method", "preflights allow any method (Access-Control-Request-Method is reflected)", gradeFixed, Low,
		"List the methods the API needs in Access-Control-Allow-Methods instead of echoing Access-Control-Request-Method."},
	PreflightAnyHeader: {"preflight-any-header", "preflights allow any header (Access-Control-Request-Headers is reflected)", gradeFixed, Low,
		"List the request headers the API needs in Access-Control-Allow-Headers instead of echoing Access-Control-Request-Headers."},
	PrivateNetworkAllowed: {"private-network-allowed", "a foreign origin's Private Network Access preflight is allowed", gradeNetwork, Low,
		"Send Access-Control-Allow-Private-Network: true only to the origins that must reach this service from a public page, and only after the origin check passes; flask-cors before 5.0 sent it by default (CVE-2024-6221: upgrade, or set allow_private_network=False). Chromium 156 no longer sends Access-Control-Request-Private-Network (Local Network Access, which replaced Private Network Access, asks the user instead), so this header protects nothing there: put authentication in front of a service on a private network rather than relying on it."},
	PreflightRedirected: {"preflight-redirected", "preflights are redirected", gradeFixed, Info,
		"Answer OPTIONS preflights at the URL requested with a 2xx status: browsers never follow a redirect on a preflight."},
	PreflightAuthRequired: {"preflight-auth-required", "preflights need authentication", gradeFixed, Info,
		"Exempt CORS preflights (OPTIONS with Origin and Access-Control-Request-Method) from authentication: browsers never send credentials on them."},
	PreflightFailed: {"preflight-failed", "preflights that allow the origin fail with a non-2xx status", gradeFixed, Info,
		"Answer allowed preflights with 204 or 200; with any other status the browser fails the request even though the CORS headers allow it."},
	CORSMissingOnError: {"cors-missing-on-error", "error responses carry no CORS headers", gradeFixed, Info,
		"Set the CORS headers before the handler runs, so that 4xx and 5xx responses carry them too; otherwise pages see an opaque CORS error instead of the status."},
	PolicyAllowedRefused: {"policy-allowed-refused", "a request the policy allows fails in the browser", gradeFixed, Low,
		"Make the deployment send the headers the policy file prescribes (crossgate explain shows them), or serve it through crossgate proxy."},
	PolicyExceeded: {"policy-exceeded", "the browser allows more than the policy does", gradeAdjacent, 0,
		"Make the deployment refuse what the policy file refuses (crossgate explain shows the expected headers), or serve it through crossgate proxy."},
}

// String returns the class id.
func (c Class) String() string {
	if c > 0 && c < numClasses {
		return classes[c].id
	}
	return fmt.Sprintf("Class(%d)", c)
}

// MarshalText implements [encoding.TextMarshaler].
func (c Class) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// Title returns a one-line description of the class.
func (c Class) Title() string { return classes[c].title }

// Fix returns what to change to remove a finding of the class.
func (c Class) Fix() string { return classes[c].fix }

// Severity returns the severity of a finding of class c at read level l.
func (c Class) Severity(l Level) Severity {
	info := classes[c]
	switch info.grade {
	case gradeAttacker:
		if l == CredentialedRead {
			return High
		}
		return Medium
	case gradeAdjacent:
		if l == CredentialedRead {
			return Medium
		}
		return Low
	}
	return info.fixed
}

// MaxSeverity returns the highest severity a finding of class c can have,
// whatever the read level and the target.
func (c Class) MaxSeverity() Severity {
	switch classes[c].grade {
	case gradeAttacker:
		return High
	case gradeAdjacent, gradeNetwork:
		return Medium
	}
	return classes[c].fixed
}

// SeverityRange describes the severities a class can have, for docs:
// "high / medium", "medium / low" or one severity.
func (c Class) SeverityRange() string {
	switch classes[c].grade {
	case gradeAttacker:
		return "high (credentialed read) / medium (uncredentialed read)"
	case gradeAdjacent:
		return "medium (credentialed read) / low (uncredentialed read)"
	case gradeNetwork:
		return "low (medium on internal targets: loopback, private or localhost addresses, or --exposure internal)"
	}
	return classes[c].fixed.String()
}

// Classes returns every class, in report order.
func Classes() []Class {
	cs := make([]Class, 0, numClasses-1)
	for c := Class(1); c < numClasses; c++ {
		cs = append(cs, c)
	}
	return cs
}

// ParseClass returns the class with the given id.
func ParseClass(id string) (Class, bool) {
	for c := Class(1); c < numClasses; c++ {
		if classes[c].id == id {
			return c, true
		}
	}
	return 0, false
}

// UnmarshalJSON implements [json.Unmarshaler], for tests reading reports.
func (c *Class) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, ok := ParseClass(s)
	if !ok {
		return fmt.Errorf("audit: unknown class %q", s)
	}
	*c = v
	return nil
}
