package export

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/crossgate/crossgate/internal/origin"
)

// Gateway API: one HTTPRoute (gateway.networking.k8s.io/v1, standard
// channel since v1.5.0) per host the plan names, plus one without
// hostnames for the other hosts, each rule carrying the policy as a CORS
// filter (GEP-1767, https://gateway-api.sigs.k8s.io/guides/http-cors).
//
// Routing is rebuilt from the plan, not left to the Gateway API's own
// precedence: a route for an exact host is preferred to a wildcard one,
// and a request for a host that has an HTTPRoute of its own never reaches
// the HTTPRoute without hostnames, so each HTTPRoute holds every rule that
// applies to its host, and drops the rules a more specific host's rule
// hides. PathPrefix ignores a trailing "/" ("/v1/" matches /v1), so a
// prefix with one gets an Exact rule for the path without it, which gets
// what crossgate gives it.
//
// Traps (export-targets.md, Gateway API): "*" with allowCredentials is
// reflect-any by the spec, so it is never written; maxAge has a minimum of
// 1; there is no port wildcard; Vary, stripping the upstream's headers
// and the statuses of preflight answers are left to each implementation.
var gatewayAPITarget = &Target{
	Name:    "gateway-api",
	Summary: "Kubernetes Gateway API HTTPRoutes (v1, standard channel v1.5) with the CORS filter",
	Comment: "# ",
	// Backends are Services, named after the upstreams in the header.
	NeedsUpstream: true,
	Render:        renderGatewayAPI,
	Caps: func() Caps {
		c := ProxyCaps()
		c.AnyPort = No("Gateway API origins have no port wildcard (the CORSOrigin pattern); the entry is left out")
		c.AnyOrigin = Approx(`for allowOrigins "*" an implementation may answer with the request's origin instead of "*" (HTTPCORSFilter)`)
		c.AnyMethod = Approx(`for allowMethods "*" an implementation may answer with the requested method`)
		c.AnyHeader = Approx(`for allowHeaders "*" an implementation may answer with the requested headers, Authorization included, and "*" cannot be listed with other names`)
		c.ExposeAll = Approx(`exposeHeaders "*" is passed to the implementation, which may list the response's headers instead`)
		c.MaxAgeZero = No("maxAge has a minimum of 1 second (HTTPCORSFilter); 1 is written")
		c.MaxAgeAbsent = Cap{Level: Exact} // omitted, the gateway sends 5, the browsers' own default
		c.PrivateNetwork = No("the CORS filter has no private network field")
		c.PreflightStatus = No("the implementation chooses the status of preflight answers (200 or 204 in the conformance tests)")
		c.RefusedPreflight = Approx("the implementation chooses how to answer a refused preflight (200, 204 or 403 in the conformance tests)")
		c.StripUpstream = No("whether a ResponseHeaderModifier runs before or after the CORS filter is unspecified, so the upstream's Access-Control-* headers are not removed: make the upstream stop sending them")
		c.KeepUpstreamCORS = No("the CORS filter's headers and the upstream's are merged as the implementation decides")
		c.Vary = No("Vary is left to the implementation (unspecified by GEP-1767)")
		c.ErrorResponses = Approx("whether error responses carry the CORS headers is left to the implementation")
		c.Extra = gatewayAPIExtra
		c.WebSocketOrigin = noWebSocketOrigin("the Gateway API")
		return c
	}(),
}

// gatewayMethods are the values of HTTPMethodWithWildcard.
var gatewayMethods = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "*"}

func gatewayAPIExtra(pl *Plan) []Difference {
	var diffs []Difference
	for _, p := range pl.Policies {
		for i, m := range p.Methods {
			if !slices.Contains(gatewayMethods, m) {
				diffs = append(diffs, policyDiff(pl, p, "allow_methods["+strconv.Itoa(i)+"]", m, Unsupported,
					"allowMethods takes only GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH or *; the method is left out"))
			}
		}
		if p.AnyHeader && len(p.Headers) > 1 {
			diffs = append(diffs, policyDiff(pl, p, "allow_headers", strings.Join(p.Headers, ", "), Approximate,
				`allowHeaders "*" cannot be listed with other names; "*" alone is written`))
		}
	}
	diffs = append(diffs, ipHostDiffs(pl, "HTTPRoute hostnames cannot be IP addresses; the host is left out")...)
	return diffs
}

// policyDiff is a Difference of p for a target's Extra.
func policyDiff(pl *Plan, p *Policy, field, value string, level Level, limit string) Difference {
	return Difference{
		Policy: p.Name, Field: "policies[" + strconv.Itoa(p.Index) + "]." + field, Value: value,
		Level: level, Limit: limit, Pos: p.Pos,
	}
}

type k8sMeta struct {
	Name        string            `yaml:"name"`
	Namespace   string            `yaml:"namespace,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

type httpRoute struct {
	APIVersion string        `yaml:"apiVersion"`
	Kind       string        `yaml:"kind"`
	Metadata   k8sMeta       `yaml:"metadata"`
	Spec       httpRouteSpec `yaml:"spec"`
}

type httpRouteSpec struct {
	ParentRefs []map[string]string `yaml:"parentRefs"`
	Hostnames  []string            `yaml:"hostnames,omitempty"`
	Rules      []httpRouteRule     `yaml:"rules"`
}

type httpRouteRule struct {
	Matches     []httpRouteMatch  `yaml:"matches"`
	Filters     []httpRouteFilter `yaml:"filters,omitempty"`
	BackendRefs []httpBackendRef  `yaml:"backendRefs,omitempty"`
}

type httpRouteMatch struct {
	Path struct {
		Type  string `yaml:"type"`
		Value string `yaml:"value"`
	} `yaml:"path"`
}

type httpRouteFilter struct {
	Type       string          `yaml:"type"`
	CORS       *httpCORSFilter `yaml:"cors,omitempty"`
	URLRewrite *httpURLRewrite `yaml:"urlRewrite,omitempty"`
}

type httpURLRewrite struct {
	Path struct {
		Type               string `yaml:"type"`
		ReplacePrefixMatch string `yaml:"replacePrefixMatch,omitempty"`
		ReplaceFullPath    string `yaml:"replaceFullPath,omitempty"`
	} `yaml:"path"`
}

type httpCORSFilter struct {
	AllowOrigins     []string `yaml:"allowOrigins,omitempty"`
	AllowCredentials bool     `yaml:"allowCredentials,omitempty"`
	AllowMethods     []string `yaml:"allowMethods,omitempty"`
	AllowHeaders     []string `yaml:"allowHeaders,omitempty"`
	ExposeHeaders    []string `yaml:"exposeHeaders,omitempty"`
	MaxAge           int      `yaml:"maxAge,omitempty"`
}

type httpBackendRef struct {
	Name string `yaml:"name"`
	Port int    `yaml:"port"`
}

// k8sUpstreams names a Service for each upstream ("upstream-0"...), for
// the Kubernetes targets, which reach backends through Services.
func k8sUpstreams(pl *Plan) (map[string]upstreamParts, []string, error) {
	parts, err := namedUpstreams(pl, "upstream-")
	if err != nil {
		return nil, nil, err
	}
	var lines []string
	for _, u := range pl.Upstreams() {
		lines = append(lines, fmt.Sprintf("  Service %s, port %d: %s", parts[u].name, parts[u].Port, u))
	}
	return parts, lines, nil
}

// k8sName turns a host or a policy name into a DNS-1123 name part:
// lower case, "*." spelled "wildcard.", anything but [a-z0-9.-] a "-".
func k8sName(s string) string {
	if s == "" {
		return "any-host"
	}
	s = strings.ReplaceAll(strings.ToLower(s), "*.", "wildcard.")
	b := []byte(s)
	for i, c := range b {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			b[i] = '-'
		}
	}
	return strings.Trim(string(b), ".-")
}

// hostRoutes returns the routes of RoutesFor(host) that a
// longest-prefix router would let through: a route is dropped when a
// route before it (more specific by crossgate's order) covers every path
// it covers.
func hostRoutes(pl *Plan, host string) []Route {
	var out []Route
	for _, r := range pl.RoutesFor(host) {
		hidden := slices.ContainsFunc(out, func(e Route) bool { return pathCovers(e.Path, r.Path) })
		if !hidden {
			out = append(out, r)
		}
	}
	return out
}

// pathCovers reports whether every path under prefix b is under prefix a.
func pathCovers(a, b string) bool {
	if a == "/" {
		return true
	}
	if strings.HasSuffix(a, "/") {
		return strings.HasPrefix(b, a)
	}
	return PathMatches(a, b)
}

// k8sRoute is one path rule of a Kubernetes route object: a prefix (on
// segment boundaries, a trailing "/" ignored, as both HTTPRoute PathPrefix
// and Ingress Prefix match) or an exact path, and its policy; nil for the
// requests no policy matches, which go to the default upstream without
// CORS.
type k8sRoute struct {
	Exact  bool
	Path   string
	Policy *Policy
}

// k8sRoutes returns the rules for host ("" for the other hosts) that give
// every path the policy crossgate gives it, under longest-prefix
// matching with exact paths first: the routes hostRoutes keeps; for each
// prefix "/x/" (which such routers also match as "/x") an exact rule for
// "/x" with the policy crossgate gives "/x"; and the catch-all "/" to the
// default upstream, when there is one and no policy covers "/".
func k8sRoutes(pl *Plan, host string) []k8sRoute {
	routes := hostRoutes(pl, host)
	var out []k8sRoute
	for _, r := range routes {
		out = append(out, k8sRoute{Path: r.Path, Policy: r.Policy})
	}
	for _, r := range routes {
		if r.Path == "/" || !strings.HasSuffix(r.Path, "/") {
			continue
		}
		bare := strings.TrimSuffix(r.Path, "/")
		if slices.ContainsFunc(routes, func(o Route) bool { return o.Path == bare }) {
			continue
		}
		var next *Policy
		for _, o := range routes {
			if PathMatches(o.Path, bare) {
				next = o.Policy
				break
			}
		}
		if next != nil || pl.Upstream != "" {
			out = append(out, k8sRoute{Exact: true, Path: bare, Policy: next})
		}
	}
	if pl.Upstream != "" && !slices.ContainsFunc(routes, func(r Route) bool { return r.Path == "/" }) {
		out = append(out, k8sRoute{Path: "/"})
	}
	return out
}

// ipHostDiffs are the differences of a target whose host names cannot be
// IP addresses.
func ipHostDiffs(pl *Plan, limit string) []Difference {
	var diffs []Difference
	for _, p := range pl.Policies {
		for i, h := range p.Hosts {
			if isIP(strings.Trim(h, "[]")) {
				diffs = append(diffs, policyDiff(pl, p, "match.hosts["+strconv.Itoa(i)+"]", h, Unsupported, limit))
			}
		}
	}
	return diffs
}

// nonIPHosts is pl.HostNames without the IP addresses.
func nonIPHosts(pl *Plan) []string {
	return slices.DeleteFunc(pl.HostNames(), func(h string) bool { return isIP(strings.Trim(h, "[]")) })
}

func renderGatewayAPI(pl *Plan, w io.Writer) error {
	ups, lines, err := k8sUpstreams(pl)
	if err != nil {
		return err
	}
	header := []string{
		generatedBy(pl, "gateway-api"),
		"HTTPRoutes for the Gateway named crossgate (edit parentRefs). The backends are Services standing for the upstreams:",
	}
	header = append(header, lines...)
	var docs []any
	for _, h := range append(nonIPHosts(pl), "") {
		rt := httpRoute{
			APIVersion: "gateway.networking.k8s.io/v1",
			Kind:       "HTTPRoute",
			Metadata:   k8sMeta{Name: "crossgate-" + k8sName(h), Labels: map[string]string{"app.kubernetes.io/managed-by": "crossgate-export"}},
		}
		rt.Spec.ParentRefs = []map[string]string{{"name": "crossgate"}}
		if h != "" {
			rt.Spec.Hostnames = []string{h}
		}
		for _, r := range k8sRoutes(pl, h) {
			kind := "PathPrefix"
			if r.Exact {
				kind = "Exact"
			}
			up := pl.Upstream
			if r.Policy != nil {
				up = r.Policy.Upstream
			}
			rt.Spec.Rules = append(rt.Spec.Rules, gatewayRule(kind, r.Path, r.Policy, ups[up]))
		}
		if len(rt.Spec.Rules) > 0 {
			docs = append(docs, rt)
		}
	}
	return writeYAML(w, header, docs...)
}

// gatewayRule is one rule: a path match, the policy's CORS filter (none
// for p nil), the upstream's path put before the request's, and the
// upstream's Service.
func gatewayRule(kind, path string, p *Policy, up upstreamParts) httpRouteRule {
	var m httpRouteMatch
	m.Path.Type, m.Path.Value = kind, path
	rule := httpRouteRule{Matches: []httpRouteMatch{m}, BackendRefs: []httpBackendRef{{Name: up.name, Port: up.Port}}}
	if p != nil {
		rule.Filters = append(rule.Filters, httpRouteFilter{Type: "CORS", CORS: gatewayCORS(p)})
	}
	if up.Path != "" {
		rw := &httpURLRewrite{}
		if kind == "Exact" {
			rw.Path.Type, rw.Path.ReplaceFullPath = "ReplaceFullPath", up.Path+path
		} else {
			rw.Path.Type, rw.Path.ReplacePrefixMatch = "ReplacePrefixMatch", up.Path+path
		}
		rule.Filters = append(rule.Filters, httpRouteFilter{Type: "URLRewrite", URLRewrite: rw})
	}
	return rule
}

func gatewayCORS(p *Policy) *httpCORSFilter {
	c := &httpCORSFilter{AllowCredentials: p.Credentials}
	if p.AnyOrigin {
		c.AllowOrigins = []string{"*"}
	}
	c.AllowOrigins = append(c.AllowOrigins, p.Exact...)
	for _, pat := range p.Patterns {
		if pat.Port == origin.AnyPort {
			continue // no port wildcard (Caps.AnyPort)
		}
		c.AllowOrigins = append(c.AllowOrigins, pat.String())
	}
	for _, m := range p.Methods {
		if slices.Contains(gatewayMethods, m) {
			c.AllowMethods = append(c.AllowMethods, m)
		}
	}
	if p.AnyMethod {
		c.AllowMethods = []string{"*"}
	}
	c.AllowHeaders = slices.Clone(p.Headers)
	if p.AnyHeader {
		c.AllowHeaders = []string{"*"}
	}
	c.ExposeHeaders = slices.Clone(p.ExposeList)
	if p.ExposeHeaders == "*" {
		c.ExposeHeaders = []string{"*"}
	}
	if p.HasMaxAge {
		c.MaxAge, _ = strconv.Atoi(p.MaxAge)
		c.MaxAge = max(c.MaxAge, 1) // the CRD's minimum (Caps.MaxAgeZero)
	}
	return c
}
