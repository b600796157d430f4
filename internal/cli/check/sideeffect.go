package check

import (
	"net/http"
	"sync"

	"github.com/crossgate/crossgate/cors"
	"github.com/crossgate/crossgate/fetch"
)

// A blocked request is not always a request that did nothing: CORS hides
// the answer from the page, but a request sent without a preflight (a form
// POST, fetch with text/plain) reaches the server and its handler runs.
// sideEffect tells which it was.

// Side effect codes of the JSON output (key side_effect).
const (
	sideEffectRan     = "ran"      // the unsafe request reached the handler
	sideEffectRefused = "refused"  // the server refused it before the handler (protect_writes)
	sideEffectNotSent = "not-sent" // the browser never sent it (the preflight failed)
)

// refusalRecorder is the transport of check: it records the
// Crossgate-Refused header of the responses (cors.WriteRefusal sets it),
// which fetch does not keep.
type refusalRecorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	last string // of the last response that is not a preflight's
}

func (t *refusalRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(r)
	if err == nil && !(r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "") {
		t.mu.Lock()
		t.last = resp.Header.Get(cors.RefusedHeader)
		t.mu.Unlock()
	}
	return resp, err
}

// reset forgets the last response's refusal, before a new request.
func (t *refusalRecorder) reset() {
	t.mu.Lock()
	t.last = ""
	t.mu.Unlock()
}

func (t *refusalRecorder) refused() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last
}

// sideEffect returns the side effect code of a blocked request with an
// unsafe method and a sentence for people, or "" when there is nothing to
// say (an allowed request, a safe method).
func sideEffect(req fetch.Request, res *fetch.Result, refused string) (code, text string) {
	method := req.Method
	switch method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions:
		return "", ""
	}
	if res.Allowed || res.Exception != "" || res.NetworkError != "" {
		return "", ""
	}
	sent := false
	for _, s := range res.Steps {
		if s.Kind != "preflight" && s.Response != nil {
			sent = true
		}
	}
	switch {
	case !sent && res.PreflightSent:
		return sideEffectNotSent, "the " + method + " was never sent: the preflight failed, so the server's handler did not run"
	case !sent:
		return "", ""
	case refused == "cross-origin-write":
		return sideEffectRefused, "the " + method + " reached the server, which refused it with 403 before its handler ran (protect_writes): no side effect"
	}
	return sideEffectRan, "the " + method + " reached the server without a preflight and its handler ran: its side effect happened, " +
		"though the page cannot read the answer. A crossgate policy with protect_writes: true (or a CSRF token) refuses it before the handler"
}

// refusedWriteFix is the fix for a write that the server refused under
// protect_writes. fetch judges the 403 as any response without
// Access-Control-Allow-Origin and says to add the header in the layer that
// produced it; but the write is refused whatever CORS headers the 403 has:
// what lets the page write is allowing its origin.
func refusedWriteFix(req fetch.Request) string {
	return "The server refused the " + req.Method + " with 403 before its handler ran (Crossgate-Refused: cross-origin-write): " +
		"writes from origins the policy does not allow are refused by protect_writes, and adding CORS headers to the 403 would not change that. " +
		"If the page at " + req.Origin + " may write there, add " + req.Origin + " to allow_origins of the policy that serves " + req.URL +
		"; otherwise the refusal is working as meant: do not make the write cross-origin (send it from the API's own origin, or through a same-origin proxy)."
}
