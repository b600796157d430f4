package cors_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/crossgate/crossgate/cors"
)

// Regression tests for bug classes seen in other CORS implementations
// (see shared/reference/scanners-gateways.md §5).

// GHSA-v84h-653v-4pq9, GHSA-vhxv-fg4m-p2w8 (jub0bs/cors, jub0bs/fcors): with
// https://foo.com and https://bar.com allowed, https://barfoo.com was let
// through by a radix tree, depending on insertion order.
func TestRegression_sharedSuffixOrigins(t *testing.T) {
	for _, origins := range [][]string{
		{"https://foo.com", "https://bar.com"},
		{"https://bar.com", "https://foo.com"},
		{"https://*.foo.com", "https://bar.com"},
	} {
		mw, err := cors.New(cors.Config{AllowOrigins: origins})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range []string{"https://barfoo.com", "https://foobar.com", "https://xfoo.com", "https://bar.com.foo.co"} {
			rec := httptest.NewRecorder()
			mw.Wrap(&spyHandler{}).ServeHTTP(rec, newRequest("GET", origin(o)))
			if got := rec.Header().Get(hACAO); got != "" {
				t.Errorf("origins %q: request from %q got %s %q; want none", origins, o, hACAO, got)
			}
		}
	}
}

// rs/cors#170 and go-chi/cors#36: an Access-Control-Request-Headers of 1 MiB
// of commas cost ~127 ms and 121 MB per request. Here it is refused after
// reading a bounded prefix (TestAllocations and BenchmarkMiddleware show
// its cost does not grow with the header).
func TestRegression_ACRHFlood(t *testing.T) {
	mw, err := cors.New(cors.Config{AllowOrigins: []string{appOrigin}, AllowMethods: []string{"PUT"}, AllowHeaders: []string{"X-A", "X-B"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, acrh := range []string{
		strings.Repeat(",", 1<<20),
		strings.Repeat(" ", 1<<20) + "x-a",
		strings.Repeat("x-a,", 1<<18),
		"x-a," + strings.Repeat("x", 1<<20),
	} {
		req := newRequest("OPTIONS", preflight(appOrigin, "PUT", acrh))
		d := mw.Evaluate(req)
		if d.Allowed || d.Kind != cors.KindPreflight {
			t.Errorf("ACRH of %d bytes: got %v %v (status %d); want refused", len(acrh), d.Allowed, d.Reason, d.Status)
		}
	}
}

// CVE-2018-20744 (rs/cors), CVE-2024-25124 (gofiber/fiber): "*" with
// credentials ended up reflecting any origin, or sending "*" with
// credentials. Here the policy is refused when it is built.
func TestRegression_wildcardWithCredentials(t *testing.T) {
	for _, cfg := range []cors.Config{
		{AllowOrigins: []string{"*"}, AllowCredentials: true},
		{AllowOrigins: []string{"https://a.example"}, AllowHeaders: []string{"*"}, AllowCredentials: true},
		{AllowOrigins: []string{"https://a.example"}, AllowMethods: []string{"*"}, AllowCredentials: true},
		{AllowOrigins: []string{"https://a.example"}, ExposeHeaders: []string{"*"}, AllowCredentials: true},
	} {
		if _, err := cors.New(cfg); err == nil {
			t.Errorf("cors.New(%+v): got no error; want a refusal", cfg)
		}
	}
}

// CVE-2024-6221 (flask-cors): Access-Control-Allow-Private-Network: true was
// sent by default. Here it is sent only when configured and asked for.
func TestRegression_privateNetworkOffByDefault(t *testing.T) {
	mw, err := cors.New(cors.Config{AllowOrigins: []string{appOrigin}})
	if err != nil {
		t.Fatal(err)
	}
	h := preflight(appOrigin, "GET", "")
	h[hACRPN] = []string{"true"}
	rec := httptest.NewRecorder()
	mw.Wrap(&spyHandler{}).ServeHTTP(rec, newRequest("OPTIONS", h))
	if got := rec.Header().Get(hACAPN); got != "" {
		t.Errorf("got %s %q; want none", hACAPN, got)
	}
}

// gin-contrib/cors answered a disallowed origin's actual request with 403,
// and gorilla/handlers swallowed non-preflight OPTIONS: CORS is not access
// control, and only preflights are the middleware's to answer.
func TestRegression_actualRequestsReachTheHandler(t *testing.T) {
	mw, err := cors.New(cors.Config{AllowOrigins: []string{appOrigin}})
	if err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{"GET", "POST", "OPTIONS", "DELETE"} {
		spy := &spyHandler{}
		rec := httptest.NewRecorder()
		mw.Wrap(spy).ServeHTTP(rec, newRequest(method, origin("https://evil.example")))
		if !spy.called || rec.Code != http.StatusOK {
			t.Errorf("%s from a disallowed origin: handler called %t, status %d; want the handler's 200", method, spy.called, rec.Code)
		}
	}
}

// Header values come from slabs shared by many responses: responses served
// at the same time, each rewriting its own headers, must never see another
// response's values. Run with -race.
func TestRegression_concurrentResponsesOwnTheirValues(t *testing.T) {
	mw, err := cors.New(cors.Config{AllowOrigins: []string{"https://a.example", "https://b.example"}, ExposeHeaders: []string{"X-A"}})
	if err != nil {
		t.Fatal(err)
	}
	h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := r.Header.Get("Origin")
		for k, v := range w.Header() {
			v[0] = o + "|" + k // the handler owns its response's values
		}
	}))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			o := "https://a.example"
			if g%2 == 1 {
				o = "https://b.example"
			}
			for range 500 {
				w := &reusableWriter{h: make(http.Header)}
				h.ServeHTTP(w, newRequest("GET", origin(o)))
				for k, v := range w.h {
					if len(v) != 1 || v[0] != o+"|"+k {
						t.Errorf("header %s of a response to %s: got %q", k, o, v)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

// Origin: null is what browsers send for an opaque origin (a sandboxed
// iframe, a file: or data: URL, a request redirected across origins): the
// decision's text says so, and that a policy never allows it, rather than
// calling it something browsers do not send.
func TestRegression_nullOriginExplained(t *testing.T) {
	mw, err := cors.New(cors.Config{AllowOrigins: []string{"https://app.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{"GET", "OPTIONS"} {
		r := httptest.NewRequest(method, "https://api.example.com/", nil)
		r.Header.Set("Origin", "null")
		r.Header.Set("Access-Control-Request-Method", "PUT")
		d := mw.Evaluate(r)
		got := d.Explain()
		if d.Allowed || d.Reason != cors.ReasonInvalidOrigin {
			t.Errorf("%s from null: allowed %v, reason %v; want refused, invalid-origin", method, d.Allowed, d.Reason)
		}
		for _, want := range []string{"opaque origin", "sandboxed iframe", "never allows"} {
			if !strings.Contains(got, want) {
				t.Errorf("%s from null: Explain() = %q; want it to say %q", method, got, want)
			}
		}
		if strings.Contains(got, "not a serialized origin") || strings.Contains(got, "as browsers send it") {
			t.Errorf("%s from null: Explain() = %q says browsers do not send null", method, got)
		}
	}
}
