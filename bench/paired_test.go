package bench

import (
	"net/http"
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
	n := 1
	for {
		if d := time.Duration(burst(h, req, n) * float64(n)); d >= 200*time.Microsecond || n >= 1<<20 {
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
