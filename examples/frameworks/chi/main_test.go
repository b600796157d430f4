package main

import (
	"net/http"
	"testing"

	"github.com/crossgate/crossgate/examples/frameworks/internal/fwtest"
)

func TestPreflightReachesMiddleware(t *testing.T) {
	fwtest.Check(t, newRouter(fwtest.Middleware(t)), newRouter(nil), http.StatusMethodNotAllowed)
}
