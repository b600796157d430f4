// Package export turns a policy file into the native configuration of other
// servers: nginx, Apache, HAProxy, Caddy and the rest of the [Targets]
// table.
//
// Every decision is made once, in [NewPlan]: which policy answers which
// host and path, the header values, which origins match. A target only
// renders the [Plan] in its syntax; it never reads the policy file and
// never derives a rule of its own. Origin patterns become regexes in one
// place ([OriginRegex]), and what a target cannot say is data ([Caps]),
// from which [Check] lists the [Difference]s that `crossgate export`
// refuses or, with --allow-approximation, comments.
//
// It comes with no API stability promise.
package export

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crossgate/crossgate/cors"
	"github.com/crossgate/crossgate/internal/origin"
	"github.com/crossgate/crossgate/internal/policyfile"
)

// DefaultListen is the address an export listens on when neither the
// file's proxy.listen nor --listen sets one: crossgate proxy's default
// (gateway.DefaultListen, which a test keeps equal).
const DefaultListen = "127.0.0.1:8080"

// Overrides are the command line's settings; they take precedence over the
// file's proxy section, as they do for crossgate proxy. Empty fields
// override nothing.
type Overrides struct {
	Listen   string // host:port
	Upstream string // the default upstream
}

// Plan is what every target renders: the policies of a file with the
// decisions already taken.
type Plan struct {
	File string // the policy file's name, for comments

	// Listen is the address to serve on, host:port, after the overrides.
	Listen string
	// ListenHost and ListenPort are Listen split; ListenHost may be "" (all
	// interfaces) or a bracketed IPv6 address.
	ListenHost, ListenPort string

	// Upstream is where requests no policy matches go: an http(s) URL,
	// "echo" (crossgate proxy's built-in, which no other server has), or ""
	// when none is set (crossgate proxy then answers them 404).
	Upstream string

	// Policies are in the order of the file.
	Policies []*Policy
	// Routes are every (host, path) pair of every policy, most specific
	// first: the first that matches a request is the one File.Route picks.
	Routes []Route

	// Differences are what the target renders approximately, set by the
	// caller (export --allow-approximation) before Render for the targets
	// that can carry them in their own syntax; empty otherwise.
	Differences []Difference
}

// Policy is one policy of the file, as the targets need it.
type Policy struct {
	Name  string
	Index int            // in the file's policies list, for "policies[N]" paths
	Pos   policyfile.Pos // where the policy's entry starts

	// Hosts and Paths are the match lists as written (lower-case hosts, a
	// leading "*." for subdomains; normalised path prefixes). Empty lists
	// match any host or any path.
	Hosts, Paths []string

	// Origins are allow_origins as written. AnyOrigin is "*"; Exact the
	// exact origins (byte-exact, as browsers send them); Patterns the
	// subdomain and any-port patterns.
	Origins   []string
	AnyOrigin bool
	Exact     []string
	Patterns  []origin.Pattern

	Credentials bool

	// Methods and Headers are the allowed lists as written ("*" alone for
	// any); ExposeList the exposed names in lower case.
	Methods, Headers, ExposeList []string
	AnyMethod, AnyHeader         bool
	// RefuseAuthorization is set when AllowHeaders is "*" without
	// Authorization: a preflight asking for Authorization is refused (403),
	// as "*" never covers it (https://fetch.spec.whatwg.org/#cors-non-wildcard-request-header-name).
	RefuseAuthorization bool
	// StrictPreflight is set when a method or header list is "*": then a
	// browser would accept whatever the preflight asks for, so a preflight
	// whose Access-Control-Request-Method is not a token or whose
	// Access-Control-Request-Headers is not a list of names
	// ([MethodSyntaxRegex], [HeadersSyntaxRegex]) must be refused with 403,
	// as the cors middleware refuses it. (With lists, the browser's own
	// check refuses what they do not name.)
	StrictPreflight bool

	// The header values, exactly as the cors middleware sends them; ""
	// means the header is not sent.
	AllowMethods  string // Access-Control-Allow-Methods
	AllowHeaders  string // Access-Control-Allow-Headers
	ExposeHeaders string // Access-Control-Expose-Headers
	// MaxAge is the Access-Control-Max-Age value; HasMaxAge is false when
	// max_age is absent (no header). "0" means do not cache.
	MaxAge    string
	HasMaxAge bool

	// PreflightStatus is the status of an allowed preflight (204 by
	// default).
	PreflightStatus int

	// VaryActual is the Vary value of every response that is not a
	// preflight ("Origin", or "" for a "*" policy, whose answers do not
	// depend on the origin). Preflight answers carry none, as the cors
	// middleware sends none. A target sends no Vary for "".
	VaryActual string

	AllowPrivateNetwork bool

	// ProtectWrites refuses cross-origin writes from origins the policy
	// does not allow (protect_writes); WebSocketAllowNoOrigin lets
	// WebSocket handshakes without Origin through (websocket_allow_no_origin).
	ProtectWrites, WebSocketAllowNoOrigin bool

	// Upstream is where the policy's requests go, after --upstream: the
	// policy's own upstream, else the default one; "" when neither is set.
	Upstream         string
	OwnUpstream      bool // the policy sets its own upstream
	KeepUpstreamCORS bool
}

// Route is one (host, path) pair of a policy.
type Route struct {
	// Host is "" for any host, "*.example.com" for subdomains (any depth,
	// not the apex), or an exact lower-case host name.
	Host string
	// Path is a prefix on a segment boundary; "/" for any path. A prefix
	// that ends in "/" matches below it only; one that does not matches
	// itself and below it.
	Path   string
	Policy *Policy
}

// HostKind is which of the three kinds of host a Route names.
type HostKind int

const (
	ExactHost HostKind = iota
	WildcardHost
	AnyHost
)

// Kind returns the kind of r's host.
func (r Route) Kind() HostKind {
	switch {
	case r.Host == "":
		return AnyHost
	case strings.HasPrefix(r.Host, "*."):
		return WildcardHost
	}
	return ExactHost
}

// Matches reports whether the route applies to the request host (lower
// case, without port or trailing dot) and the normalised path p, as
// File.Route decides.
func (r Route) Matches(host, p string) bool {
	switch r.Kind() {
	case ExactHost:
		if host != r.Host {
			return false
		}
	case WildcardHost:
		suffix := r.Host[1:]
		if len(host) <= len(suffix) || !strings.HasSuffix(host, suffix) {
			return false
		}
	}
	return PathMatches(r.Path, p)
}

// PathMatches reports whether the normalised path p is under prefix, on a
// segment boundary ("/v1" matches "/v1" and "/v1/x", not "/v1x"; "/v1/"
// matches "/v1/x", not "/v1").
func PathMatches(prefix, p string) bool {
	if prefix == "/" {
		return true
	}
	if !strings.HasPrefix(p, prefix) {
		return false
	}
	return len(p) == len(prefix) || prefix[len(prefix)-1] == '/' || p[len(prefix)] == '/'
}

// Lookup returns the route that applies to host and p, the first that
// matches, or false.
func (pl *Plan) Lookup(host, p string) (Route, bool) {
	for _, r := range pl.Routes {
		if r.Matches(host, p) {
			return r, true
		}
	}
	return Route{}, false
}

// NewPlan builds the plan of f under o. f is valid (policyfile.Parse
// returned it), so NewPlan checks only the overrides.
func NewPlan(f *policyfile.File, o Overrides) (*Plan, error) {
	if o.Listen != "" {
		if err := policyfile.CheckListen(o.Listen); err != nil {
			return nil, fmt.Errorf("--listen: %w", err)
		}
	}
	if o.Upstream != "" {
		if err := policyfile.CheckUpstream(o.Upstream); err != nil {
			return nil, fmt.Errorf("--upstream: %w", err)
		}
	}
	pl := &Plan{
		File:     f.Name,
		Listen:   cmp.Or(o.Listen, f.Proxy.Listen, DefaultListen),
		Upstream: cmp.Or(o.Upstream, f.Proxy.Upstream),
	}
	i := strings.LastIndexByte(pl.Listen, ':')
	pl.ListenHost, pl.ListenPort = pl.Listen[:i], pl.Listen[i+1:]
	for i, fp := range f.Policies {
		pl.Policies = append(pl.Policies, newPolicy(fp, i, pl.Upstream))
	}
	pl.Routes = routes(pl.Policies)
	return pl, nil
}

func newPolicy(fp *policyfile.Policy, index int, defUpstream string) *Policy {
	c := fp.Config
	p := &Policy{
		Name:                   fp.Name,
		Index:                  index,
		Pos:                    fp.Pos,
		Hosts:                  fp.Hosts,
		Paths:                  fp.Paths,
		Origins:                c.AllowOrigins,
		Credentials:            c.AllowCredentials,
		Methods:                c.AllowMethods,
		Headers:                c.AllowHeaders,
		AllowPrivateNetwork:    c.AllowPrivateNetwork,
		ProtectWrites:          c.ProtectWrites,
		WebSocketAllowNoOrigin: c.WebSocketAllowNoOrigin,
		PreflightStatus:        cmp.Or(c.PreflightStatus, 204),
		Upstream:               cmp.Or(fp.Upstream, defUpstream),
		OwnUpstream:            fp.Upstream != "",
		KeepUpstreamCORS:       fp.KeepUpstreamCORS,
	}
	for _, s := range c.AllowOrigins {
		if s == "*" {
			p.AnyOrigin = true
			continue
		}
		pat, err := origin.ParsePattern(s)
		if err != nil {
			continue // cannot happen: policyfile validated it
		}
		if pat.IsExact() {
			p.Exact = append(p.Exact, s)
		} else {
			p.Patterns = append(p.Patterns, pat)
		}
	}

	// The header values, computed as cors computes them (cors/config.go;
	// TestPlanHeadersMatchMiddleware holds the two together): methods as
	// written, joined by ","; headers lower case, sorted, joined, "*" with
	// ",authorization" when that is listed too; exposed names lower case
	// in the written order.
	var methods []string
	for _, m := range c.AllowMethods {
		if m == "*" {
			p.AnyMethod = true
		} else {
			methods = append(methods, m)
		}
	}
	p.AllowMethods = strings.Join(methods, ",")
	if p.AnyMethod {
		p.AllowMethods = "*"
	}
	var headers []string
	authorization := false
	for _, h := range c.AllowHeaders {
		if h == "*" {
			p.AnyHeader = true
			continue
		}
		l := strings.ToLower(h)
		authorization = authorization || l == "authorization"
		headers = append(headers, l)
	}
	slices.Sort(headers)
	p.AllowHeaders = strings.Join(headers, ",")
	if p.AnyHeader {
		p.AllowHeaders = "*"
		if authorization {
			p.AllowHeaders = "*,authorization"
		}
		p.RefuseAuthorization = !authorization
	}
	p.StrictPreflight = p.AnyMethod || p.AnyHeader
	for _, h := range c.ExposeHeaders {
		p.ExposeList = append(p.ExposeList, strings.ToLower(h))
	}
	p.ExposeHeaders = strings.Join(p.ExposeList, ",")
	if slices.Contains(c.ExposeHeaders, "*") {
		p.ExposeHeaders = "*"
	}
	switch d := c.MaxAge; {
	case d == cors.NoPreflightCache:
		p.MaxAge, p.HasMaxAge = "0", true
	case d > 0:
		p.MaxAge, p.HasMaxAge = strconv.FormatInt(int64(d/time.Second), 10), true
	}

	// No preflight response carries Vary (cors/middleware.go, varySet):
	// caches do not store OPTIONS responses unless told to (RFC 9110
	// §9.3.7), and the browser's preflight cache is keyed by origin, URL
	// and credentials, never by Vary (Fetch, "CORS-preflight cache").
	if !p.AnyOrigin {
		p.VaryActual = "Origin"
	}
	return p
}

// routes lists every (host, path) pair of the policies in the order
// File.Route tries them: exact hosts (each host's longest path first), then
// subdomain patterns (the longest host first, then the longest path), then
// the policies without hosts (the longest path first). policyfile refuses
// two policies with the same pair, so the order is total where it matters.
func routes(policies []*Policy) []Route {
	var exact, wild, anyHost []Route
	for _, p := range policies {
		hosts, paths := p.Hosts, p.Paths
		if len(hosts) == 0 {
			hosts = []string{""}
		}
		if len(paths) == 0 {
			paths = []string{"/"}
		}
		for _, h := range hosts {
			for _, pp := range paths {
				r := Route{Host: h, Path: pp, Policy: p}
				switch r.Kind() {
				case ExactHost:
					exact = append(exact, r)
				case WildcardHost:
					wild = append(wild, r)
				default:
					anyHost = append(anyHost, r)
				}
			}
		}
	}
	byPath := func(a, b Route) int { return cmp.Compare(len(b.Path), len(a.Path)) }
	slices.SortStableFunc(exact, func(a, b Route) int {
		return cmp.Or(strings.Compare(a.Host, b.Host), byPath(a, b))
	})
	slices.SortStableFunc(wild, func(a, b Route) int {
		return cmp.Or(cmp.Compare(len(b.Host), len(a.Host)), byPath(a, b))
	})
	slices.SortStableFunc(anyHost, byPath)
	return slices.Concat(exact, wild, anyHost)
}

// HostNames returns the distinct exact and wildcard hosts the routes name,
// in route order; a target that selects by host serves each of them, and
// anything else falls to the routes without a host.
func (pl *Plan) HostNames() []string {
	var hosts []string
	for _, r := range pl.Routes {
		if r.Host != "" && !slices.Contains(hosts, r.Host) {
			hosts = append(hosts, r.Host)
		}
	}
	return hosts
}

// RoutesFor returns, most specific first, the routes that can apply to a
// request for host (an entry of HostNames, or "" for any other host): the
// host's own routes, then for an exact host the wildcard routes that cover
// it, then the routes without a host. A target that selects a server by
// host renders each host's list in its server.
func (pl *Plan) RoutesFor(host string) []Route {
	var out []Route
	for _, r := range pl.Routes {
		switch {
		case r.Host == "":
			out = append(out, r)
		case r.Host == host:
			out = append(out, r)
		case host != "" && r.Kind() == WildcardHost && !strings.HasPrefix(host, "*.") &&
			len(host) > len(r.Host)-1 && strings.HasSuffix(host, r.Host[1:]):
			out = append(out, r)
		case strings.HasPrefix(host, "*.") && r.Kind() == WildcardHost && len(host) > len(r.Host) && strings.HasSuffix(host, r.Host[1:]):
			// a longer wildcard (*.a.example.com) is covered by a
			// shorter one (*.example.com) for the hosts it does not
			// name itself.
			out = append(out, r)
		}
	}
	return out
}

// UpstreamURL parses u, an http(s) upstream; it returns an error naming
// the policy for "echo" and "", which only crossgate proxy can serve.
func UpstreamURL(policy, u string) (*url.URL, error) {
	switch u {
	case "":
		if policy == "" {
			return nil, fmt.Errorf("no default upstream: set proxy.upstream or pass --upstream URL")
		}
		return nil, fmt.Errorf("policy %q has no upstream: set its upstream, proxy.upstream or pass --upstream URL", policy)
	case policyfile.EchoUpstream:
		what := "the default upstream"
		if policy != "" {
			what = fmt.Sprintf("policy %q's upstream", policy)
		}
		return nil, fmt.Errorf("%s is %q, crossgate proxy's built-in, which no other server has: pass --upstream URL", what, u)
	}
	return url.Parse(u)
}

// Upstreams returns the distinct upstreams of the plan: the default one
// first (when set), then the policies' own, in file order.
func (pl *Plan) Upstreams() []string {
	var ups []string
	if pl.Upstream != "" {
		ups = append(ups, pl.Upstream)
	}
	for _, p := range pl.Policies {
		if p.Upstream != "" && !slices.Contains(ups, p.Upstream) {
			ups = append(ups, p.Upstream)
		}
	}
	return ups
}

// CheckUpstreams returns an error if a server in front of upstreams cannot
// be rendered: the default upstream or a policy's is "echo", or a policy
// has none.
func (pl *Plan) CheckUpstreams() error {
	if pl.Upstream == policyfile.EchoUpstream {
		_, err := UpstreamURL("", pl.Upstream)
		return err
	}
	for _, p := range pl.Policies {
		if _, err := UpstreamURL(p.Name, p.Upstream); err != nil {
			return err
		}
	}
	return nil
}
