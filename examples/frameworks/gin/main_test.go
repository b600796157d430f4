package main

import (
	"net/http"
	"testing"

	"github.com/crossgate/crossgate/examples/frameworks/internal/fwtest"
)

func TestPreflightReachesMiddleware(t *testing.T) {
	// gin answers 404 to a method it has no route for, unless
	// HandleMethodNotAllowed is set.
	fwtest.Check(t, newEngine(fwtest.Middleware(t)), newEngine(nil), http.StatusNotFound)
}

func TestPreflightReachesMiddleware_methodNotAllowed(t *testing.T) {
	h, bare := newEngine(fwtest.Middleware(t)), newEngine(nil)
	h.HandleMethodNotAllowed, bare.HandleMethodNotAllowed = true, true
	fwtest.Check(t, h, bare, http.StatusMethodNotAllowed)
}
