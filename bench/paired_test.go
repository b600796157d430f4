package bench

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// BenchmarkPaired times crossgate, rs/cors and go-chi/cors on every
// scenario in interleaved bursts of about 200 µs each, rotating which
// library goes first; each benchmark iteration is one round. It reports
// the median over rounds of crossgate's time divided by each other
// library's time in the same round (crossgate/rs, crossgate/chi; below 1,
// crossgate is faster). On a shared machine, load from other processes
// then slows both sides of a ratio alike, which separate `go test -bench`
// runs per library cannot promise. Run it with a fixed number of rounds:
//
//	go test -run '^$' -bench Paired -benchtime 200x
func BenchmarkPaired(b *testing.B) {
	for _, s := range allScenarios() {
		b.Run(s.name, func(b *testing.B) {
			libs := libraries[1:]
			hs := make([]http.Handler, len(libs))
			iters := make([]int, len(libs))
			for i, lib := range libs {
				h, err := s.handler(lib, noop)
				if err != nil {
					b.Fatal(err)
				}
				hs[i] = h
				iters[i] = calibrate(h, s.req)
			}
			per := make([][]float64, len(libs)) // ns/op per round, per library
			r := 0
			for b.Loop() {
				for k := range libs {
					i := (k + r) % len(libs)
					per[i] = append(per[i], burst(hs[i], s.req, iters[i]))
				}
				r++
			}
			for j, name := range []string{"", "crossgate/rs", "crossgate/chi"} {
				if j == 0 {
					continue
				}
				ratios := make([]float64, r)
				for k := range r {
					ratios[k] = per[0][k] / per[j][k]
				}
				b.ReportMetric(median(ratios), name)
			}
			b.ReportMetric(median(per[0]), "crossgate-ns/req")
		})
	}
}

// calibrate returns how many requests h serves in about 200 µs.
func calibrate(h http.Handler, req *http.Request) int {
	return calibrateWith(h, req, burst)
}

// calibrateWith returns how many requests h serves in about 200 µs in
// bursts run by run.
func calibrateWith(h http.Handler, req *http.Request, run func(http.Handler, *http.Request, int) float64) int {
	n := 1
	for {
		if d := time.Duration(run(h, req, n) * float64(n)); d >= 200*time.Microsecond || n >= 1<<20 {
			return n
		}
		n *= 2
	}
}

// burst serves req n times and returns the time per request, in ns.
func burst(h http.Handler, req *http.Request, n int) float64 {
	w := newDiscard()
	start := time.Now()
	for range n {
		clear(w.h)
		h.ServeHTTP(w, req)
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// referenceRatios are jub0bs/cors's times divided by rs/cors's, per grid
// scenario, from the side-by-side run of shared/reference/
// go-middleware-anchors.md §3.3 (jub0bs/cors-benchmarks harness: a new
// httptest.ResponseRecorder per request and a handler that writes a body).
// jub0bs/cors is not served by the module proxy here, so rs/cors, measured
// in both runs, is the yardstick between the two machines.
var referenceRatios = map[string]float64{
	"nb=one/req=a/o=y":             733.0 / 712,
	"nb=one/req=a/o=n":             695.0 / 684,
	"nb=many/req=a/o=y":            626.0 / 1674,
	"nb=all/req=a/o=y":             552.0 / 538,
	"nb=one/req=p/o=y":             398.0 / 439,
	"nb=one/req=p/o=n":             130.0 / 348,
	"nb=many/req=p/o=y":            496.0 / 1492,
	"nb=many/req=p/o=n":            118.0 / 521,
	"nb=all/req=p/o=y/m=evil_acrh": 188.0 / 476,
}

// hello is the reference harness's handler.
var hello = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.Write([]byte("Hello, World!"))
})

// BenchmarkPairedReference times crossgate and rs/cors as
// BenchmarkPaired does, but in the reference's harness (a new
// httptest.ResponseRecorder per request, a handler that writes a body), on
// the grid scenarios the reference measured jub0bs/cors on. It reports
// crossgate/rs next to the reference's jub0bs/rs ("jub0bs/rs-ref"): where
// the first is lower, crossgate beats jub0bs/cors by that yardstick.
//
//	go test -run '^$' -bench PairedReference -benchtime 200x
func BenchmarkPairedReference(b *testing.B) {
	for _, s := range gridScenarios() {
		ref, ok := referenceRatios[s.name]
		if !ok {
			continue
		}
		b.Run(s.name, func(b *testing.B) {
			var hs [2]http.Handler
			var iters [2]int
			for i, lib := range libraries[1:3] { // crossgate, rs
				h, err := s.handler(lib, hello)
				if err != nil {
					b.Fatal(err)
				}
				hs[i] = h
				iters[i] = calibrateWith(h, s.req, recorderBurst)
			}
			var per [2][]float64
			r := 0
			for b.Loop() {
				for k := range 2 {
					i := (k + r) % 2
					per[i] = append(per[i], recorderBurst(hs[i], s.req, iters[i]))
				}
				r++
			}
			ratios := make([]float64, r)
			for k := range r {
				ratios[k] = per[0][k] / per[1][k]
			}
			b.ReportMetric(median(ratios), "crossgate/rs")
			b.ReportMetric(ref, "jub0bs/rs-ref")
		})
	}
}

// recorderBurst serves req n times, each into a new recorder, and returns
// the time per request, in ns.
func recorderBurst(h http.Handler, req *http.Request, n int) float64 {
	start := time.Now()
	for range n {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}
