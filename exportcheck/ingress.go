package exportcheck

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

// The validators of ingress-nginx's CORS annotations
// (internal/ingress/annotations/cors/main.go and parser.HeadersVariable).
// A value they refuse is replaced by the controller's default, "*" for
// origins, so an export must never write one.
var (
	nginxOriginList    = regexp.MustCompile(`^((((([a-z]+://)?(\*\.)?[A-Za-z0-9\-.]*(:\d+)?,?)|null)+)|\*)?$`)
	nginxOrigin        = regexp.MustCompile(`^([a-z]+://(\*\.)?[A-Za-z0-9\-.]*(:\d+)?|\*|null)?$`)
	nginxMethods       = regexp.MustCompile(`^([A-Za-z]+,?\s?)+$`)
	nginxHeaders       = regexp.MustCompile(`^([A-Za-z0-9\-\_]+,?\s?)+$`)
	nginxExposeHeaders = regexp.MustCompile(`^(([A-Za-z0-9\-\_]+|\*),?\s?)+$`)
)

const nginxPrefix = "nginx.ingress.kubernetes.io/"

// Ingress checks a stream of Ingress documents for ingress-nginx: a strict
// decode into k8s.io/api networking/v1, the API server's checks that
// apimachinery exports (names, annotation keys and size, DNS host names),
// the path rules of the Ingress validation (absolute, a pathType, no IP
// host), and the controller's annotation validators, with the defaults
// that must be overridden written out. It returns the decoded Ingresses.
func Ingress(src []byte) ([]*networkingv1.Ingress, error) {
	var out []*networkingv1.Ingress
	var errs []error
	for i, doc := range splitYAML(src) {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("ingress-nginx: document %d: %s", i+1, fmt.Sprintf(format, args...)))
		}
		var ing networkingv1.Ingress
		if err := yaml.UnmarshalStrict(doc, &ing); err != nil {
			bad("%v", err)
			continue
		}
		out = append(out, &ing)
		if ing.APIVersion != "networking.k8s.io/v1" || ing.Kind != "Ingress" {
			bad("apiVersion %q kind %q, want networking.k8s.io/v1 Ingress", ing.APIVersion, ing.Kind)
		}
		for _, msg := range validation.IsDNS1123Subdomain(ing.Name) {
			bad("metadata.name %q: %s", ing.Name, msg)
		}
		for _, e := range apivalidation.ValidateAnnotations(ing.Annotations, field.NewPath("metadata", "annotations")) {
			bad("%v", e)
		}
		for ri, r := range ing.Spec.Rules {
			if r.Host != "" {
				if net.ParseIP(r.Host) != nil {
					bad("spec.rules[%d].host %q: must be a DNS name, not an IP address", ri, r.Host)
				}
				msgs := validation.IsDNS1123Subdomain(r.Host)
				if strings.HasPrefix(r.Host, "*.") {
					msgs = validation.IsWildcardDNS1123Subdomain(r.Host)
				}
				for _, msg := range msgs {
					bad("spec.rules[%d].host %q: %s", ri, r.Host, msg)
				}
			}
			if r.HTTP == nil || len(r.HTTP.Paths) == 0 {
				bad("spec.rules[%d]: no http paths", ri)
				continue
			}
			for pi, p := range r.HTTP.Paths {
				at := fmt.Sprintf("spec.rules[%d].http.paths[%d]", ri, pi)
				if p.PathType == nil {
					bad("%s.pathType: required", at)
				} else if t := *p.PathType; t != networkingv1.PathTypeExact && t != networkingv1.PathTypePrefix && t != networkingv1.PathTypeImplementationSpecific {
					bad("%s.pathType %q: not Exact, Prefix or ImplementationSpecific", at, t)
				}
				if !strings.HasPrefix(p.Path, "/") {
					bad("%s.path %q: must be absolute", at, p.Path)
				}
				for _, s := range []string{"//", "/./", "/../", "%2f", "%2F"} {
					if strings.Contains(p.Path, s) {
						bad("%s.path %q: must not contain %q", at, p.Path, s)
					}
				}
				svc := p.Backend.Service
				if svc == nil {
					bad("%s.backend: no service", at)
					continue
				}
				for _, msg := range validation.IsDNS1035Label(svc.Name) {
					bad("%s.backend.service.name %q: %s", at, svc.Name, msg)
				}
				if n := svc.Port.Number; n < 1 || n > 65535 {
					bad("%s.backend.service.port.number %d: not a port", at, n)
				}
			}
		}
		if ing.Annotations[nginxPrefix+"enable-cors"] == "true" {
			for _, e := range nginxCORSAnnotations(ing.Annotations) {
				bad("%v", e)
			}
		}
	}
	return out, errors.Join(errs...)
}

// nginxCORSAnnotations applies the controller's validators, and refuses
// a missing annotation whose default is wider than any export means.
func nginxCORSAnnotations(a map[string]string) []error {
	var errs []error
	get := func(k string) (string, bool) { v, ok := a[nginxPrefix+k]; return v, ok }
	check := func(k string, re *regexp.Regexp) {
		v, ok := get(k)
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s%s: missing, so the controller's default applies", nginxPrefix, k))
		case !re.MatchString(v):
			errs = append(errs, fmt.Errorf("%s%s %q: refused by the controller's validator (it falls back to its default)", nginxPrefix, k, v))
		}
	}
	check("cors-allow-origin", nginxOriginList)
	check("cors-allow-methods", nginxMethods)
	check("cors-allow-headers", nginxHeaders)
	if v, ok := get("cors-allow-origin"); ok {
		for _, o := range strings.Split(v, ",") {
			o = strings.TrimSpace(o)
			if !nginxOrigin.MatchString(o) || !strings.Contains(o, "://") && o != "*" {
				errs = append(errs, fmt.Errorf("cors-allow-origin entry %q: skipped by the controller or unanchored without a scheme", o))
			}
		}
	}
	if v, ok := get("cors-expose-headers"); ok && !nginxExposeHeaders.MatchString(v) {
		errs = append(errs, fmt.Errorf("cors-expose-headers %q: refused by the controller's validator", v))
	}
	if v, ok := get("cors-allow-credentials"); !ok || (v != "true" && v != "false") {
		errs = append(errs, fmt.Errorf("cors-allow-credentials %q: must be written (the controller defaults to true)", v))
	}
	if v, ok := get("cors-max-age"); !ok {
		errs = append(errs, fmt.Errorf("cors-max-age: must be written (the controller defaults to 1728000)"))
	} else if _, err := strconv.Atoi(v); err != nil {
		errs = append(errs, fmt.Errorf("cors-max-age %q: not an integer", v))
	}
	return errs
}

// NginxOriginAllowed applies cors-allow-origin as the controller's
// template does (nginx.tmpl buildCorsOriginRegex): "*" allows all; each
// entry is escaped, "*." becomes one label [A-Za-z0-9-]+, and the
// alternation is matched case-insensitively, anchored at the end only.
func NginxOriginAllowed(annotation, origin string) bool {
	var alts []string
	for _, o := range strings.Split(annotation, ",") {
		o = strings.TrimSpace(o)
		if o == "*" {
			return true
		}
		e := regexp.QuoteMeta(o)
		e = strings.Replace(e, `\*\.`, `[A-Za-z0-9\-]+\.`, 1)
		alts = append(alts, "("+e+")")
	}
	re := regexp.MustCompile(`(?i)(` + strings.Join(alts, "|") + `)$`)
	return re.MatchString(origin)
}
