package gateway

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"

	"github.com/crossgate/crossgate/internal/policyfile"
	"github.com/crossgate/crossgate/internal/via"
)

// A gateway whose upstream is the gateway itself forwards each request to
// itself without end (measured: one request reached 8,500 open files in
// 5 s). Two guards stop it: [checkLoops] refuses, at start and on reload,
// an upstream that is the gateway's own listener; and, for loops that go
// through other hops (two gateways pointing at each other, a name that
// resolves to the gateway), every forwarded request carries the gateway's
// pseudonym in Via (RFC 9110 §7.6.3), and a request that arrives with it
// already is answered 508 Loop Detected (RFC 5842 §7.2).

// refusedLoop is the refusal reason of a request that came back.
const refusedLoop = "loop-detected"

// loopGuard is a gateway's Via entries: one per protocol version the
// gateway receives (Via's received-protocol), built once, so that marking
// a request costs no allocation when it has no Via yet.
type loopGuard struct {
	pseudonym             string // "crossgate-" and random hex, unique to the process
	http10, http11, http2 []string
}

func newLoopGuard() loopGuard {
	p := via.NewPseudonym("crossgate")
	return loopGuard{pseudonym: p, http10: []string{"1.0 " + p}, http11: []string{"1.1 " + p}, http2: []string{"2 " + p}}
}

// mark adds the gateway's entry to the Via of the request it forwards.
func (l *loopGuard) mark(pr *httputil.ProxyRequest) {
	if l.pseudonym == "" {
		return // the zero loopGuard, for the allocation tests' baseline
	}
	entry := l.http11
	switch {
	case pr.In.ProtoMajor >= 2:
		entry = l.http2
	case pr.In.ProtoMajor == 1 && pr.In.ProtoMinor == 0:
		entry = l.http10
	}
	via.Append(pr.Out.Header, entry)
}

// looped answers 508 Loop Detected, with the policy's CORS headers (the
// recorder adds them, so that the page can read the status), when r has
// been through this gateway already, and reports whether it did.
func (g *Gateway) looped(rec *recorder, r *http.Request) bool {
	if g.via.pseudonym == "" {
		return false
	}
	if _, ok := via.Find(r.Header, g.via.pseudonym); !ok {
		return false
	}
	rec.refusal = refusedLoop
	rec.err = errors.New("loop detected: the request came back to this gateway (its Via names " + g.via.pseudonym +
		"): an upstream leads back to the gateway through other hops")
	h := rec.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	rec.WriteHeader(http.StatusLoopDetected)
	io.WriteString(rec, "508 Loop Detected: the request came back to the crossgate gateway that forwarded it; an upstream leads back to the gateway\n")
	return true
}

// checkLoops returns an error for each upstream of f under set (the
// default one, under upstreamKey: "proxy.upstream" or "--upstream", and
// the policies' own) that is the gateway's listener, at any of the
// addresses in listen (as configured, and as opened), under listenKey.
func checkLoops(f *policyfile.File, set Settings, upstreamKey, listenKey string, listen ...string) error {
	var errs []error
	check := func(key, upstream string) {
		for _, l := range listen {
			if policyfile.LoopsBack(l, upstream) {
				errs = append(errs, fmt.Errorf("%s %q is the gateway's own listener %s (%s): every request would come back to the gateway, without end; point it at the service the gateway fronts",
					key, upstream, l, listenKey))
				return
			}
		}
	}
	if set.Upstream != "" {
		check(upstreamKey, set.Upstream)
	}
	for i, p := range f.Policies {
		if p.Upstream != "" {
			check(fmt.Sprintf("policies[%d].upstream (policy %q)", i, p.Name), p.Upstream)
		}
	}
	return errors.Join(errs...)
}
