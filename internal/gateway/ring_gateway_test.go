package gateway

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/crossgate/crossgate/internal/policyfile"
)

type nopWriter struct {
	h      http.Header
	status int
}

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) WriteHeader(s int)           { w.status = s }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }

func refusingGateway(tb testing.TB) (*Gateway, *http.Request) {
	tb.Helper()
	f, err := policyfile.Parse("b.yaml", []byte("policies:\n  - name: app\n    match: { paths: [/api/] }\n    allow_origins: [https://app.example.com]\n    allow_methods: [PUT]\n"))
	if err != nil {
		tb.Fatal(err)
	}
	set := Resolve(policyfile.Proxy{}, Overrides{Upstream: "echo"})
	set.AccessLog = false
	g, err := New(f, set, nil, nil)
	if err != nil {
		tb.Fatal(err)
	}
	r := httptest.NewRequest("OPTIONS", "http://api.test/api/items", nil)
	r.Header.Set("Origin", "https://evil.example")
	r.Header.Set("Access-Control-Request-Method", "PUT")
	return g, r
}

// Keeping a refused request for the admin page adds no allocation to it.
func TestRing_noAllocationOnRefusals(t *testing.T) {
	g, r := refusingGateway(t)
	serve := func() {
		w := &nopWriter{h: make(http.Header, 8)}
		g.ServeHTTP(w, r)
		if w.status != http.StatusForbidden {
			t.Fatalf("got status %d; want 403", w.status)
		}
	}
	with := testing.AllocsPerRun(200, serve)
	if got := g.recent.recent(0); len(got) != RingSize || got[0].Origin != "https://evil.example" {
		t.Fatalf("the ring holds %d refusals; want it full of evil.example's", len(got))
	}
	ring := g.recent
	g.recent = nil
	without := testing.AllocsPerRun(200, serve)
	g.recent = ring
	if with != without {
		t.Errorf("a refused preflight: %v allocations with the ring, %v without", with, without)
	}
}

// BenchmarkGateway_refusedPreflight serves a preflight from an origin the
// policy does not allow: the gateway answers 403 and keeps the request for
// the admin page.
//
//	go test -run '^$' -bench refusedPreflight -benchmem ./internal/gateway
func BenchmarkGateway_refusedPreflight(b *testing.B) {
	g, r := refusingGateway(b)
	b.ReportAllocs()
	for b.Loop() {
		w := &nopWriter{h: make(http.Header, 8)}
		g.ServeHTTP(w, r)
	}
}

// Only the admin page reads the ring: without an admin listener there is
// none, and refusals are served all the same.
func TestRing_onlyWithAdmin(t *testing.T) {
	f, err := policyfile.Parse("b.yaml", []byte("policies:\n  - name: app\n    allow_origins: [https://app.example.com]\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, admin := range []string{"off", "127.0.0.1:0"} {
		set := Resolve(policyfile.Proxy{AdminListen: admin}, Overrides{Upstream: "echo"})
		set.AccessLog = false
		g, err := New(f, set, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if (g.recent != nil) != (admin != "off") {
			t.Errorf("admin_listen %q: ring %v", admin, g.recent != nil)
		}
		r := httptest.NewRequest("OPTIONS", "http://api.test/x", nil)
		r.Header.Set("Origin", "https://evil.example")
		r.Header.Set("Access-Control-Request-Method", "PUT")
		w := &nopWriter{h: make(http.Header)}
		g.ServeHTTP(w, r)
		if w.status != http.StatusForbidden || len(g.recent.recent(0)) != map[bool]int{true: 0, false: 1}[admin == "off"] {
			t.Errorf("admin_listen %q: status %d, %d refusals kept", admin, w.status, len(g.recent.recent(0)))
		}
	}
}
