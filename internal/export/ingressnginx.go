package export

import (
	"io"
	"regexp"
	"strconv"
	"strings"
)

// ingress-nginx: Kubernetes networking.k8s.io/v1 Ingresses with the
// controller's CORS annotations
// (https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#enable-cors).
// The annotations hold for a whole Ingress, so there is one Ingress per
// host and policy, holding the paths the policy gets on that host.
//
// Traps avoided (scanners-gateways.md §4.4, export-targets.md): every
// annotation is written, because the controller's defaults are
// permissive (credentials on, max-age 1728000, a list of headers); an
// invalid value falls back to a default, "*" for origins, so every value
// is written in the form the controller's validators accept; origins
// always have a scheme (a scheme-less entry becomes an unanchored regex).
// The controller matches "*." subdomains on one label only, answers every
// OPTIONS with Origin itself, forwards refused preflights, and adds no
// Vary: those are in the caps.
var ingressNginxTarget = &Target{
	Name:          "ingress-nginx",
	Summary:       "Kubernetes Ingresses (networking.k8s.io/v1) with ingress-nginx's CORS annotations",
	Comment:       "# ",
	NeedsUpstream: true,
	Render:        renderIngressNginx,
	Caps: func() Caps {
		c := ProxyCaps()
		c.Subdomains = Approx(`ingress-nginx matches "*." as one label of [A-Za-z0-9-], so deeper subdomains (and labels with "_") are refused`)
		c.AnyPort = No("ingress-nginx origins have no port wildcard; the entry is left out")
		c.AnyOrigin = Approx(`for "*" ingress-nginx answers every preflight and request with Access-Control-Allow-Origin: *, whatever the Origin`)
		c.AnyMethod = No(`cors-allow-methods takes only method names, not "*"`)
		c.AnyHeader = No(`cors-allow-headers takes only header names ([A-Za-z0-9_-]), not "*"`)
		c.MaxAgeZero = Approx("ingress-nginx's handling of cors-max-age 0 is not verified")
		c.MaxAgeAbsent = Approx("ingress-nginx always sends Access-Control-Max-Age (1728000 by default); 5 is written, the browsers' own default")
		c.PrivateNetwork = No("ingress-nginx has no private network annotation")
		c.PreflightStatus = No("ingress-nginx answers preflights with 204")
		c.RefusedPreflight = No("ingress-nginx forwards preflights from refused origins to the upstream, and answers every OPTIONS carrying Origin (plain ones included) itself")
		c.StripUpstream = Approx("the controller's more_set_headers replaces the upstream's CORS headers on CORS responses only; a refused origin gets the upstream's")
		c.KeepUpstreamCORS = No("the controller replaces the upstream's CORS headers")
		c.Vary = No("ingress-nginx sends no Vary: Origin (kubernetes/ingress-nginx#10490)")
		c.Extra = ingressNginxExtra
		c.WebSocketOrigin = noWebSocketOrigin("ingress-nginx")
		return c
	}(),
}

const ingressNginxPrefix = "nginx.ingress.kubernetes.io/"

// noHeader stands for an empty allow_headers: the annotation cannot be
// empty (the controller would then allow its default list), so it names a
// header no page sends.
const noHeader = "X-Crossgate-No-Header"

// ingressNginxName matches the header names the controller's validators
// take (parser.HeadersVariable, corsExposeHeadersRegex): a value with any
// other character makes the controller fall back to its default list.
var ingressNginxName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// ingressNginxNames returns the names the validators take.
func ingressNginxNames(names []string) []string {
	var out []string
	for _, n := range names {
		if ingressNginxName.MatchString(n) {
			out = append(out, n)
		}
	}
	return out
}

func ingressNginxExtra(pl *Plan) []Difference {
	var diffs []Difference
	for _, p := range pl.Policies {
		for field, names := range map[string][]string{"allow_headers": p.Headers, "expose_headers": p.ExposeList} {
			for _, n := range names {
				if n != "*" && !ingressNginxName.MatchString(n) {
					diffs = append(diffs, policyDiff(pl, p, field, n, Unsupported,
						"the controller takes header names of [A-Za-z0-9_-] only (it would fall back to its defaults); the name is left out"))
				}
			}
		}
		if len(p.Headers) == 0 {
			diffs = append(diffs, policyDiff(pl, p, "allow_headers", "", Approximate,
				"cors-allow-headers cannot be empty (the controller would allow its default list); the made-up "+noHeader+" is written"))
		}
		for i, h := range p.Hosts {
			if strings.HasPrefix(h, "*.") {
				diffs = append(diffs, policyDiff(pl, p, "match.hosts["+strconv.Itoa(i)+"]", h, Approximate,
					"an Ingress wildcard host matches one label only (a.example.com, not a.b.example.com)"))
			}
		}
		if up, err := UpstreamURL(p.Name, p.Upstream); err == nil && splitUpstream(up).Path != "" {
			diffs = append(diffs, policyDiff(pl, p, "upstream", p.Upstream, Unsupported,
				"the upstream's path is not put before the request's (that needs rewrite-target)"))
		}
	}
	diffs = append(diffs, ipHostDiffs(pl, "Ingress hosts cannot be IP addresses; the host is left out")...)
	return diffs
}

type ingress struct {
	APIVersion string      `yaml:"apiVersion"`
	Kind       string      `yaml:"kind"`
	Metadata   k8sMeta     `yaml:"metadata"`
	Spec       ingressSpec `yaml:"spec"`
}

type ingressSpec struct {
	IngressClassName string        `yaml:"ingressClassName"`
	Rules            []ingressRule `yaml:"rules"`
}

type ingressRule struct {
	Host string `yaml:"host,omitempty"`
	HTTP struct {
		Paths []ingressPath `yaml:"paths"`
	} `yaml:"http"`
}

type ingressPath struct {
	Path     string `yaml:"path"`
	PathType string `yaml:"pathType"`
	Backend  struct {
		Service struct {
			Name string `yaml:"name"`
			Port struct {
				Number int `yaml:"number"`
			} `yaml:"port"`
		} `yaml:"service"`
	} `yaml:"backend"`
}

func renderIngressNginx(pl *Plan, w io.Writer) error {
	ups, lines, err := k8sUpstreams(pl)
	if err != nil {
		return err
	}
	header := []string{
		generatedBy(pl, "ingress-nginx"),
		"Ingresses for ingress-nginx (ingressClassName nginx). The backends are Services standing for the upstreams:",
	}
	header = append(header, lines...)
	var docs []any
	for _, h := range append(nonIPHosts(pl), "") {
		// One Ingress per policy on this host, in the order the
		// policies first appear, and one for the paths without a policy.
		var order []*Policy
		byPolicy := map[*Policy]*ingress{}
		for _, r := range k8sRoutes(pl, h) {
			ing := byPolicy[r.Policy]
			if ing == nil {
				name := "crossgate-no-policy-" + k8sName(h)
				if r.Policy != nil {
					name = "crossgate-" + k8sName(r.Policy.Name) + "-" + k8sName(h)
				}
				ing = &ingress{
					APIVersion: "networking.k8s.io/v1",
					Kind:       "Ingress",
					Metadata:   k8sMeta{Name: strings.ToLower(name), Labels: map[string]string{"app.kubernetes.io/managed-by": "crossgate-export"}},
					Spec:       ingressSpec{IngressClassName: "nginx", Rules: []ingressRule{{Host: h}}},
				}
				if r.Policy != nil {
					ing.Metadata.Annotations = ingressNginxAnnotations(r.Policy)
				}
				byPolicy[r.Policy] = ing
				order = append(order, r.Policy)
			}
			up := pl.Upstream
			if r.Policy != nil {
				up = r.Policy.Upstream
			}
			ip := ingressPath{Path: r.Path, PathType: "Prefix"}
			if r.Exact {
				ip.PathType = "Exact"
			}
			ip.Backend.Service.Name = ups[up].name
			ip.Backend.Service.Port.Number = ups[up].Port
			ing.Spec.Rules[0].HTTP.Paths = append(ing.Spec.Rules[0].HTTP.Paths, ip)
		}
		for _, p := range order {
			docs = append(docs, byPolicy[p])
		}
	}
	return writeYAML(w, header, docs...)
}

// ingressNginxAnnotations writes every CORS annotation of p, in the forms
// the controller's validators accept (internal/ingress/annotations/cors).
func ingressNginxAnnotations(p *Policy) map[string]string {
	a := map[string]string{"enable-cors": "true"}
	var origins []string
	if p.AnyOrigin {
		origins = append(origins, "*")
	}
	origins = append(origins, p.Exact...)
	for _, pat := range p.Patterns {
		if pat.Port >= 0 {
			origins = append(origins, pat.String())
		}
	}
	if len(origins) == 0 {
		// An empty or invalid value means "*" to the controller: name an
		// origin no page has instead (RFC 6761 reserves .invalid).
		origins = []string{"https://crossgate-no-origin.invalid"}
	}
	// The validator takes "," without spaces between origins.
	a["cors-allow-origin"] = strings.Join(origins, ",")
	a["cors-allow-credentials"] = strconv.FormatBool(p.Credentials)
	methods := strings.ReplaceAll(p.AllowMethods, ",", ", ")
	if methods == "" || p.AnyMethod {
		methods = "GET, HEAD, POST" // the CORS-safelisted methods: no more than an empty list allows
	}
	a["cors-allow-methods"] = methods
	headers := strings.Join(ingressNginxNames(p.Headers), ", ")
	if headers == "" || p.AnyHeader {
		headers = noHeader
	}
	a["cors-allow-headers"] = headers
	if p.ExposeHeaders != "" {
		expose := ingressNginxNames(p.ExposeList)
		if p.ExposeHeaders == "*" {
			expose = []string{"*"}
		}
		if len(expose) > 0 {
			a["cors-expose-headers"] = strings.Join(expose, ", ")
		}
	}
	maxAge := "5"
	if p.HasMaxAge {
		maxAge = p.MaxAge
	}
	a["cors-max-age"] = maxAge
	out := make(map[string]string, len(a))
	for k, v := range a {
		out[ingressNginxPrefix+k] = v
	}
	return out
}
