package fetch

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Response is the part of a response the CORS checks read.
type Response struct {
	Status int
	Header http.Header
}

// isRedirect reports whether r is a redirect a browser follows: a
// redirect status with a Location header (https://fetch.spec.whatwg.org/#http-fetch, step 8).
func (r Response) isRedirect() bool {
	switch r.Status {
	case 301, 302, 303, 307, 308:
		return r.Header.Get("Location") != ""
	}
	return false
}

// Warning is something a browser reports without blocking the request.
type Warning struct {
	// Browser is "chromium" or "firefox", or "" for both.
	Browser string `json:"browser,omitempty"`
	// ID is the DevTools issue type or the Firefox key, when there is one.
	ID      string `json:"id,omitempty"`
	Message string `json:"message"`
}

// AuthorizationCoveredByWildcard is the DevTools DeprecationIssue Chromium
// raises when Access-Control-Allow-Headers: * lets Authorization through.
const AuthorizationCoveredByWildcard = "AuthorizationCoveredByWildcard"

const textAuthorizationWildcard = "Authorization will not be covered by the wildcard symbol (*) in CORS `Access-Control-Allow-Headers` handling."

// CheckResponse runs the CORS check on the response to p's actual request
// (https://fetch.spec.whatwg.org/#concept-cors-check), as
// Chromium's CheckAccess does (services/network/public/cpp/cors/cors.cc),
// and returns nil when it passes. Redirect responses are checked too: a
// browser checks every hop before following it. Only p's Tainting Cors
// is checked; for Basic and Opaque, CheckResponse returns nil.
func (e Engine) CheckResponse(p *Plan, resp Response) *Failure {
	if p.Tainting != Cors {
		return nil
	}
	return p.accessCheck(resp, false)
}

// accessCheck implements the CORS check, choosing Chromium's error id.
func (p *Plan) accessCheck(resp Response, preflight bool) *Failure {
	fail := func(id ErrorID, param, firefox, ffParam string) *Failure {
		if preflight {
			id = id.preflightTwin()
		}
		f := p.failure(id, param)
		f.Firefox, f.FirefoxParam = firefox, ffParam
		f.Fix = fixFor(p, f, resp, preflight)
		return f
	}
	// Step 1: "get" joins repeated lines with ", ".
	acao, ok := getHeader(resp.Header, "Access-Control-Allow-Origin")
	if !ok {
		return fail(MissingAllowOriginHeader, "", "CORSMissingAllowOrigin2", strconv.Itoa(resp.Status))
	}
	lines := len(resp.Header.Values("Access-Control-Allow-Origin"))
	origin := p.RequestOrigin()
	switch {
	case acao == "*":
		// Step 2.
		if p.Include() {
			return fail(WildcardOriginNotAllowed, "*", "CORSNotSupportingCredentials", "")
		}
		return nil
	case acao != origin:
		// Step 3. Chromium picks the id from the value; Firefox counts
		// header lines and otherwise reports a mismatch (reference §3).
		ff := "CORSAllowOriginNotMatchingOrigin"
		if lines > 1 {
			ff = "CORSMultipleAllowOriginNotAllowed"
		}
		switch {
		case strings.ContainsAny(acao, " ,"):
			return fail(MultipleAllowOriginValues, acao, ff, acao)
		case acao == "null":
			return fail(AllowOriginMismatch, acao, ff, acao)
		case !isValidGURL(acao):
			return fail(InvalidAllowOriginValue, acao, ff, acao)
		}
		return fail(AllowOriginMismatch, acao, ff, acao)
	}
	// Steps 4-5: with credentials, Access-Control-Allow-Credentials must be
	// "true" byte for byte.
	if p.Include() {
		if acac, _ := getHeader(resp.Header, "Access-Control-Allow-Credentials"); acac != "true" {
			return fail(InvalidAllowCredentials, acac, "CORSMissingAllowCredentials", "")
		}
	}
	return nil
}

// isValidGURL approximates Chromium's GURL(value).is_valid(), which decides
// between InvalidAllowOriginValue and AllowOriginMismatch: a value needs a
// scheme, and for http, https, ws, wss and ftp a host made of valid bytes
// and a port that fits 16 bits. Values that are not UTF-8 are invalid
// (observed: a raw 0xE9 in the host, reference §6 row 10).
func isValidGURL(v string) bool {
	if !utf8.ValidString(v) {
		return false
	}
	colon := strings.IndexByte(v, ':')
	if colon <= 0 {
		return false
	}
	scheme := strings.ToLower(v[:colon])
	for i := 0; i < len(scheme); i++ {
		c := scheme[i]
		if !('a' <= c && c <= 'z' || i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	switch scheme {
	case "http", "https", "ws", "wss", "ftp":
	default:
		return true
	}
	rest := strings.TrimLeft(v[colon+1:], `/\`)
	if i := strings.IndexAny(rest, `/\?#`); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	host, port := rest, ""
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return false
		}
		host, port = rest[:end+1], strings.TrimPrefix(rest[end+1:], ":")
	} else if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		host, port = rest[:i], rest[i+1:]
	}
	if host == "" || !strings.HasPrefix(host, "[") && strings.Contains(host, ":") {
		// A second colon: "http://h:1:80" has no valid port (observed:
		// InvalidAllowOriginValue in Chromium 156).
		return false
	}
	if endsInNumber(host) && !isIPv4(host) {
		// A host whose last label is a number is parsed as IPv4, and
		// fails if it is not one: "http://www.127.0.0.1" is invalid
		// (https://url.spec.whatwg.org/#concept-host-parser, step 8;
		// observed in Chromium 156).
		return false
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 0 || n > 65535 {
			return false
		}
	}
	if _, err := url.Parse("http://" + host); err != nil {
		return false
	}
	for _, c := range []byte(host) {
		if c <= 0x20 || c == 0x7F || strings.IndexByte(`"#<>\^|`, c) >= 0 {
			return false
		}
	}
	return true
}

// endsInNumber reports whether host's last label, after one trailing dot,
// is a number: all ASCII digits, or 0x and hex digits
// (https://url.spec.whatwg.org/#ends-in-a-number-checker).
func endsInNumber(host string) bool {
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	last := labels[len(labels)-1]
	if last != "" && strings.Trim(last, "0123456789") == "" {
		return true
	}
	_, ok := ipv4Number(last)
	return ok
}

// isIPv4 reports whether host parses as an IPv4 address with the URL
// standard's IPv4 parser (https://url.spec.whatwg.org/#concept-ipv4-parser):
// at most four parts, each decimal, 0x-hex or 0-octal, the last one
// filling the bytes left.
func isIPv4(host string) bool {
	parts := strings.Split(host, ".")
	if len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	if len(parts) == 0 || len(parts) > 4 {
		return false
	}
	for i, part := range parts {
		n, ok := ipv4Number(part)
		if !ok {
			return false
		}
		if i < len(parts)-1 && n > 255 || i == len(parts)-1 && n >= 1<<(8*(5-len(parts))) {
			return false
		}
	}
	return true
}

// ipv4Number parses one part of an IPv4 address.
func ipv4Number(s string) (uint64, bool) {
	base := 10
	switch {
	case s == "":
		return 0, false
	case len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X"):
		s, base = s[2:], 16
		if s == "" {
			return 0, true
		}
	case len(s) >= 2 && s[0] == '0':
		s, base = s[1:], 8
	}
	n, err := strconv.ParseUint(s, base, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

// CheckPreflight checks the response to p's preflight in Chromium's order
// (services/network/cors/preflight_controller.cc and preflight_result.cc,
// reference §1.5) and returns nil and any warnings when it passes:
//
//  1. a redirect fails (PreflightDisallowedRedirect);
//  2. the CORS check: Access-Control-Allow-Origin, then
//     Access-Control-Allow-Credentials (Preflight* errors);
//  3. the status must be 2xx (PreflightInvalidStatus). The standard checks
//     the status with the CORS check in one step
//     (https://fetch.spec.whatwg.org/#cors-preflight-fetch, step 7);
//     Chromium checks it after, so a 500 without
//     Access-Control-Allow-Origin reports the missing header;
//  4. Access-Control-Allow-Methods, then Access-Control-Allow-Headers must
//     parse (step 7.1-7.2);
//  5. the method must be allowed (step 7.5);
//  6. each CORS-unsafe header must be allowed (steps 7.6-7.7).
//
// Under [Chromium], Access-Control-Allow-Headers: * without credentials
// covers Authorization, with a warning; under [Spec] it does not.
//
// When several headers are refused, the failure names the first in sorted
// order. Chromium 156 names the first in the order of Blink's header hash
// map (observed in the e2e suite: "x-zeta" of content-type, x-alpha and
// x-zeta), which no table predicts; the error id is the same.
func (e Engine) CheckPreflight(p *Plan, resp Response) (*Failure, []Warning) {
	simple := func(id ErrorID, param, firefox, ffParam string) *Failure {
		f := p.failure(id, param)
		f.Firefox, f.FirefoxParam = firefox, ffParam
		f.Fix = fixFor(p, f, resp, true)
		return f
	}
	if resp.isRedirect() {
		return simple(PreflightDisallowedRedirect, "", "CORSExternalRedirectNotAllowed", ""), nil
	}
	if f := p.accessCheck(resp, true); f != nil {
		return f, nil
	}
	if resp.Status < 200 || resp.Status > 299 {
		return simple(PreflightInvalidStatus, "", "CORSPreflightDidNotSucceed3", strconv.Itoa(resp.Status)), nil
	}
	methods, methodsPresent, bad, ok := extractList(resp.Header, "Access-Control-Allow-Methods")
	if !ok {
		v, _ := getHeader(resp.Header, "Access-Control-Allow-Methods")
		return simple(InvalidAllowMethodsPreflightResponse, v, "CORSInvalidAllowMethod", bad), nil
	}
	headers, _, bad, ok := extractList(resp.Header, "Access-Control-Allow-Headers")
	if !ok {
		v, _ := getHeader(resp.Header, "Access-Control-Allow-Headers")
		return simple(InvalidAllowHeadersPreflightResponse, v, "CORSInvalidAllowHeader", bad), nil
	}
	// Step 7.4.
	if !methodsPresent && p.UseCORSPreflight {
		methods = []string{p.Method}
	}
	// Step 7.5: byte-exact, "*" only without credentials.
	if !slices.Contains(methods, p.Method) && !IsCORSSafelistedMethod(p.Method) &&
		!(slices.Contains(methods, "*") && !p.Include()) {
		return simple(MethodDisallowedByPreflightResponse, p.Method, "CORSMethodNotFound", ""), nil
	}
	wildcard := slices.Contains(headers, "*") && !p.Include()
	var warnings []Warning
	for _, name := range p.UnsafeHeaders {
		if containsFold(headers, name) {
			continue
		}
		if wildcard && name != "authorization" {
			continue
		}
		if wildcard && e == Chromium {
			// Step 7.6 makes this a network error; Chromium 156 lets it
			// through and raises a deprecation issue (reference §0).
			warnings = append(warnings,
				Warning{Browser: "chromium", ID: AuthorizationCoveredByWildcard, Message: textAuthorizationWildcard},
				Warning{Browser: "firefox", ID: "CORSAllowHeaderFromPreflightDeprecation",
					Message: FirefoxMessage("CORSAllowHeaderFromPreflightDeprecation", serializeURL(p.URL), "")},
				Warning{Message: "Only Chromium's deprecated behaviour lets this request through: the Fetch standard never lets * cover Authorization. " +
					"Send Access-Control-Allow-Headers: authorization (next to * if need be) on the preflight response; crossgate policy: list Authorization in allow_headers."})
			continue
		}
		return simple(HeaderDisallowedByPreflightResponse, name, "CORSMissingAllowHeaderFromPreflight2", name), nil
	}
	return nil, warnings
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(t string) bool { return strings.EqualFold(t, s) })
}

// failure starts a Failure about p's current URL.
func (p *Plan) failure(id ErrorID, param string) *Failure {
	return &Failure{
		ID:         id,
		Parameter:  param,
		URL:        serializeURL(p.URL),
		InitialURL: p.InitialURL(),
		Origin:     p.Origin,
		Initiator:  p.Initiator,
	}
}

// ReadableHeaders returns the lower-case names of the headers in h that a
// script can read from a response with tainting t, sorted
// (https://fetch.spec.whatwg.org/#concept-filtered-response-cors and main
// fetch, step 14.3): for Basic, all but Set-Cookie and Set-Cookie2; for
// Opaque, none; for Cors, the CORS-safelisted response headers and those
// Access-Control-Expose-Headers lists, or every header for "*" when the
// credentials mode is not include. An Access-Control-Expose-Headers value
// that does not parse exposes nothing more.
func ReadableHeaders(h http.Header, t Tainting, c Credentials) []string {
	if t == Opaque {
		return nil
	}
	exposed, _, _, ok := extractList(h, "Access-Control-Expose-Headers")
	all := t == Basic || ok && slices.Contains(exposed, "*") && c != Include
	var names []string
	for name := range h {
		if IsForbiddenResponseHeader(name) {
			continue
		}
		if all || IsCORSSafelistedResponseHeader(name) || ok && containsFold(exposed, name) {
			names = append(names, strings.ToLower(name))
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}
