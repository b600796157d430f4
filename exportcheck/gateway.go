package exportcheck

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/util/validation"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"
)

var (
	httpRouteOnce   sync.Once
	httpRouteSchema Schema
	httpRouteErr    error
)

// HTTPRouteSchema returns the schema of HTTPRoute v1 from the standard
// channel CRD that sigs.k8s.io/gateway-api v1.5.1 ships
// (config/crd/standard/gateway.networking.k8s.io_httproutes.yaml).
func HTTPRouteSchema() (Schema, error) {
	httpRouteOnce.Do(func() {
		dir, err := ModuleDir("sigs.k8s.io/gateway-api", "")
		if err != nil {
			httpRouteErr = err
			return
		}
		httpRouteSchema, httpRouteErr = LoadCRD(filepath.Join(dir, "config/crd/standard/gateway.networking.k8s.io_httproutes.yaml"), "v1")
	})
	return httpRouteSchema, httpRouteErr
}

// GatewayAPI checks a stream of HTTPRoute documents: a strict decode into
// sigs.k8s.io/gateway-api's v1 types (unknown fields refused), the standard
// channel CRD's OpenAPI schema (patterns, bounds, enums), and the CEL rules
// of that CRD that bear on what an export writes, written out here. It
// returns the decoded routes.
func GatewayAPI(src []byte) ([]*gatewayv1.HTTPRoute, error) {
	schema, err := HTTPRouteSchema()
	if err != nil {
		return nil, err
	}
	var routes []*gatewayv1.HTTPRoute
	var errs []error
	for i, doc := range splitYAML(src) {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("gateway-api: document %d: %s", i+1, fmt.Sprintf(format, args...)))
		}
		var rt gatewayv1.HTTPRoute
		if err := yaml.UnmarshalStrict(doc, &rt); err != nil {
			bad("%v", err)
			continue
		}
		routes = append(routes, &rt)
		if rt.APIVersion != "gateway.networking.k8s.io/v1" || rt.Kind != "HTTPRoute" {
			bad("apiVersion %q kind %q, want gateway.networking.k8s.io/v1 HTTPRoute", rt.APIVersion, rt.Kind)
		}
		for _, msg := range validation.IsDNS1123Subdomain(rt.Name) {
			bad("metadata.name %q: %s", rt.Name, msg)
		}
		var obj any
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			bad("%v", err)
			continue
		}
		for _, e := range schema.Validate(obj) {
			bad("%v", e)
		}
		for _, e := range httpRouteCEL(&rt) {
			bad("%v", e)
		}
	}
	return routes, errors.Join(errs...)
}

var pathChars = regexp.MustCompile(`^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$`)

// httpRouteCEL applies the x-kubernetes-validations of the HTTPRoute CRD
// that concern rules, matches, filters and the CORS filter (the rules that
// need an API server, such as parentRefs uniqueness, are left out).
func httpRouteCEL(rt *gatewayv1.HTTPRoute) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	total := 0
	for ri, r := range rt.Spec.Rules {
		total += len(r.Matches)
		for mi, m := range r.Matches {
			if m.Path == nil || m.Path.Value == nil {
				continue
			}
			v := *m.Path.Value
			t := gatewayv1.PathMatchPathPrefix
			if m.Path.Type != nil {
				t = *m.Path.Type
			}
			if t != gatewayv1.PathMatchExact && t != gatewayv1.PathMatchPathPrefix {
				continue
			}
			p := fmt.Sprintf("spec.rules[%d].matches[%d].path.value %q", ri, mi, v)
			switch {
			case !strings.HasPrefix(v, "/"):
				bad("%s: must start with '/'", p)
			case strings.Contains(v, "//"), strings.Contains(v, "/./"), strings.Contains(v, "/../"),
				strings.Contains(strings.ToLower(v), "%2f"), strings.Contains(v, "#"):
				bad("%s: must not contain //, /./, /../, %%2f or #", p)
			case strings.HasSuffix(v, "/.."), strings.HasSuffix(v, "/."):
				bad("%s: must not end with /. or /..", p)
			case !pathChars.MatchString(v):
				bad("%s: invalid characters", p)
			}
		}
		kinds := map[gatewayv1.HTTPRouteFilterType]int{}
		for fi, f := range r.Filters {
			p := fmt.Sprintf("spec.rules[%d].filters[%d]", ri, fi)
			kinds[f.Type]++
			if (f.CORS != nil) != (f.Type == gatewayv1.HTTPRouteFilterCORS) {
				bad("%s: filter.cors must be set if and only if the type is CORS", p)
			}
			if (f.ResponseHeaderModifier != nil) != (f.Type == gatewayv1.HTTPRouteFilterResponseHeaderModifier) {
				bad("%s: filter.responseHeaderModifier must be set if and only if the type is ResponseHeaderModifier", p)
			}
			if c := f.CORS; c != nil {
				if slices.Contains(c.AllowOrigins, "*") && len(c.AllowOrigins) > 1 {
					bad("%s.cors.allowOrigins: '*' alongside other origins", p)
				}
				if slices.Contains(c.AllowMethods, "*") && len(c.AllowMethods) > 1 {
					bad("%s.cors.allowMethods: '*' alongside other methods", p)
				}
				if slices.Contains(c.AllowHeaders, "*") && len(c.AllowHeaders) > 1 {
					bad("%s.cors.allowHeaders: '*' alongside other headers", p)
				}
				// The spec turns "*" + allowCredentials into reflect-any with
				// credentials (HTTPCORSFilter docs): never export it.
				if c.AllowCredentials != nil && *c.AllowCredentials &&
					(slices.Contains(c.AllowOrigins, "*") || slices.Contains(c.AllowMethods, "*") || slices.Contains(c.AllowHeaders, "*")) {
					bad("%s.cors: '*' with allowCredentials reflects any value with credentials", p)
				}
			}
		}
		for _, k := range []gatewayv1.HTTPRouteFilterType{gatewayv1.HTTPRouteFilterCORS, gatewayv1.HTTPRouteFilterResponseHeaderModifier, gatewayv1.HTTPRouteFilterRequestHeaderModifier} {
			if kinds[k] > 1 {
				bad("spec.rules[%d].filters: %s filter repeated", ri, k)
			}
		}
		for bi, b := range r.BackendRefs {
			if (b.Group == nil || *b.Group == "") && (b.Kind == nil || *b.Kind == "Service") && b.Port == nil {
				bad("spec.rules[%d].backendRefs[%d]: a Service reference needs a port", ri, bi)
			}
		}
	}
	if total >= 128 {
		bad("spec.rules: %d matches in all, fewer than 128 allowed", total)
	}
	return errs
}
