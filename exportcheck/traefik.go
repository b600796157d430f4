package exportcheck

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
	syaml "sigs.k8s.io/yaml"
)

// Traefik's dynamic configuration, as far as an export uses it, written
// from the documented schema
// (https://doc.traefik.io/traefik/reference/dynamic-configuration/file/ and
// pkg/config/dynamic in Traefik v3.6): importing Traefik's own package
// pulls about 150 modules (Kubernetes, lego...), too many even for this
// module, so the structs are written here and decoded strictly (unknown
// keys refused). The Kubernetes CRDs are checked against the OpenAPI
// schemas Traefik ships in its module instead (TraefikCRDSchema).
type TraefikDynamic struct {
	HTTP *struct {
		Routers     map[string]TraefikRouter     `yaml:"routers"`
		Middlewares map[string]TraefikMiddleware `yaml:"middlewares"`
		Services    map[string]struct {
			LoadBalancer *struct {
				Servers []struct {
					URL string `yaml:"url"`
				} `yaml:"servers"`
				PassHostHeader *bool `yaml:"passHostHeader"`
			} `yaml:"loadBalancer"`
		} `yaml:"services"`
	} `yaml:"http"`
}

type TraefikRouter struct {
	Rule        string   `yaml:"rule"`
	Priority    int      `yaml:"priority"`
	Middlewares []string `yaml:"middlewares"`
	Service     string   `yaml:"service"`
	EntryPoints []string `yaml:"entryPoints"`
}

type TraefikMiddleware struct {
	Headers   *TraefikHeaders `yaml:"headers"`
	AddPrefix *struct {
		Prefix string `yaml:"prefix"`
	} `yaml:"addPrefix"`
}

// TraefikHeaders is the CORS part of the headers middleware, and
// customResponseHeaders.
type TraefikHeaders struct {
	AccessControlAllowCredentials     bool              `yaml:"accessControlAllowCredentials" json:"accessControlAllowCredentials"`
	AccessControlAllowHeaders         []string          `yaml:"accessControlAllowHeaders" json:"accessControlAllowHeaders"`
	AccessControlAllowMethods         []string          `yaml:"accessControlAllowMethods" json:"accessControlAllowMethods"`
	AccessControlAllowOriginList      []string          `yaml:"accessControlAllowOriginList" json:"accessControlAllowOriginList"`
	AccessControlAllowOriginListRegex []string          `yaml:"accessControlAllowOriginListRegex" json:"accessControlAllowOriginListRegex"`
	AccessControlExposeHeaders        []string          `yaml:"accessControlExposeHeaders" json:"accessControlExposeHeaders"`
	AccessControlMaxAge               int64             `yaml:"accessControlMaxAge" json:"accessControlMaxAge"`
	AddVaryHeader                     bool              `yaml:"addVaryHeader" json:"addVaryHeader"`
	CustomResponseHeaders             map[string]string `yaml:"customResponseHeaders" json:"customResponseHeaders"`
}

// Traefik decodes and checks a file-provider dynamic configuration: no
// unknown key, every router's rule parses and its regexes compile, every
// router names a service and middlewares that exist, and the headers
// middlewares have anchored origin regexes and strip the upstream's CORS
// headers themselves.
func Traefik(src []byte) (*TraefikDynamic, error) {
	var d TraefikDynamic
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("traefik: %w", err)
	}
	if d.HTTP == nil {
		return nil, errors.New("traefik: no http section")
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("traefik: "+format, args...)) }
	for name, r := range d.HTTP.Routers {
		if _, err := ParseTraefikRule(r.Rule); err != nil {
			bad("router %s: rule %q: %v", name, r.Rule, err)
		}
		if _, ok := d.HTTP.Services[r.Service]; !ok {
			bad("router %s: no service %q", name, r.Service)
		}
		for _, m := range r.Middlewares {
			if _, ok := d.HTTP.Middlewares[m]; !ok {
				bad("router %s: no middleware %q", name, m)
			}
		}
		if r.Priority <= 0 {
			bad("router %s: no explicit priority (the default is the rule's length)", name)
		}
	}
	for name, s := range d.HTTP.Services {
		if s.LoadBalancer == nil || len(s.LoadBalancer.Servers) == 0 {
			bad("service %s: no servers", name)
			continue
		}
		for _, sv := range s.LoadBalancer.Servers {
			if !strings.HasPrefix(sv.URL, "http://") && !strings.HasPrefix(sv.URL, "https://") {
				bad("service %s: server url %q", name, sv.URL)
			}
		}
	}
	for name, m := range d.HTTP.Middlewares {
		if m.Headers != nil {
			for _, e := range CheckTraefikHeaders(m.Headers) {
				bad("middleware %s: %v", name, e)
			}
		}
	}
	return &d, errors.Join(errs...)
}

// CheckTraefikHeaders refuses the headers middleware traps: unanchored or
// invalid origin regexes (Traefik uses MatchString), and upstream CORS
// headers left in place.
func CheckTraefikHeaders(h *TraefikHeaders) []error {
	var errs []error
	for _, re := range h.AccessControlAllowOriginListRegex {
		if _, err := regexp.Compile(re); err != nil {
			errs = append(errs, fmt.Errorf("accessControlAllowOriginListRegex %q: %v", re, err))
		}
		if !strings.HasPrefix(re, "^") || !strings.HasSuffix(re, "$") {
			errs = append(errs, fmt.Errorf("accessControlAllowOriginListRegex %q: not anchored ^…$ (Traefik matches anywhere in the origin)", re))
		}
	}
	if h.AccessControlAllowCredentials && slices.Contains(h.AccessControlAllowOriginList, "*") {
		errs = append(errs, errors.New(`accessControlAllowOriginList "*" with credentials`))
	}
	for _, k := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Expose-Headers"} {
		if v, ok := h.CustomResponseHeaders[k]; !ok || v != "" {
			errs = append(errs, fmt.Errorf("customResponseHeaders does not remove the upstream's %s", k))
		}
	}
	return errs
}

// TraefikOriginAllowed is the headers middleware's origin check
// (pkg/middlewares/headers/header.go isOriginAllowed): "*" or an exact
// entry, or a regex that matches anywhere in the origin.
func TraefikOriginAllowed(h *TraefikHeaders, origin string) bool {
	for _, o := range h.AccessControlAllowOriginList {
		if o == "*" || o == origin {
			return true
		}
	}
	for _, re := range h.AccessControlAllowOriginListRegex {
		if regexp.MustCompile(re).MatchString(origin) {
			return true
		}
	}
	return false
}

// TraefikRule is a parsed router rule (v3 syntax): a matcher, or !, &&, ||
// of rules.
type TraefikRule struct {
	Op    string // "Host", "HostRegexp", "Path", "PathPrefix", "PathRegexp", "!", "&&", "||"
	Arg   string
	re    *regexp.Regexp
	Left  *TraefikRule
	Right *TraefikRule
}

// Match evaluates the rule for a request host (without port) and path.
func (r *TraefikRule) Match(host, path string) bool {
	switch r.Op {
	case "&&":
		return r.Left.Match(host, path) && r.Right.Match(host, path)
	case "||":
		return r.Left.Match(host, path) || r.Right.Match(host, path)
	case "!":
		return !r.Left.Match(host, path)
	case "Host":
		return strings.EqualFold(host, r.Arg)
	case "HostRegexp":
		return r.re.MatchString(host)
	case "Path":
		return path == r.Arg
	case "PathPrefix":
		return strings.HasPrefix(path, r.Arg)
	case "PathRegexp":
		return r.re.MatchString(path)
	}
	return false
}

// ParseTraefikRule parses the subset of Traefik's v3 rule language an
// export writes; any other matcher is an error.
func ParseTraefikRule(s string) (*TraefikRule, error) {
	p := &ruleParser{s: s}
	r, err := p.or()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.s) {
		return nil, fmt.Errorf("unexpected %q at %d", p.s[p.i:], p.i)
	}
	return r, nil
}

type ruleParser struct {
	s string
	i int
}

func (p *ruleParser) space() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *ruleParser) eat(tok string) bool {
	p.space()
	if strings.HasPrefix(p.s[p.i:], tok) {
		p.i += len(tok)
		return true
	}
	return false
}

func (p *ruleParser) or() (*TraefikRule, error) {
	l, err := p.and()
	for err == nil && p.eat("||") {
		var r *TraefikRule
		if r, err = p.and(); err == nil {
			l = &TraefikRule{Op: "||", Left: l, Right: r}
		}
	}
	return l, err
}

func (p *ruleParser) and() (*TraefikRule, error) {
	l, err := p.unary()
	for err == nil && p.eat("&&") {
		var r *TraefikRule
		if r, err = p.unary(); err == nil {
			l = &TraefikRule{Op: "&&", Left: l, Right: r}
		}
	}
	return l, err
}

func (p *ruleParser) unary() (*TraefikRule, error) {
	if p.eat("!") {
		r, err := p.unary()
		return &TraefikRule{Op: "!", Left: r}, err
	}
	if p.eat("(") {
		r, err := p.or()
		if err == nil && !p.eat(")") {
			err = fmt.Errorf("missing ) at %d", p.i)
		}
		return r, err
	}
	p.space()
	for _, m := range []string{"HostRegexp", "Host", "PathRegexp", "PathPrefix", "Path"} {
		if !strings.HasPrefix(p.s[p.i:], m+"(`") {
			continue
		}
		p.i += len(m) + 2
		end := strings.IndexByte(p.s[p.i:], '`')
		if end < 0 || !strings.HasPrefix(p.s[p.i+end:], "`)") {
			return nil, fmt.Errorf("%s: unterminated argument", m)
		}
		r := &TraefikRule{Op: m, Arg: p.s[p.i : p.i+end]}
		p.i += end + 2
		if strings.HasSuffix(m, "Regexp") {
			re, err := regexp.Compile(r.Arg)
			if err != nil {
				return nil, fmt.Errorf("%s(`%s`): %v", m, r.Arg, err)
			}
			r.re = re
		}
		if strings.HasPrefix(m, "Path") && m != "PathRegexp" && !strings.HasPrefix(r.Arg, "/") {
			return nil, fmt.Errorf("%s(`%s`): a path starts with /", m, r.Arg)
		}
		return r, nil
	}
	return nil, fmt.Errorf("unknown matcher at %q", p.s[p.i:])
}

var (
	traefikCRDOnce    sync.Once
	traefikCRDDir     string
	traefikCRDDirErr  error
	traefikCRDVersion = "v3.6.12" // the newest Traefik whose go.mod builds with Go 1.25 (export-targets.md)
)

// TraefikCRDSchema returns the schema of a Traefik CRD (middlewares,
// ingressroutes) from the manifests in Traefik's module
// (docs/content/reference/dynamic-configuration/traefik.io_*.yaml),
// downloaded through the module proxy (only the module zip, nothing is
// built).
func TraefikCRDSchema(plural string) (Schema, error) {
	traefikCRDOnce.Do(func() {
		traefikCRDDir, traefikCRDDirErr = ModuleDir("github.com/traefik/traefik/v3", traefikCRDVersion)
	})
	if traefikCRDDirErr != nil {
		return nil, traefikCRDDirErr
	}
	return LoadCRD(filepath.Join(traefikCRDDir, "docs/content/reference/dynamic-configuration/traefik.io_"+plural+".yaml"), "v1alpha1")
}

// TraefikCRD checks Middleware and IngressRoute documents against the
// CRD schemas, the rules of the IngressRoute routes, and the headers
// middleware traps. It returns the Middlewares' headers by name and the
// IngressRoute routes.
func TraefikCRD(src []byte) (map[string]*TraefikHeaders, []TraefikCRDRoute, error) {
	mwSchema, err := TraefikCRDSchema("middlewares")
	if err != nil {
		return nil, nil, err
	}
	irSchema, err := TraefikCRDSchema("ingressroutes")
	if err != nil {
		return nil, nil, err
	}
	headers := map[string]*TraefikHeaders{}
	var routes []TraefikCRDRoute
	var errs []error
	for i, doc := range splitYAML(src) {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("traefik-crd: document %d: %s", i+1, fmt.Sprintf(format, args...)))
		}
		var obj map[string]any
		if err := syaml.Unmarshal(doc, &obj); err != nil {
			bad("%v", err)
			continue
		}
		var schema Schema
		switch obj["kind"] {
		case "Middleware":
			schema = mwSchema
		case "IngressRoute":
			schema = irSchema
		default:
			bad("kind %v", obj["kind"])
			continue
		}
		if obj["apiVersion"] != "traefik.io/v1alpha1" {
			bad("apiVersion %v, want traefik.io/v1alpha1", obj["apiVersion"])
		}
		for _, e := range schema.Validate(obj) {
			bad("%v", e)
		}
		var typed struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
			Spec struct {
				Headers *TraefikHeaders   `json:"headers"`
				Routes  []TraefikCRDRoute `json:"routes"`
			} `json:"spec"`
		}
		if err := syaml.Unmarshal(doc, &typed); err != nil {
			bad("%v", err)
			continue
		}
		if h := typed.Spec.Headers; h != nil {
			headers[typed.Metadata.Name] = h
			for _, e := range CheckTraefikHeaders(h) {
				bad("%v", e)
			}
		}
		for _, r := range typed.Spec.Routes {
			if _, err := ParseTraefikRule(r.Match); err != nil {
				bad("route %q: %v", r.Match, err)
			}
			routes = append(routes, r)
		}
	}
	return headers, routes, errors.Join(errs...)
}

// TraefikCRDRoute is a route of an IngressRoute.
type TraefikCRDRoute struct {
	Match       string `json:"match"`
	Priority    int    `json:"priority"`
	Middlewares []struct {
		Name string `json:"name"`
	} `json:"middlewares"`
}
