package gateway

import "net/http"

// For the tests of loop.go in package gateway_test.

// WithoutVia makes g forward without Via and accept every request, as
// before loop detection: the allocation tests' baseline.
func WithoutVia(g *Gateway) { g.via = loopGuard{} }

// Pseudonym returns g's name in Via.
func Pseudonym(g *Gateway) string { return g.via.pseudonym }

// StubUpstreams has every route of g in force send its requests to rt
// instead of its upstream.
func StubUpstreams(g *Gateway, rt http.RoundTripper) {
	st := g.cur.Load()
	for _, r := range append(mapValues(st.routes), st.none) {
		if r.proxy != nil {
			r.proxy.Transport.(*timedTransport).base = rt
		}
	}
}
