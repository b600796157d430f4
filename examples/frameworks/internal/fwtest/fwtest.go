// Package fwtest holds the policy of the examples and the checks that
// every framework's example must pass.
package fwtest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/cors"
)

// Config is the examples' policy: the app on app.example.com may PUT and
// DELETE orders, with cookies and a JSON body.
var Config = cors.Config{
	AllowOrigins:     []string{"https://app.example.com"},
	AllowCredentials: true,
	AllowMethods:     []string{"PUT", "DELETE"},
	AllowHeaders:     []string{"Content-Type"},
}

// Middleware returns the middleware of Config.
func Middleware(t testing.TB) *cors.Middleware {
	mw, err := cors.New(Config)
	if err != nil {
		t.Fatal(err)
	}
	return mw
}

// Handled is the header the examples' handlers set, so that a test sees
// whether a handler ran.
const Handled = "X-Handled-By"

func do(h http.Handler, method, origin string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "http://api.example.com/api/orders/42", strings.NewReader(""))
	if origin != "" {
		r.Header.Set("Origin", origin)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// Preflight sends the preflight a browser sends before
// fetch(url, {method: "PUT", credentials: "include", headers: {"Content-Type": "application/json"}}).
func Preflight(h http.Handler, origin string) *httptest.ResponseRecorder {
	return do(h, http.MethodOptions, origin,
		"Access-Control-Request-Method", "PUT",
		"Access-Control-Request-Headers", "content-type")
}

// Check runs the checks every example passes: h is the example's handler,
// bare the same router without the middleware, and bareStatus what the
// router alone answers to the preflight (its 405 or 404).
func Check(t *testing.T, h, bare http.Handler, bareStatus int) {
	t.Helper()
	// Without the middleware, the router answers the preflight itself,
	// with no CORS headers: the browser would fail the request.
	w := Preflight(bare, "https://app.example.com")
	if w.Code != bareStatus || w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("router alone: preflight got %d, Access-Control-Allow-Origin %q; want %d and none",
			w.Code, w.Header().Get("Access-Control-Allow-Origin"), bareStatus)
	}

	// With it, the middleware answers the preflight; no handler runs.
	w = Preflight(h, "https://app.example.com")
	wantHeaders := map[string]string{
		"Access-Control-Allow-Origin":      "https://app.example.com",
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods":     "PUT,DELETE",
		"Access-Control-Allow-Headers":     "content-type",
	}
	if w.Code != http.StatusNoContent {
		t.Errorf("preflight: got %d; want 204 from the middleware", w.Code)
	}
	for k, v := range wantHeaders {
		if got := w.Header().Get(k); got != v {
			t.Errorf("preflight: %s: got %q; want %q", k, got, v)
		}
	}
	if by := w.Header().Get(Handled); by != "" {
		t.Errorf("preflight: reached the handler %q", by)
	}

	// A preflight from another origin is refused by the middleware.
	w = Preflight(h, "https://evil.example")
	if w.Code != http.StatusForbidden || w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from evil.example: got %d, Access-Control-Allow-Origin %q; want 403 and none",
			w.Code, w.Header().Get("Access-Control-Allow-Origin"))
	}

	// The actual request reaches the handler, with the CORS headers.
	w = do(h, http.MethodPut, "https://app.example.com", "Content-Type", "application/json")
	body, _ := io.ReadAll(w.Result().Body)
	if w.Code != http.StatusOK || w.Header().Get(Handled) == "" || string(body) != "updated 42\n" {
		t.Errorf("PUT: got %d %q from %q; want 200 from the handler", w.Code, body, w.Header().Get(Handled))
	}
	if got := w.Header().Get("Access-Control-Allow-Origin"); got != "https://app.example.com" {
		t.Errorf("PUT: Access-Control-Allow-Origin %q; want https://app.example.com", got)
	}
	if got := w.Header().Values("Vary"); !strings.Contains(strings.Join(got, ","), "Origin") {
		t.Errorf("PUT: Vary %q; want Origin", got)
	}
}
