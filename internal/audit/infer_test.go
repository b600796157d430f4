package audit_test

import (
	"context"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/audit"
	"github.com/crossgate/crossgate/internal/policyfile"
)

// inferOne returns the policy file inferred from the thorough audit of
// the lab's endpoint i.
func inferOne(t *testing.T, i int) []byte {
	t.Helper()
	_, rep := thoroughLab(t)
	b, err := audit.InferPolicy(&audit.Report{Targets: rep.Targets[i : i+1]})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The inferred policy's round trip over the whole lab: where the file
// loads, the audit with it as --policy finds no conformance difference on
// the endpoint it was inferred from; where it does not (the deployment is
// one crossgate refuses to write), the reason is the flaw.
func TestInferPolicyRoundTrip(t *testing.T) {
	l, _ := thoroughLab(t)
	// Endpoints whose real policy crossgate refuses, and the refusal.
	refused := map[string]string{
		"reflect":         `"*" cannot be used with allow_credentials`,
		"plain-reflect":   `"*" cannot be used with allow_credentials`,
		"reflect-foreign": `"*" cannot be used with allow_credentials`,
		"preflight-only":  `"*" cannot be used with allow_credentials`,
		"null":            "the null origin",
		"trusthttp":       "an insecure origin with allow_credentials",
		"suffix":          "an insecure origin with allow_credentials",
		"reflect-methods": `browsers read "*" as a method literally named *`,
		"wildcard-creds":  `"*" cannot be used with allow_credentials`,
		"specialchar":     "",
		"prefix":          "",
		"dev-prefix":      "an insecure origin with allow_credentials",
		"dev-regex":       "an insecure origin with allow_credentials",
	}
	loaded := 0
	for i, e := range l.endpoints {
		b := inferOne(t, i)
		f, err := policyfile.Parse(e.name+".yaml", b)
		if want, ok := refused[e.name]; ok {
			if err == nil {
				t.Errorf("%s: the inferred policy loads; want it refused (%s):\n%s", e.name, want, b)
			} else if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: refused with %v; want %q", e.name, err, want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: the inferred policy does not load: %v\n%s", e.name, err, b)
			continue
		}
		loaded++
		rep, err := audit.Run(context.Background(), l.targets(t)[i:i+1], audit.Options{Transport: l.transport(), Policy: f})
		if err != nil {
			t.Fatal(err)
		}
		for _, fd := range rep.Findings {
			if fd.Class == audit.PolicyAllowedRefused || fd.Class == audit.PolicyExceeded || fd.Class.MaxSeverity() == audit.High {
				t.Errorf("%s: conformance finding %s %s %s: %s\n%s", e.name, fd.Class, fd.Kind, fd.ProbeOrigin, fd.Detail, b)
			}
		}
	}
	if loaded < 20 {
		t.Errorf("only %d inferred policies load", loaded)
	}
}
