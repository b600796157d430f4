package audit_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/audit"
	"github.com/crossgate/crossgate/internal/policyfile"
)

const labPolicy = `policies:
  - name: conform
    match: { hosts: [conform.victim.test] }
    allow_origins: [https://app.victim.test, "https://*.preview.victim.test"]
    allow_credentials: true
    allow_methods: [GET, POST, PUT, DELETE]
    allow_headers: [Content-Type, X-Token]
  - name: drift
    match: { hosts: [drift.victim.test] }
    allow_origins: [https://app.victim.test, "https://*.preview.victim.test"]
    allow_credentials: true
    allow_methods: [GET, POST, PUT, DELETE]
    allow_headers: [Content-Type, X-Token]
  - name: public
    match: { hosts: [public.victim.test] }
    allow_origins: ["*"]
  - name: intranet
    match: { hosts: [intranet.victim.test] }
    allow_origins: ["*"]
    allow_private_network: true
`

// TestPolicyConformance: a deployment that is the policy's own middleware
// conforms (but for the info finding on its Vary-less preflights); a hand-written one that drifted (it forgot DELETE, and also
// trusts its own origin) gives one finding per difference; a public "*"
// or Private Network Access the policy asks for is no finding.
func TestPolicyConformance(t *testing.T) {
	name := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(name, []byte(labPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := policyfile.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	conform := f.Policies[0].Middleware
	eps := []endpoint{
		{name: "conform", handler: func(string) http.Handler {
			return conform.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "data") }))
		}},
		{name: "drift", handler: func(own string) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Vary", "Origin")
				o := r.Header.Get("Origin")
				if o == "https://app.victim.test" || o == own || strings.HasSuffix(o, ".preview.victim.test") && strings.HasPrefix(o, "https://") {
					w.Header().Set("Access-Control-Allow-Origin", o)
					w.Header().Set("Access-Control-Allow-Credentials", "true")
				}
				if r.Method == http.MethodOptions {
					w.Header().Set("Access-Control-Allow-Methods", "GET, POST, PUT")
					w.Header().Set("Access-Control-Allow-Headers", "Content-Type, X-Token")
					w.WriteHeader(http.StatusNoContent)
					return
				}
				fmt.Fprintln(w, "data")
			})
		}},
		{name: "public", handler: fixedHeaders(http.Header{"Access-Control-Allow-Origin": {"*"}}, true)},
		{name: "intranet", handler: func(string) http.Handler {
			return f.Policies[3].Middleware.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "data") }))
		}},
	}
	l := startLab(t, eps)
	rep, err := audit.Run(context.Background(), l.targets(t), audit.Options{KeepExchanges: true, Transport: l.transport(), Policy: f})
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	type key struct {
		url    string
		class  audit.Class
		kind   audit.Kind
		origin string
	}
	var got []key
	for _, f := range rep.Findings {
		got = append(got, key{f.URL, f.Class, f.Kind, f.ProbeOrigin})
		if f.Policy == "" {
			t.Errorf("finding %s has no policy name", f.Class)
		}
	}
	drift := "https://drift.victim.test/"
	want := []key{
		{drift, audit.PolicyAllowedRefused, audit.Preflight, "https://app.victim.test"},
		{drift, audit.PolicyAllowedRefused, audit.Preflight, "https://crossgate-audit.preview.victim.test"},
		{drift, audit.PolicyExceeded, audit.Simple, "https://drift.victim.test"},
		{drift, audit.PolicyExceeded, audit.Preflight, "https://drift.victim.test"},
		// The policy's middleware sends no Vary on preflights (issue 8,
		// decision 1), and its Access-Control-Allow-Private-Network depends
		// on the request's: the info finding stays.
		{"https://intranet.victim.test/", audit.VaryPreflightMissing, audit.Preflight, "https://intranet.victim.test"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got findings\n%v\nwant\n%v", got, want)
	}
	for _, f := range rep.Findings {
		if f.Class == audit.PolicyAllowedRefused && !strings.Contains(f.Detail, "DELETE") {
			t.Errorf("policy-allowed-refused does not name the method: %s", f.Detail)
		}
	}
	// The same deployments without the policy: the public "*" is a
	// finding, and so is the Private Network Access the policy asked for.
	rep, err = audit.Run(context.Background(), l.targets(t)[2:], audit.Options{KeepExchanges: true, Transport: l.transport()})
	if err != nil {
		t.Fatal(err)
	}
	if got := classesOf(rep, "https://public.victim.test/"); !slices.Equal(got, []audit.Class{audit.WildcardOrigin}) {
		t.Errorf("without policy, public: %v; want [wildcard-origin]", got)
	}
	if got, want := classesOf(rep, "https://intranet.victim.test/"), []audit.Class{audit.WildcardOrigin, audit.VaryPreflightMissing, audit.PrivateNetworkAllowed}; !slices.Equal(got, want) {
		t.Errorf("without policy, intranet: %v; want %v", got, want)
	}
}
