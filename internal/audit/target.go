package audit

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/crossgate/crossgate/fetch"
	"golang.org/x/net/publicsuffix"
)

// Target is one URL to audit, with the names its probes are derived from.
type Target struct {
	// URL is the URL audited, without fragment.
	URL *url.URL
	// Host is the host name in lower case, without port or trailing dot.
	Host string
	// Port is the port as written in the URL, or "".
	Port string
	// Domain is the registrable domain of Host (eTLD+1, from the public
	// suffix list), or Host itself for an IP address, a single-label name
	// or a public suffix.
	Domain string
	// Origin is the target's own serialized origin, port kept.
	Origin string
	// Requests are the requests the real client sends to URL (from an
	// OpenAPI document or a HAR file): the preflights of the probes ask
	// for the methods and headers of those that are preflighted. With
	// none, they ask for a JSON PUT.
	Requests []ClientRequest
	// Origins are the origins the real client sends requests from (from a
	// HAR file): trusted, like the target's own.
	Origins []string
}

// ClientRequest is a request a script sends: its method and its request
// headers (values matter only for the CORS safelist: Content-Type's media
// type; others may be placeholders).
type ClientRequest struct {
	Method string
	Header http.Header
}

// Preflighted reports whether a browser sends a preflight before r (Fetch,
// "CORS-preflight fetch": a method or a header outside the safelists).
func (r ClientRequest) Preflighted() bool {
	// As the browser decides (Fetch, "CORS-unsafe request-header names":
	// the 1,024-byte total of safelisted values included).
	return !fetch.IsCORSSafelistedMethod(r.Method) || len(fetch.Chromium.UnsafeRequestHeaderNames(r.Header)) > 0
}

// maxClientPreflights bounds the real client's requests whose preflights
// are probed from the trusted origin.
const maxClientPreflights = 4

// preflights returns the requests the probes' preflights stand for: the
// real client's preflighted requests (at most maxClientPreflights), or a
// JSON PUT, the commonest preflighted request.
func (t *Target) preflights() []ClientRequest {
	var out []ClientRequest
	for _, r := range t.Requests {
		if len(out) == maxClientPreflights {
			break
		}
		if r.Preflighted() {
			out = append(out, ClientRequest{Method: r.Method, Header: r.Header.Clone()})
		}
	}
	if len(out) == 0 {
		out = append(out, ClientRequest{Method: http.MethodPut, Header: http.Header{"Content-Type": {"application/json"}}})
	}
	return out
}

// trusted returns the origins the target trusts by design: its own, then
// the real client's.
func (t *Target) trusted() []string {
	out := []string{t.Origin}
	for _, o := range t.Origins {
		if !slices.Contains(out, o) && len(out) <= maxClientPreflights {
			out = append(out, o)
		}
	}
	return out
}

// ParseTarget parses an absolute http or https URL.
func ParseTarget(raw string) (*Target, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("audit: invalid URL %q: %w", raw, err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("audit: invalid URL %q: want an http or https URL", raw)
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("audit: invalid URL %q: no host", raw)
	case u.User != nil:
		return nil, fmt.Errorf("audit: invalid URL %q: credentials in URLs are not sent; use --credentials-header", raw)
	}
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" && u.RawPath == "" {
		u.Path = "/"
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	t := &Target{URL: u, Host: host, Port: u.Port(), Domain: registrableDomain(host)}
	t.Origin = u.Scheme + "://" + hostPort(host, t.Port, u.Scheme)
	return t, nil
}

// hostPort joins a host and a port as an origin writes them: IPv6
// addresses bracketed, default ports left out.
func hostPort(host, port, scheme string) string {
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port == "" || scheme == "http" && port == "80" || scheme == "https" && port == "443" {
		return host
	}
	return host + ":" + port
}

func registrableDomain(host string) string {
	if net.ParseIP(host) != nil || !strings.Contains(host, ".") {
		return host
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return host
	}
	return d
}

// isIP reports whether the target's host is an IP address.
func (t *Target) isIP() bool { return net.ParseIP(t.Host) != nil }

// internal reports whether the target is on a loopback, private or
// link-local address, or named localhost: there "*" exposes what only
// the network boundary protects.
func (t *Target) internal() bool {
	if t.Host == "localhost" || strings.HasSuffix(t.Host, ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(t.Host)
	if err != nil {
		return false
	}
	return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast()
}

// hostKey is the key of the per-host rate limit: the host and the port
// the connection goes to.
func (t *Target) hostKey() string {
	port := t.Port
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[t.URL.Scheme]
	}
	return net.JoinHostPort(t.Host, port)
}

// Exposure is who can reach a target, for grading "*" and Private
// Network Access findings: on an internal target they expose what only
// the network boundary protects.
type Exposure uint8

const (
	// ExposureAuto judges from the address: loopback, private and
	// link-local addresses and localhost names are internal.
	ExposureAuto Exposure = iota
	// ExposurePublic: the target is public (a staging copy of a public API
	// on a private address, say): "*" is graded as on the Internet.
	ExposurePublic
	// ExposureInternal: the target is reachable only from inside a network,
	// whatever its name.
	ExposureInternal
)

var exposureNames = [...]string{ExposureAuto: "auto", ExposurePublic: "public", ExposureInternal: "internal"}

func (e Exposure) String() string {
	if int(e) < len(exposureNames) {
		return exposureNames[e]
	}
	return fmt.Sprintf("Exposure(%d)", e)
}

// ParseExposure parses "auto", "public" or "internal".
func ParseExposure(s string) (Exposure, error) {
	for i, n := range exposureNames {
		if s == n {
			return Exposure(i), nil
		}
	}
	return 0, fmt.Errorf("audit: unknown exposure %q: want public, internal or auto", s)
}

func (e Exposure) internal(t *Target) bool {
	switch e {
	case ExposurePublic:
		return false
	case ExposureInternal:
		return true
	}
	return t.internal()
}

// judged returns "public" or "internal": what e makes of t.
func (e Exposure) judged(t *Target) string {
	if e.internal(t) {
		return "internal"
	}
	return "public"
}
