package cors_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/cors"
)

// reusableWriter is a ResponseWriter whose header map is cleared, not
// replaced, between requests, as a server's would be reused: what remains
// counted is the middleware's own allocations.
type reusableWriter struct {
	h      http.Header
	status int
}

func (w *reusableWriter) Header() http.Header         { return w.h }
func (w *reusableWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *reusableWriter) WriteHeader(s int)           { w.status = s }

var noopHandler = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

// TestAllocations asserts the allocation bound of the request path: one
// array for the values of all the headers a response gets, and nothing
// when it gets none, hostile requests included. A preflight refused before
// the method and header checks gets no header, so it allocates nothing.
func TestAllocations(t *testing.T) {
	many := make([]string, 0, 110)
	for i := range 100 {
		many = append(many, "https://host"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+"-"+string(rune('a'+i/26))+".example.com")
	}
	for i := range 10 {
		many = append(many, "https://*.tenant"+string(rune('a'+i))+".example.net")
	}
	spa := cors.Config{
		AllowOrigins:     []string{appOrigin, "https://*.preview.example.com"},
		AllowCredentials: true,
		AllowMethods:     []string{"PUT", "DELETE"},
		AllowHeaders:     []string{"Authorization", "Content-Type", "X-Request-ID"},
		ExposeHeaders:    []string{"X-Total-Count"},
		MaxAge:           7200e9,
	}
	longName := "x-" + strings.Repeat("n", 254) // the longest name a policy may list
	star := cors.Config{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}, AllowHeaders: []string{"*"}}
	longHost := "https://" + strings.Repeat("a", 60) + "." + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + "." + strings.Repeat("d", 56) + ".preview.example.com"
	tests := []struct {
		desc      string
		cfg       cors.Config
		method    string
		hdrs      http.Header
		preVary   bool // an outer middleware sets Vary first
		wantAlloc float64
	}{
		{"no Origin", spa, "GET", nil, false, 1},
		{"allowed actual", spa, "GET", origin(appOrigin), false, 1},
		{"allowed subdomain with a long host", spa, "GET", origin(longHost), false, 1},
		{"disallowed actual", spa, "GET", origin("https://evil.com"), false, 1},
		{"64 KiB Origin", spa, "GET", origin("https://" + strings.Repeat("a", 64<<10)), false, 1},
		{"allowed preflight", spa, "OPTIONS", preflight(appOrigin, "PUT", "content-type,x-request-id"), false, 1},
		{"allowed preflight, upper-case names", spa, "OPTIONS", preflight(appOrigin, "PUT", "Content-Type, X-Request-ID"), false, 1},
		{"disallowed preflight", spa, "OPTIONS", preflight("https://evil.com", "PUT", "x-a"), false, 0},
		{"disallowed preflight, outer Vary", spa, "OPTIONS", preflight("https://evil.com", "PUT", "x-a"), true, 0},
		{"preflight from a malformed origin", spa, "OPTIONS", preflight("https://APP.example.com", "PUT", ""), false, 0},
		{"preflight, 1 MiB of commas", spa, "OPTIONS", preflight(appOrigin, "PUT", strings.Repeat(",", 1<<20)), false, 0},
		{"preflight, malformed ACRH", spa, "OPTIONS", preflight(appOrigin, "PUT", "content-type,x y"), false, 0},
		{"preflight, header not allowed", spa, "OPTIONS", preflight(appOrigin, "PUT", "x-other"), false, 1},
		{"preflight, method not allowed", spa, "OPTIONS", preflight(appOrigin, "PATCH", ""), false, 1},
		{"preflight, 10,000 names", spa, "OPTIONS", preflight(appOrigin, "PUT", strings.Repeat("x-request-id,", 10000)), false, 0},
		{"preflight, odd method bytes", spa, "OPTIONS", preflight(appOrigin, "P\x00\xffT", ""), false, 0},
		{"allowed actual, outer Vary", spa, "GET", origin(appOrigin), true, 1},
		{"preflight for the longest name allowed", cors.Config{AllowOrigins: []string{appOrigin}, AllowHeaders: []string{longName}},
			"OPTIONS", preflight(appOrigin, "GET", strings.ToUpper(longName)), false, 1},
		{"100 exact origins + 10 patterns", cors.Config{AllowOrigins: many}, "GET", origin("https://x.tenantj.example.net"), false, 1},
		{"star, no Origin", star, "GET", nil, false, 1},
		{"star, preflight with 1 MiB of commas", star, "OPTIONS", preflight(appOrigin, "PUT", strings.Repeat(",", 1<<20)), false, 0},
		{"star, preflight with 10,000 names", star, "OPTIONS", preflight(appOrigin, "PUT", strings.Repeat("x-a,", 10000)), false, 0},
		{"star, preflight with 8 KiB of commas", star, "OPTIONS", preflight(appOrigin, "PUT", strings.Repeat(",", 8<<10-16)), false, 1},
		{"star, preflight for Authorization", star, "OPTIONS", preflight(appOrigin, "PUT", "authorization"), false, 1},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			mw, err := cors.New(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			h := mw.Wrap(noopHandler)
			req := newRequest(tc.method, tc.hdrs)
			w := &reusableWriter{h: make(http.Header)}
			outerVary := []string{"Accept-Encoding"} // the outer middleware's own allocation
			serve := func() {
				clear(w.h)
				if tc.preVary {
					w.h["Vary"] = outerVary
				}
				h.ServeHTTP(w, req)
			}
			serve()
			if got := testing.AllocsPerRun(100, serve); got > tc.wantAlloc {
				t.Errorf("got %v allocs per request; want at most %v", got, tc.wantAlloc)
			}
			if tc.wantAlloc == 0 && (len(w.h) > 1 || len(w.h) == 1 && !tc.preVary) {
				t.Errorf("got headers %v; want none of the middleware's", w.h)
			}
		})
	}
}

// A response that gets no header costs nothing: the zero Middleware, and
// an outer Vary that already names everything a response depends on.
func TestAllocations_none(t *testing.T) {
	var zero cors.Middleware
	mw, err := cors.New(cors.Config{AllowOrigins: []string{appOrigin}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		desc string
		h    http.Handler
		vary []string
	}{
		{"zero Middleware", zero.Wrap(noopHandler), nil},
		{"Vary already names Origin", mw.Wrap(noopHandler), []string{"Accept-Encoding, Origin"}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			req := newRequest("GET", nil)
			w := &reusableWriter{h: make(http.Header)}
			serve := func() {
				clear(w.h)
				if tc.vary != nil {
					w.h["Vary"] = tc.vary
				}
				tc.h.ServeHTTP(w, req)
			}
			serve()
			if got := testing.AllocsPerRun(100, serve); got != 0 {
				t.Errorf("got %v allocs per request; want 0", got)
			}
		})
	}
}

// Answer decides without allocating; SetHeaders then costs what Wrap does.
func TestAllocations_answer(t *testing.T) {
	mw, err := cors.New(cors.Config{AllowOrigins: []string{appOrigin}, AllowMethods: []string{"PUT"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, hdrs := range []http.Header{nil, origin(appOrigin), origin("https://evil.example"), preflight(appOrigin, "PUT", "")} {
		req := newRequest("OPTIONS", hdrs)
		if got := testing.AllocsPerRun(100, func() { _ = mw.Answer(req) }); got != 0 {
			t.Errorf("Answer(%v): got %v allocs; want 0", hdrs, got)
		}
		a := mw.Answer(req)
		h := make(http.Header)
		a.SetHeaders(h)
		assertCORSHeaders(t, h, mw.Evaluate(req).Header)
	}
}
