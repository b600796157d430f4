package exportcheck

import (
	"strings"
	"testing"
)

func TestEnvoyExamples(t *testing.T) {
	for _, file := range examples(t) {
		t.Run(file, func(t *testing.T) {
			out, pl := render(t, file, "envoy")
			if err := Envoy(out); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			cps, err := EnvoyCorsPolicies(out)
			if err != nil {
				t.Fatal(err)
			}
			// One CorsPolicy per route of every virtual host.
			want := 0
			for _, h := range append(pl.HostNames(), "") {
				want += len(pl.RoutesFor(h))
			}
			if len(cps) != want {
				t.Fatalf("%d CorsPolicy, want %d", len(cps), want)
			}
			// Each route's policy allows exactly the origins its policy
			// allows. The CorsPolicy's route is found by its max_age,
			// methods and origins, which differ between the examples'
			// policies; compare with every policy and require one to
			// agree on every probe.
			for path, cp := range cps {
				agree := false
				for _, p := range pl.Policies {
					ok := cp.GetAllowMethods() == p.AllowMethods && cp.GetMaxAge() == p.MaxAge
					for _, o := range probeOrigins(p) {
						if EnvoyOriginAllowed(cp, o) != policyAllows(p, o) {
							ok = false
						}
					}
					agree = agree || ok
				}
				if !agree {
					t.Errorf("%s: the CorsPolicy allows other origins than any policy", path)
				}
			}
		})
	}
}

// The checks must catch what Bootstrap.ValidateAll misses.
func TestEnvoyRefuses(t *testing.T) {
	out, _ := render(t, "../examples/crossgate.yaml", "envoy")
	good := string(out)
	for name, tc := range map[string]struct{ old, new, want string }{
		"bad regex in an Any":   {`regex: ^https://(?:[a-z0-9_-]{1,63}\.)+preview\.example\.com$`, `regex: "(unclosed"`, "regex"},
		"empty regex in an Any": {`regex: ^https://(?:[a-z0-9_-]{1,63}\.)+preview\.example\.com$`, `regex: ""`, "Regex"},
		"unknown field":         {`allow_credentials: true`, `allow_credentialz: true`, "allow_credentialz"},
		"bad port":              {`port_value: 8080`, `port_value: 70000`, "PortValue"},
		"prefix matcher":        {`- exact: https://app.example.com`, `- prefix: https://app.example.com`, "not anchored"},
		"empty exact":           {`- exact: https://app.example.com`, `- exact: ""`, `exact ""`},
		"matches star":          {`- exact: https://app.example.com`, `- safe_regex: {regex: ".*"}`, `"*"`},
		"unknown type":          {`v3.CorsPolicy`, `v3.CorsPolicyX`, "CorsPolicyX"},
	} {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(good, tc.old) {
				t.Fatalf("the export has no %q", tc.old)
			}
			bad := strings.Replace(good, tc.old, tc.new, 1)
			err := Envoy([]byte(bad))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error naming %q", err, tc.want)
			}
		})
	}
}
