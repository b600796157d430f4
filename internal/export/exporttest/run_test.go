package exporttest_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/export"
	"github.com/crossgate/crossgate/internal/export/exporttest"
	"github.com/crossgate/crossgate/internal/gateway"
	"github.com/crossgate/crossgate/internal/policyfile"
)

// A target whose "server" is a Go handler built from the plan, so that
// the harness can be tested without any external program.
func goTarget(name string) *export.Target {
	return &export.Target{Name: name, Summary: "test", Caps: export.ProxyCaps(), Render: func(*export.Plan, io.Writer) error { return nil }}
}

// serve starts h on pl.Listen until the test ends.
func serve(t *testing.T, pl *export.Plan, h http.Handler) {
	l, err := net.Listen("tcp", pl.Listen)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
}

const file = "../../../examples/crossgate.yaml"

// crossgate's own gateway agrees with itself on the whole battery.
func TestRunGatewayAgainstItself(t *testing.T) {
	start := func(t *testing.T, pl *export.Plan, _ string) {
		f, err := policyfile.Load(file)
		if err != nil {
			t.Fatal(err)
		}
		gw, err := gateway.New(f, gateway.Resolve(f.Proxy, gateway.Overrides{Upstream: pl.Upstream}), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		serve(t, pl, gw)
	}
	res := exporttest.Run(t, file, goTarget("gateway"), start, exporttest.Options{Collect: true})
	if len(res.Mismatches) > 0 {
		t.Errorf("the gateway disagrees with itself:\n%s", strings.Join(res.Mismatches, "\n"))
	}
	if len(res.Cases) < 80 {
		t.Errorf("only %d cases", len(res.Cases))
	}
}

// The harness catches the classic mistakes: a proxy that passes the
// upstream's CORS headers through, one that adds its own next to them, one
// that forwards preflights.
func TestRunCatchesBrokenServers(t *testing.T) {
	proxy := func(pl *export.Plan) *httputil.ReverseProxy {
		u, _ := url.Parse(pl.Upstream)
		return httputil.NewSingleHostReverseProxy(u)
	}
	cases := map[string]func(pl *export.Plan) http.Handler{
		"passes the upstream's headers": func(pl *export.Plan) http.Handler { return proxy(pl) },
		"reflects next to the upstream's": func(pl *export.Plan) http.Handler {
			p := proxy(pl)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if o := r.Header.Get("Origin"); o != "" {
					w.Header().Set("Access-Control-Allow-Origin", o)
					w.Header().Set("Vary", "Origin")
				}
				p.ServeHTTP(w, r)
			})
		},
		"strips but forwards preflights": func(pl *export.Plan) http.Handler {
			p := proxy(pl)
			p.ModifyResponse = func(resp *http.Response) error {
				for k := range resp.Header {
					if strings.HasPrefix(k, "Access-Control-") {
						delete(resp.Header, k)
					}
				}
				if o := resp.Request.Header.Get("Origin"); o != "" {
					resp.Header.Set("Access-Control-Allow-Origin", o)
					resp.Header.Set("Access-Control-Allow-Credentials", "true")
					resp.Header.Set("Access-Control-Allow-Methods", "GET,POST,PUT,PATCH,DELETE")
				}
				resp.Header.Add("Vary", "Origin")
				return nil
			}
			return p
		},
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			start := func(t *testing.T, pl *export.Plan, _ string) { serve(t, pl, h(pl)) }
			res := exporttest.Run(t, file, goTarget("broken"), start, exporttest.Options{Collect: true})
			if len(res.Mismatches) == 0 {
				t.Fatal("the harness found nothing wrong")
			}
			t.Logf("%d mismatches, the first: %s", len(res.Mismatches), res.Mismatches[0])
			if name == "strips but forwards preflights" && !strings.Contains(strings.Join(res.Mismatches, "\n"), "the preflight reached the upstream") {
				t.Error("forwarded preflights not reported")
			}
			if name == "reflects next to the upstream's" && !strings.Contains(strings.Join(res.Mismatches, "\n"), "duplicate headers") {
				t.Error("duplicate headers not reported")
			}
		})
	}
}

// The battery has every kind of request the issue asks for.
func TestBattery(t *testing.T) {
	f, err := policyfile.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := export.NewPlan(f, export.Overrides{Upstream: "http://127.0.0.1:9"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range exporttest.Battery(pl) {
		names = append(names, c.Name+" "+c.Origin+" "+c.Target+" "+c.Host)
	}
	all := strings.Join(names, "\n")
	for _, want := range []string{
		"app: allowed origin https://app.example.com",         // exact
		"app: allowed origin https://a.b.preview.example.com", // pattern, at depth
		"attack https://preview.example.com",                  // apex
		"attack https://app.example.com.evil.test",            // suffix
		"attack https://evilapp.example.com",                  // prefix
		"attack null",
		"attack http://app.example.com", // the http:// twin
		"no Origin",
		"upstream 500",
		"path /v1 ", "path /v1x", "path /v1/../x",
		"host with a port", "host in upper case",
		"allowed preflight", "preflight for a method not allowed", "preflight for a header not allowed",
		"preflight from a refused origin", "plain OPTIONS", "OPTIONS without Origin",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no case %q in the battery", want)
		}
	}
	pl2, _ := export.NewPlan(mustParse(t, "policies:\n  - name: dev\n    allow_origins: [\"http://localhost:*\"]\n"), export.Overrides{})
	var dev []string
	for _, c := range exporttest.Battery(pl2) {
		dev = append(dev, c.Origin)
	}
	for _, want := range []string{"http://localhost", "http://localhost:5173", "http://localhost.evil.test:5173", "http://localhost:0"} {
		if !strings.Contains(strings.Join(dev, " ")+" ", want+" ") {
			t.Errorf("any-port battery lacks %q: %v", want, dev)
		}
	}
}

func mustParse(t *testing.T, src string) *policyfile.File {
	f, err := policyfile.Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return f
}
