package export

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Traefik (v3): the file provider's dynamic configuration: one headers
// middleware per policy, one router per (host, path) of the plan with an
// explicit priority in File.Route's order, one service per upstream
// (https://doc.traefik.io/traefik/middlewares/http/headers/#cors-headers).
// traefik-crd says the same as Kubernetes Middleware and IngressRoute
// objects (traefik.io/v1alpha1).
//
// Traps avoided (export-targets.md, Traefik; scanners-gateways.md §4.3):
//   - accessControlAllowOriginListRegex is matched with MatchString,
//     unanchored: every regex is ^…$;
//   - the upstream's Access-Control-* headers are removed by
//     customResponseHeaders in the same middleware as the CORS fields (a
//     separate middleware deletes Traefik's own CORS headers too);
//   - PathPrefix is a string prefix: "/v1" is Path(`/v1`) ||
//     PathPrefix(`/v1/`);
//   - the default priority is the rule's length, not crossgate's order;
//   - accessControlMaxAge unset sends 0 (no caching), not "no header".
var traefikTarget = &Target{
	Name:          "traefik",
	Summary:       "Traefik v3 file-provider dynamic configuration (routers, a headers middleware per policy, services)",
	Comment:       "# ",
	NeedsUpstream: true,
	Render:        renderTraefik,
	Caps:          traefikCaps(),
}

var traefikCRDTarget = &Target{
	Name:          "traefik-crd",
	Summary:       "Traefik v3 Kubernetes CRDs: a Middleware per policy and an IngressRoute (traefik.io/v1alpha1)",
	Comment:       "# ",
	NeedsUpstream: true,
	Render:        renderTraefikCRD,
	Caps:          traefikCaps(),
}

func traefikCaps() Caps {
	c := ProxyCaps()
	c.Credentials = Approx("Traefik sends Access-Control-Allow-Credentials: true to refused origins too (without Access-Control-Allow-Origin, so browsers still refuse them)")
	c.MaxAgeAbsent = Approx("Traefik always sends Access-Control-Max-Age (0 when unset); 5 is written, the browsers' own default")
	c.PrivateNetwork = No("the headers middleware has no private network field")
	c.WebSocketOrigin = noWebSocketOrigin("Traefik")
	c.PreflightStatus = No("Traefik answers every preflight with 200")
	c.RefusedPreflight = Approx("Traefik answers a refused preflight with 200 without Access-Control-Allow-Origin, not 403; browsers fail it all the same")
	c.KeepUpstreamCORS = No("the headers middleware writes its CORS headers over the upstream's")
	// Vary: addVaryHeader on forwarded responses; preflight answers carry
	// none, as crossgate's.
	return c
}

// traefikHeaders is the headers middleware's CORS part.
type traefikHeaders struct {
	AccessControlAllowCredentials     bool              `yaml:"accessControlAllowCredentials,omitempty"`
	AccessControlAllowHeaders         []string          `yaml:"accessControlAllowHeaders,omitempty"`
	AccessControlAllowMethods         []string          `yaml:"accessControlAllowMethods,omitempty"`
	AccessControlAllowOriginList      []string          `yaml:"accessControlAllowOriginList,omitempty"`
	AccessControlAllowOriginListRegex []string          `yaml:"accessControlAllowOriginListRegex,omitempty"`
	AccessControlExposeHeaders        []string          `yaml:"accessControlExposeHeaders,omitempty"`
	AccessControlMaxAge               int               `yaml:"accessControlMaxAge"`
	AddVaryHeader                     bool              `yaml:"addVaryHeader"`
	CustomResponseHeaders             map[string]string `yaml:"customResponseHeaders,omitempty"`
}

func traefikMiddleware(p *Policy) traefikHeaders {
	h := traefikHeaders{
		AccessControlAllowCredentials: p.Credentials,
		AccessControlAllowOriginList:  p.Exact,
		AddVaryHeader:                 true,
	}
	if p.AnyOrigin {
		h.AccessControlAllowOriginList = append([]string{"*"}, p.Exact...)
	}
	for _, pat := range p.Patterns {
		h.AccessControlAllowOriginListRegex = append(h.AccessControlAllowOriginListRegex, OriginRegex(pat, RE2))
	}
	if p.AllowMethods != "" {
		h.AccessControlAllowMethods = strings.Split(p.AllowMethods, ",")
	}
	if p.AllowHeaders != "" {
		h.AccessControlAllowHeaders = strings.Split(p.AllowHeaders, ",")
	}
	if p.ExposeHeaders != "" {
		h.AccessControlExposeHeaders = strings.Split(p.ExposeHeaders, ",")
	}
	h.AccessControlMaxAge = 5 // Caps.MaxAgeAbsent
	if p.HasMaxAge {
		h.AccessControlMaxAge, _ = strconv.Atoi(p.MaxAge)
	}
	if !p.KeepUpstreamCORS {
		// An empty value removes the header; applied before the CORS
		// fields of the same middleware, so it removes only the
		// upstream's.
		h.CustomResponseHeaders = map[string]string{}
		for _, name := range corsResponseHeaders {
			h.CustomResponseHeaders[name] = ""
		}
	}
	return h
}

// traefikRule is the router rule of r. Host() ignores the port and case;
// a "*." host is a HostRegexp of one or more labels.
func traefikRule(r Route) string {
	var parts []string
	switch r.Kind() {
	case ExactHost:
		parts = append(parts, "Host(`"+r.Host+"`)")
	case WildcardHost:
		parts = append(parts, "HostRegexp(`"+`(?i)^(?:`+LabelClass+`\.)+`+regexp.QuoteMeta(r.Host[2:])+"$`)")
	}
	switch {
	case r.Path == "/":
		parts = append(parts, "PathPrefix(`/`)")
	case strings.HasSuffix(r.Path, "/"):
		parts = append(parts, "PathPrefix(`"+r.Path+"`)")
	default:
		parts = append(parts, "(Path(`"+r.Path+"`) || PathPrefix(`"+r.Path+"/`))")
	}
	return strings.Join(parts, " && ")
}

// traefikRoute is a router: its name, rule, priority, middlewares and
// upstream.
type traefikRoute struct {
	Name, Rule  string
	Priority    int
	Middlewares []string
	Upstream    string
}

// traefikNoPolicy is the middleware of the requests no policy matches:
// crossgate proxy strips the upstream's CORS headers from them and
// refuses their preflights. A CORS field (an allowed method) makes the
// middleware answer preflights itself, without Access-Control-Allow-Origin
// since it allows no origin, so they are refused and never forwarded.
func traefikNoPolicy() traefikHeaders {
	h := traefikHeaders{AccessControlAllowMethods: []string{"GET"}, CustomResponseHeaders: map[string]string{}}
	for _, name := range corsResponseHeaders {
		h.CustomResponseHeaders[name] = ""
	}
	return h
}

// traefikRoutes returns the routers in File.Route's order with
// decreasing priorities, then the catch-all to the default upstream at
// priority 1.
func traefikRoutes(pl *Plan, ups map[string]upstreamParts) []traefikRoute {
	var out []traefikRoute
	n := len(pl.Routes)
	for i, r := range pl.Routes {
		p := r.Policy
		mws := []string{"cg-" + k8sName(p.Name)}
		if ups[p.Upstream].Path != "" {
			mws = append(mws, ups[p.Upstream].name+"-prefix")
		}
		out = append(out, traefikRoute{
			Name:        fmt.Sprintf("cg-%d-%s", i, k8sName(p.Name)),
			Rule:        traefikRule(r),
			Priority:    n - i + 1,
			Middlewares: mws,
			Upstream:    p.Upstream,
		})
	}
	if pl.Upstream != "" {
		var mws []string
		if ups[pl.Upstream].Path != "" {
			mws = append(mws, ups[pl.Upstream].name+"-prefix")
		}
		out = append(out, traefikRoute{Name: "cg-no-policy", Rule: "PathPrefix(`/`)", Priority: 1, Middlewares: append([]string{"cg-no-policy"}, mws...), Upstream: pl.Upstream})
	}
	return out
}

type traefikDynamic struct {
	HTTP struct {
		Routers     map[string]traefikRouter     `yaml:"routers"`
		Middlewares map[string]traefikMWConfig   `yaml:"middlewares,omitempty"`
		Services    map[string]traefikServiceCfg `yaml:"services"`
	} `yaml:"http"`
}

type traefikRouter struct {
	Rule        string   `yaml:"rule"`
	Priority    int      `yaml:"priority"`
	Middlewares []string `yaml:"middlewares,omitempty"`
	Service     string   `yaml:"service"`
}

type traefikMWConfig struct {
	Headers   *traefikHeaders   `yaml:"headers,omitempty"`
	AddPrefix map[string]string `yaml:"addPrefix,omitempty"`
}

type traefikServiceCfg struct {
	LoadBalancer struct {
		Servers []map[string]string `yaml:"servers"`
		// crossgate proxy asks the upstream for its own host, as
		// httputil's SetURL does.
		PassHostHeader bool `yaml:"passHostHeader"`
	} `yaml:"loadBalancer"`
}

// traefikUpstreams names a service per upstream.
func traefikUpstreams(pl *Plan) (map[string]upstreamParts, error) {
	return namedUpstreams(pl, "upstream-")
}

func renderTraefik(pl *Plan, w io.Writer) error {
	ups, err := traefikUpstreams(pl)
	if err != nil {
		return err
	}
	var d traefikDynamic
	d.HTTP.Routers = map[string]traefikRouter{}
	d.HTTP.Middlewares = map[string]traefikMWConfig{}
	d.HTTP.Services = map[string]traefikServiceCfg{}
	for _, p := range pl.Policies {
		h := traefikMiddleware(p)
		d.HTTP.Middlewares["cg-"+k8sName(p.Name)] = traefikMWConfig{Headers: &h}
	}
	if pl.Upstream != "" {
		h := traefikNoPolicy()
		d.HTTP.Middlewares["cg-no-policy"] = traefikMWConfig{Headers: &h}
	}
	for u, up := range ups {
		var s traefikServiceCfg
		su, _ := UpstreamURL("", u)
		s.LoadBalancer.Servers = []map[string]string{{"url": su.Scheme + "://" + su.Host}}
		d.HTTP.Services[up.name] = s
		if up.Path != "" {
			d.HTTP.Middlewares[up.name+"-prefix"] = traefikMWConfig{AddPrefix: map[string]string{"prefix": up.Path}}
		}
	}
	for _, r := range traefikRoutes(pl, ups) {
		d.HTTP.Routers[r.Name] = traefikRouter{Rule: r.Rule, Priority: r.Priority, Middlewares: r.Middlewares, Service: ups[r.Upstream].name}
	}
	header := []string{
		generatedBy(pl, "traefik"),
		"Traefik v3 dynamic configuration for the file provider (providers.file.filename); the routers use every entry point.",
		"The entry point must keep sanitizePath (the default) so that paths are matched as crossgate matches them.",
	}
	return writeYAML(w, header, d)
}

type traefikCRD struct {
	APIVersion string  `yaml:"apiVersion"`
	Kind       string  `yaml:"kind"`
	Metadata   k8sMeta `yaml:"metadata"`
	Spec       any     `yaml:"spec"`
}

type ingressRouteSpec struct {
	Routes []ingressRouteRoute `yaml:"routes"`
}

type ingressRouteRoute struct {
	Kind        string              `yaml:"kind"`
	Match       string              `yaml:"match"`
	Priority    int                 `yaml:"priority"`
	Middlewares []map[string]string `yaml:"middlewares,omitempty"`
	Services    []ingressRouteSvc   `yaml:"services"`
}

type ingressRouteSvc struct {
	Name           string `yaml:"name"`
	Port           int    `yaml:"port"`
	PassHostHeader bool   `yaml:"passHostHeader"`
}

func renderTraefikCRD(pl *Plan, w io.Writer) error {
	ups, lines, err := k8sUpstreams(pl)
	if err != nil {
		return err
	}
	header := []string{
		generatedBy(pl, "traefik-crd"),
		"Traefik v3 Kubernetes CRDs (traefik.io/v1alpha1). The backends are Services standing for the upstreams:",
	}
	header = append(header, lines...)
	meta := func(name string) k8sMeta {
		return k8sMeta{Name: name, Labels: map[string]string{"app.kubernetes.io/managed-by": "crossgate-export"}}
	}
	var docs []any
	for _, p := range pl.Policies {
		h := traefikMiddleware(p)
		docs = append(docs, traefikCRD{APIVersion: "traefik.io/v1alpha1", Kind: "Middleware", Metadata: meta("cg-" + k8sName(p.Name)), Spec: map[string]any{"headers": h}})
	}
	if pl.Upstream != "" {
		docs = append(docs, traefikCRD{APIVersion: "traefik.io/v1alpha1", Kind: "Middleware", Metadata: meta("cg-no-policy"), Spec: map[string]any{"headers": traefikNoPolicy()}})
	}
	for _, u := range pl.Upstreams() {
		if up := ups[u]; up.Path != "" {
			docs = append(docs, traefikCRD{APIVersion: "traefik.io/v1alpha1", Kind: "Middleware", Metadata: meta(up.name + "-prefix"), Spec: map[string]any{"addPrefix": map[string]string{"prefix": up.Path}}})
		}
	}
	var spec ingressRouteSpec
	for _, r := range traefikRoutes(pl, ups) {
		rr := ingressRouteRoute{Kind: "Rule", Match: r.Rule, Priority: r.Priority}
		for _, m := range r.Middlewares {
			rr.Middlewares = append(rr.Middlewares, map[string]string{"name": m})
		}
		up := ups[r.Upstream]
		rr.Services = []ingressRouteSvc{{Name: up.name, Port: up.Port}}
		spec.Routes = append(spec.Routes, rr)
	}
	docs = append(docs, traefikCRD{APIVersion: "traefik.io/v1alpha1", Kind: "IngressRoute", Metadata: meta("crossgate"), Spec: spec})
	return writeYAML(w, header, docs...)
}
