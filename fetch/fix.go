package fetch

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// fixFor says, in plain words, what to change so that f no longer happens:
// which header, which value, on which response, and the crossgate policy
// key that produces it.
func fixFor(p *Plan, f *Failure, resp Response, preflight bool) string {
	o := p.RequestOrigin()
	where := fmt.Sprintf("the response to %s %s", p.Method, f.URL)
	switch {
	case preflight:
		where = fmt.Sprintf("the preflight response (OPTIONS %s)", f.URL)
	case resp.isRedirect():
		where = fmt.Sprintf("the %d redirect from %s", resp.Status, f.URL)
	}
	credentialsOff := "make the request without credentials (credentials: 'same-origin' or 'omit')"
	if p.Initiator == XHR {
		credentialsOff = "make the request without credentials (withCredentials = false)"
	}
	acao, _ := getHeader(resp.Header, "Access-Control-Allow-Origin")
	if p.Tainted {
		switch f.ID.basic() {
		case MissingAllowOriginHeader, AllowOriginMismatch, InvalidAllowOriginValue, MultipleAllowOriginValues:
			return fmt.Sprintf("The request was redirected from one origin to another (%s), so the browser sent Origin: null to %s. "+
				"That response must send Access-Control-Allow-Origin: * (possible only without credentials) or null (never advisable). "+
				"Better: have the page request the final URL directly, so that no cross-origin redirect happens.",
				strings.Join(p.URLList, " -> "), f.URL)
		}
	}
	switch f.ID.basic() {
	case MissingAllowOriginHeader:
		alt := " (or * for a public resource fetched without credentials)"
		if p.Include() {
			alt = " and Access-Control-Allow-Credentials: true"
		}
		s := fmt.Sprintf("Send Access-Control-Allow-Origin: %s%s on %s (crossgate policy: add %s to allow_origins).", o, alt, where, o)
		if !preflight && resp.Status >= 300 {
			s += fmt.Sprintf(" This response has status %d: error and redirect responses need the header too, so add it in the layer that produced them (an auth check, a proxy, an error handler).", resp.Status)
		}
		if preflight {
			s += " If OPTIONS never reaches the CORS layer (an auth check or router answers it first), move the CORS middleware in front."
		}
		return s
	case WildcardOriginNotAllowed:
		return fmt.Sprintf("With credentials the browser refuses Access-Control-Allow-Origin: *. On %s send the exact origin instead: "+
			"Access-Control-Allow-Origin: %s, Access-Control-Allow-Credentials: true and Vary: Origin "+
			"(crossgate policy: list %s in allow_origins instead of \"*\", with allow_credentials: true). Or %s.",
			where, o, o, credentialsOff)
	case MultipleAllowOriginValues:
		return fmt.Sprintf("%s carries Access-Control-Allow-Origin: %s, but only one value is allowed. Usually two layers (the application and a proxy or gateway) both add the header, or a list was configured: "+
			"keep one layer, and send Access-Control-Allow-Origin: %s only. To allow several origins, echo the request's Origin when it is on your list, with Vary: Origin (crossgate policy: allow_origins does this).",
			upperFirst(where), acao, o)
	case InvalidAllowOriginValue:
		return fmt.Sprintf("%s carries Access-Control-Allow-Origin: %s, which is not an origin. Send the origin exactly as the browser sends it in the Origin header: Access-Control-Allow-Origin: %s (scheme://host[:port], nothing more); crossgate policy: add %s to allow_origins.",
			upperFirst(where), acao, o, o)
	case AllowOriginMismatch:
		if acao == "null" {
			return fmt.Sprintf("%s allows the origin null, not %s. Never allow null (sandboxed pages and file: URLs send it); send Access-Control-Allow-Origin: %s (crossgate policy: add %s to allow_origins).",
				upperFirst(where), o, o, o)
		}
		return fmt.Sprintf("%s allows %s, but the page's origin is %s. Origins are compared byte for byte (scheme, host and port; no trailing slash, no path, no default port): "+
			"send Access-Control-Allow-Origin: %s, echoing the Origin request header when it is on your list, with Vary: Origin (crossgate policy: add %s to allow_origins).",
			upperFirst(where), acao, o, o, o)
	case InvalidAllowCredentials:
		got := "no such header"
		if v, ok := getHeader(resp.Header, "Access-Control-Allow-Credentials"); ok {
			got = fmt.Sprintf("%q", v)
		}
		return fmt.Sprintf("The request carries credentials, so %s must also send Access-Control-Allow-Credentials: true (exactly, in lower case); it has %s. "+
			"Crossgate policy: set allow_credentials: true. Or %s.", where, got, credentialsOff)
	case PreflightInvalidStatus:
		return fmt.Sprintf("The preflight (OPTIONS %s) got status %d; it needs a 2xx status (204 or 200). Something before the CORS layer answered it: an auth check (401, 403), the router (404, 405) or an error handler (5xx). "+
			"Let OPTIONS requests reach the CORS middleware first and answer them there (crossgate: wrap the whole router, in front of authentication).", f.URL, resp.Status)
	case PreflightDisallowedRedirect:
		return fmt.Sprintf("The preflight (OPTIONS %s) was answered with a %d redirect to %s, and browsers never follow a preflight redirect. "+
			"Have the page request the final URL directly (often a missing trailing slash or an http -> https redirect), or answer OPTIONS at %s without redirecting.",
			f.URL, resp.Status, resp.Header.Get("Location"), f.URL)
	case InvalidAllowMethodsPreflightResponse:
		return fmt.Sprintf("The preflight response's Access-Control-Allow-Methods: %s cannot be parsed (%q is not a method token). Send a comma-separated list of methods, e.g. Access-Control-Allow-Methods: %s (crossgate policy: allow_methods).",
			f.Parameter, f.FirefoxParam, p.Method)
	case InvalidAllowHeadersPreflightResponse:
		return fmt.Sprintf("The preflight response's Access-Control-Allow-Headers: %s cannot be parsed (%q is not a header name). Send a comma-separated list of header names, e.g. Access-Control-Allow-Headers: %s (crossgate policy: allow_headers).",
			f.Parameter, f.FirefoxParam, strings.Join(p.UnsafeHeaders, ", "))
	case MethodDisallowedByPreflightResponse:
		return methodFix(p, resp)
	case HeaderDisallowedByPreflightResponse:
		return headerFix(p, f.Parameter, resp)
	case RedirectContainsCredentials:
		return fmt.Sprintf("%s points to a Location with a username and password (%s), which browsers refuse for CORS requests. Redirect to the URL without user:password@, and pass credentials another way (an Authorization header or a cookie).",
			upperFirst(where), resp.Header.Get("Location"))
	case CorsDisabledScheme:
		return fmt.Sprintf("The page was loaded from a file: URL, so its origin is null, and browsers run no CORS for file: URLs: %s cannot be fetched from it, whatever the file. "+
			"Serve the page and its files over http from one origin (for example python3 -m http.server in their folder, then open http://localhost:8000/).", f.URL)
	case LocalNetworkAccessPermissionDenied:
		return fmt.Sprintf("Not a CORS header problem: nothing was sent. Chromium's Local Network Access lets a page in the %s address space reach the more private %s address space only with the user's permission, "+
			"which was denied (headless Chromium denies it without asking; the permission can be asked only from a secure https page). "+
			"Serve the page from the same address space as %s (both on localhost during development), or serve the API on a public address.", p.AddressSpace, f.Parameter, f.URL)
	case DisallowedByMode:
		return fmt.Sprintf("The request uses mode 'same-origin', but %s is on another origin than %s. Use mode 'cors' (fetch()'s default) and let the server allow %s, or request a URL on the page's own origin.",
			f.URL, p.Origin, p.Origin)
	}
	return ""
}

// basic returns the id of the access-check error behind a Preflight* one.
func (id ErrorID) basic() ErrorID {
	switch id {
	case PreflightInvalidStatus, PreflightDisallowedRedirect:
		return id
	}
	if b, ok := strings.CutPrefix(string(id), "Preflight"); ok {
		return ErrorID(b)
	}
	return id
}

func methodFix(p *Plan, resp Response) string {
	m := p.Method
	s := fmt.Sprintf("The preflight response does not allow the method %s. Send Access-Control-Allow-Methods: %s (next to any methods already listed) on the preflight response (OPTIONS %s); crossgate policy: list %s in allow_methods.",
		m, m, serializeURL(p.URL), m)
	methods, _, _, _ := extractList(resp.Header, "Access-Control-Allow-Methods")
	if i := slices.IndexFunc(methods, func(t string) bool { return strings.EqualFold(t, m) }); i >= 0 {
		s += fmt.Sprintf(" Method names are case-sensitive, and browsers upper-case only DELETE, GET, HEAD, OPTIONS, POST and PUT: the page sends %s but the server allows %s. Write the method as %s in the page, or allow %s exactly.",
			m, methods[i], methods[i], m)
	}
	if slices.Contains(methods, "*") && p.Include() {
		s += fmt.Sprintf(" With credentials, * means a method literally named *: list %s explicitly.", m)
	}
	return s
}

func headerFix(p *Plan, name string, resp Response) string {
	canon := http.CanonicalHeaderKey(name)
	s := fmt.Sprintf("The preflight response does not allow the request header %s. Send Access-Control-Allow-Headers: %s (next to any headers already listed) on the preflight response (OPTIONS %s); crossgate policy: list %s in allow_headers.",
		name, name, serializeURL(p.URL), canon)
	headers, _, _, _ := extractList(resp.Header, "Access-Control-Allow-Headers")
	if slices.Contains(headers, "*") {
		if p.Include() {
			s += fmt.Sprintf(" With credentials, * means a header literally named *: list %s explicitly.", name)
		} else if name == "authorization" {
			s += " The wildcard * never covers Authorization: list it explicitly."
		}
	}
	switch name {
	case "accept", "accept-language", "content-language", "content-type", "range":
		v := p.Header.Get(name)
		switch {
		case !p.Engine.IsSafelistedRequestHeader(name, v) && name == "content-type":
			s += fmt.Sprintf(" Content-Type needs a preflight here only because its value %q is not one of application/x-www-form-urlencoded, multipart/form-data or text/plain: allow the header, or send one of those.", v)
		case !p.Engine.IsSafelistedRequestHeader(name, v):
			s += fmt.Sprintf(" %s needs a preflight here only because its value %q is not CORS-safelisted (over 128 bytes, or a byte the safelist refuses): allow the header, or send a shorter, plainer value.", canon, v)
		default:
			s += fmt.Sprintf(" %s needs a preflight here only because the safelisted headers' values add up to more than 1024 bytes: allow the header, or send shorter values.", canon)
		}
	}
	return s
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
