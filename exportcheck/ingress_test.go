package exportcheck

import (
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/export"
	"github.com/crossgate/crossgate/internal/origin"
)

func TestIngressNginxExamples(t *testing.T) {
	for _, file := range examples(t) {
		t.Run(file, func(t *testing.T) {
			out, pl := render(t, file, "ingress-nginx")
			ings, err := Ingress(out)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if len(ings) == 0 {
				t.Fatalf("no Ingress\n%s", out)
			}
			for _, ing := range ings {
				for _, r := range ing.Spec.Rules {
					for _, p := range r.HTTP.Paths {
						h := r.Host
						if strings.HasPrefix(h, "*.") {
							h = "x" + h[1:]
						}
						var want *export.Policy
						if rt, ok := pl.Lookup(h, p.Path); ok {
							want = rt.Policy
						}
						allow, cors := ing.Annotations[nginxPrefix+"cors-allow-origin"], ing.Annotations[nginxPrefix+"enable-cors"] == "true"
						if (want != nil) != cors {
							t.Errorf("%s %s: CORS %v, crossgate policy %v", r.Host, p.Path, cors, want)
							continue
						}
						if want == nil {
							continue
						}
						if got := ing.Annotations[nginxPrefix+"cors-allow-credentials"]; got != map[bool]string{true: "true", false: "false"}[want.Credentials] {
							t.Errorf("%s %s: credentials %q, policy %q says %v", r.Host, p.Path, got, want.Name, want.Credentials)
						}
						for _, o := range probeOrigins(want) {
							got, exp := NginxOriginAllowed(allow, o), policyAllows(want, o)
							switch {
							case got == exp:
							case got && policyAllows(want, strings.ToLower(o)):
								// The controller matches case-insensitively;
								// browsers send origins in lower case.
							case !got && droppedAllows(want, o, func(p origin.Pattern) bool { return p.Subdomains || p.Port == origin.AnyPort }):
								// Subdomains below one label of [A-Za-z0-9-]
								// and any-port origins are the
								// approximations the caps name.
							default:
								t.Errorf("%s %s: origin %q: controller %v, policy %q %v", r.Host, p.Path, o, got, want.Name, exp)
							}
						}
					}
				}
			}
		})
	}
}

func TestIngressNginxRefuses(t *testing.T) {
	out, _ := render(t, "../examples/crossgate.yaml", "ingress-nginx")
	good := string(out)
	for name, tc := range map[string]struct{ old, new, want string }{
		"no credentials":   {`nginx.ingress.kubernetes.io/cors-allow-credentials: "true"`, `x: "y"`, "defaults to true"},
		"no max age":       {`nginx.ingress.kubernetes.io/cors-max-age: "0"`, `x: "y"`, "1728000"},
		"star header":      {`cors-allow-headers: Authorization, Content-Type`, `cors-allow-headers: '*'`, "validator"},
		"scheme-less":      {`cors-allow-origin: https://admin.example.com`, `cors-allow-origin: https://admin.example.com,admin.example.com`, "without a scheme"},
		"IP host":          {`- host: api.example.com`, `- host: 127.0.0.1`, "IP address"},
		"unknown field":    {`pathType: Prefix`, `pathKind: Prefix`, "pathKind"},
		"bad service name": {`name: upstream-0`, `name: Upstream_0`, "service.name"},
		"no path type":     {"            pathType: Prefix\n", "", "pathType: required"},
	} {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(good, tc.old) {
				t.Fatalf("the export has no %q", tc.old)
			}
			_, err := Ingress([]byte(strings.Replace(good, tc.old, tc.new, 1)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error naming %q", err, tc.want)
			}
		})
	}
}
