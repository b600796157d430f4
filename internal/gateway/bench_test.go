package gateway_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/gateway"
	"github.com/crossgate/crossgate/internal/policyfile"
)

// BenchmarkGateway_preflight measures the handler alone on an allowed
// preflight: no network, no logs.
func BenchmarkGateway_preflight(b *testing.B) {
	g, _ := echoGateway(b, appPolicy, nil)
	r := httptest.NewRequest("OPTIONS", "http://api.test/api/items", nil)
	r.Header.Set("Origin", "https://app.example.com")
	r.Header.Set("Access-Control-Request-Method", "PUT")
	r.Header.Set("Access-Control-Request-Headers", "content-type")
	b.ReportAllocs()
	for b.Loop() {
		w := &discardWriter{h: make(http.Header, 8)}
		g.ServeHTTP(w, r)
		if w.status != 204 {
			b.Fatalf("got status %d", w.status)
		}
	}
}

// echoGateway returns a gateway serving policy towards the echo upstream,
// with its access log on when logger is not nil, and its settings.
func echoGateway(tb testing.TB, policy string, logger *slog.Logger) (*gateway.Gateway, gateway.Settings) {
	tb.Helper()
	f, err := policyfile.Parse("b.yaml", []byte(policy))
	if err != nil {
		tb.Fatal(err)
	}
	set := gateway.Resolve(policyfile.Proxy{}, gateway.Overrides{Upstream: "echo"})
	set.AccessLog = logger != nil
	g, err := gateway.New(f, set, logger, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return g, set
}

type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(s int)           { w.status = s }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }

// The JSON access log adds no allocation to a preflight.
func TestGateway_accessLogAllocs(t *testing.T) {
	if raceEnabled || testing.CoverMode() != "" {
		t.Skip("allocation counts are not meaningful under -race or -cover")
	}
	r := httptest.NewRequest("OPTIONS", "http://api.test/api/items", nil)
	r.Header.Set("Origin", "https://app.example.com")
	r.Header.Set("Access-Control-Request-Method", "PUT")
	allocs := func(accessLog bool) float64 {
		var out bytes.Buffer
		var logger *slog.Logger
		if accessLog {
			logger = gateway.NewLogger(&out, "json")
		}
		g, _ := echoGateway(t, appPolicy, logger)
		n := testing.AllocsPerRun(100, func() {
			out.Reset()
			w := &discardWriter{h: make(http.Header, 8)}
			g.ServeHTTP(w, r)
		})
		if accessLog && !strings.Contains(out.String(), `"cors_kind":"preflight"`) {
			t.Fatalf("the access log wrote %q", out.String())
		}
		return n
	}
	if with, without := allocs(true), allocs(false); with != without {
		t.Errorf("a preflight takes %v allocations with the access log, %v without", with, without)
	}
}
