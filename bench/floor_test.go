package bench

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

// The recorder harness: every figure includes a new
// httptest.ResponseRecorder per request, as in the jub0bs/cors-benchmarks
// harness, so that crossgate's refusals can be set against the cheapest
// answer there is, a handler that only writes the status (the floor).

// floor is the cheapest refusal a server can make: the status, nothing
// else. A refused preflight must cost about what it costs.
var floor = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(http.StatusForbidden)
})

// floorLookups is the floor with what any middleware must read before it
// can refuse a preflight on its origin: the Origin and
// Access-Control-Request-Method headers (an OPTIONS request without the
// latter is an actual request, for the handler), and the origin compared
// with the one allowed. It is not a bar; it shows what the bar leaves for
// the decision itself.
var floorLookups = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	o, ok := r.Header[hOrigin]
	if _, pre := r.Header[hACRM]; ok && pre && r.Method == http.MethodOptions && (len(o) != 1 || o[0] != appOrigin) {
		w.WriteHeader(http.StatusForbidden)
	}
})

// floorReq is the request the floor answers: a refused preflight (the
// floor does not read it).
var floorReq = request(http.MethodOptions, hOrigin, evilOrigin, hACRM, http.MethodPut, hACRH, "content-type,x-request-id")

// Scenarios in the recorder harness. The refused ones must cost no more
// than 1.2 times the floor (BenchmarkPairedFloor), with no allocation
// beyond the recorder's own (TestAllocsRecorder); the allowed ones are
// there to show that making refusals cheap did not make them slower.
var (
	refusedRecorderScenarios = []string{
		"scenario=preflight-disallowed-origin", // origin refused
		"scenario=preflight-acrh-1MiB-commas",  // hostile Access-Control-Request-Headers
		"nb=one/req=p/o=n",
		"nb=many/req=p/o=n",
		"nb=all/req=p/o=y/m=evil_acrh",
	}
	allowedRecorderScenarios = []string{
		"scenario=allowed-actual",
		"scenario=preflight-allowed",
		"scenario=cred-preflight-16-headers",
		"nb=one/req=a/o=y",
		"nb=one/req=p/o=y",
		"nb=many/req=p/o=y",
		"nb=all/req=p/o=y",
	}
)

func scenarioNamed(tb testing.TB, name string) *scenario {
	tb.Helper()
	i := slices.IndexFunc(allScenarios(), func(s *scenario) bool { return s.name == name })
	if i < 0 {
		tb.Fatalf("no scenario %s", name)
	}
	return allScenarios()[i]
}

// BenchmarkRecorder measures crossgate in the recorder harness, next to
// the floor: BenchmarkRecorder/scenario=floor-403/mw=none, then
// BenchmarkRecorder/scenario=.../mw=crossgate for the refused and the
// allowed scenarios.
//
//	go test -run '^$' -bench Recorder -benchmem -count 10
func BenchmarkRecorder(b *testing.B) {
	b.Run("scenario=floor-403/mw=none", func(b *testing.B) { serveRecorder(b, floor, floorReq) })
	b.Run("scenario=floor-403-lookups/mw=none", func(b *testing.B) { serveRecorder(b, floorLookups, floorReq) })
	for _, name := range slices.Concat(refusedRecorderScenarios, allowedRecorderScenarios) {
		s := scenarioNamed(b, name)
		h, err := s.handler(libraries[1], hello)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name+"/mw=crossgate", func(b *testing.B) { serveRecorder(b, h, s.req) })
	}
}

func serveRecorder(b *testing.B, h http.Handler, req *http.Request) {
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}

// BenchmarkPairedFloor times crossgate's refusals against the floor in
// interleaved bursts, as BenchmarkPaired does, each into a new recorder,
// and reports the median of the per-round ratios (crossgate/floor), and
// against the floor that reads what any middleware must read first
// (crossgate/floor-lookups).
//
//	go test -run '^$' -bench PairedFloor -benchtime 400x
func BenchmarkPairedFloor(b *testing.B) {
	for _, name := range refusedRecorderScenarios {
		s := scenarioNamed(b, name)
		b.Run(name, func(b *testing.B) {
			h, err := s.handler(libraries[1], hello)
			if err != nil {
				b.Fatal(err)
			}
			hs := [3]http.Handler{h, floor, floorLookups}
			reqs := [3]*http.Request{s.req, floorReq, floorReq}
			var iters [3]int
			for i := range hs {
				iters[i] = calibrateWith(hs[i], reqs[i], recorderBurst)
			}
			var per [3][]float64
			r := 0
			for b.Loop() {
				for k := range 3 {
					i := (k + r) % 3
					per[i] = append(per[i], recorderBurst(hs[i], reqs[i], iters[i]))
				}
				r++
			}
			ratios, vsLookups := make([]float64, r), make([]float64, r)
			for k := range r {
				ratios[k] = per[0][k] / per[1][k]
				vsLookups[k] = per[0][k] / per[2][k]
			}
			b.ReportMetric(median(ratios), "crossgate/floor")
			b.ReportMetric(median(vsLookups), "crossgate/floor-lookups")
			b.ReportMetric(median(per[0]), "crossgate-ns/req")
			b.ReportMetric(median(per[1]), "floor-ns/req")
		})
	}
}

// TestAllocsRecorder asserts that in the recorder harness a refused
// preflight costs no allocation beyond the recorder's own: as many as the
// floor, which only writes the status.
func TestAllocsRecorder(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("allocation counts are not meaningful under -cover or -race")
	}
	recorderAllocs := func(h http.Handler, req *http.Request) float64 {
		return testing.AllocsPerRun(100, func() { h.ServeHTTP(httptest.NewRecorder(), req) })
	}
	want := recorderAllocs(floor, floorReq)
	if want == 0 {
		t.Fatal("the floor allocates nothing: the recorder is not measured")
	}
	for _, name := range refusedRecorderScenarios {
		s := scenarioNamed(t, name)
		h, err := s.handler(libraries[1], hello)
		if err != nil {
			t.Fatal(err)
		}
		if got := recorderAllocs(h, s.req); got != want {
			t.Errorf("%s: got %v allocs per request; want %v, the floor's", name, got, want)
		}
	}
}
