package cors

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crossgate/crossgate/cors/corserr"
	"github.com/crossgate/crossgate/internal/httplex"
	"github.com/crossgate/crossgate/internal/origin"
	"golang.org/x/net/publicsuffix"
)

// NoPreflightCache is the [Config.MaxAge] that tells browsers not to cache
// preflight responses at all (Access-Control-Max-Age: 0).
const NoPreflightCache time.Duration = -1

// Browser caps on Access-Control-Max-Age: Chromium uses at most 7200 s
// (services/network/cors/preflight_result.cc), Firefox at most 86400 s
// (nsCORSListenerProxy.cpp). Without the header both cache for 5 s.
const (
	ChromiumMaxAgeCap = 2 * time.Hour
	FirefoxMaxAgeCap  = 24 * time.Hour
)

// Config is a CORS policy. The zero Config allows nothing: every field that
// grants access must be set on purpose.
//
// # AllowOrigins
//
// The origins whose pages may read responses. Each entry is one of:
//
//	https://app.example.com         an origin, exactly as browsers send it
//	https://*.example.com           any subdomain, at any depth (not example.com itself)
//	http://localhost:*              any port, or none (for local development)
//	https://*.example.com:*         both wildcards
//	*                               any origin (never with AllowCredentials)
//
// Origins are compared byte for byte with the Origin header, so they must
// be written the way browsers serialize them. These are refused:
//
//	null                         any sandboxed iframe or file: page sends it
//	https://App.example.com      upper case
//	https://example.com/         a trailing slash (or any path, query, fragment)
//	https://example.com:443      the default port written out
//	example.com                  no scheme
//	https://*.co.uk              a subdomain pattern on a public suffix
//	https://ex*.com              a wildcard that is not a whole label or port
//	http://app.example.com       with AllowCredentials, unless loopback
//
// # AllowCredentials
//
// Whether the browser may send cookies and HTTP authentication, and let the
// page read the response to such a request (Access-Control-Allow-Credentials:
// true). With credentials, no list may hold "*": the Fetch standard then reads
// "*" as a literal name, so it would silently allow nothing.
//
// # AllowMethods
//
// The methods, beyond the CORS-safelisted GET, HEAD and POST, that
// preflighted requests may use, or "*" for any (never with credentials).
// Names are case-sensitive: browsers upper-case only DELETE, GET, HEAD,
// OPTIONS, POST and PUT (https://fetch.spec.whatwg.org/#concept-method-normalize),
// so "PATCH" must be written as the page writes it. CONNECT, TRACE and TRACK
// are refused: browsers never send them.
//
// # AllowHeaders
//
// The request headers preflighted requests may carry, or "*" for any
// (never with credentials). Names are case-insensitive. "*" never covers
// Authorization (https://fetch.spec.whatwg.org/#cors-non-wildcard-request-header-name):
// list it explicitly, next to "*" if need be. Forbidden request-header names
// (Cookie, Host, Origin, Sec-*, Proxy-*...) are refused: scripts cannot set them.
//
// # ExposeHeaders
//
// The response headers, beyond the CORS-safelisted ones, that scripts may
// read, or "*" for all (never with credentials). Set-Cookie is refused.
//
// # MaxAge
//
// How long browsers may cache a successful preflight. Zero omits the header
// (browsers then cache for 5 s); [NoPreflightCache] sends 0 (no caching).
// It must be whole seconds and at most 24 h. Browsers cap it: Chromium at
// 2 h, Firefox at 24 h; a value above 2 h draws a warning.
type Config struct {
	// Precludes comparison, unkeyed literals and conversions.
	_ [0]func()

	AllowOrigins     []string
	AllowCredentials bool
	AllowMethods     []string
	AllowHeaders     []string
	ExposeHeaders    []string
	MaxAge           time.Duration

	// AllowPrivateNetwork answers legacy Private Network Access preflights
	// (Access-Control-Request-Private-Network: true) with
	// Access-Control-Allow-Private-Network: true. Off by default, and only
	// for old Chromium versions: Chromium 156 no longer sends the header
	// (Local Network Access, a permission prompt, replaced it).
	AllowPrivateNetwork bool

	// PreflightStatus is the status of a successful preflight response:
	// 204 when zero, else a 2xx code (some old clients want 200).
	PreflightStatus int

	// DangerouslyAllowPublicSuffixPatterns allows subdomain patterns on a
	// public suffix, such as "https://*.github.io": any stranger can
	// register a site under it.
	DangerouslyAllowPublicSuffixPatterns bool

	// DangerouslyAllowInsecureOriginsWithCredentials allows http:// origins
	// other than loopback ones together with AllowCredentials: any network
	// attacker can then act as that origin and read credentialed responses.
	DangerouslyAllowInsecureOriginsWithCredentials bool

	// ProtectWrites refuses, with 403 and before the handler runs, a
	// request with an unsafe method (not GET, HEAD or OPTIONS) that a
	// browser sent from an origin AllowOrigins does not allow: the simple
	// cross-origin POST (a form, fetch with text/plain) that CORS lets
	// through to the handler. Cross-origin is decided as
	// net/http.CrossOriginProtection decides it; see protect.go.
	ProtectWrites bool

	// WebSocketAllowNoOrigin lets [Middleware.CheckWebSocket] accept a
	// WebSocket handshake without an Origin header: browsers always send
	// one, so such a client is not a browser page.
	WebSocketAllowNoOrigin bool
}

// policy is a Config compiled for the request path. It is immutable.
type policy struct {
	cfg Config // a deep copy, for Middleware.Config

	anyOrigin bool
	origins   *origin.Matcher

	credentials bool

	anyMethod bool
	methods   map[string]struct{}

	anyHeader     bool
	authorization bool                // Authorization is listed explicitly
	headers       map[string]struct{} // lower case
	maxHeaderLen  int                 // of the longest listed name
	maxACRHLen    int                 // bound on the Access-Control-Request-Headers bytes read

	// Precomputed header values.
	acac, acam, acah, aceh, acma string
	pna                          bool
	status                       int

	protection // ProtectWrites and the WebSocket origin check (protect.go)
}

// maxHeaderNameLen bounds the names of AllowHeaders and ExposeHeaders. No
// real header name comes near it (the longest in common use are under 64
// bytes), and every name is repeated in every answer: in
// Access-Control-Allow-Headers on each preflight, in
// Access-Control-Expose-Headers on each actual response, where proxies
// with header limits of a few KiB (nginx's proxy_buffer_size, 4 or 8 KiB by
// default; Apache's LimitRequestFieldSize, 8190 bytes a line) refuse it. A
// longer name is a mistake or hostile input, so it is an error, not a
// warning. It also keeps the request path from allocating to compare names.
const maxHeaderNameLen = 256

const tooLongName = "a %d-byte header name: no real header name is longer than %d bytes, and every name is repeated in every answer"

// maxListLen is the length past which the joined Access-Control-Allow-Headers
// or -Expose-Headers value draws a warning: proxies with an 8 KiB header
// limit refuse responses that carry it.
const maxListLen = 4 << 10

// maxACRHWildcard bounds the Access-Control-Request-Headers that a policy
// allowing any header reads: 8 KiB is hundreds of header names, far more
// than any page sends, and a longer value is refused unread.
const maxACRHWildcard = 8 << 10

// Validate checks cfg as [New] does. It returns the warnings (problems that do
// not stop the policy from working as written, such as a max age that
// Chromium caps) and, as err, every reason the policy is refused, joined.
func Validate(cfg Config) (warnings []*corserr.Error, err error) {
	_, warnings, err = compile(cfg)
	return warnings, err
}

type validator struct {
	errs, warns []error
}

func (v *validator) add(field string, i int, value string, reason corserr.Reason, format string, args ...any) {
	v.errs = append(v.errs, &corserr.Error{Field: field, Index: i, Value: value, Reason: reason, Detail: fmt.Sprintf(format, args...)})
}

func (v *validator) warn(field string, i int, value string, format string, args ...any) {
	v.warns = append(v.warns, &corserr.Error{Field: field, Index: i, Value: value, Reason: corserr.Ineffective, Detail: fmt.Sprintf(format, args...)})
}

func compile(cfg Config) (*policy, []*corserr.Error, error) {
	v := &validator{}
	p := &policy{credentials: cfg.AllowCredentials}
	p.compileOrigins(v, &cfg)
	p.compileMethods(v, &cfg)
	p.compileHeaders(v, &cfg)
	p.compileExpose(v, &cfg)
	p.compileScalars(v, &cfg)
	p.compileProtection(v, &cfg)
	var warns []*corserr.Error
	for _, w := range v.warns {
		warns = append(warns, w.(*corserr.Error))
	}
	if len(v.errs) > 0 {
		return nil, warns, errors.Join(v.errs...)
	}
	p.cfg = cloneConfig(&cfg)
	return p, warns, nil
}

func (p *policy) compileOrigins(v *validator, cfg *Config) {
	const field = "AllowOrigins"
	if len(cfg.AllowOrigins) == 0 {
		v.add(field, -1, "", corserr.Missing, "no origin is allowed: list at least one origin, or \"*\" for any")
		return
	}
	// exact maps each exact origin to the index of its first listing, for
	// duplicates; the matcher keeps it. others does the same for every
	// other entry. Both make the checks linear in the number of entries,
	// which a policy file may put in the tens of thousands.
	exact := make(map[string]int, len(cfg.AllowOrigins))
	var others map[string]int
	var wild []origin.Pattern
	lookup := false // set at the first duplicate exact origin: see below
	for i, s := range cfg.AllowOrigins {
		if j, dup := others[s]; dup {
			v.add(field, i, s, corserr.Duplicate, "already listed at index %d", j)
			continue
		}
		switch s {
		case "*":
			others = addOther(others, s, i)
			p.anyOrigin = true
			if cfg.AllowCredentials {
				v.add(field, i, s, corserr.Incompatible, "\"*\" cannot be used with AllowCredentials: browsers reject Access-Control-Allow-Origin: * on credentialed requests; list the origins")
			}
			continue
		case "null":
			others = addOther(others, s, i)
			v.add(field, i, s, corserr.Prohibited, "the null origin is sent by sandboxed iframes, file: pages and redirected requests, so any attacker can forge it")
			continue
		}
		pat, err := origin.ParsePattern(s)
		if err != nil {
			others = addOther(others, s, i)
			v.add(field, i, s, corserr.Invalid, "%v", err)
			continue
		}
		if !origin.TupleScheme(pat.Scheme) {
			v.warn(field, i, s, "browsers send %s: origins as written only where an extension or a WebView registers the scheme; under the URL standard its origin is opaque, and the Origin header is then null", pat.Scheme)
		}
		if pat.Subdomains && !cfg.DangerouslyAllowPublicSuffixPatterns && isPublicSuffix(pat.Host) {
			others = addOther(others, s, i)
			v.add(field, i, s, corserr.Prohibited, "%q is a public suffix: anyone can register a subdomain of it (set DangerouslyAllowPublicSuffixPatterns to allow it anyway)", pat.Host)
			continue
		}
		if cfg.AllowCredentials && !cfg.DangerouslyAllowInsecureOriginsWithCredentials &&
			pat.Scheme != "https" && pat.Scheme != "wss" && !origin.IsLoopback(pat.Host) {
			others = addOther(others, s, i)
			v.add(field, i, s, corserr.Incompatible, "an insecure origin with AllowCredentials lets any network attacker read credentialed responses; use https (or set DangerouslyAllowInsecureOriginsWithCredentials)")
			continue
		}
		if !pat.IsExact() {
			others = addOther(others, s, i)
			wild = append(wild, pat)
			continue
		}
		// s is canonical: ParsePattern refuses anything else.
		if lookup {
			if j, dup := exact[s]; dup {
				v.add(field, i, s, corserr.Duplicate, "already listed at index %d", j)
				continue
			}
			exact[s] = i
			continue
		}
		// Until a first duplicate, one map write, not a lookup and a
		// write: a duplicate leaves the length as it was. The index it
		// overwrote is found once, and lookups take over from then on.
		n := len(exact)
		exact[s] = i
		if len(exact) == n {
			j := slices.Index(cfg.AllowOrigins, s)
			exact[s] = j
			v.add(field, i, s, corserr.Duplicate, "already listed at index %d", j)
			lookup = true
		}
	}
	if p.anyOrigin && len(cfg.AllowOrigins) > 1 {
		v.add(field, others["*"], "*", corserr.Duplicate, "\"*\" already allows every origin: list either \"*\" alone or the origins")
	}
	p.origins = origin.NewMatcherFrom(exact, wild)
	// An exact origin covered by a wildcard pattern of the same list is a
	// sign of confusion: say so rather than keep both. The matcher's index
	// finds the pattern without trying each.
	if len(wild) > 0 {
		for i, s := range cfg.AllowOrigins {
			if j, ok := exact[s]; !ok || j != i {
				continue
			}
			if w, ok := p.origins.MatchWildcard(s); ok {
				v.add(field, i, s, corserr.Duplicate, "already covered by %q", w.String())
			}
		}
	}
}

// addOther records the index of an entry of AllowOrigins that is not an
// exact origin, making the map at the first.
func addOther(others map[string]int, s string, i int) map[string]int {
	if others == nil {
		others = make(map[string]int)
	}
	others[s] = i
	return others
}

// isPublicSuffix reports whether domain is a public suffix, ICANN or private
// (github.io, herokuapp.com...), by the list in golang.org/x/net/publicsuffix.
// Names under localhost are not: they never leave the machine.
func isPublicSuffix(domain string) bool {
	if domain == "localhost" || strings.HasSuffix(domain, ".localhost") {
		return false
	}
	ps, _ := publicsuffix.PublicSuffix(domain)
	return ps == domain
}

func (p *policy) compileMethods(v *validator, cfg *Config) {
	const field = "AllowMethods"
	if len(cfg.AllowMethods) > 0 {
		p.methods = make(map[string]struct{}, len(cfg.AllowMethods))
	}
	var list []string
	for i, m := range cfg.AllowMethods {
		if m == "*" {
			p.anyMethod = true
			if cfg.AllowCredentials {
				v.add(field, i, m, corserr.Incompatible, "with AllowCredentials, browsers read \"*\" as a method literally named *; list the methods")
			}
			continue
		}
		if !httplex.IsToken(m) {
			v.add(field, i, m, corserr.Invalid, "a method name is a token (RFC 9110 §9.1)")
			continue
		}
		if isForbiddenMethod(m) {
			v.add(field, i, m, corserr.Prohibited, "browsers never send CONNECT, TRACE or TRACK (Fetch: forbidden method)")
			continue
		}
		if n := normalizeMethod(m); n != m {
			v.add(field, i, m, corserr.Invalid, "browsers upper-case this method before sending it, so %q never matches; write %q", m, n)
			continue
		}
		if _, dup := p.methods[m]; dup {
			v.add(field, i, m, corserr.Duplicate, "listed twice")
			continue
		}
		if strings.ToUpper(m) != m {
			v.warn(field, i, m, "browsers send this method exactly as the page writes it, and method names are case-sensitive: this matches only %q, not %q", m, strings.ToUpper(m))
		}
		p.methods[m] = struct{}{}
		list = append(list, m)
	}
	if p.anyMethod && len(cfg.AllowMethods) > 1 {
		v.add(field, slices.Index(cfg.AllowMethods, "*"), "*", corserr.Duplicate, "\"*\" already allows every method: list either \"*\" alone or the methods")
	}
	switch {
	case p.anyMethod:
		p.acam = "*"
	default:
		p.acam = strings.Join(list, ",")
	}
}

func (p *policy) compileHeaders(v *validator, cfg *Config) {
	const field = "AllowHeaders"
	if len(cfg.AllowHeaders) > 0 {
		p.headers = make(map[string]struct{}, len(cfg.AllowHeaders))
	}
	var list []string
	for i, h := range cfg.AllowHeaders {
		if h == "*" {
			if p.anyHeader {
				v.add(field, i, h, corserr.Duplicate, "listed twice")
			}
			p.anyHeader = true
			if cfg.AllowCredentials {
				v.add(field, i, h, corserr.Incompatible, "with AllowCredentials, browsers read \"*\" as a header literally named *; list the headers")
			}
			continue
		}
		if !httplex.IsToken(h) {
			v.add(field, i, h, corserr.Invalid, "a header name is a token (RFC 9110 §5.1)")
			continue
		}
		if len(h) > maxHeaderNameLen {
			v.add(field, i, h, corserr.Invalid, tooLongName, len(h), maxHeaderNameLen)
			continue
		}
		lower := httplex.ToLower(h)
		if isForbiddenRequestHeader(lower) {
			v.add(field, i, h, corserr.Prohibited, "a forbidden request-header name: browsers set it themselves and scripts cannot, so listing it has no effect")
			continue
		}
		if _, dup := p.headers[lower]; dup {
			v.add(field, i, h, corserr.Duplicate, "listed twice (header names are case-insensitive)")
			continue
		}
		if isCORSResponseHeader(lower) {
			v.warn(field, i, h, "a CORS response header, which the server sends and pages never do: it belongs in the response, not in the request headers a preflight may ask for (a copy-paste mistake?)")
		}
		p.headers[lower] = struct{}{}
		p.maxHeaderLen = max(p.maxHeaderLen, len(lower))
		list = append(list, lower)
	}
	_, p.authorization = p.headers["authorization"]
	if redundant := len(list); p.anyHeader && (redundant > 1 || redundant == 1 && !p.authorization) {
		// Every listed name but Authorization is redundant: name each at
		// its first listing, in one pass.
		reported := make(map[string]bool, len(list))
		for i, h := range cfg.AllowHeaders {
			if h == "*" || !httplex.IsToken(h) {
				continue
			}
			lower := httplex.ToLower(h)
			if _, ok := p.headers[lower]; ok && lower != "authorization" && !reported[lower] {
				reported[lower] = true
				v.add(field, i, lower, corserr.Duplicate, "\"*\" already allows every header but Authorization")
			}
		}
	}
	if p.anyHeader {
		p.acah = "*"
		if p.authorization {
			p.acah = "*,authorization"
		}
		p.maxACRHLen = maxACRHWildcard
		return
	}
	slices.Sort(list)
	p.acah = strings.Join(list, ",")
	if len(p.acah) > maxListLen {
		v.warn(field, -1, strconv.Itoa(len(list))+" names", "Access-Control-Allow-Headers would be %d bytes on every preflight answer: proxies with a header limit of 4 to 8 KiB (nginx's default proxy_buffer_size) refuse such responses", len(p.acah))
	}
	// A browser lists each header once, lower case, without spaces
	// (https://fetch.spec.whatwg.org/#cors-preflight-fetch, step 5); allow
	// some optional whitespace per name for proxies that rewrite the list.
	for _, h := range list {
		p.maxACRHLen += len(h) + len(", ,")
	}
}

func (p *policy) compileExpose(v *validator, cfg *Config) {
	const field = "ExposeHeaders"
	var seen map[string]bool
	if len(cfg.ExposeHeaders) > 0 {
		seen = make(map[string]bool, len(cfg.ExposeHeaders))
	}
	var list []string
	anyHeader := false
	for i, h := range cfg.ExposeHeaders {
		if h == "*" {
			anyHeader = true
			if cfg.AllowCredentials {
				v.add(field, i, h, corserr.Incompatible, "with AllowCredentials, browsers read \"*\" as a header literally named *; list the headers")
			}
			if seen["*"] {
				v.add(field, i, h, corserr.Duplicate, "listed twice")
			}
			seen["*"] = true
			continue
		}
		if !httplex.IsToken(h) {
			v.add(field, i, h, corserr.Invalid, "a header name is a token (RFC 9110 §5.1)")
			continue
		}
		if len(h) > maxHeaderNameLen {
			v.add(field, i, h, corserr.Invalid, tooLongName, len(h), maxHeaderNameLen)
			continue
		}
		lower := httplex.ToLower(h)
		if lower == "set-cookie" || lower == "set-cookie2" {
			v.add(field, i, h, corserr.Prohibited, "a forbidden response-header name: browsers never expose it to scripts")
			continue
		}
		if seen[lower] {
			v.add(field, i, h, corserr.Duplicate, "listed twice (header names are case-insensitive)")
			continue
		}
		seen[lower] = true
		if isSafelistedResponseHeader(lower) {
			v.warn(field, i, h, "a CORS-safelisted response header: scripts can always read it")
		}
		if isRequestOnlyHeader(lower) {
			v.warn(field, i, h, "a request header, which responses do not carry: exposing it has no effect (a copy-paste mistake?)")
		}
		list = append(list, lower)
	}
	if anyHeader && len(list) > 0 {
		v.add(field, slices.Index(cfg.ExposeHeaders, "*"), "*", corserr.Duplicate, "\"*\" already exposes every header: list either \"*\" alone or the headers")
	}
	if anyHeader {
		p.aceh = "*"
		return
	}
	p.aceh = strings.Join(list, ",")
	if len(p.aceh) > maxListLen {
		v.warn(field, -1, strconv.Itoa(len(list))+" names", "Access-Control-Expose-Headers would be %d bytes on every actual response: proxies with a header limit of 4 to 8 KiB (nginx's default proxy_buffer_size) refuse such responses", len(p.aceh))
	}
}

func (p *policy) compileScalars(v *validator, cfg *Config) {
	if cfg.AllowCredentials {
		p.acac = "true"
	}
	switch d := cfg.MaxAge; {
	case d == 0:
	case d == NoPreflightCache:
		p.acma = "0"
	case d < 0:
		v.add("MaxAge", -1, d.String(), corserr.Invalid, "negative: use NoPreflightCache to forbid caching, or zero to omit the header")
	case d%time.Second != 0:
		v.add("MaxAge", -1, d.String(), corserr.Invalid, "Access-Control-Max-Age is in whole seconds")
	case d > FirefoxMaxAgeCap:
		v.add("MaxAge", -1, d.String(), corserr.Invalid, "above 24h, which no browser honours (Firefox caps at 24h, Chromium at 2h)")
	default:
		if d > ChromiumMaxAgeCap {
			v.warn("MaxAge", -1, d.String(), "Chromium caps the preflight cache at 2h (7200 s); only Firefox honours more")
		}
		p.acma = strconv.FormatInt(int64(d/time.Second), 10)
	}
	p.pna = cfg.AllowPrivateNetwork
	switch s := cfg.PreflightStatus; {
	case s == 0:
		p.status = http.StatusNoContent
	case s < 200 || s > 299:
		v.add("PreflightStatus", -1, strconv.Itoa(s), corserr.Invalid, "browsers accept a preflight only with an ok status (200 to 299)")
	default:
		p.status = s
	}
}

// cloneConfig returns a deep copy of c, its lists carved out of one array.
func cloneConfig(c *Config) Config {
	all := make([]string, 0, len(c.AllowOrigins)+len(c.AllowMethods)+len(c.AllowHeaders)+len(c.ExposeHeaders))
	clone := func(list []string) []string {
		if list == nil {
			return nil
		}
		start := len(all)
		all = append(all, list...)
		return all[start:len(all):len(all)]
	}
	return Config{
		AllowOrigins:        clone(c.AllowOrigins),
		AllowCredentials:    c.AllowCredentials,
		AllowMethods:        clone(c.AllowMethods),
		AllowHeaders:        clone(c.AllowHeaders),
		ExposeHeaders:       clone(c.ExposeHeaders),
		MaxAge:              c.MaxAge,
		AllowPrivateNetwork: c.AllowPrivateNetwork,
		PreflightStatus:     c.PreflightStatus,

		DangerouslyAllowPublicSuffixPatterns:           c.DangerouslyAllowPublicSuffixPatterns,
		DangerouslyAllowInsecureOriginsWithCredentials: c.DangerouslyAllowInsecureOriginsWithCredentials,

		ProtectWrites:          c.ProtectWrites,
		WebSocketAllowNoOrigin: c.WebSocketAllowNoOrigin,
	}
}
