package gateway

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"testing"

	"github.com/crossgate/crossgate/internal/policyfile"
)

// BenchmarkOverhead serves the same allowed actual request through the
// gateway and through a bare httputil.ReverseProxy, both towards the
// in-process echo upstream: the difference is what the gateway adds to a
// proxied request (routing, the CORS decision, header rewriting, metrics).
//
//	go test -run '^$' -bench Overhead -benchmem ./internal/gateway
func BenchmarkOverhead(b *testing.B) {
	const policy = "policies:\n  - name: app\n    match: { paths: [/api/] }\n    allow_origins: [https://app.example.com]\n    allow_credentials: true\n    expose_headers: [X-Total-Count]\n"
	f, err := policyfile.Parse("b.yaml", []byte(policy))
	if err != nil {
		b.Fatal(err)
	}
	set := Resolve(policyfile.Proxy{}, Overrides{Upstream: "echo"})
	set.AccessLog = false
	g, err := New(f, set, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	bare := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(echoTarget)
			pr.SetXForwarded()
		},
		Transport:  echoTransport{},
		BufferPool: bufferPool,
	}
	req := httptest.NewRequest("GET", "http://api.test/api/items", nil)
	req.Header.Set("Origin", "https://app.example.com")
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"proxy=bare", bare}, {"proxy=gateway", g}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				bc.h.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("got status %d", w.Code)
				}
			}
		})
	}
}
