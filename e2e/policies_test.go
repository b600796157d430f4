package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/crossgate/crossgate/cors"
	"github.com/crossgate/crossgate/fetch"
	"github.com/crossgate/crossgate/internal/scenarios"
)

// config turns p into the cors package's Config. Pages are served over
// http, so credentialed policies need the insecure-origins opt-in.
func (p policy) config() cors.Config {
	return cors.Config{
		AllowOrigins:     p.origins,
		AllowCredentials: p.credentials,
		AllowMethods:     p.methods,
		AllowHeaders:     p.headers,
		ExposeHeaders:    p.expose,
		DangerouslyAllowInsecureOriginsWithCredentials: p.credentials,
	}
}

// TestChromium_policies serves the cors middleware as the target, for a
// set of policies, and requires Chromium to let exactly the pages a
// policy means to allow read the response: with and without credentials,
// for simple and preflighted requests.
func TestChromium_policies(t *testing.T) {
	h := browser(t)
	port := h.pagePort
	app := "http://app.example.test:" + port
	pages := []string{
		app,
		"http://pr-7.preview.example.test:" + port,
		"http://evil.test:" + port,
		"http://localhost:" + port,
		"http://127.0.0.1:" + port,
		"http://example.test:" + port,
	}
	policies := []policy{
		{name: "credentialed SPA", origins: []string{app}, credentials: true,
			methods: []string{"PUT", "DELETE"}, headers: []string{"Content-Type", "Authorization", "X-Request-Id"}, expose: []string{"X-Total-Count"}},
		{name: "public API", origins: []string{"*"}, methods: []string{"*"}, headers: []string{"*"}, expose: []string{"*"}},
		{name: "subdomains", origins: []string{"http://*.example.test:" + port}, credentials: true,
			methods: []string{"PUT"}, headers: []string{"Content-Type"}},
		{name: "local dev ports", origins: []string{"http://localhost:*", "http://127.0.0.1:*"},
			methods: []string{"PATCH"}, headers: []string{"X-Debug"}},
	}
	requests := []fetch.Request{
		{Method: "GET"},
		{Method: "GET", Credentials: fetch.Include},
		{Method: "POST", Header: scenarios.H("Content-Type", "text/plain"), Body: []byte("x")},
		{Method: "PUT", Header: scenarios.H("Content-Type", "application/json"), Body: []byte("{}")},
		{Method: "PUT", Header: scenarios.H("Content-Type", "application/json"), Body: []byte("{}"), Credentials: fetch.Include},
		{Method: "DELETE", Credentials: fetch.Include},
		{Method: "PATCH", Header: scenarios.H("X-Debug", "1"), Body: []byte("x")},
		{Method: "GET", Header: scenarios.H("X-Request-Id", "7")},
		{Method: "GET", Header: scenarios.H("Authorization", "Bearer t")},
		{Method: "GET", Header: scenarios.H("Authorization", "Bearer t"), Credentials: fetch.Include},
		{Method: "GET", Initiator: fetch.XHR, Credentials: fetch.Include},
	}
	n, allowed := 0, 0
	for _, page := range pages {
		h.navigate(t, page)
		for _, p := range policies {
			mw, err := cors.New(p.config())
			if err != nil {
				t.Fatalf("%s: cors.New: %v", p.name, err)
			}
			for ri, r := range requests {
				n++
				nonce := fmt.Sprintf("p%d", n)
				r.Origin = page
				r.URL = "http://api.example.test:" + h.target.port + "/" + nonce + "/api"
				h.target.handle(nonce, mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("X-Total-Count", "3")
					w.Write([]byte("ok"))
				})))
				want := p.intends(r)
				name := fmt.Sprintf("%s/%s/%d %s %s creds=%s %v", p.name, page, ri, r.Initiator, r.Method, r.Credentials, r.Header)
				got := h.run(t, specFor(r), nonce)
				if got.JS.OK != want {
					t.Errorf("%s: Chromium lets the page read the response: %t; the policy means %t (console %q)", name, got.JS.OK, want, got.Console)
				}
				if got.JS.OK && got.JS.Status != 200 {
					t.Errorf("%s: got status %d; want 200 from the handler", name, got.JS.Status)
				}
				if want {
					allowed++
				}
			}
		}
	}
	t.Logf("%d policy requests checked in Chromium, %d meant to be allowed", n, allowed)
	if allowed == 0 || allowed == n {
		t.Errorf("the policies allow %d of %d requests: the table tests only one side", allowed, n)
	}
}

// navigate opens page's root in the tab.
func (h *harness) navigate(t *testing.T, page string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(h.tab, 30*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, chromedp.Navigate(page+"/"), chromedp.WaitReady("body", chromedp.ByQuery)); err != nil {
		t.Fatalf("opening %s: %v", page, err)
	}
}
