package export_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/export"
	"github.com/crossgate/crossgate/internal/gateway"
	"github.com/crossgate/crossgate/internal/policyfile"
)

func examples(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../examples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	return files
}

func load(t *testing.T, name string) *policyfile.File {
	t.Helper()
	f, err := policyfile.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func parse(t *testing.T, src string) *policyfile.File {
	t.Helper()
	f, err := policyfile.Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// routingFile has every kind of host and overlapping paths, so that the
// order of the routes matters.
const routingFile = `
policies:
  - name: any
    allow_origins: ["*"]
  - name: any-v1
    match: { paths: [/v1] }
    allow_origins: ["*"]
  - name: any-v1-admin
    match: { paths: [/v1/admin/] }
    allow_origins: ["*"]
  - name: wild
    match: { hosts: ["*.example.com"] }
    allow_origins: ["*"]
  - name: wild-deep
    match: { hosts: ["*.api.example.com"], paths: [/v1/] }
    allow_origins: ["*"]
  - name: exact
    match: { hosts: [api.example.com, "[::1]"], paths: [/v1/, /v2] }
    allow_origins: ["*"]
  - name: exact-root
    match: { hosts: [api.example.com] }
    allow_origins: ["*"]
`

// The plan's routes pick, for every request, the policy File.Route picks.
func TestPlanRoutesAgreeWithFileRoute(t *testing.T) {
	t.Parallel()
	files := []*policyfile.File{parse(t, routingFile)}
	for _, name := range examples(t) {
		files = append(files, load(t, name))
	}
	hosts := []string{"api.example.com", "API.EXAMPLE.COM:8443", "api.example.com.", "x.api.example.com",
		"a.b.api.example.com", "example.com", "www.example.com", "evilexample.com", "localhost", "127.0.0.1:8080",
		"[::1]:80", "other.test"}
	paths := []string{"/", "/v1", "/v1x", "/v1/", "/v1/x", "/v1/admin", "/v1/admin/", "/v1/admin/x", "/v2", "/v2/x",
		"/v2x", "/public/", "/public", "/api/", "/api/admin/x", "/v1/../x", "/x/../v1/admin/y", "//v1//x"}
	for _, f := range files {
		pl, err := export.NewPlan(f, export.Overrides{})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hosts {
			for _, p := range paths {
				r := httptest.NewRequest("GET", "http://x"+p, nil)
				r.Host = h
				want, np, _ := f.Route(r)
				host := strings.ToLower(h)
				if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
					host = host[:i]
				}
				host = strings.TrimSuffix(host, ".")
				got, ok := pl.Lookup(host, np)
				switch {
				case want == nil && ok:
					t.Errorf("%s: %s%s: plan picks %q, File.Route none", f.Name, h, p, got.Policy.Name)
				case want != nil && !ok:
					t.Errorf("%s: %s%s: plan picks none, File.Route %q", f.Name, h, p, want.Name)
				case want != nil && got.Policy.Name != want.Name:
					t.Errorf("%s: %s%s: plan picks %q, File.Route %q", f.Name, h, p, got.Policy.Name, want.Name)
				}
				// A server that selects by host first must find the same
				// route among RoutesFor its server's name.
				if want == nil {
					continue
				}
				server := ""
				for _, name := range pl.HostNames() {
					switch {
					case name == host:
						server = name
					case server != host && strings.HasPrefix(name, "*.") && len(host) > len(name)-1 &&
						strings.HasSuffix(host, name[1:]) && len(name) > len(server):
						server = name
					}
				}
				var found string
				for _, r := range pl.RoutesFor(server) {
					if r.Matches(host, np) {
						found = r.Policy.Name
						break
					}
				}
				if found != want.Name {
					t.Errorf("%s: %s%s: server %q's routes pick %q, File.Route %q", f.Name, h, p, server, found, want.Name)
				}
			}
		}
	}
}

// The header values of the plan are those the cors middleware sends.
func TestPlanHeadersMatchMiddleware(t *testing.T) {
	t.Parallel()
	extra := parse(t, `
policies:
  - name: stars
    allow_origins: ["*"]
    allow_methods: ["*"]
    allow_headers: ["*", Authorization]
    expose_headers: ["*"]
    preflight_status: 200
    allow_private_network: true
  - name: no-auth
    match: { paths: [/x/] }
    allow_origins: ["http://localhost:*", "https://*.a.example.com"]
    allow_headers: ["*"]
    max_age: 0
`)
	files := []*policyfile.File{extra}
	for _, name := range examples(t) {
		files = append(files, load(t, name))
	}
	for _, f := range files {
		pl, err := export.NewPlan(f, export.Overrides{})
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range pl.Policies {
			fp := f.Policies[i]
			o := allowedOrigin(p)
			pre := httptest.NewRequest("OPTIONS", "http://h/", nil)
			pre.Header.Set("Origin", o)
			pre.Header.Set("Access-Control-Request-Method", "GET")
			pre.Header.Set("Access-Control-Request-Private-Network", "true")
			d := fp.Middleware.Evaluate(pre)
			if !d.Allowed {
				t.Fatalf("%s: preflight from %q refused: %s", p.Name, o, d.Explain())
			}
			// The response as Wrap writes it (Decision.Header has no Vary).
			wrapped := func(r *http.Request) http.Header {
				rec := httptest.NewRecorder()
				fp.Middleware.Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).ServeHTTP(rec, r)
				return rec.Header()
			}
			d.Header = wrapped(pre)
			for name, want := range map[string]string{
				"Access-Control-Allow-Methods": p.AllowMethods,
				"Access-Control-Allow-Headers": p.AllowHeaders,
				"Access-Control-Max-Age":       p.MaxAge,
				"Vary":                         "", // preflights carry no Vary
			} {
				if got := d.Header.Get(name); got != want {
					t.Errorf("%s: preflight %s = %q; plan %q", p.Name, name, got, want)
				}
			}
			if _, ok := d.Header["Access-Control-Max-Age"]; ok != p.HasMaxAge {
				t.Errorf("%s: preflight has Max-Age %t; plan HasMaxAge %t", p.Name, ok, p.HasMaxAge)
			}
			if d.Status != p.PreflightStatus {
				t.Errorf("%s: preflight status %d; plan %d", p.Name, d.Status, p.PreflightStatus)
			}
			act := httptest.NewRequest("GET", "http://h/", nil)
			act.Header.Set("Origin", o)
			d = fp.Middleware.Evaluate(act)
			d.Header = wrapped(act)
			if got := d.Header.Get("Access-Control-Expose-Headers"); got != p.ExposeHeaders {
				t.Errorf("%s: Expose-Headers %q; plan %q", p.Name, got, p.ExposeHeaders)
			}
			if got := d.Header.Get("Vary"); got != p.VaryActual {
				t.Errorf("%s: actual Vary %q; plan %q", p.Name, got, p.VaryActual)
			}
			if got := d.Header.Get("Access-Control-Allow-Credentials") == "true"; got != p.Credentials {
				t.Errorf("%s: credentials %t; plan %t", p.Name, got, p.Credentials)
			}
			if p.RefuseAuthorization {
				pre.Header.Set("Access-Control-Request-Headers", "authorization")
				if d := fp.Middleware.Evaluate(pre); d.Status != http.StatusForbidden {
					t.Errorf("%s: Authorization under * got %d; plan refuses it", p.Name, d.Status)
				}
			}
		}
	}
}

// allowedOrigin returns an origin the policy allows.
func allowedOrigin(p *export.Policy) string {
	switch {
	case p.AnyOrigin:
		return "https://anyone.test"
	case len(p.Exact) > 0:
		return p.Exact[0]
	}
	pat := p.Patterns[0]
	o := pat.Scheme + "://"
	if pat.Subdomains {
		o += "x."
	}
	o += pat.Host
	if pat.Port > 0 {
		o += ":" + strconv.Itoa(pat.Port)
	} else if pat.Port < 0 {
		o += ":5173"
	}
	return o
}

func TestNewPlanOverrides(t *testing.T) {
	t.Parallel()
	if export.DefaultListen != gateway.DefaultListen {
		t.Errorf("DefaultListen %q; the gateway's is %q", export.DefaultListen, gateway.DefaultListen)
	}
	f := load(t, "../../examples/crossgate.yaml")
	pl, err := export.NewPlan(f, export.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if pl.Listen != "127.0.0.1:8080" || pl.Upstream != "echo" || pl.ListenHost != "127.0.0.1" || pl.ListenPort != "8080" {
		t.Errorf("file settings: listen %q (%q %q), upstream %q", pl.Listen, pl.ListenHost, pl.ListenPort, pl.Upstream)
	}
	if err := pl.CheckUpstreams(); err == nil || !strings.Contains(err.Error(), `"echo"`) {
		t.Errorf("CheckUpstreams with echo: %v; want an error naming it", err)
	}
	pl, err = export.NewPlan(f, export.Overrides{Listen: "[::1]:9999", Upstream: "http://127.0.0.1:9000"})
	if err != nil {
		t.Fatal(err)
	}
	if pl.Listen != "[::1]:9999" || pl.ListenHost != "[::1]" || pl.ListenPort != "9999" || pl.Upstream != "http://127.0.0.1:9000" {
		t.Errorf("overrides: listen %q (%q %q), upstream %q", pl.Listen, pl.ListenHost, pl.ListenPort, pl.Upstream)
	}
	for _, p := range pl.Policies {
		if p.Upstream != "http://127.0.0.1:9000" || p.OwnUpstream {
			t.Errorf("policy %s: upstream %q own %t", p.Name, p.Upstream, p.OwnUpstream)
		}
	}
	if err := pl.CheckUpstreams(); err != nil {
		t.Errorf("CheckUpstreams: %v", err)
	}
	for _, o := range []export.Overrides{{Listen: "nope"}, {Upstream: "ftp://x"}} {
		if _, err := export.NewPlan(f, o); err == nil {
			t.Errorf("NewPlan(%+v): no error", o)
		}
	}
	own := parse(t, `
policies:
  - name: a
    allow_origins: ["*"]
    upstream: http://127.0.0.1:7000
  - name: b
    match: { paths: [/b/] }
    allow_origins: ["*"]
`)
	pl, _ = export.NewPlan(own, export.Overrides{})
	if err := pl.CheckUpstreams(); err == nil || !strings.Contains(err.Error(), `policy "b"`) {
		t.Errorf("CheckUpstreams without a default: %v; want an error naming policy b", err)
	}
	pl, _ = export.NewPlan(own, export.Overrides{Upstream: "http://127.0.0.1:9000"})
	if p := pl.Policies[0]; p.Upstream != "http://127.0.0.1:7000" || !p.OwnUpstream {
		t.Errorf("own upstream lost under --upstream: %q", p.Upstream)
	}
	if got := pl.Upstreams(); strings.Join(got, " ") != "http://127.0.0.1:9000 http://127.0.0.1:7000" {
		t.Errorf("Upstreams() = %q", got)
	}
}

// Servers and their locations pick the policy File.Route picks.
func TestServersAgreeWithFileRoute(t *testing.T) {
	t.Parallel()
	files := []*policyfile.File{parse(t, routingFile)}
	for _, name := range examples(t) {
		files = append(files, load(t, name))
	}
	hosts := []string{"api.example.com", "x.api.example.com", "a.b.api.example.com", "example.com", "www.example.com",
		"localhost", "127.0.0.1", "[::1]", "other.test"}
	paths := []string{"/", "/v1", "/v1x", "/v1/", "/v1/x", "/v1/admin", "/v1/admin/", "/v1/admin/x", "/v1/adminx", "/v2", "/v2/x",
		"/v2x", "/public/", "/public", "/publicx", "/api", "/api/", "/api/admin", "/api/admin/x", "/x"}
	for _, f := range files {
		pl, err := export.NewPlan(f, export.Overrides{})
		if err != nil {
			t.Fatal(err)
		}
		servers := pl.Servers()
		if !servers[len(servers)-1].Default() {
			t.Fatalf("%s: the last server is %q, not the default", f.Name, servers[len(servers)-1].Hosts)
		}
		for _, h := range hosts {
			for _, p := range paths {
				want, _ := pl.Lookup(h, p)
				loc := export.ServerFor(servers, h).LocationFor(p)
				var got *export.Policy
				if loc.Policy != nil {
					got = loc.Policy
				}
				if got != want.Policy {
					t.Errorf("%s: %s%s: location %+v; want policy %v", f.Name, h, p, loc, want.Policy)
				}
			}
		}
	}
}
