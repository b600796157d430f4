package bench

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

func allScenarios() []*scenario {
	return slices.Concat(middlewareScenarios(), gridScenarios())
}

// TestScenarios checks that crossgate answers every scenario as the
// scenario intends, so that the benchmarks measure the work they claim
// to, and that rs/cors and go-chi/cors reach the same verdict under the
// same policy (or knowingly do not, as the scenario says).
func TestScenarios(t *testing.T) {
	for _, s := range allScenarios() {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			rec, called := serveOnce(t, s, libraries[1])
			checkCrossgate(t, s, rec, called)
			wantVerdict := verdict(s, rec)
			for _, lib := range libraries[2:] {
				if _, skip := s.skip[lib.name]; skip {
					continue
				}
				rec, _ := serveOnce(t, s, lib)
				got := verdict(s, rec)
				if why, ok := s.differs[lib.name]; ok {
					if got == wantVerdict {
						t.Errorf("mw=%s: verdict %t, the same as crossgate's, but the scenario says it differs (%s)", lib.name, got, why)
					}
					continue
				}
				if got != wantVerdict {
					t.Errorf("mw=%s: got verdict %t (status %d, headers %v); want %t, as crossgate", lib.name, got, rec.Code, rec.Header(), wantVerdict)
				}
			}
		})
	}
}

// TestAllocs asserts crossgate's allocation bound on every scenario: at
// most one allocation per request (the one array that holds the values of
// all the headers it sets), and none when it sets no header.
func TestAllocs(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("allocation counts are not meaningful under -cover or -race")
	}
	zero := 0
	for _, s := range allScenarios() {
		h, err := s.handler(libraries[1], noop)
		if err != nil {
			t.Fatal(err)
		}
		w := newDiscard()
		clear(w.h)
		h.ServeHTTP(w, s.req)
		wroteNothing := len(w.h) == 0 || (s.outerVary != nil && len(w.h) == 1 && slices.Equal(w.h["Vary"], s.outerVary))
		got := testing.AllocsPerRun(100, func() {
			clear(w.h)
			h.ServeHTTP(w, s.req)
		})
		want := 1.0
		if wroteNothing || s.want.noHeaders {
			want = 0
			zero++
		}
		if got > want {
			t.Errorf("%s: got %v allocs per request; want at most %v", s.name, got, want)
		}
	}
	if zero == 0 {
		t.Error("no scenario has crossgate write no header: the zero-allocation bound is never checked")
	}
}

// serveOnce serves s.req through lib under s's policy into a recorder,
// and reports whether the wrapped handler ran.
func serveOnce(t *testing.T, s *scenario, lib library) (*httptest.ResponseRecorder, bool) {
	t.Helper()
	called := false
	h, err := s.handler(lib, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, s.req)
	return rec, called
}

// verdict reports whether a browser would go on: read the actual response,
// or, after a preflight, send the actual request. (It looks only at the
// origin and the status; the method and headers are crossgate's to check.)
func verdict(s *scenario, rec *httptest.ResponseRecorder) bool {
	if rec.Header().Get("Access-Control-Allow-Origin") == "" {
		return false
	}
	return !s.want.preflight || (rec.Code >= 200 && rec.Code < 300)
}

func checkCrossgate(t *testing.T, s *scenario, rec *httptest.ResponseRecorder, called bool) {
	t.Helper()
	w, h := s.want, rec.Header()
	if called == w.preflight {
		t.Errorf("handler called: %t; want %t", called, !w.preflight)
	}
	if w.preflight && rec.Code != w.status {
		t.Errorf("got status %d; want %d", rec.Code, w.status)
	}
	if got := h["Access-Control-Allow-Origin"]; w.acao == "" && got != nil || w.acao != "" && !slices.Equal(got, []string{w.acao}) {
		t.Errorf("got Access-Control-Allow-Origin %q; want %q", got, w.acao)
	}
	if got := h["Access-Control-Allow-Credentials"]; w.acac != slices.Equal(got, []string{"true"}) || !w.acac && got != nil {
		t.Errorf("got Access-Control-Allow-Credentials %q; want it: %t", got, w.acac)
	}
	allowed := w.acao != "" && (!w.preflight || w.status/100 == 2)
	if w.preflight && allowed {
		if got := list(h["Access-Control-Allow-Methods"]); !slices.Contains(got, w.acam) {
			t.Errorf("got Access-Control-Allow-Methods %q; want it to list %q", got, w.acam)
		}
		got := list(h["Access-Control-Allow-Headers"])
		for _, name := range w.acah {
			if !slices.ContainsFunc(got, func(e string) bool { return strings.EqualFold(e, name) }) {
				t.Errorf("got Access-Control-Allow-Headers %q; want it to list %q", got, name)
			}
		}
	}
	if !allowed {
		for _, name := range []string{"Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Allow-Credentials", "Access-Control-Expose-Headers", "Access-Control-Max-Age"} {
			if got := h[name]; got != nil {
				t.Errorf("refused, yet got %s %q", name, got)
			}
		}
	}
	if w.aceh != "" && !slices.Contains(list(h["Access-Control-Expose-Headers"]), w.aceh) {
		t.Errorf("got Access-Control-Expose-Headers %q; want it to list %q", h["Access-Control-Expose-Headers"], w.aceh)
	}
	vary := list(h["Vary"])
	if w.preflight && !slices.Equal(h["Vary"], s.outerVary) {
		// A preflight response gets no Vary of crossgate's.
		t.Errorf("preflight: got Vary %q; want %q, the outer middleware's", h["Vary"], s.outerVary)
	}
	if w.noVary && len(vary) > 0 {
		t.Errorf("got Vary %q; want none", h["Vary"])
	}
	for _, name := range w.vary {
		if n := countFold(vary, name); n != 1 {
			t.Errorf("got Vary %q; want it to list %q once, not %d times", h["Vary"], name, n)
		}
	}
	if w.noHeaders {
		want := http.Header{}
		if s.outerVary != nil {
			want["Vary"] = s.outerVary
		}
		if len(h) != len(want) || !slices.Equal(h["Vary"], want["Vary"]) {
			t.Errorf("got headers %v; want only %v", h, want)
		}
	}
}

// list splits the lines of a list-based header field into its elements.
func list(lines []string) []string {
	var l []string
	for _, line := range lines {
		for e := range strings.SplitSeq(line, ",") {
			if e = strings.TrimSpace(e); e != "" {
				l = append(l, e)
			}
		}
	}
	return l
}

func countFold(l []string, s string) int {
	n := 0
	for _, e := range l {
		if strings.EqualFold(e, s) {
			n++
		}
	}
	return n
}
