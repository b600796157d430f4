package cors_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/cors"
)

// Whatever a request holds, the middleware answers without panicking,
// Evaluate agrees with Wrap, nothing is allowed that the policy does not
// allow, and no header value it sets carries a control byte.
func FuzzMiddleware(f *testing.F) {
	for _, mc := range middlewareCases {
		for _, tc := range mc.cases {
			if len(tc.reqHdrs[hACRH]) > 1 || len(strings.Join(tc.reqHdrs[hACRH], "")) > 4096 {
				continue
			}
			f.Add(tc.method == "OPTIONS", strings.Join(tc.reqHdrs["Origin"], ""), strings.Join(tc.reqHdrs[hACRM], ""), strings.Join(tc.reqHdrs[hACRH], ""))
		}
	}
	cfg := cors.Config{
		AllowOrigins:     []string{appOrigin, "https://*.preview.example.com", "http://localhost:*"},
		AllowCredentials: true,
		AllowMethods:     []string{"PUT", "PATCH"},
		AllowHeaders:     []string{"Authorization", "X-Request-ID"},
		ExposeHeaders:    []string{"X-Total-Count"},
	}
	mw, err := cors.New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	star, err := cors.New(cors.Config{AllowOrigins: []string{"*"}, AllowHeaders: []string{"*"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, options bool, o, acrm, acrh string) {
		method := "GET"
		if options {
			method = "OPTIONS"
		}
		hdrs := http.Header{"Origin": {o}, hACRM: {acrm}, hACRH: {acrh}}
		for _, m := range []*cors.Middleware{mw, star} {
			rec := httptest.NewRecorder()
			m.Wrap(&spyHandler{}).ServeHTTP(rec, newRequest(method, hdrs))
			d := m.Evaluate(newRequest(method, hdrs))
			assertCORSHeaders(t, rec.Header(), d.Header)
			for k, vs := range rec.Header() {
				for _, v := range vs {
					if strings.ContainsAny(v, "\r\n\x00") {
						t.Fatalf("header %s: control byte in %q", k, v)
					}
				}
			}
			if !d.Allowed || d.Kind != cors.KindPreflight || m != mw {
				continue
			}
			// An allowed preflight: the origin, the method and every header
			// must be in the policy.
			if got := d.Header.Get(hACAO); got != o {
				t.Fatalf("allowed preflight from %q answered %s %q", o, hACAO, got)
			}
			if acrm != "GET" && acrm != "HEAD" && acrm != "POST" && !slices.Contains(cfg.AllowMethods, acrm) {
				t.Fatalf("preflight for method %q allowed", acrm)
			}
			for name := range strings.SplitSeq(acrh, ",") {
				name = strings.ToLower(strings.Trim(name, " \t"))
				if name != "" && name != "authorization" && name != "x-request-id" {
					t.Fatalf("preflight for header %q allowed (ACRH %q)", name, acrh)
				}
			}
		}
	})
}
