package e2e_test

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/cors"
	"github.com/crossgate/crossgate/fetch"
	"github.com/crossgate/crossgate/internal/scenarios"
)

// handlerTransport answers each request with the wrapped handler, in
// memory.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

var app = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("X-Total-Count", "3")
	w.Write([]byte("ok"))
})

// pick returns a random subset of list.
func pick(r *rand.Rand, list []string) []string {
	var out []string
	for _, s := range list {
		if r.IntN(3) == 0 {
			out = append(out, s)
		}
	}
	return out
}

// TestDifferential feeds the cors middleware's responses to the fetch
// model, for generated policies and requests, and requires the model to
// let the page read the response exactly when the policy means to allow
// the request ([policy.intends], which reads neither package).
func TestDifferential(t *testing.T) {
	t.Parallel()
	pageOrigins := []string{
		"https://app.example.com", "https://a.b.example.com", "https://example.com", "https://evil.com",
		"https://app.example.com:8443", "http://localhost:3000", "http://localhost:8080", "http://127.0.0.1:5173", "null",
	}
	originEntries := []string{
		"https://app.example.com", "https://example.com", "https://app.example.com:8443", "http://localhost:3000",
		"https://*.example.com", "https://*.example.com:*", "http://localhost:*", "http://127.0.0.1:*", "*",
	}
	methods := []string{"GET", "POST", "PUT", "DELETE", "PATCH", "patch", "put"}
	headers := [][2]string{
		{"Content-Type", "text/plain"}, {"Content-Type", "application/json"}, {"X-Request-Id", "1"},
		{"Authorization", "Bearer t"}, {"Accept-Language", "fr"}, {"X-Debug", "on"},
	}
	r := rand.New(rand.NewPCG(2026, 3))
	const iterations = 4000
	var valid, allowed int
	for i := range iterations {
		p := policy{
			origins:     pick(r, originEntries),
			credentials: r.IntN(2) == 0,
			methods:     pick(r, []string{"PUT", "DELETE", "PATCH", "*"}),
			headers:     pick(r, []string{"Content-Type", "X-Request-Id", "Authorization", "X-Debug", "*"}),
		}
		if r.IntN(4) == 0 {
			p.origins, p.credentials = []string{"*"}, false // a public API
		}
		if len(p.origins) == 0 {
			p.origins = []string{originEntries[r.IntN(len(originEntries))]}
		}
		if p.credentials && len(p.origins) > 1 {
			p.origins = slices.DeleteFunc(p.origins, func(o string) bool { return o == "*" })
		}
		cfg := p.config()
		cfg.DangerouslyAllowInsecureOriginsWithCredentials = r.IntN(2) == 0
		mw, err := cors.New(cfg)
		if err != nil {
			continue // cors refuses it (overlapping entries, "*" with credentials...): nothing to compare
		}
		valid++
		req := fetch.Request{
			URL:         "https://api.example.net/v1/orders",
			Origin:      pageOrigins[r.IntN(len(pageOrigins))],
			Method:      methods[r.IntN(len(methods))],
			Credentials: []fetch.Credentials{fetch.Omit, fetch.SameOrigin, fetch.Include}[r.IntN(3)],
			Header:      http.Header{},
		}
		if r.IntN(2) == 0 {
			// Half the requests come from an origin the policy names,
			// or one its pattern matches.
			o := p.origins[r.IntN(len(p.origins))]
			o = strings.Replace(strings.Replace(o, "://*.", "://x.", 1), ":*", ":9999", 1)
			if o != "*" {
				req.Origin = o
			}
		}
		for _, h := range headers {
			if r.IntN(5) == 0 && req.Header.Get(h[0]) == "" {
				req.Header.Set(h[0], h[1])
			}
		}
		if req.Method != "GET" && req.Method != "HEAD" {
			req.Body = []byte("x")
		}
		want := p.intends(req)
		if want {
			allowed++
		}
		for _, e := range []fetch.Engine{fetch.Chromium, fetch.Spec} {
			c := &fetch.Client{Engine: e, Transport: handlerTransport{mw.Wrap(app)}}
			res, err := c.Do(context.Background(), req)
			if err != nil {
				t.Fatalf("case %d: Do: %v", i, err)
			}
			if res.Allowed != want {
				t.Errorf("case %d, %s: policy %+v, request %s %s from %s, credentials %s, headers %v: got allowed %t; the policy means %t (%s %s)",
					i, e, p, req.Method, req.URL, req.Origin, req.Credentials, req.Header, res.Allowed, want, res.ChromiumError, res.ConsoleMessage)
			}
		}
	}
	t.Logf("%d generated policies valid out of %d; %d requests meant to be allowed", valid, iterations, allowed)
	if valid < iterations/5 || allowed < valid/10 || allowed == valid {
		t.Errorf("the generator is off balance: %d valid policies, %d allowed requests", valid, allowed)
	}
}

// Chromium 156 lets Access-Control-Allow-Headers: * cover Authorization;
// the standard never does. The cors package answers such a preflight with
// 403, so that the request is blocked under the Chromium engine too.
func TestDifferential_authorizationUnderWildcard(t *testing.T) {
	t.Parallel()
	mw, err := cors.New(cors.Config{AllowOrigins: []string{"*"}, AllowHeaders: []string{"*"}, AllowMethods: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	req := fetch.Request{URL: "https://api.example.net/", Origin: "https://app.example.com", Header: scenarios.H("Authorization", "Bearer t")}
	for _, e := range []fetch.Engine{fetch.Chromium, fetch.Spec} {
		c := &fetch.Client{Engine: e, Transport: handlerTransport{mw.Wrap(app)}}
		res, err := c.Do(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if res.Allowed || !res.PreflightSent {
			t.Errorf("%s: got allowed %t, preflight %t; want blocked after a preflight", e, res.Allowed, res.PreflightSent)
		}
	}
	// The departure itself: a bare ACAH * passes Chromium's check.
	p, err := fetch.Chromium.Classify(req)
	if err != nil {
		t.Fatal(err)
	}
	f, warnings := fetch.Chromium.CheckPreflight(p, fetch.Response{Status: 204, Header: scenarios.H("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Headers", "*")})
	if f != nil || len(warnings) == 0 || !strings.Contains(warnings[0].ID, "Wildcard") {
		t.Errorf("Chromium engine with ACAH *: got %v, %v; want a pass with the deprecation warning", f, warnings)
	}
}
