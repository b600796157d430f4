package export

import (
	"io"
	"strconv"
	"strings"
)

// Envoy: a static bootstrap (one listener, one HttpConnectionManager with
// the envoy.filters.http.cors and router filters, one route per (host,
// path) of the plan, one cluster per upstream), with each route's policy as
// a typed_per_filter_config CorsPolicy
// (https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/cors/v3/cors.proto).
//
// Traps avoided (export-targets.md, Envoy; scanners-gateways.md §4.2):
//   - origin matchers are exact or safe_regex (RE2, full match); prefix,
//     suffix and contains are plain string operations, and a matcher that
//     accepts the string "*" means "any origin" to the filter;
//   - the filter never adds Vary and leaves the upstream's Access-Control-*
//     headers alone, so each route adds Vary: Origin and removes them;
//   - forward_not_matching_preflights defaults to true, which would send
//     refused preflights to the upstream;
//   - route prefix is a string prefix: path_separated_prefix keeps segment
//     boundaries, and the connection manager normalises the path as
//     crossgate does (normalize_path, merge_slashes, encoded slashes
//     refused).
var envoyTarget = &Target{
	Name:          "envoy",
	Summary:       "an Envoy bootstrap (listener, routes, clusters) with envoy.filters.http.cors and a CorsPolicy per route",
	Comment:       "# ",
	NeedsUpstream: true,
	Render:        renderEnvoy,
	Caps: func() Caps {
		c := ProxyCaps()
		c.AnyOrigin = Approx(`Envoy never sends a literal "*": it reflects the origin (with Vary: Origin), which browsers treat the same way for requests without credentials`)
		c.AnyMethod = Approx(`Envoy answers allow_methods "*" with the requested method rather than "*"`)
		c.AnyHeader = Approx(`Envoy answers allow_headers "*" with the requested headers, so a preflight asking for Authorization is allowed where crossgate refuses it`)
		c.PreflightStatus = No("Envoy's CORS filter answers every preflight with 200")
		c.RefusedPreflight = Approx("Envoy answers a refused preflight with 200 without Access-Control-Allow-Origin (forward_not_matching_preflights: false), not 403; browsers fail it all the same")
		c.KeepUpstreamCORS = No("Envoy's CORS filter writes its own headers over the upstream's")
		c.WebSocketOrigin = noWebSocketOrigin("Envoy")
		c.PerPath = Approx("Envoy refuses (400) every path with an encoded slash or backslash (path_with_escaped_slashes_action: REJECT_REQUEST), where crossgate refuses only those that would change the policy")
		// Vary: Origin on every routed response (route response_headers_to_add);
		// the filter's own preflight answers carry none, as crossgate's.
		return c
	}(),
}

// envoyAny is a typed_config or typed_per_filter_config value.
type envoyAny map[string]any

func typed(t string, fields map[string]any) envoyAny {
	m := envoyAny{"@type": "type.googleapis.com/" + t}
	for k, v := range fields {
		m[k] = v
	}
	return m
}

type envoyBootstrap struct {
	StaticResources struct {
		Listeners []envoyListener `yaml:"listeners"`
		Clusters  []envoyCluster  `yaml:"clusters"`
	} `yaml:"static_resources"`
}

type envoyListener struct {
	Name         string       `yaml:"name"`
	Address      envoyAddress `yaml:"address"`
	FilterChains []struct {
		Filters []envoyFilter `yaml:"filters"`
	} `yaml:"filter_chains"`
}

type envoyAddress struct {
	SocketAddress struct {
		Address   string `yaml:"address"`
		PortValue int    `yaml:"port_value"`
	} `yaml:"socket_address"`
}

func envoyAddr(host string, port int) envoyAddress {
	var a envoyAddress
	a.SocketAddress.Address, a.SocketAddress.PortValue = host, port
	return a
}

type envoyFilter struct {
	Name        string   `yaml:"name"`
	TypedConfig envoyAny `yaml:"typed_config"`
}

type envoyVirtualHost struct {
	Name    string       `yaml:"name"`
	Domains []string     `yaml:"domains"`
	Routes  []envoyRoute `yaml:"routes"`
}

type envoyRoute struct {
	Name                    string              `yaml:"name"`
	Match                   map[string]any      `yaml:"match"`
	Route                   *envoyRouteAction   `yaml:"route,omitempty"`
	DirectResponse          *envoyDirect        `yaml:"direct_response,omitempty"`
	TypedPerFilterConfig    map[string]envoyAny `yaml:"typed_per_filter_config,omitempty"`
	ResponseHeadersToAdd    []envoyHeaderOption `yaml:"response_headers_to_add,omitempty"`
	ResponseHeadersToRemove []string            `yaml:"response_headers_to_remove,omitempty"`
}

type envoyRouteAction struct {
	Cluster            string        `yaml:"cluster"`
	HostRewriteLiteral string        `yaml:"host_rewrite_literal"`
	RegexRewrite       *envoyRewrite `yaml:"regex_rewrite,omitempty"`
}

type envoyRewrite struct {
	Pattern struct {
		Regex string `yaml:"regex"`
	} `yaml:"pattern"`
	Substitution string `yaml:"substitution"`
}

type envoyDirect struct {
	Status int `yaml:"status"`
}

type envoyHeaderOption struct {
	Header struct {
		Key   string `yaml:"key"`
		Value string `yaml:"value"`
	} `yaml:"header"`
	AppendAction string `yaml:"append_action"`
}

type envoyCluster struct {
	Name           string   `yaml:"name"`
	Type           string   `yaml:"type"`
	ConnectTimeout string   `yaml:"connect_timeout"`
	LoadAssignment any      `yaml:"load_assignment"`
	TransportSock  *envoyTS `yaml:"transport_socket,omitempty"`
}

type envoyTS struct {
	Name        string   `yaml:"name"`
	TypedConfig envoyAny `yaml:"typed_config"`
}

func renderEnvoy(pl *Plan, w io.Writer) error {
	clusters, names, err := envoyClusters(pl)
	if err != nil {
		return err
	}
	var vhosts []envoyVirtualHost
	for i, h := range pl.HostNames() {
		// strip_any_host_port removes the port before domains are
		// matched; a "*.example.com" domain matches any depth and never
		// the apex, as crossgate's host patterns do.
		vhosts = append(vhosts, envoyVirtualHost{
			Name:    "host_" + strconv.Itoa(i),
			Domains: []string{h},
			Routes:  envoyRoutes(pl, pl.RoutesFor(h), names),
		})
	}
	vhosts = append(vhosts, envoyVirtualHost{Name: "any_host", Domains: []string{"*"}, Routes: envoyRoutes(pl, pl.RoutesFor(""), names)})

	hcm := typed("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager", map[string]any{
		"stat_prefix": "crossgate",
		// Match routes on the path crossgate matches (RFC 3986 §6.2.2
		// normalised, slashes merged) and refuse encoded slashes, which
		// crossgate refuses where they would change the policy.
		"normalize_path":                   true,
		"merge_slashes":                    true,
		"path_with_escaped_slashes_action": "REJECT_REQUEST",
		"strip_any_host_port":              true,
		"route_config": map[string]any{
			"name":          "crossgate",
			"virtual_hosts": vhosts,
		},
		"http_filters": []envoyFilter{
			{Name: "envoy.filters.http.cors", TypedConfig: typed("envoy.extensions.filters.http.cors.v3.Cors", nil)},
			{Name: "envoy.filters.http.router", TypedConfig: typed("envoy.extensions.filters.http.router.v3.Router", nil)},
		},
	})
	var b envoyBootstrap
	host, port := listenAddr(pl)
	l := envoyListener{Name: "crossgate", Address: envoyAddr(host, port)}
	l.FilterChains = append(l.FilterChains, struct {
		Filters []envoyFilter `yaml:"filters"`
	}{Filters: []envoyFilter{{Name: "envoy.filters.network.http_connection_manager", TypedConfig: hcm}}})
	b.StaticResources.Listeners = []envoyListener{l}
	b.StaticResources.Clusters = clusters
	header := []string{
		generatedBy(pl, "envoy"),
		"Run: envoy -c FILE. No admin listener is configured.",
	}
	return writeYAML(w, header, b)
}

// envoyClusters returns one cluster per upstream, and the cluster name and
// upstream parts by upstream URL.
func envoyClusters(pl *Plan) ([]envoyCluster, map[string]upstreamParts, error) {
	parts, err := namedUpstreams(pl, "upstream_")
	if err != nil {
		return nil, nil, err
	}
	var clusters []envoyCluster
	for _, u := range pl.Upstreams() {
		up := parts[u]
		name := up.name
		c := envoyCluster{Name: name, Type: "STRICT_DNS", ConnectTimeout: "10s"}
		if isIP(up.Host) {
			c.Type = "STATIC"
		}
		c.LoadAssignment = map[string]any{
			"cluster_name": name,
			"endpoints": []any{map[string]any{
				"lb_endpoints": []any{map[string]any{
					"endpoint": map[string]any{"address": envoyAddr(up.Host, up.Port)},
				}},
			}},
		}
		if up.Scheme == "https" {
			c.TransportSock = &envoyTS{
				Name:        "envoy.transport_sockets.tls",
				TypedConfig: typed("envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext", map[string]any{"sni": up.Host}),
			}
		}
		clusters = append(clusters, c)
	}
	return clusters, parts, nil
}

// envoyRoutes renders a virtual host's routes, most specific first (Envoy
// takes the first route that matches, as File.Route does), then the
// catch-all for the requests no policy matches: the default upstream
// without CORS, or 404 as crossgate proxy answers without one.
func envoyRoutes(pl *Plan, routes []Route, ups map[string]upstreamParts) []envoyRoute {
	var out []envoyRoute
	for _, r := range routes {
		p := r.Policy
		er := envoyRoute{
			Name:                 p.Name + " " + r.Host + r.Path,
			Match:                envoyPathMatch(r.Path),
			Route:                envoyAction(ups[p.Upstream]),
			TypedPerFilterConfig: map[string]envoyAny{"envoy.filters.http.cors": envoyCorsPolicy(p)},
		}
		// Envoy reflects the origin even for "*", so every answer
		// depends on it.
		var vary envoyHeaderOption
		vary.Header.Key, vary.Header.Value, vary.AppendAction = "Vary", "Origin", "APPEND_IF_EXISTS_OR_ADD"
		er.ResponseHeadersToAdd = []envoyHeaderOption{vary}
		if !p.KeepUpstreamCORS {
			for _, h := range corsResponseHeaders {
				er.ResponseHeadersToRemove = append(er.ResponseHeadersToRemove, strings.ToLower(h))
			}
		}
		out = append(out, er)
	}
	// The requests no policy matches: crossgate proxy refuses their
	// preflights (403, never forwarded) and strips the upstream's CORS
	// headers from the rest, which go to the default upstream (404
	// without one).
	present := func(name string) map[string]any { return map[string]any{"name": name, "present_match": true} }
	out = append(out, envoyRoute{
		Name: "no policy: preflight",
		Match: map[string]any{"prefix": "/", "headers": []any{
			map[string]any{"name": ":method", "string_match": map[string]any{"exact": "OPTIONS"}},
			present("origin"), present("access-control-request-method"),
		}},
		DirectResponse: &envoyDirect{Status: 403},
	})
	last := envoyRoute{Name: "no policy", Match: map[string]any{"prefix": "/"}}
	if pl.Upstream != "" {
		last.Route = envoyAction(ups[pl.Upstream])
		for _, h := range corsResponseHeaders {
			last.ResponseHeadersToRemove = append(last.ResponseHeadersToRemove, strings.ToLower(h))
		}
	} else {
		last.DirectResponse = &envoyDirect{Status: 404}
	}
	return append(out, last)
}

// envoyPathMatch keeps crossgate's segment boundaries: "/v1" matches /v1
// and /v1/x, not /v1x (path_separated_prefix, which may not end in "/");
// "/v1/" matches below it only, which a string prefix ending in "/" does.
func envoyPathMatch(p string) map[string]any {
	if p == "/" || strings.HasSuffix(p, "/") {
		return map[string]any{"prefix": p}
	}
	return map[string]any{"path_separated_prefix": p}
}

func envoyAction(up upstreamParts) *envoyRouteAction {
	a := &envoyRouteAction{Cluster: up.name, HostRewriteLiteral: up.HostPort}
	if up.Path != "" {
		// crossgate puts the upstream's path before the request's.
		a.RegexRewrite = &envoyRewrite{Substitution: up.Path + `\1`}
		a.RegexRewrite.Pattern.Regex = `^(/.*)$`
	}
	return a
}

func envoyCorsPolicy(p *Policy) envoyAny {
	var origins []map[string]any
	if p.AnyOrigin {
		origins = append(origins, map[string]any{"exact": "*"})
	}
	for _, o := range p.Exact {
		origins = append(origins, map[string]any{"exact": o})
	}
	for _, pat := range p.Patterns {
		origins = append(origins, map[string]any{"safe_regex": map[string]any{"regex": OriginRegex(pat, RE2)}})
	}
	f := map[string]any{
		"allow_origin_string_match": origins,
		// Refused preflights are answered here, never forwarded.
		"forward_not_matching_preflights": false,
	}
	if p.AllowMethods != "" {
		f["allow_methods"] = p.AllowMethods
	}
	if p.AllowHeaders != "" {
		f["allow_headers"] = p.AllowHeaders
	}
	if p.ExposeHeaders != "" {
		f["expose_headers"] = p.ExposeHeaders
	}
	if p.HasMaxAge {
		f["max_age"] = p.MaxAge
	}
	if p.Credentials {
		f["allow_credentials"] = true
	}
	if p.AllowPrivateNetwork {
		f["allow_private_network_access"] = true
	}
	return typed("envoy.extensions.filters.http.cors.v3.CorsPolicy", f)
}
