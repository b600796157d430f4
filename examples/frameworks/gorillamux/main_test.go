package main

import (
	"net/http"
	"testing"

	"github.com/crossgate/crossgate/examples/frameworks/internal/fwtest"
	"github.com/gorilla/mux"
)

func TestPreflightReachesMiddleware(t *testing.T) {
	fwtest.Check(t, newHandler(fwtest.Middleware(t)), newRouter(), http.StatusMethodNotAllowed)
}

// The trap the example avoids: with r.Use, the preflight gets the
// router's 405 and no CORS header.
func TestUseMissesPreflights(t *testing.T) {
	r := newRouter()
	r.Use(mux.MiddlewareFunc(fwtest.Middleware(t).Wrap))
	w := fwtest.Preflight(r, "https://app.example.com")
	if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("r.Use: preflight got %d, Access-Control-Allow-Origin %q; gorilla/mux now runs middlewares before matching methods: simplify the example",
			w.Code, w.Header().Get("Access-Control-Allow-Origin"))
	}
}
