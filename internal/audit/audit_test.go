package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/audit"
)

// runLab audits every endpoint of the lab.
func runLab(tb testing.TB, l *labServer, concurrency int) *audit.Report {
	tb.Helper()
	rep, err := audit.Run(context.Background(), l.targets(tb), audit.Options{KeepExchanges: true,
		Transport: l.transport(), Concurrency: concurrency,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return rep
}

func classesOf(rep *audit.Report, url string) []audit.Class {
	var cs []audit.Class
	for _, f := range rep.Findings {
		if f.URL == url && !slices.Contains(cs, f.Class) {
			cs = append(cs, f.Class)
		}
	}
	slices.Sort(cs)
	return cs
}

// TestLab is the ground truth: every flaw is found with its class, the
// correct endpoints raise nothing, and the requests the lab received are
// exactly those the report says were sent.
func TestLab(t *testing.T) {
	l := startLab(t, lab())
	rep := runLab(t, l, 8)
	if err := rep.Err(); err != nil {
		t.Fatalf("network errors: %v", err)
	}
	for i, e := range l.endpoints {
		t.Run(e.name, func(t *testing.T) {
			want := slices.Clone(e.want)
			slices.Sort(want)
			if got := classesOf(rep, e.url()); !slices.Equal(got, want) {
				t.Errorf("got classes %v; want %v", got, want)
				for _, f := range rep.Findings {
					if f.URL == e.url() {
						t.Logf("  %s %s %s: %s", f.Class, f.Kind, f.ProbeOrigin, f.Detail)
					}
				}
			}
			tr := rep.Targets[i]
			if tr.URL != e.url() {
				t.Fatalf("target %d is %s; want %s", i, tr.URL, e.url())
			}
			got, logged := sent(tr), l.entries(e.host())
			if !slices.Equal(got, logged) {
				t.Errorf("the report says %d requests were sent, the lab received %d, or they differ", len(got), len(logged))
				for _, s := range diff(got, logged) {
					t.Log(s)
				}
			}
			if tr.Requests != len(tr.Exchanges) || tr.Requests == 0 {
				t.Errorf("Requests = %d, len(Exchanges) = %d", tr.Requests, len(tr.Exchanges))
			}
		})
	}
}

func diff(reported, logged []string) []string {
	var out []string
	for _, s := range reported {
		if !slices.Contains(logged, s) {
			out = append(out, "reported, not received: "+s)
		}
	}
	for _, s := range logged {
		if !slices.Contains(reported, s) {
			out = append(out, "received, not reported: "+s)
		}
	}
	return out
}

func TestLabSeverities(t *testing.T) {
	_, rep := thoroughLab(t)
	cases := []struct {
		desc     string
		url      string
		class    audit.Class
		kind     audit.Kind
		want     audit.Severity
		wantRead audit.Level
	}{
		{"reflect with credentials", "https://reflect.victim.test/", audit.OriginReflected, audit.Simple, audit.High, audit.CredentialedRead},
		{"reflect, preflight", "https://reflect.victim.test/", audit.OriginReflected, audit.Preflight, audit.High, audit.CredentialedRead},
		{"reflect without credentials", "https://reflect-nocreds.victim.test/", audit.OriginReflected, audit.Simple, audit.Medium, audit.Read},
		{"wrong only on preflights", "https://preflight-only.victim.test/", audit.OriginReflected, audit.Preflight, audit.High, audit.CredentialedRead},
		{"any subdomain", "https://subdomain.victim.test/", audit.AnySubdomain, audit.Simple, audit.Medium, audit.CredentialedRead},
		{"wildcard", "https://wildcard.victim.test/", audit.WildcardOrigin, audit.Simple, audit.Low, audit.Read},
		{"wildcard with credentials", "https://wildcard-creds.victim.test/", audit.WildcardCredentials, audit.Simple, audit.Low, audit.NoRead},
		{"crlf", "https://crlf.victim.test/", audit.CRLFInjection, audit.Simple, audit.Medium, audit.NoRead},
		{"localhost regex", "https://dev-regex.victim.test/", audit.LocalhostPrefix, audit.Simple, audit.High, audit.CredentialedRead},
		{"localhost prefix, http only", "https://dev-prefix.victim.test/", audit.LocalhostPrefix, audit.Preflight, audit.High, audit.CredentialedRead},
		{"private network, public target", "https://private-network.victim.test/", audit.PrivateNetworkAllowed, audit.Preflight, audit.Low, audit.Read},
		{"crlf appended to the allowed origin", "https://crlf-allowed.victim.test/", audit.CRLFAllowedOrigin, audit.Simple, audit.Medium, audit.NoRead},
		{"crlf appended to the allowed origin, preflight", "https://crlf-allowed.victim.test/", audit.CRLFAllowedOrigin, audit.Preflight, audit.Medium, audit.NoRead},
		{"* without Origin", "https://noorigin-wildcard.victim.test/", audit.WildcardWithoutOrigin, audit.NoOrigin, audit.Low, audit.NoRead},
		{"Vary on allowed responses only", "https://vary-partial.victim.test/", audit.VaryOriginPartial, audit.Simple, audit.Low, audit.NoRead},
		{"preflight without per-header Vary", "https://preflight-novary.victim.test/", audit.VaryPreflightMissing, audit.Preflight, audit.Info, audit.CredentialedRead},
	}
	for _, tc := range cases {
		i := slices.IndexFunc(rep.Findings, func(f audit.Finding) bool {
			return f.URL == tc.url && f.Class == tc.class && f.Kind == tc.kind
		})
		if i < 0 {
			t.Errorf("%s: no %s finding of kind %s", tc.desc, tc.class, tc.kind)
			continue
		}
		f := rep.Findings[i]
		if f.Severity != tc.want || f.Read != tc.wantRead {
			t.Errorf("%s: got severity %s, read %s; want %s, %s", tc.desc, f.Severity, f.Read, tc.want, tc.wantRead)
		}
		if f.Fix == "" || f.Title == "" || f.Detail == "" || len(f.Evidence) == 0 || f.Evidence[0].Response == nil {
			t.Errorf("%s: incomplete finding %+v", tc.desc, f)
		}
	}
	// Only the preflight shows the preflight-only flaw.
	for _, f := range rep.Findings {
		if f.URL == "https://preflight-only.victim.test/" && f.Kind != audit.Preflight {
			t.Errorf("preflight-only: finding %s on a %s request", f.Class, f.Kind)
		}
	}
}

// The localhost-prefix probes: on the target's scheme and on http://,
// where a startsWith("http://localhost") allowlist lets them through.
func TestLabLocalhostPrefix(t *testing.T) {
	l := startLab(t, lab())
	rep := runLab(t, l, 4)
	for _, tc := range []struct {
		url       string
		wantProbe string
		wantAlso  []string
	}{
		{"https://dev-regex.victim.test/", "https://localhost.crossgate-audit.evil.example", []string{"http://localhost.crossgate-audit.evil.example"}},
		{"https://dev-prefix.victim.test/", "http://localhost.crossgate-audit.evil.example", nil},
	} {
		for _, f := range rep.Findings {
			if f.URL != tc.url || f.Class != audit.LocalhostPrefix {
				continue
			}
			if f.ProbeOrigin != tc.wantProbe || !slices.Equal(f.AlsoOrigins, tc.wantAlso) {
				t.Errorf("%s %s: got probe origin %q, also %q; want %q, also %q", tc.url, f.Kind, f.ProbeOrigin, f.AlsoOrigins, tc.wantProbe, tc.wantAlso)
			}
		}
	}
}

// The Private Network Access preflight is sent once per target (in a
// thorough audit; where the attacker's preflight passes in an adaptive
// one), from the attacker's origin, with
// Access-Control-Request-Private-Network: true;
// the finding is low on a public name and medium on a loopback address,
// and says that Chromium 156 no longer sends the header.
func TestPrivateNetworkAllowed(t *testing.T) {
	l, rep := thoroughLab(t)
	for i, e := range l.endpoints {
		n := 0
		for _, ex := range rep.Targets[i].Exchanges {
			if ex.Request.Header.Get("Access-Control-Request-Private-Network") == "" {
				continue
			}
			n++
			scheme, _, _ := strings.Cut(e.url(), "://")
			if ex.Request.Method != http.MethodOptions || ex.Request.Header.Get("Origin") != scheme+"://"+audit.AttackerDomain ||
				ex.Request.Header.Get("Access-Control-Request-Private-Network") != "true" {
				t.Errorf("%s: PNA probe %s with Origin %q", e.name, ex.Request.Method, ex.Request.Header.Get("Origin"))
			}
		}
		if n != 1 {
			t.Errorf("%s: %d PNA probes; want 1", e.name, n)
		}
	}

	srv := httptest.NewServer(privateNetwork(""))
	t.Cleanup(srv.Close)
	tg, err := audit.ParseTarget(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	rep, err = audit.Run(context.Background(), []*audit.Target{tg}, audit.Options{KeepExchanges: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(rep.Findings, func(f audit.Finding) bool { return f.Class == audit.PrivateNetworkAllowed })
	if i < 0 {
		t.Fatalf("no private-network-allowed finding on %s: %v", srv.URL, classesOf(rep, srv.URL+"/"))
	}
	f := rep.Findings[i]
	if f.Severity != audit.Medium || f.Kind != audit.Preflight || f.ProbeOrigin != "http://"+audit.AttackerDomain {
		t.Errorf("got %s %s from %s; want medium preflight from http://%s", f.Severity, f.Kind, f.ProbeOrigin, audit.AttackerDomain)
	}
	for _, want := range []string{"Chromium 156", "loopback or private address"} {
		if !strings.Contains(f.Detail, want) {
			t.Errorf("detail %q does not say %q", f.Detail, want)
		}
	}
	if !strings.Contains(f.Fix, "Local Network Access") {
		t.Errorf("fix %q does not mention Local Network Access", f.Fix)
	}
}

// TestLabDeterministic runs the lab at different concurrencies: the
// report must be byte for byte the same.
func TestLabDeterministic(t *testing.T) {
	l := startLab(t, lab())
	var outs [][]byte
	for _, c := range []int{1, 16} {
		rep := runLab(t, l, c)
		for _, tr := range rep.Targets {
			for _, ex := range tr.Exchanges {
				if ex.Response != nil {
					ex.Response.Header.Del("Date")
				}
			}
		}
		for _, f := range rep.Findings {
			for _, ex := range f.Evidence {
				if ex.Response != nil {
					ex.Response.Header.Del("Date")
				}
			}
		}
		b, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, b)
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Error("reports differ between concurrency 1 and 16")
	}
}

func TestEvidenceRedactsCredentials(t *testing.T) {
	l := startLab(t, lab()[:1])
	rep, err := audit.Run(context.Background(), l.targets(t), audit.Options{KeepExchanges: true,
		Transport:         l.transport(),
		CredentialsHeader: map[string][]string{"Cookie": {"session=s3cr3t"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rep.Findings)
	if strings.Contains(string(b), "s3cr3t") {
		t.Error("the credentials header's value is in the findings")
	}
	if !strings.Contains(string(b), `"Cookie":["[redacted]"]`) {
		t.Error("simple probes do not show the (redacted) Cookie header")
	}
	for _, ex := range rep.Targets[0].Exchanges {
		if _, ok := ex.Request.Header["Cookie"]; ok && ex.Request.Method == "OPTIONS" {
			t.Fatal("a preflight carried the credentials header")
		}
	}
}

// A class's highest severity bounds every severity it is given.
func TestClass_MaxSeverity(t *testing.T) {
	for _, c := range audit.Classes() {
		for _, l := range []audit.Level{audit.CredentialedRead, audit.Read, audit.NoRead} {
			if s := c.Severity(l); s > c.MaxSeverity() {
				t.Errorf("%s: Severity(%v) = %s, above MaxSeverity %s", c, l, s, c.MaxSeverity())
			}
		}
	}
	for id, want := range map[string]audit.Severity{"origin-reflected": audit.High, "wildcard-origin": audit.Medium, "private-network-allowed": audit.Medium, "any-subdomain": audit.Medium} {
		c, ok := audit.ParseClass(id)
		if !ok {
			t.Fatalf("no class %q", id)
		}
		if got := c.MaxSeverity(); got != want {
			t.Errorf("%s: MaxSeverity = %s; want %s", id, got, want)
		}
	}
}
