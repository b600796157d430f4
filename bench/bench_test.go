package bench

import (
	"net/http"
	"testing"

	chicors "github.com/go-chi/cors"
	rscors "github.com/rs/cors"

	"github.com/crossgate/crossgate/cors"
)

// BenchmarkMiddleware runs crossgate's own scenarios against every library:
// BenchmarkMiddleware/scenario=allowed-actual/mw=crossgate, .../mw=rs,
// .../mw=chi, and .../mw=none for the bare handler.
func BenchmarkMiddleware(b *testing.B) { benchScenarios(b, middlewareScenarios()) }

// BenchmarkGrid runs the jub0bs/cors-benchmarks grid against every library:
// BenchmarkGrid/nb=many/req=p/o=y/mw=crossgate and so on.
func BenchmarkGrid(b *testing.B) { benchScenarios(b, gridScenarios()) }

func benchScenarios(b *testing.B, ss []*scenario) {
	for _, s := range ss {
		for _, lib := range libraries {
			name := s.name + "/mw=" + lib.name
			if why, ok := s.skip[lib.name]; ok {
				b.Run(name, func(b *testing.B) { b.Skip(why) })
				continue
			}
			h, err := s.handler(lib, noop)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(name, func(b *testing.B) { serve(b, h, s.req) })
		}
	}
}

// serve measures h on req with one reusable ResponseWriter whose header
// map is cleared between requests (clear keeps the map's buckets, so
// refilling it costs no allocation).
func serve(b *testing.B, h http.Handler, req *http.Request) {
	w := newDiscard()
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, req)
	}
}

// BenchmarkInit measures building the middleware from a policy: the
// jub0bs/cors-benchmarks "one" policy (one origin) and "many" policy
// (1,000 origins).
func BenchmarkInit(b *testing.B) {
	for _, c := range []struct {
		name string
		p    policy
	}{
		{"origins=1", policy{origins: gridOneOrigins, methods: []string{http.MethodPut}, headers: gridHeaders}},
		{"origins=1000", policy{origins: gridManyOrigins, methods: []string{http.MethodPut}, headers: gridHeaders}},
	} {
		b.Run("type=init/"+c.name+"/mw=crossgate", func(b *testing.B) {
			cfg := c.p.crossgate()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := cors.New(cfg); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("type=init/"+c.name+"/mw=rs", func(b *testing.B) {
			opts := c.p.rs()
			b.ReportAllocs()
			for b.Loop() {
				rscors.New(opts)
			}
		})
		b.Run("type=init/"+c.name+"/mw=chi", func(b *testing.B) {
			opts := c.p.chi()
			b.ReportAllocs()
			for b.Loop() {
				chicors.New(opts)
			}
		})
	}
}
