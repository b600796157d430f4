package audit_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/audit"
)

// Regression tests for the bugs of other scanners (reference notes §5.12).

// Corsy's workers share one header dict and CorsMe one request: probes
// leak from one target to another. Here each lab endpoint has its own
// host, so every host-derived origin names its target; under high
// concurrency no request may carry another target's name, and (TestLab)
// each target gets exactly its own probes.
func Test_probes_never_cross_targets(t *testing.T) {
	l := startLab(t, lab())
	runLab(t, l, 32)
	names := make([]string, len(l.endpoints))
	for i, e := range l.endpoints {
		names[i] = e.host()
	}
	for _, e := range l.endpoints {
		for _, entry := range l.entries(e.host()) {
			for _, other := range names {
				if other != e.host() && strings.Contains(entry, other) && !strings.Contains(e.host(), other) {
					t.Errorf("a request to %s carries %s: %s", e.host(), other, entry)
				}
			}
		}
	}
	// Two runs of the same audit send the same requests.
	first := map[string][]string{}
	for _, e := range l.endpoints {
		first[e.host()] = l.entries(e.host())
	}
	l.reset()
	runLab(t, l, 32)
	for _, e := range l.endpoints {
		if got := l.entries(e.host()); !slices.Equal(got, first[e.host()]) {
			t.Errorf("%s: the second run sent other requests", e.host())
		}
	}
}

// Corsy's findings of one class share one dict, so the JSON shows the
// last ACAO for all of them. Here each finding's evidence is its own:
// the ACAO in it is the one its own probe got, and changing one finding
// changes no other.
func Test_findings_never_alias(t *testing.T) {
	l := startLab(t, lab())
	rep := runLab(t, l, 8)
	n := 0
	for _, f := range rep.Findings {
		if f.Read == audit.NoRead || f.Class == audit.WildcardOrigin || f.Class == audit.CRLFInjection ||
			f.Class == audit.VaryOriginMissing || f.Class == audit.VaryPreflightMissing || f.Class == audit.PrivateNetworkAllowed || f.Class == audit.InvalidAllowOrigin || f.Class == audit.PreflightAnyMethod || f.Class == audit.PreflightAnyHeader {
			continue
		}
		last := f.Evidence[len(f.Evidence)-1]
		if got := last.Response.Header.Get("Access-Control-Allow-Origin"); got != f.ProbeOrigin {
			t.Errorf("%s %s: evidence ACAO %q; want the probe origin %q", f.URL, f.Class, got, f.ProbeOrigin)
		}
		if got := last.Request.Header.Get("Origin"); got != f.ProbeOrigin {
			t.Errorf("%s %s: evidence Origin %q; want %q", f.URL, f.Class, got, f.ProbeOrigin)
		}
		n++
	}
	if n < 10 {
		t.Fatalf("only %d findings checked", n)
	}
	a, b := &rep.Findings[0], &rep.Findings[1]
	a.Evidence[0].Request.Header.Set("Origin", "mutated")
	a.Evidence[0].Response.Header.Set("Access-Control-Allow-Origin", "mutated")
	if b.Evidence[0].Request.Header.Get("Origin") == "mutated" || b.Evidence[0].Response.Header.Get("Access-Control-Allow-Origin") == "mutated" {
		t.Error("two findings share their evidence")
	}
	for _, ex := range rep.Targets[0].Exchanges {
		if ex.Request.Header.Get("Origin") == "mutated" {
			t.Error("a finding shares its evidence with the target's exchanges")
		}
	}
}

// Corsy first sends its own origin and stops when the response has no
// ACAO. A server that reflects every origin but its own must still be
// found, by every probe of a thorough audit (and by the adaptive one:
// TestAdaptiveEqualsThorough).
func Test_no_baseline_gate(t *testing.T) {
	eps := lab()
	i := slices.IndexFunc(eps, func(e endpoint) bool { return e.name == "reflect-foreign" })
	l := startLab(t, eps[i:i+1])
	rep := runLabMode(t, l, true)
	var kinds []audit.Kind
	for _, f := range rep.Findings {
		if f.Class == audit.OriginReflected {
			kinds = append(kinds, f.Kind)
		}
	}
	if !slices.Equal(kinds, []audit.Kind{audit.Simple, audit.Preflight}) {
		t.Errorf("origin-reflected found on %v; want [simple preflight]", kinds)
	}
	if got := rep.Targets[0].Requests; got < 50 {
		t.Errorf("only %d requests sent: the audit stopped early", got)
	}
}

// CORStest's first origin is "http://" + the input line, path included.
// Origins never carry a path, a query or a fragment.
func Test_probe_origins_carry_no_path(t *testing.T) {
	for _, raw := range []string{
		"https://www.example.com/a/b/c?q=1#frag",
		"http://api.example.co.uk:8080/v1/",
		"https://127.0.0.1:8443/x",
	} {
		tg, err := audit.ParseTarget(raw)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range audit.ProbeOrigins(tg) {
			if o == "" || o == "null" {
				continue
			}
			rest := o[strings.Index(o, "://")+3:]
			// Percent-encoded and CR/LF probes hold no "/" or "?" either.
			if strings.ContainsAny(rest, "/?#") {
				t.Errorf("%s: probe origin %q has a path, query or fragment", raw, o)
			}
		}
	}
}

// CORScanner strips the port before comparing. Ports are kept: the
// target's own origin, its http:// twin and the port probe carry them,
// and a server that trusts its host on any port is found.
func Test_ports_kept(t *testing.T) {
	tg, err := audit.ParseTarget("https://www.example.com:8443/x")
	if err != nil {
		t.Fatal(err)
	}
	if tg.Origin != "https://www.example.com:8443" {
		t.Errorf("Origin = %q", tg.Origin)
	}
	if got := audit.ClassOrigins(tg, audit.InsecureOrigin); !slices.Equal(got, []string{"http://www.example.com:8443"}) {
		t.Errorf("insecure-origin probes %q", got)
	}
	if got := audit.ClassOrigins(tg, audit.AnyPort); !slices.Equal(got, []string{"https://www.example.com:1337"}) {
		t.Errorf("any-port probes %q", got)
	}
	tg, _ = audit.ParseTarget("https://www.example.com:1337/")
	if got := audit.ClassOrigins(tg, audit.AnyPort); !slices.Equal(got, []string{"https://www.example.com:1338"}) {
		t.Errorf("any-port probes for a target on 1337: %q", got)
	}
	eps := lab()
	i := slices.IndexFunc(eps, func(e endpoint) bool { return e.name == "anyport" })
	l := startLab(t, eps[i:i+1])
	rep := runLab(t, l, 1)
	if len(rep.Findings) == 0 || rep.Findings[0].ProbeOrigin != "https://anyport.victim.test:1337" {
		t.Errorf("findings %+v; want any-port with probe origin https://anyport.victim.test:1337", rep.Findings)
	}
}

// Corsy only flags %60 when the server URL-decodes it; nuclei sends %60
// only. Both the literal backtick and %60 are tried.
func Test_backtick_and_percent60(t *testing.T) {
	tg, _ := audit.ParseTarget("https://www.example.com/")
	got := audit.ClassOrigins(tg, audit.SpecialChar)
	for _, want := range []string{"https://www.example.com`.evil.example", "https://www.example.com%60.evil.example",
		"https://www.example.com_.evil.example", "https://www.example.com}.evil.example",
		"https://www.example.com$.evil.example", "https://www.example.com~.evil.example"} {
		if !slices.Contains(got, want) {
			t.Errorf("no special-char probe %q", want)
		}
	}
}

// CORScanner builds its suffix probe on the registrable domain only, Corsy
// on the netloc only. Both are tried, with and without a dot.
func Test_suffix_probes_on_FQDN_and_registrable_domain(t *testing.T) {
	tg, _ := audit.ParseTarget("https://www.example.co.uk/")
	if tg.Domain != "example.co.uk" {
		t.Fatalf("Domain = %q; want example.co.uk", tg.Domain)
	}
	cases := []struct {
		class audit.Class
		want  []string
	}{
		{audit.PostDomain, []string{
			"https://www.example.co.uk.evil.example", "https://www.example.co.ukevil.example",
			"https://example.co.uk.evil.example", "https://example.co.ukevil.example"}},
		{audit.PreDomain, []string{"https://evilwww.example.co.uk", "https://evilexample.co.uk"}},
		{audit.UnescapedDot, []string{"https://wwwxexample.co.uk", "https://www.examplexco.uk", "https://www.example.coxuk"}},
		{audit.AnySubdomain, []string{"https://evil.www.example.co.uk", "https://evil.example.co.uk"}},
	}
	for _, tc := range cases {
		if got := audit.ClassOrigins(tg, tc.class); !slices.Equal(got, tc.want) {
			t.Errorf("%s probes %q; want %q", tc.class, got, tc.want)
		}
	}
}

// Every probe origin parses as an origin a server could see (the special
// characters aside).
func Test_probe_origins_are_origins(t *testing.T) {
	tg, _ := audit.ParseTarget("https://api.victim.test/")
	for _, c := range audit.Classes() {
		for _, o := range audit.ClassOrigins(tg, c) {
			if c == audit.SpecialChar || o == "null" {
				continue
			}
			u, err := url.Parse(o)
			if err != nil || u.Path != "" || u.Host == "" {
				t.Errorf("%s probe %q is not an origin", c, o)
			}
		}
	}
}
