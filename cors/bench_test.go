package cors_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/cors"
)

// BenchmarkMiddleware measures the middleware's own cost per request: the
// writer is reused and its header map cleared, the handler does nothing.
// Cross-library comparisons live in the bench module.
func BenchmarkMiddleware(b *testing.B) {
	spa := cors.Config{
		AllowOrigins:     []string{appOrigin, "https://*.preview.example.com"},
		AllowCredentials: true,
		AllowMethods:     []string{"PUT", "DELETE"},
		AllowHeaders:     []string{"Authorization", "Content-Type", "X-Request-ID"},
		ExposeHeaders:    []string{"X-Total-Count"},
	}
	for _, bc := range []struct {
		name   string
		cfg    cors.Config
		method string
		hdrs   http.Header
	}{
		{"cfg=spa/req=no-origin", spa, "GET", nil},
		{"cfg=spa/req=actual-allowed", spa, "GET", origin(appOrigin)},
		{"cfg=spa/req=actual-allowed-subdomain", spa, "GET", origin("https://pr-1.preview.example.com")},
		{"cfg=spa/req=actual-disallowed", spa, "GET", origin("https://evil.example")},
		{"cfg=spa/req=preflight-allowed", spa, "OPTIONS", preflight(appOrigin, "PUT", "content-type,x-request-id")},
		{"cfg=spa/req=preflight-disallowed", spa, "OPTIONS", preflight("https://evil.example", "PUT", "x-a")},
		{"cfg=spa/req=preflight-acrh-1MiB-commas", spa, "OPTIONS", preflight(appOrigin, "PUT", strings.Repeat(",", 1<<20))},
		{"cfg=star/req=actual", cors.Config{AllowOrigins: []string{"*"}}, "GET", origin(appOrigin)},
		{"cfg=star/req=preflight-acrh-1MiB-commas", cors.Config{AllowOrigins: []string{"*"}, AllowHeaders: []string{"*"}}, "OPTIONS", preflight(appOrigin, "PUT", strings.Repeat(",", 1<<20))},
	} {
		mw, err := cors.New(bc.cfg)
		if err != nil {
			b.Fatal(err)
		}
		h := mw.Wrap(noopHandler)
		req := newRequest(bc.method, bc.hdrs)
		b.Run(bc.name, func(b *testing.B) {
			w := &reusableWriter{h: make(http.Header)}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				h.ServeHTTP(w, req)
			}
		})
	}
}

func BenchmarkNew(b *testing.B) {
	for _, n := range []int{1, 1000} {
		origins := make([]string, n)
		for i := range origins {
			origins[i] = fmt.Sprintf("https://%03d.example.com", i)
		}
		b.Run(fmt.Sprintf("origins=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := cors.New(cors.Config{AllowOrigins: origins}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkValidate measures validation of long origin lists, valid or
// not: it must grow linearly with the list (80,000 entries once took 10 s
// to 26 s, from a quadratic duplicate check).
func BenchmarkValidate(b *testing.B) {
	const n = 80000
	lists := map[string][]string{
		"valid":      make([]string, n),
		"invalid":    make([]string, n),
		"duplicates": make([]string, n),
		"patterns":   make([]string, n),
	}
	for i := range n {
		lists["valid"][i] = fmt.Sprintf("https://%05d.example.com", i)
		lists["invalid"][i] = fmt.Sprintf("https://%05d.example.com/", i)
		lists["duplicates"][i] = fmt.Sprintf("https://%05d.example.com", i%(n/2)) // each listed twice
		if i%2 == 0 {
			lists["patterns"][i] = fmt.Sprintf("https://*.t%05d.example.com", i)
		} else {
			lists["patterns"][i] = fmt.Sprintf("https://a.t%05d.example.com", i-1) // covered by the pattern before
		}
	}
	for _, kind := range []string{"valid", "invalid", "duplicates", "patterns"} {
		b.Run(fmt.Sprintf("origins=%d/kind=%s", n, kind), func(b *testing.B) {
			cfg := cors.Config{AllowOrigins: lists[kind]}
			b.ReportAllocs()
			for b.Loop() {
				_, err := cors.Validate(cfg)
				if (err == nil) != (kind == "valid") {
					b.Fatalf("got error %v", err)
				}
			}
		})
	}
}

// BenchmarkValidate_headers measures a long request-header list next to
// "*", every name of which is reported.
func BenchmarkValidate_headers(b *testing.B) {
	const n = 80000
	h := make([]string, 0, n+1)
	h = append(h, "*")
	for i := range n {
		h = append(h, fmt.Sprintf("X-H%05d", i))
	}
	cfg := cors.Config{AllowOrigins: []string{"*"}, AllowHeaders: h}
	b.Run(fmt.Sprintf("headers=%d", n), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := cors.Validate(cfg); err == nil {
				b.Fatal("got no error")
			}
		}
	})
}
