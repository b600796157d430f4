// Package cookies says what Chromium does with the cookies of a
// cross-origin request: whether each Set-Cookie of its responses is
// stored, why not (Chromium's SetCookieBlockedReason, with the text
// DevTools shows for it), and whether the cookie will go with the page's
// later credentialed requests. It follows RFC 6265bis
// (draft-ietf-httpbis-rfc6265bis) where Chromium 156 does: SameSite
// defaults to Lax, SameSite=None requires Secure, the __Secure- and
// __Host- prefixes, Partitioned (CHIPS).
package cookies

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Reason is a Chromium SetCookieBlockedReason (the DevTools protocol's
// Network.SetCookieBlockedReason).
type Reason string

// The reasons modelled.
const (
	SecureOnly                               Reason = "SecureOnly"
	SameSiteStrict                           Reason = "SameSiteStrict"
	SameSiteLax                              Reason = "SameSiteLax"
	SameSiteUnspecifiedTreatedAsLax          Reason = "SameSiteUnspecifiedTreatedAsLax"
	SameSiteNoneInsecure                     Reason = "SameSiteNoneInsecure"
	SchemefulSameSiteStrict                  Reason = "SchemefulSameSiteStrict"
	SchemefulSameSiteLax                     Reason = "SchemefulSameSiteLax"
	SchemefulSameSiteUnspecifiedTreatedAsLax Reason = "SchemefulSameSiteUnspecifiedTreatedAsLax"
	InvalidDomain                            Reason = "InvalidDomain"
	InvalidPrefix                            Reason = "InvalidPrefix"
	NameValuePairExceedsMaxSize              Reason = "NameValuePairExceedsMaxSize"
	SyntaxError                              Reason = "SyntaxError"
	UserPreferences                          Reason = "UserPreferences"
)

const (
	schemefulSuffix = " This response is considered cross-site because the URL has a different scheme than the current site."
	strictLax       = `This attempt to set a cookie via a Set-Cookie header was blocked because it had the "%s" attribute but came from a cross-site response which was not the response to a top-level navigation.`
)

// texts are the tooltips DevTools' Network panel shows for each reason
// (front_end/core/sdk/NetworkRequest.ts, its code spans unquoted).
var texts = map[Reason]string{
	SecureOnly:                      `This attempt to set a cookie via a Set-Cookie header was blocked because it had the "Secure" attribute but was not received over a secure connection.`,
	SameSiteStrict:                  strings.Replace(strictLax, "%s", "SameSite=Strict", 1),
	SameSiteLax:                     strings.Replace(strictLax, "%s", "SameSite=Lax", 1),
	SameSiteUnspecifiedTreatedAsLax: `This Set-Cookie header didn't specify a "SameSite" attribute and was defaulted to "SameSite=Lax," and was blocked because it came from a cross-site response which was not the response to a top-level navigation. The Set-Cookie had to have been set with "SameSite=None" to enable cross-site usage.`,
	SameSiteNoneInsecure:            `This attempt to set a cookie via a Set-Cookie header was blocked because it had the "SameSite=None" attribute but did not have the "Secure" attribute, which is required in order to use "SameSite=None".`,
	SchemefulSameSiteStrict:         strings.Replace(strictLax, "%s", "SameSite=Strict", 1) + schemefulSuffix,
	SchemefulSameSiteLax:            strings.Replace(strictLax, "%s", "SameSite=Lax", 1) + schemefulSuffix,
	SchemefulSameSiteUnspecifiedTreatedAsLax: `This Set-Cookie header didn't specify a "SameSite" attribute, was defaulted to "SameSite=Lax", and was blocked because it came from a cross-site response which was not the response to a top-level navigation.` +
		schemefulSuffix,
	InvalidDomain:               `This attempt to set a cookie via a Set-Cookie header was blocked because its Domain attribute was invalid with regards to the current host url.`,
	InvalidPrefix:               `This attempt to set a cookie via a Set-Cookie header was blocked because it used the "__Secure-" or "__Host-" prefix in its name and broke the additional rules applied to cookies with these prefixes as defined in https://tools.ietf.org/html/draft-west-cookie-prefixes-05.`,
	NameValuePairExceedsMaxSize: `This attempt to set a cookie via a Set-Cookie header was blocked because the cookie was too large. The combined size of the name and value must be less than or equal to 4096 characters.`,
	SyntaxError:                 `This Set-Cookie header had invalid syntax.`,
	UserPreferences:             `This attempt to set a cookie via a Set-Cookie header was blocked due to user preferences.`,
}

// Text returns the text DevTools shows for r.
func (r Reason) Text() string { return texts[r] }

// Verdict is what Chromium does with one Set-Cookie line.
type Verdict struct {
	// Name is the cookie's name, SetCookie the header line, URL the
	// response's.
	Name      string `json:"name"`
	SetCookie string `json:"set_cookie"`
	URL       string `json:"url"`
	// Stored reports whether the browser keeps the cookie.
	Stored bool `json:"stored"`
	// Reasons are why not, as Chromium names them; Issues their DevTools
	// texts, in the same order.
	Reasons []Reason `json:"blocked_reasons,omitempty"`
	Issues  []string `json:"devtools_issues,omitempty"`
	// ThirdParty reports a cookie stored from a cross-site response: a
	// third-party cookie, which browsers that block them do not keep.
	ThirdParty bool `json:"third_party"`
	// Partition is the top-level site a Partitioned cookie is kept for.
	Partition string `json:"partition,omitempty"`
	// Warnings and Fix say what else to know and what to change.
	Warnings []string `json:"warnings,omitempty"`
	Fix      string   `json:"fix,omitempty"`
}

// Context is where a request is made from.
type Context struct {
	// Origin is the page's origin (the top-level site too, for a page in
	// no frame).
	Origin string
	// Include reports the credentials mode include: without it, a
	// cross-origin response's Set-Cookie is ignored altogether
	// (https://fetch.spec.whatwg.org/#http-network-or-cache-fetch, step 17:
	// cookies are stored only when credentials are included).
	Include bool
	// AllowThirdParty reports that the browser keeps third-party
	// cookies. Chromium 156 as the e2e suite runs it blocks them: every
	// unpartitioned cookie from a cross-site response is refused with
	// UserPreferences alone, whatever else is wrong with it.
	AllowThirdParty bool
}

// CheckSetCookie says what Chromium does with the Set-Cookie line of a
// response from rawURL, fetched from ctx.
func CheckSetCookie(ctx Context, rawURL, line string) Verdict {
	v := Verdict{SetCookie: line, URL: rawURL}
	u, err := url.Parse(rawURL)
	if err != nil {
		return v
	}
	c, err := http.ParseSetCookie(line)
	if err != nil {
		v.Name, _, _ = strings.Cut(line, "=")
		v.block(SyntaxError)
		v.Fix = "Write the header as name=value followed by attributes: Set-Cookie: name=value; Path=/; Secure; HttpOnly; SameSite=None."
		return v
	}
	v.Name = c.Name
	if !ctx.Include {
		v.Warnings = append(v.Warnings, "ignored: the request's credentials mode is not include, so the browser neither stores nor sends cookies for it")
		v.Fix = "Make the request with credentials: 'include' (XMLHttpRequest: withCredentials = true), and answer it with Access-Control-Allow-Credentials: true and the exact origin."
		return v
	}
	secureScheme := u.Scheme == "https" || isLocalhost(u.Hostname())
	attrs := attributes(line)
	sameSite := attrs["samesite"]
	_, hasDomain := attrs["domain"]
	_, partitioned := attrs["partitioned"]
	// https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis#section-5.7,
	// steps 20-21: the prefixes (Chromium compares them case-insensitively).
	lower := strings.ToLower(c.Name)
	switch {
	case strings.HasPrefix(lower, "__secure-") && (!c.Secure || !secureScheme),
		strings.HasPrefix(lower, "__host-") && (!c.Secure || !secureScheme || hasDomain || c.Path != "/"):
		v.block(InvalidPrefix)
		v.Fix = "A __Secure- cookie needs Secure and an https response; a __Host- cookie also needs Path=/ and no Domain: Set-Cookie: " + c.Name + "=...; Secure; Path=/" + sameSiteFix(ctx, u) + "."
		return v
	}
	// Failures when the cookie is made come alone (observed in Chromium
	// 156: a bad Domain is reported as InvalidDomain only).
	if len(c.Name)+len(c.Value) > 4096 {
		v.block(NameValuePairExceedsMaxSize)
		v.Fix = "Keep the cookie's name and value under 4096 bytes together: store an identifier, not the data."
		return v
	}
	if hasDomain && !domainMatch(u.Hostname(), strings.TrimPrefix(strings.ToLower(attrs["domain"]), ".")) {
		v.block(InvalidDomain)
		v.Fix = "Leave Domain out (the cookie is then the host's), or set it to " + registrable(u.Hostname()) + " or a parent of " + u.Hostname() + " that is not a public suffix."
		return v
	}
	cross, schemeOnly := crossSite(ctx.Origin, u)
	if cross && !ctx.AllowThirdParty && !partitioned {
		v.block(UserPreferences)
		v.Fix = "A third-party cookie, and third-party cookies are blocked: add Partitioned (CHIPS) if the page's site is the only one that needs it (Set-Cookie: " +
			c.Name + "=...; Secure; SameSite=None; Partitioned), or serve the API from the page's site (a same-site subdomain) so that its cookies are first-party."
		return v
	}
	if c.Secure && !secureScheme {
		v.block(SecureOnly)
	}
	switch {
	case strings.EqualFold(sameSite, "none"):
		if !c.Secure {
			v.block(SameSiteNoneInsecure)
		}
	case !cross:
	case strings.EqualFold(sameSite, "strict"):
		v.block(pick(schemeOnly, SchemefulSameSiteStrict, SameSiteStrict))
	case strings.EqualFold(sameSite, "lax"):
		v.block(pick(schemeOnly, SchemefulSameSiteLax, SameSiteLax))
	default:
		v.block(pick(schemeOnly, SchemefulSameSiteUnspecifiedTreatedAsLax, SameSiteUnspecifiedTreatedAsLax))
	}
	if partitioned && !c.Secure {
		v.Warnings = append(v.Warnings, "Partitioned without Secure: browsers that implement CHIPS require Secure with Partitioned")
	}
	if len(v.Reasons) > 0 {
		v.Fix = "Send it as Set-Cookie: " + c.Name + "=...; Path=/; Secure; HttpOnly" + sameSiteFix(ctx, u) + " from an https URL"
		if cross {
			v.Fix += ": a cookie set by a cross-site response must be SameSite=None; Secure"
		}
		v.Fix += "."
		return v
	}
	v.Stored = true
	if cross {
		v.ThirdParty = true
		if partitioned {
			v.Partition = siteOf(ctx.Origin)
			v.Warnings = append(v.Warnings, "a partitioned (CHIPS) cookie: kept for pages on "+v.Partition+" only, and sent only with their requests")
		} else {
			v.Warnings = append(v.Warnings, "a third-party cookie: browsers that block third-party cookies do not keep it (Chromium with \"Block third-party cookies\" and in Incognito, Safari always; Firefox keeps it partitioned). "+
				"If the page's site is the only one that needs it, add Partitioned (CHIPS): Set-Cookie: "+c.Name+"=...; Secure; SameSite=None; Partitioned; or serve the API from the page's site")
		}
	}
	return v
}

func (v *Verdict) block(r Reason) {
	v.Reasons = append(v.Reasons, r)
	v.Issues = append(v.Issues, r.Text())
}

func pick(schemeful bool, a, b Reason) Reason {
	if schemeful {
		return a
	}
	return b
}

func sameSiteFix(ctx Context, u *url.URL) string {
	if cross, _ := crossSite(ctx.Origin, u); cross {
		return "; SameSite=None"
	}
	return "; SameSite=Lax"
}

// attributes returns the attributes of a Set-Cookie line, names lower-cased
// (RFC 6265bis §5.6): the last of a name wins.
func attributes(line string) map[string]string {
	out := map[string]string{}
	parts := strings.Split(line, ";")
	for _, p := range parts[1:] {
		name, value, _ := strings.Cut(p, "=")
		out[strings.ToLower(strings.TrimSpace(name))] = strings.TrimSpace(value)
	}
	return out
}

// isLocalhost reports whether host is one Chromium treats as secure for
// cookies over http: localhost and loopback addresses.
func isLocalhost(host string) bool {
	host = strings.ToLower(host)
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func domainMatch(host, domain string) bool {
	host = strings.ToLower(host)
	return host == domain || strings.HasSuffix(host, "."+domain) && net.ParseIP(host) == nil
}

// siteOf returns the schemeful site of an origin: its scheme and
// registrable domain (https://html.spec.whatwg.org/multipage/browsers.html#obtain-a-site).
func siteOf(origin string) string {
	u, err := url.Parse(origin)
	if err != nil {
		return origin
	}
	return u.Scheme + "://" + registrable(u.Hostname())
}

func registrable(host string) string {
	host = strings.ToLower(host)
	if net.ParseIP(host) != nil {
		return host
	}
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return d
	}
	return host
}

// crossSite reports whether u is cross-site to the page's origin, and
// whether only the scheme makes it so (Chromium's schemeful same-site).
func crossSite(origin string, u *url.URL) (cross, schemeOnly bool) {
	o, err := url.Parse(origin)
	if err != nil || origin == "null" {
		return true, false
	}
	sameHost := registrable(o.Hostname()) == registrable(u.Hostname())
	sameScheme := strings.EqualFold(o.Scheme, u.Scheme)
	return !sameHost || !sameScheme, sameHost && !sameScheme
}
