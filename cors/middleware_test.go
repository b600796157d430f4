package cors_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/cors"
)

type middlewareCase struct {
	desc  string
	cfg   cors.Config
	cases []reqCase
}

const (
	appOrigin = "https://app.example.com"
	hACAO     = "Access-Control-Allow-Origin"
	hACAC     = "Access-Control-Allow-Credentials"
	hACAM     = "Access-Control-Allow-Methods"
	hACAH     = "Access-Control-Allow-Headers"
	hACEH     = "Access-Control-Expose-Headers"
	hACMA     = "Access-Control-Max-Age"
	hACAPN    = "Access-Control-Allow-Private-Network"
	hACRM     = "Access-Control-Request-Method"
	hACRH     = "Access-Control-Request-Headers"
	hACRPN    = "Access-Control-Request-Private-Network"
)

// preflight returns the headers of a preflight from origin o.
func preflight(o, method, acrh string) http.Header {
	h := http.Header{"Origin": {o}, hACRM: {method}}
	if acrh != "" {
		h[hACRH] = []string{acrh}
	}
	return h
}

func origin(o string) http.Header { return http.Header{"Origin": {o}} }

var middlewareCases = []middlewareCase{
	{
		desc: "credentialed SPA",
		cfg: cors.Config{
			AllowOrigins:     []string{appOrigin, "https://*.preview.example.com"},
			AllowCredentials: true,
			AllowMethods:     []string{"GET", "POST", "PUT", "PATCH", "DELETE"},
			AllowHeaders:     []string{"Authorization", "Content-Type", "X-Request-ID"},
			ExposeHeaders:    []string{"X-Total-Count"},
			MaxAge:           2 * time.Hour,
		},
		cases: []reqCase{
			{
				desc: "no Origin", wantHandler: true, wantStatus: 200,
				wantHdrs: http.Header{"Vary": {"Origin"}}, wantReason: "not-cors",
			}, {
				desc: "allowed origin", reqHdrs: origin(appOrigin), wantHandler: true, wantStatus: 200,
				wantHdrs: http.Header{
					hACAO: {appOrigin}, hACAC: {"true"}, hACEH: {"x-total-count"}, "Vary": {"Origin"},
				},
				wantReason: "allowed",
			}, {
				desc: "allowed subdomain two levels deep", reqHdrs: origin("https://a.b.preview.example.com"),
				wantHandler: true, wantStatus: 200,
				wantHdrs: http.Header{
					hACAO: {"https://a.b.preview.example.com"}, hACAC: {"true"}, hACEH: {"x-total-count"}, "Vary": {"Origin"},
				},
				wantReason: "allowed",
			}, {
				desc: "apex of a subdomain pattern", reqHdrs: origin("https://preview.example.com"),
				wantHandler: true, wantStatus: 200, wantHdrs: http.Header{"Vary": {"Origin"}}, wantReason: "origin-not-allowed",
			}, {
				desc: "look-alike suffix", reqHdrs: origin("https://evilpreview.example.com"),
				wantHandler: true, wantStatus: 200, wantHdrs: http.Header{"Vary": {"Origin"}}, wantReason: "origin-not-allowed",
			}, {
				desc: "allowed origin as a prefix of another host", reqHdrs: origin("https://app.example.com.evil.com"),
				wantHandler: true, wantStatus: 200, wantHdrs: http.Header{"Vary": {"Origin"}}, wantReason: "origin-not-allowed",
			}, {
				desc: "http scheme of an allowed https origin", reqHdrs: origin("http://app.example.com"),
				wantHandler: true, wantStatus: 200, wantHdrs: http.Header{"Vary": {"Origin"}}, wantReason: "origin-not-allowed",
			}, {
				desc: "default port written out", reqHdrs: origin("https://app.example.com:443"),
				wantHandler: true, wantStatus: 200, wantHdrs: http.Header{"Vary": {"Origin"}}, wantReason: "origin-not-allowed",
			}, {
				desc: "upper-case origin", reqHdrs: origin("https://APP.example.com"),
				wantHandler: true, wantStatus: 200, wantHdrs: http.Header{"Vary": {"Origin"}}, wantReason: "invalid-origin",
			}, {
				desc: "null origin", reqHdrs: origin("null"),
				wantHandler: true, wantStatus: 200, wantHdrs: http.Header{"Vary": {"Origin"}}, wantReason: "invalid-origin",
			}, {
				desc: "two Origin lines", reqHdrs: http.Header{"Origin": {appOrigin, appOrigin}},
				wantHandler: true, wantStatus: 200, wantHdrs: http.Header{"Vary": {"Origin"}}, wantReason: "invalid-origin",
			}, {
				desc: "allowed preflight", method: "OPTIONS", reqHdrs: preflight(appOrigin, "PUT", "authorization,content-type"),
				wantStatus: 204,
				wantHdrs: http.Header{
					hACAO: {appOrigin}, hACAC: {"true"}, hACAM: {"GET,POST,PUT,PATCH,DELETE"},
					hACAH: {"authorization,content-type,x-request-id"}, hACMA: {"7200"},
				},
				wantReason: "allowed",
			}, {
				desc: "allowed preflight with header names as a proxy rewrote them", method: "OPTIONS",
				reqHdrs:    http.Header{"Origin": {appOrigin}, hACRM: {"PATCH"}, hACRH: {"Content-Type , ", " X-Request-ID"}},
				wantStatus: 204,
				wantHdrs: http.Header{
					hACAO: {appOrigin}, hACAC: {"true"}, hACAM: {"GET,POST,PUT,PATCH,DELETE"},
					hACAH: {"authorization,content-type,x-request-id"}, hACMA: {"7200"},
				},
				wantReason: "allowed",
			}, {
				desc: "preflight from a disallowed origin", method: "OPTIONS", reqHdrs: preflight("https://evil.com", "PUT", ""),
				wantStatus: 403, wantHdrs: http.Header{}, wantReason: "origin-not-allowed",
			}, {
				desc: "preflight for a lower-case method", method: "OPTIONS", reqHdrs: preflight(appOrigin, "patch", ""),
				wantStatus: 204,
				wantHdrs: http.Header{
					hACAO: {appOrigin}, hACAC: {"true"}, hACAM: {"GET,POST,PUT,PATCH,DELETE"},
					hACAH: {"authorization,content-type,x-request-id"},
				},
				wantReason: "method-not-allowed",
			}, {
				desc: "preflight for a header not allowed", method: "OPTIONS", reqHdrs: preflight(appOrigin, "PUT", "content-type,x-foo"),
				wantStatus: 204,
				wantHdrs: http.Header{
					hACAO: {appOrigin}, hACAC: {"true"}, hACAM: {"GET,POST,PUT,PATCH,DELETE"},
					hACAH: {"authorization,content-type,x-request-id"},
				},
				wantReason: "header-not-allowed",
			}, {
				desc: "preflight with 1 MiB of commas", method: "OPTIONS",
				reqHdrs:    preflight(appOrigin, "PUT", strings.Repeat(",", 1<<20)),
				wantStatus: 403, wantHdrs: http.Header{},
				wantReason: "request-headers-too-long",
			}, {
				desc: "preflight with an allowed name repeated over 1 MiB", method: "OPTIONS",
				reqHdrs:    preflight(appOrigin, "PUT", strings.Repeat("content-type,", 1<<20/13)),
				wantStatus: 403, wantHdrs: http.Header{},
				wantReason: "request-headers-too-long",
			}, {
				desc: "preflight with 1024 empty ACRH lines", method: "OPTIONS",
				reqHdrs:    http.Header{"Origin": {appOrigin}, hACRM: {"PUT"}, hACRH: make([]string, 1024)},
				wantStatus: 403, wantHdrs: http.Header{},
				wantReason: "request-headers-too-long",
			}, {
				desc: "preflight with a malformed ACRH", method: "OPTIONS", reqHdrs: preflight(appOrigin, "PUT", "x foo"),
				wantStatus: 403, wantHdrs: http.Header{},
				wantReason: "invalid-request-headers",
			}, {
				desc: "preflight with a malformed ACRH after a refused name", method: "OPTIONS", reqHdrs: preflight(appOrigin, "PUT", "x-foo,x bar"),
				wantStatus: 403, wantHdrs: http.Header{},
				wantReason: "invalid-request-headers",
			}, {
				desc: "preflight for a method not allowed, with a malformed ACRH", method: "OPTIONS", reqHdrs: preflight(appOrigin, "QUERY", "x;y"),
				wantStatus: 403, wantHdrs: http.Header{},
				wantReason: "invalid-request-headers",
			}, {
				desc: "preflight for names not allowed, past the bound", method: "OPTIONS",
				reqHdrs:    preflight(appOrigin, "PUT", strings.Repeat("x-unknown,", 12)),
				wantStatus: 403, wantHdrs: http.Header{},
				wantReason: "request-headers-too-long",
			}, {
				desc: "preflight for every allowed name and one more", method: "OPTIONS",
				reqHdrs:    preflight(appOrigin, "PUT", "authorization, content-type, x-request-id, x-some-other-header-name"),
				wantStatus: 204,
				wantHdrs: http.Header{
					hACAO: {appOrigin}, hACAC: {"true"}, hACAM: {"GET,POST,PUT,PATCH,DELETE"},
					hACAH: {"authorization,content-type,x-request-id"},
				},
				wantReason: "header-not-allowed",
			}, {
				desc: "preflight from a disallowed origin with a malformed method", method: "OPTIONS", reqHdrs: preflight("https://evil.com", "PU T", "x y"),
				wantStatus: 403, wantHdrs: http.Header{}, wantReason: "origin-not-allowed",
			}, {
				desc: "preflight from a malformed origin", method: "OPTIONS", reqHdrs: preflight("https://APP.example.com", "PUT", ""),
				wantStatus: 403, wantHdrs: http.Header{}, wantReason: "invalid-origin",
			}, {
				desc: "preflight with two Access-Control-Request-Method lines", method: "OPTIONS",
				reqHdrs:    http.Header{"Origin": {appOrigin}, hACRM: {"PUT", "PUT"}},
				wantStatus: 403, wantHdrs: http.Header{}, wantReason: "invalid-method",
			}, {
				desc: "preflight with a malformed method", method: "OPTIONS", reqHdrs: preflight(appOrigin, "PU T", ""),
				wantStatus: 403, wantHdrs: http.Header{},
				wantReason: "invalid-method",
			}, {
				desc: "preflight for a safelisted method", method: "OPTIONS", reqHdrs: preflight(appOrigin, "GET", ""),
				wantStatus: 204,
				wantHdrs: http.Header{
					hACAO: {appOrigin}, hACAC: {"true"}, hACAM: {"GET,POST,PUT,PATCH,DELETE"},
					hACAH: {"authorization,content-type,x-request-id"}, hACMA: {"7200"},
				},
				wantReason: "allowed",
			}, {
				desc: "OPTIONS with Origin but no Access-Control-Request-Method", method: "OPTIONS", reqHdrs: origin(appOrigin),
				wantHandler: true, wantStatus: 200,
				wantHdrs: http.Header{
					hACAO: {appOrigin}, hACAC: {"true"}, hACEH: {"x-total-count"}, "Vary": {"Origin"},
				},
				wantReason: "allowed",
			}, {
				desc: "OPTIONS with Access-Control-Request-Method but no Origin", method: "OPTIONS",
				reqHdrs:     http.Header{hACRM: {"PUT"}},
				wantHandler: true, wantStatus: 200, wantHdrs: http.Header{"Vary": {"Origin"}}, wantReason: "not-cors",
			},
		},
	}, {
		desc: "public API with wildcards",
		cfg: cors.Config{
			AllowOrigins:  []string{"*"},
			AllowMethods:  []string{"PUT", "DELETE"},
			AllowHeaders:  []string{"*"},
			ExposeHeaders: []string{"X-Total-Count"},
		},
		cases: []reqCase{
			{
				desc: "no Origin", wantHandler: true, wantStatus: 200,
				wantHdrs: http.Header{hACAO: {"*"}, hACEH: {"x-total-count"}}, wantReason: "not-cors",
			}, {
				desc: "any origin", reqHdrs: origin("https://anyone.example"), wantHandler: true, wantStatus: 200,
				wantHdrs: http.Header{hACAO: {"*"}, hACEH: {"x-total-count"}}, wantReason: "allowed",
			}, {
				desc: "null origin", reqHdrs: origin("null"), wantHandler: true, wantStatus: 200,
				wantHdrs: http.Header{hACAO: {"*"}, hACEH: {"x-total-count"}}, wantReason: "allowed",
			}, {
				desc: "preflight with any header", method: "OPTIONS", reqHdrs: preflight("https://anyone.example", "PUT", "x-anything,x-other"),
				wantStatus: 204,
				wantHdrs: http.Header{
					hACAO: {"*"}, hACAM: {"PUT,DELETE"}, hACAH: {"*"},
				},
				wantReason: "allowed",
			}, {
				desc: "preflight asking for Authorization", method: "OPTIONS", reqHdrs: preflight("https://anyone.example", "PUT", "authorization,x-a"),
				wantStatus: 403,
				wantHdrs: http.Header{
					hACAO: {"*"},
				},
				wantReason: "authorization-not-covered-by-wildcard",
			}, {
				desc: "preflight with a malformed ACRH", method: "OPTIONS", reqHdrs: preflight("https://anyone.example", "PUT", "x-a,(x)"),
				wantStatus: 403, wantHdrs: http.Header{}, wantReason: "invalid-request-headers",
			}, {
				desc: "preflight with 9 KiB of names", method: "OPTIONS", reqHdrs: preflight("https://anyone.example", "PUT", strings.Repeat("x-a,", 9<<8)),
				wantStatus: 403, wantHdrs: http.Header{}, wantReason: "request-headers-too-long",
			}, {
				desc: "preflight with a malformed method", method: "OPTIONS", reqHdrs: preflight("https://anyone.example", "", ""),
				wantStatus: 403, wantHdrs: http.Header{}, wantReason: "invalid-method",
			}, {
				desc: "preflight for a method not allowed", method: "OPTIONS", reqHdrs: preflight("https://anyone.example", "PATCH", ""),
				wantStatus: 204,
				wantHdrs: http.Header{
					hACAO: {"*"}, hACAM: {"PUT,DELETE"}, hACAH: {"*"},
				},
				wantReason: "method-not-allowed",
			},
		},
	}, {
		desc: "wildcard headers with Authorization listed",
		cfg: cors.Config{
			AllowOrigins: []string{"*"},
			AllowMethods: []string{"*"},
			AllowHeaders: []string{"*", "Authorization"},
		},
		cases: []reqCase{
			{
				desc: "preflight asking for Authorization", method: "OPTIONS", reqHdrs: preflight("https://anyone.example", "QUERY", "authorization,x-a"),
				wantStatus: 204,
				wantHdrs: http.Header{
					hACAO: {"*"}, hACAM: {"*"}, hACAH: {"*,authorization"},
				},
				wantReason: "allowed",
			},
		},
	}, {
		desc: "local development",
		cfg: cors.Config{
			AllowOrigins:        []string{"http://localhost:*"},
			AllowCredentials:    true,
			AllowHeaders:        []string{"Content-Type"},
			MaxAge:              cors.NoPreflightCache,
			AllowPrivateNetwork: true,
			PreflightStatus:     200,
		},
		cases: []reqCase{
			{
				desc: "a port", reqHdrs: origin("http://localhost:3000"), wantHandler: true, wantStatus: 200,
				wantHdrs:   http.Header{hACAO: {"http://localhost:3000"}, hACAC: {"true"}, "Vary": {"Origin"}},
				wantReason: "allowed",
			}, {
				desc: "no port", reqHdrs: origin("http://localhost"), wantHandler: true, wantStatus: 200,
				wantHdrs:   http.Header{hACAO: {"http://localhost"}, hACAC: {"true"}, "Vary": {"Origin"}},
				wantReason: "allowed",
			}, {
				desc: "another scheme", reqHdrs: origin("https://localhost:3000"), wantHandler: true, wantStatus: 200,
				wantHdrs: http.Header{"Vary": {"Origin"}}, wantReason: "origin-not-allowed",
			}, {
				desc: "a host that starts with localhost", reqHdrs: origin("http://localhost.evil.com:3000"), wantHandler: true, wantStatus: 200,
				wantHdrs: http.Header{"Vary": {"Origin"}}, wantReason: "origin-not-allowed",
			}, {
				desc: "private network preflight", method: "OPTIONS",
				reqHdrs:    http.Header{"Origin": {"http://localhost:5173"}, hACRM: {"POST"}, hACRH: {"content-type"}, hACRPN: {"true"}},
				wantStatus: 200,
				wantHdrs: http.Header{
					hACAO: {"http://localhost:5173"}, hACAC: {"true"}, hACAH: {"content-type"}, hACMA: {"0"}, hACAPN: {"true"},
				},
				wantReason: "allowed",
			}, {
				desc: "preflight for a method not listed", method: "OPTIONS", reqHdrs: preflight("http://localhost:5173", "PUT", ""),
				wantStatus: 200,
				wantHdrs: http.Header{
					hACAO: {"http://localhost:5173"}, hACAC: {"true"}, hACAH: {"content-type"},
				},
				wantReason: "method-not-allowed",
			},
		},
	}, {
		desc: "one origin and nothing else",
		cfg:  cors.Config{AllowOrigins: []string{"https://example.com"}},
		cases: []reqCase{
			{
				desc: "preflight for a safelisted request", method: "OPTIONS", reqHdrs: preflight("https://example.com", "POST", ""),
				wantStatus: 204, wantHdrs: http.Header{hACAO: {"https://example.com"}}, wantReason: "allowed",
			}, {
				desc: "preflight for a header", method: "OPTIONS", reqHdrs: preflight("https://example.com", "GET", "x-a"),
				wantStatus: 204, wantHdrs: http.Header{hACAO: {"https://example.com"}}, wantReason: "header-not-allowed",
			}, {
				desc: "actual request", reqHdrs: origin("https://example.com"), wantHandler: true, wantStatus: 200,
				wantHdrs: http.Header{hACAO: {"https://example.com"}, "Vary": {"Origin"}}, wantReason: "allowed",
			},
		},
	},
}

func TestMiddleware(t *testing.T) {
	for _, mc := range middlewareCases {
		mw, err := cors.New(mc.cfg)
		if err != nil {
			t.Fatalf("%s: cors.New: %v", mc.desc, err)
		}
		for _, tc := range mc.cases {
			t.Run(mc.desc+"/"+tc.desc, func(t *testing.T) {
				t.Parallel()
				spy := &spyHandler{}
				rec := httptest.NewRecorder()
				req := newRequest(tc.method, tc.reqHdrs)
				mw.Wrap(spy).ServeHTTP(rec, req)
				if spy.called != tc.wantHandler {
					t.Errorf("handler called: got %t; want %t", spy.called, tc.wantHandler)
				}
				if rec.Code != tc.wantStatus {
					t.Errorf("got status %d; want %d", rec.Code, tc.wantStatus)
				}
				assertCORSHeaders(t, rec.Header(), tc.wantHdrs)

				// Evaluate must agree with Wrap, to the header.
				d := mw.Evaluate(newRequest(tc.method, tc.reqHdrs))
				if got := d.Reason.String(); got != tc.wantReason {
					t.Errorf("Evaluate: got reason %q; want %q", got, tc.wantReason)
				}
				assertCORSHeaders(t, d.Header, rec.Header())
				if (d.Kind == cors.KindPreflight) == tc.wantHandler {
					t.Errorf("Evaluate: got kind %v; but handler called is %t", d.Kind, tc.wantHandler)
				}
				if d.Kind == cors.KindPreflight && d.Status != rec.Code {
					t.Errorf("Evaluate: got status %d; Wrap answered %d", d.Status, rec.Code)
				}
				if wantAllowed := tc.wantReason == "allowed" || tc.wantReason == "not-cors"; d.Allowed != wantAllowed {
					t.Errorf("Evaluate: got allowed %t; want %t", d.Allowed, wantAllowed)
				}
			})
		}
	}
}

func TestMiddleware_zeroValuePassesThrough(t *testing.T) {
	var mw cors.Middleware
	spy := &spyHandler{}
	rec := httptest.NewRecorder()
	mw.Wrap(spy).ServeHTTP(rec, newRequest("OPTIONS", preflight(appOrigin, "PUT", "")))
	if !spy.called {
		t.Error("handler not called")
	}
	assertCORSHeaders(t, rec.Header(), http.Header{})
	d := mw.Evaluate(newRequest("OPTIONS", preflight(appOrigin, "PUT", "")))
	if d.Reason != cors.ReasonNoPolicy || d.Kind != cors.KindPreflight || d.Allowed {
		t.Errorf("Evaluate: got %+v; want a disallowed preflight with no policy", d)
	}
	if d := mw.Evaluate(newRequest("GET", nil)); d.Reason != cors.ReasonNotCORS || d.Kind != cors.KindNotCORS || !d.Allowed {
		t.Errorf("Evaluate: got %+v; want an allowed request that is not CORS", d)
	}
	if mw.Config() != nil {
		t.Error("Config: got a policy; want nil")
	}
}

// The CORS headers replace what the handler's outer layers already set,
// except Vary, which they extend without naming anything twice.
func TestMiddleware_existingHeaders(t *testing.T) {
	mw, err := cors.New(cors.Config{AllowOrigins: []string{appOrigin}, ExposeHeaders: []string{"X-A"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		desc     string
		method   string
		reqHdrs  http.Header
		preset   http.Header
		wantVary []string
	}{
		{"outer Vary kept", "GET", origin(appOrigin), http.Header{"Vary": {"Accept-Encoding"}}, []string{"Accept-Encoding", "Origin"}},
		{"Origin not repeated", "GET", origin(appOrigin), http.Header{"Vary": {"accept-encoding, origin"}}, []string{"accept-encoding, origin"}},
		{"Vary star left alone", "GET", origin(appOrigin), http.Header{"Vary": {"*"}}, []string{"*"}},
		// A preflight response gets no Vary, and an outer one is left as is.
		{"preflight leaves Vary alone", "OPTIONS", preflight(appOrigin, "GET", ""), http.Header{"Vary": {"Accept-Encoding"}}, []string{"Accept-Encoding"}},
		{"preflight adds no Vary", "OPTIONS", preflight(appOrigin, "GET", ""), nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			rec := httptest.NewRecorder()
			for k, v := range tc.preset {
				rec.Header()[k] = v
			}
			rec.Header()[hACAO] = []string{"https://stale.example"}
			mw.Wrap(&spyHandler{}).ServeHTTP(rec, newRequest(tc.method, tc.reqHdrs))
			if got := rec.Header()["Vary"]; strings.Join(got, "|") != strings.Join(tc.wantVary, "|") {
				t.Errorf("Vary: got %q; want %q", got, tc.wantVary)
			}
			if got := rec.Header()[hACAO]; len(got) != 1 || got[0] != appOrigin {
				t.Errorf("%s: got %q; want [%q]", hACAO, got, appOrigin)
			}
		})
	}
}

// Regression test for the bug class of rs/cors#198: a handler or outer
// middleware that appends to a header the middleware set must not change
// that header in any other response.
func TestMiddleware_mutationByWrappingMiddleware(t *testing.T) {
	mw, err := cors.New(cors.Config{
		AllowOrigins:  []string{appOrigin},
		AllowMethods:  []string{"PUT"},
		AllowHeaders:  []string{"X-A"},
		ExposeHeaders: []string{"X-B"},
	})
	if err != nil {
		t.Fatal(err)
	}
	mutate := func(h http.Header) {
		for k, v := range h {
			h[k] = append(v, "mutated")
			if len(v) > 0 {
				v[0] = "overwritten"
			}
		}
	}
	for _, tc := range []struct {
		desc   string
		method string
		hdrs   http.Header
	}{
		{"actual", "GET", origin(appOrigin)},
		{"preflight", "OPTIONS", preflight(appOrigin, "PUT", "x-a")},
		{"not CORS", "GET", nil},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			first := httptest.NewRecorder()
			mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { mutate(w.Header()) })).
				ServeHTTP(first, newRequest(tc.method, tc.hdrs))
			if tc.method == "OPTIONS" {
				mutate(first.Header()) // the handler does not run on preflights
			}
			second := httptest.NewRecorder()
			mw.Wrap(&spyHandler{}).ServeHTTP(second, newRequest(tc.method, tc.hdrs))
			want := mw.Evaluate(newRequest(tc.method, tc.hdrs)).Header
			assertCORSHeaders(t, second.Header(), want)
			for k, v := range second.Header() {
				for _, s := range v {
					if s == "mutated" || s == "overwritten" {
						t.Errorf("header %s of a later response: got %q", k, v)
					}
				}
			}
		})
	}
}
