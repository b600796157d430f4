package cors_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/cors"
	"github.com/crossgate/crossgate/cors/corserr"
)

var protectedCfg = cors.Config{
	AllowOrigins:     []string{appOrigin, "https://*.preview.example.com", "http://localhost:*"},
	AllowCredentials: true,
	AllowMethods:     []string{"PUT", "DELETE"},
	AllowHeaders:     []string{"Content-Type"},
	ProtectWrites:    true,
}

// writeReq is a request to https://api.example.com with the given method,
// Origin and Sec-Fetch-Site ("" for absent).
func writeReq(method, o, site string) *http.Request {
	r := httptest.NewRequest(method, "https://api.example.com/v1/items", strings.NewReader("x"))
	if o != "" {
		r.Header.Set("Origin", o)
	}
	if site != "" {
		r.Header.Set("Sec-Fetch-Site", site)
	}
	return r
}

func TestProtectWrites(t *testing.T) {
	mw, err := cors.New(protectedCfg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		desc            string
		method, o, site string
		refused         bool
	}{
		{"form POST from a foreign site", "POST", "https://evil.example", "cross-site", true},
		{"PUT from a foreign site", "PUT", "https://evil.example", "cross-site", true},
		{"DELETE from a sibling subdomain not allowed", "DELETE", "https://blog.example.com", "same-site", true},
		{"PATCH from an old browser (no Sec-Fetch-Site)", "PATCH", "https://evil.example", "", true},
		{"POST from the null origin (sandboxed iframe)", "POST", "null", "cross-site", true},
		{"POST cross-site without Origin", "POST", "", "cross-site", true},
		{"POST from a look-alike of a pattern", "POST", "https://preview.example.com.evil.example", "cross-site", true},
		{"POST from an allowed origin", "POST", appOrigin, "same-site", false},
		{"PUT from an origin a pattern allows", "PUT", "https://pr-7.preview.example.com", "same-site", false},
		{"POST from an any-port pattern, old browser", "POST", "http://localhost:5173", "", false},
		{"POST same-origin", "POST", "https://api.example.com", "same-origin", false},
		{"POST same-origin, old browser (Origin matches Host)", "POST", "https://api.example.com", "", false},
		{"POST typed in the address bar / bookmark", "POST", "", "none", false},
		{"POST from curl (neither header)", "POST", "", "", false},
		{"GET from a foreign site", "GET", "https://evil.example", "cross-site", false},
		{"HEAD from a foreign site", "HEAD", "https://evil.example", "cross-site", false},
		{"OPTIONS (not a preflight) from a foreign site", "OPTIONS", "https://evil.example", "cross-site", false},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			spy := &spyHandler{}
			rec := httptest.NewRecorder()
			mw.Wrap(spy).ServeHTTP(rec, writeReq(tc.method, tc.o, tc.site))
			err := mw.CheckWrite(writeReq(tc.method, tc.o, tc.site))
			if !tc.refused {
				if !spy.called || rec.Code != http.StatusOK || err != nil {
					t.Fatalf("handler called %v, status %d, CheckWrite %v; want the handler to run", spy.called, rec.Code, err)
				}
				return
			}
			if spy.called {
				t.Fatal("the handler ran; want the write refused before it")
			}
			if rec.Code != http.StatusForbidden {
				t.Errorf("status %d; want 403", rec.Code)
			}
			body := rec.Body.String()
			if !strings.Contains(body, "cross-origin "+tc.method+" refused") || (tc.o != "" && !strings.Contains(body, tc.o)) {
				t.Errorf("body %q does not say why", body)
			}
			if rec.Header().Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("refusal carries Access-Control-Allow-Origin %q", rec.Header().Get("Access-Control-Allow-Origin"))
			}
			if got := rec.Header().Get(cors.RefusedHeader); got != "cross-origin-write" {
				t.Errorf("%s: %q; want cross-origin-write", cors.RefusedHeader, got)
			}
			if !strings.Contains(rec.Header().Get("Vary"), "Origin") {
				t.Errorf("Vary %q; want Origin", rec.Header().Get("Vary"))
			}
			var we *cors.WriteError
			if !errors.As(err, &we) || we.Method != tc.method || we.Origin != tc.o || we.Site != tc.site || we.Reason() != "cross-origin-write" {
				t.Errorf("CheckWrite = %#v; want a WriteError for %s from %q", err, tc.method, tc.o)
			}
			if errors.Unwrap(err) == nil {
				t.Error("WriteError does not wrap net/http's verdict")
			}
		})
	}
}

// Without ProtectWrites, CORS lets the simple POST through: the handler
// runs, and only the page's read is blocked. This is what the option is for.
func TestProtectWrites_off(t *testing.T) {
	cfg := protectedCfg
	cfg.ProtectWrites = false
	mw, err := cors.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	spy := &spyHandler{}
	mw.Wrap(spy).ServeHTTP(httptest.NewRecorder(), writeReq("POST", "https://evil.example", "cross-site"))
	if !spy.called {
		t.Fatal("handler not called without ProtectWrites")
	}
	if err := mw.CheckWrite(writeReq("POST", "https://evil.example", "cross-site")); err != nil {
		t.Fatalf("CheckWrite without ProtectWrites = %v", err)
	}
	if err := mw.Reconfigure(protectedCfg); err != nil {
		t.Fatal(err)
	}
	if err := mw.CheckWrite(writeReq("POST", "https://evil.example", "cross-site")); err == nil {
		t.Fatal("CheckWrite after Reconfigure with ProtectWrites = nil")
	}
	if !mw.Config().ProtectWrites {
		t.Error("Config() lost ProtectWrites")
	}
}

func TestProtectWrites_wildcardWarns(t *testing.T) {
	warns, err := cors.Validate(cors.Config{AllowOrigins: []string{"*"}, ProtectWrites: true})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, w := range warns {
		if w.Field == "ProtectWrites" && w.Reason == corserr.Ineffective {
			found = true
		}
	}
	if !found {
		t.Errorf("warnings %v; want one on ProtectWrites", warns)
	}
}

// The write check costs nothing on safe methods, from any origin, nor on
// the writes it lets through from allowed origins of modern browsers.
func TestProtectWrites_allocations(t *testing.T) {
	mw, err := cors.New(protectedCfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ method, o, site string }{
		{"GET", "https://evil.example", "cross-site"},
		{"HEAD", "https://evil.example", ""},
		{"OPTIONS", "https://evil.example", "cross-site"},
		{"GET", "", ""},
		{"POST", appOrigin, "same-site"},
		{"PUT", "https://pr-7.preview.example.com", "cross-site"},
		{"POST", "", "same-origin"},
		{"POST", "", ""},
	} {
		req := writeReq(tc.method, tc.o, tc.site)
		if got := testing.AllocsPerRun(100, func() { _ = mw.CheckWrite(req) }); got != 0 {
			t.Errorf("CheckWrite(%s from %q, %q): %v allocs; want 0", tc.method, tc.o, tc.site, got)
		}
	}
	// Wrap's bound is unchanged by ProtectWrites on safe methods.
	for _, hdrs := range []http.Header{nil, origin(appOrigin), origin("https://evil.example")} {
		h := mw.Wrap(noopHandler)
		req := newRequest("GET", hdrs)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		w := &reusableWriter{h: make(http.Header)}
		serve := func() { clear(w.h); h.ServeHTTP(w, req) }
		if got := testing.AllocsPerRun(100, serve); got > 1 {
			t.Errorf("Wrap GET %v: %v allocs; want at most 1", hdrs, got)
		}
	}
}

func TestCheckWebSocket(t *testing.T) {
	withNoOrigin := protectedCfg
	withNoOrigin.WebSocketAllowNoOrigin = true
	strict, err := cors.New(protectedCfg)
	if err != nil {
		t.Fatal(err)
	}
	lax, err := cors.New(withNoOrigin)
	if err != nil {
		t.Fatal(err)
	}
	var zero cors.Middleware
	tests := []struct {
		desc       string
		mw         *cors.Middleware
		origins    []string
		wantReason string // "" for accepted
	}{
		{"allowed origin", strict, []string{appOrigin}, ""},
		{"pattern", strict, []string{"https://a.b.preview.example.com"}, ""},
		{"same origin as Host", strict, []string{"https://api.example.com"}, ""},
		{"same origin, other case", strict, []string{"https://API.example.com"}, "invalid-origin"},
		{"foreign origin", strict, []string{"https://evil.example"}, "origin-not-allowed"},
		{"Host as a prefix", strict, []string{"https://api.example.com.evil.example"}, "origin-not-allowed"},
		{"null", strict, []string{"null"}, "invalid-origin"},
		{"two Origin lines", strict, []string{appOrigin, appOrigin}, "invalid-origin"},
		{"no Origin, strict", strict, nil, "no-origin"},
		{"no Origin, WebSocketAllowNoOrigin", lax, nil, ""},
		{"foreign origin, WebSocketAllowNoOrigin", lax, []string{"https://evil.example"}, "origin-not-allowed"},
		{"zero Middleware, same origin", &zero, []string{"https://api.example.com"}, ""},
		{"zero Middleware, foreign", &zero, []string{appOrigin}, "origin-not-allowed"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			r := httptest.NewRequest("GET", "https://api.example.com/ws", nil)
			r.Header.Set("Connection", "Upgrade")
			r.Header.Set("Upgrade", "websocket")
			if tc.origins != nil {
				r.Header["Origin"] = tc.origins
			}
			err := tc.mw.CheckWebSocket(r)
			if ok := tc.mw.CheckOrigin(r); ok != (err == nil) {
				t.Errorf("CheckOrigin = %v, CheckWebSocket = %v", ok, err)
			}
			if tc.wantReason == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var we *cors.WebSocketError
			if !errors.As(err, &we) || we.Reason() != tc.wantReason {
				t.Fatalf("CheckWebSocket = %v; want reason %s", err, tc.wantReason)
			}
			if we.Error() == "" || (len(tc.origins) == 1 && !strings.Contains(we.Error(), tc.origins[0])) {
				t.Errorf("message %q does not name the origin", we.Error())
			}
			if tc.wantReason == "invalid-origin" && strings.Contains(we.Error(), "not a serialized origin") && (len(tc.origins) > 1 || tc.origins[0] == "null") {
				t.Errorf("message %q calls %q not a serialized origin; want it to say what it is", we.Error(), tc.origins)
			}
		})
	}
}
