package main

import (
	"net/http"
	"testing"

	"github.com/crossgate/crossgate/examples/frameworks/internal/fwtest"
)

func TestPreflightReachesMiddleware(t *testing.T) {
	// Echo answers OPTIONS on a known path itself: 204 with Allow and no
	// CORS headers.
	fwtest.Check(t, newEcho(fwtest.Middleware(t)), newEcho(nil), http.StatusNoContent)
}
