package exportcheck

import (
	"os"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/export"
)

// probeRequests returns hosts and paths around every route of the plan:
// the paths themselves, without and with a trailing slash, a segment
// below, a string prefix attack ("/v1x"), and hosts under the wildcards.
func probeRequests(pl *export.Plan) (hosts, paths []string) {
	hosts = []string{"other.example"}
	for _, h := range pl.HostNames() {
		if strings.HasPrefix(h, "*.") {
			hosts = append(hosts, "a"+h[1:], "a.b"+h[1:], h[2:])
		} else {
			hosts = append(hosts, h)
		}
	}
	paths = []string{"/", "/x"}
	for _, r := range pl.Routes {
		bare := strings.TrimSuffix(r.Path, "/")
		if bare == "" {
			continue
		}
		paths = append(paths, bare, bare+"/", bare+"/y", bare+"x", bare+"x/y")
	}
	return hosts, paths
}

// want returns the name of the policy crossgate picks, or "".
func wantPolicy(pl *export.Plan, host, path string) *export.Policy {
	if r, ok := pl.Lookup(host, path); ok {
		return r.Policy
	}
	return nil
}

// keepsOnly reports whether err only says that middlewares keep the
// upstream's CORS headers, and the plan has keep_upstream_cors policies
// (Traefik's caps say it cannot replace them as crossgate does, so the
// export leaves them).
func keepsOnly(pl *export.Plan, err error) bool {
	keep := false
	for _, p := range pl.Policies {
		keep = keep || p.KeepUpstreamCORS
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if !strings.Contains(line, "does not remove the upstream's") {
			return false
		}
	}
	return keep
}

// allowsSome reports whether h is a CORS middleware that allows some
// origin (the no-policy middleware only strips and refuses).
func allowsSome(h *TraefikHeaders) bool {
	return h != nil && len(h.AccessControlAllowOriginList)+len(h.AccessControlAllowOriginListRegex) > 0
}

func checkOrigins(t *testing.T, where string, h *TraefikHeaders, p *export.Policy) {
	t.Helper()
	for _, o := range probeOrigins(p) {
		if got, exp := TraefikOriginAllowed(h, o), policyAllows(p, o); got != exp {
			t.Errorf("%s: origin %q: Traefik allows %v, policy %q %v", where, o, got, p.Name, exp)
		}
	}
	if h.AccessControlAllowCredentials != p.Credentials {
		t.Errorf("%s: credentials %v, policy %q %v", where, h.AccessControlAllowCredentials, p.Name, p.Credentials)
	}
}

func TestTraefikExamples(t *testing.T) {
	for _, file := range examples(t) {
		t.Run(file, func(t *testing.T) {
			out, pl := render(t, file, "traefik")
			d, err := Traefik(out)
			if err != nil && keepsOnly(pl, err) {
				err = nil
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			hosts, paths := probeRequests(pl)
			for _, host := range hosts {
				for _, path := range paths {
					// Traefik picks the matching router of highest priority.
					var best *TraefikRouter
					for _, r := range d.HTTP.Routers {
						rule, _ := ParseTraefikRule(r.Rule)
						if rule.Match(host, path) && (best == nil || r.Priority > best.Priority) {
							r := r
							best = &r
						}
					}
					want := wantPolicy(pl, host, path)
					var mw *TraefikHeaders
					if best != nil {
						for _, m := range best.Middlewares {
							if h := d.HTTP.Middlewares[m].Headers; allowsSome(h) {
								mw = h
							}
						}
					}
					switch {
					case want == nil && mw != nil:
						t.Errorf("%s%s: CORS middleware, crossgate has no policy", host, path)
					case want != nil && mw == nil:
						t.Errorf("%s%s: no CORS middleware, crossgate has policy %q", host, path, want.Name)
					case want != nil:
						checkOrigins(t, host+path, mw, want)
					}
				}
			}
		})
	}
}

func TestTraefikRefuses(t *testing.T) {
	out, _ := render(t, "../examples/crossgate.yaml", "traefik")
	good := string(out)
	for name, tc := range map[string]struct{ old, new, want string }{
		"unanchored regex": {`- ^https://(?:[a-z0-9_-]{1,63}\.)+preview\.example\.com$`, `- https://.*\.preview\.example\.com`, "not anchored"},
		"bad regex":        {`- ^https://(?:[a-z0-9_-]{1,63}\.)+preview\.example\.com$`, `- ^https://(x$`, "accessControlAllowOriginListRegex"},
		"unknown key":      {"addVaryHeader: true", "addVaryHeaders: true", "addVaryHeaders"},
		"no strip":         {`Access-Control-Allow-Origin: ""`, `X-Other: ""`, "does not remove"},
		"bad rule":         {"PathPrefix(`/v1/`)", "PathPrefix(`/v1/`", "rule"},
		"no priority":      {"priority: 5\n", "priority: 0\n", "priority"},
		"missing service":  {"service: upstream-0\n", "service: upstream-9\n", "no service"},
	} {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(good, tc.old) {
				t.Fatalf("the export has no %q", tc.old)
			}
			_, err := Traefik([]byte(strings.Replace(good, tc.old, tc.new, 1)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error naming %q", err, tc.want)
			}
		})
	}
}

// traefikCRDOrSkip skips when Traefik's module (for its CRD schemas)
// cannot be downloaded, except under CROSSGATE_E2E=1.
func traefikCRDOrSkip(t *testing.T) {
	t.Helper()
	if _, err := TraefikCRDSchema("middlewares"); err != nil {
		if os.Getenv("CROSSGATE_E2E") == "1" {
			t.Fatalf("Traefik's CRD schemas: %v", err)
		}
		t.Skipf("Traefik's CRD schemas are not available (go mod download github.com/traefik/traefik/v3@%s): %v", traefikCRDVersion, err)
	}
}

func TestTraefikCRDExamples(t *testing.T) {
	traefikCRDOrSkip(t)
	for _, file := range examples(t) {
		t.Run(file, func(t *testing.T) {
			out, pl := render(t, file, "traefik-crd")
			headers, routes, err := TraefikCRD(out)
			if err != nil && keepsOnly(pl, err) {
				err = nil
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			hosts, paths := probeRequests(pl)
			for _, host := range hosts {
				for _, path := range paths {
					var best *TraefikCRDRoute
					for i, r := range routes {
						rule, _ := ParseTraefikRule(r.Match)
						if rule.Match(host, path) && (best == nil || r.Priority > best.Priority) {
							best = &routes[i]
						}
					}
					want := wantPolicy(pl, host, path)
					var mw *TraefikHeaders
					if best != nil {
						for _, m := range best.Middlewares {
							if h := headers[m.Name]; allowsSome(h) {
								mw = h
							}
						}
					}
					switch {
					case (want == nil) != (mw == nil):
						t.Errorf("%s%s: middleware %v, crossgate policy %v", host, path, mw != nil, want)
					case want != nil:
						checkOrigins(t, host+path, mw, want)
					}
				}
			}
		})
	}
}

func TestTraefikCRDRefuses(t *testing.T) {
	traefikCRDOrSkip(t)
	out, _ := render(t, "../examples/crossgate.yaml", "traefik-crd")
	good := string(out)
	for name, tc := range map[string]struct{ old, new, want string }{
		"unknown field":    {"addVaryHeader: true", "addVaryHeaders: true", "addVaryHeaders"},
		"wrong type":       {"accessControlMaxAge: 7200", "accessControlMaxAge: two hours", "number"},
		"route kind":       {"kind: Rule", "kind: Rules", "Rules"},
		"unanchored regex": {`- ^https://(?:[a-z0-9_-]{1,63}\.)+preview\.example\.com$`, `- https://.*\.preview\.example\.com`, "not anchored"},
	} {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(good, tc.old) {
				t.Fatalf("the export has no %q", tc.old)
			}
			_, _, err := TraefikCRD([]byte(strings.Replace(good, tc.old, tc.new, 1)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error naming %q", err, tc.want)
			}
		})
	}
}
