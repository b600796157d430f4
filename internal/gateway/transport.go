package gateway

import (
	"net/http"
	"sync/atomic"
	"time"
)

// sharedTransport is the transport to the upstreams, shared by the states
// built with the same upstream timeout, and the count of the requests
// that may use it.
//
// A reload that changes the timeout builds a new transport and retires
// the old one. The old one's idle connections would otherwise stay open
// (up to IdleConnTimeout), one pool per reload: they are closed once the
// last request that may use the transport is done. Closing them earlier
// would not do: a request still in flight would put its connection back
// in the pool, and the pool would refill.
type sharedTransport struct {
	*http.Transport
	timeout time.Duration
	users   atomic.Int64
	retired atomic.Bool
}

func newSharedTransport(timeout time.Duration) *sharedTransport {
	return &sharedTransport{Transport: newTransport(timeout), timeout: timeout}
}

// acquire counts a request that may use the transport; release must
// follow once the request is done with it.
func (t *sharedTransport) acquire() { t.users.Add(1) }

func (t *sharedTransport) release() {
	if t.users.Add(-1) == 0 && t.retired.Load() {
		t.closeIdle()
	}
}

// retire marks the transport as no longer used by new requests, and closes
// its idle connections if no request is using it. Otherwise the last
// request to release it closes them.
//
// Once no request can ask the transport for a connection, a single
// CloseIdleConnections is enough: net/http's Transport then refuses (and
// closes) the connections that requests finished since give back, until a
// request asks for one again.
func (t *sharedTransport) retire() {
	t.retired.Store(true)
	if t.users.Load() == 0 {
		t.closeIdle()
	}
}

func (t *sharedTransport) closeIdle() { t.Transport.CloseIdleConnections() }
