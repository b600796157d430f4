package exportcheck

import (
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/export"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// gatewayOriginAllowed applies allowOrigins as GEP-1767 defines them: an
// exact origin, "*", or a "*." host prefix matching one or more labels.
func gatewayOriginAllowed(c *gatewayv1.HTTPCORSFilter, o string) bool {
	for _, a := range c.AllowOrigins {
		s := string(a)
		if s == "*" || s == o {
			return true
		}
		if i := strings.Index(s, "://*."); i >= 0 {
			scheme, rest := s[:i+3], s[i+4:] // "https://", ".example.com[:port]"
			if strings.HasPrefix(o, scheme) {
				host := strings.TrimPrefix(o, scheme)
				if len(host) > len(rest) && strings.HasSuffix(host, rest) && !strings.Contains(host[:len(host)-len(rest)], "/") {
					return true
				}
			}
		}
	}
	return false
}

func TestGatewayAPIExamples(t *testing.T) {
	for _, file := range examples(t) {
		t.Run(file, func(t *testing.T) {
			out, pl := render(t, file, "gateway-api")
			routes, err := GatewayAPI(out)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if len(routes) == 0 {
				t.Fatalf("no HTTPRoute\n%s", out)
			}
			for _, rt := range routes {
				host := ""
				if len(rt.Spec.Hostnames) > 0 {
					host = string(rt.Spec.Hostnames[0])
				}
				for _, rule := range rt.Spec.Rules {
					path := *rule.Matches[0].Path.Value
					// The rule's CORS is that of the policy crossgate
					// picks for the path (for a wildcard HTTPRoute, a
					// host under it).
					h := host
					if strings.HasPrefix(h, "*.") {
						h = "x" + h[1:]
					}
					var want *export.Policy
					if r, ok := pl.Lookup(h, path); ok {
						want = r.Policy
					}
					var cors *gatewayv1.HTTPCORSFilter
					for _, f := range rule.Filters {
						if f.CORS != nil {
							cors = f.CORS
						}
					}
					switch {
					case want == nil && cors != nil:
						t.Errorf("%s %s: CORS filter where crossgate has no policy", host, path)
					case want != nil && cors == nil:
						t.Errorf("%s %s: no CORS filter, crossgate has policy %q", host, path, want.Name)
					case want != nil:
						anyPort := false
						for _, p := range want.Patterns {
							anyPort = anyPort || p.Port < 0
						}
						for _, o := range probeOrigins(want) {
							got, exp := gatewayOriginAllowed(cors, o), policyAllows(want, o)
							if got && !exp || !anyPort && got != exp {
								t.Errorf("%s %s: origin %q: allowed %v, policy %q says %v", host, path, o, got, want.Name, exp)
							}
						}
						if (cors.AllowCredentials != nil && *cors.AllowCredentials) != want.Credentials {
							t.Errorf("%s %s: allowCredentials differs from policy %q", host, path, want.Name)
						}
					}
				}
			}
		})
	}
}

func TestGatewayAPIRefuses(t *testing.T) {
	out, _ := render(t, "../examples/crossgate.yaml", "gateway-api")
	good := string(out)
	for name, tc := range map[string]struct{ old, new, want string }{
		"any-port origin":   {"- https://admin.example.com", "- http://localhost:*", "pattern"},
		"max age 0":         {"maxAge: 1", "maxAge: 0", "minimum"},
		"unknown field":     {"allowCredentials: true", "allowCredential: true", "allowCredential"},
		"star with others":  {"- https://admin.example.com", "- https://admin.example.com\n              - '*'", "'*' alongside"},
		"bad method":        {"- PATCH", "- PURGE", "PURGE"},
		"dot-dot path":      {"value: /v1/admin/", "value: /v1/../admin/", "/../"},
		"cors without type": {"- type: CORS", "- type: ResponseHeaderModifier", "filter.cors"},
	} {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(good, tc.old) {
				t.Fatalf("the export has no %q", tc.old)
			}
			_, err := GatewayAPI([]byte(strings.Replace(good, tc.old, tc.new, 1)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error naming %q", err, tc.want)
			}
		})
	}
}
