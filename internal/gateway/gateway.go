package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/crossgate/crossgate/cors"
	"github.com/crossgate/crossgate/internal/policyfile"
)

// Gateway is the HTTP handler of the gateway: it answers preflights,
// forwards every other request to the upstream of the policy that
// matches it, and sets the policy's CORS headers on every response.
//
// Its methods are safe for concurrent use. [Gateway.Load] replaces the
// policies while requests are served: each request is handled entirely
// under the policies in force when it arrived.
type Gateway struct {
	log      *slog.Logger
	metrics  *Metrics
	cur      atomic.Pointer[state]
	recent   *ring // the most recent refused requests, for the admin page
	upgrades upgrades
	via      loopGuard
}

// New returns a Gateway serving the policies of f with the settings s.
// logger receives the access log and the gateway's own events, and may be
// nil to discard them; m may be nil for metrics that nobody collects.
func New(f *policyfile.File, s Settings, logger *slog.Logger, m *Metrics) (*Gateway, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	g := &Gateway{log: logger, metrics: m.get(), via: newLoopGuard()}
	if s.AdminListen != "off" {
		// Only the admin page reads the ring: without it, its 224 KiB
		// would only shrink the heap the garbage collector lets grow.
		g.recent = newRing()
	}
	g.upgrades.init()
	if err := g.Load(f, s); err != nil {
		return nil, err
	}
	return g, nil
}

// Load replaces the policies and upstreams with those of f under the
// settings s (only their upstreams, upstream timeout and access-log switch
// are read). If it returns an error, nothing changed. Requests in flight
// finish under the policies they started with.
func (g *Gateway) Load(f *policyfile.File, s Settings) error {
	old := g.cur.Load()
	st, err := g.build(f, s, old)
	if err != nil {
		return err
	}
	g.cur.Store(st)
	if old != nil {
		g.metrics.forget(old.series(), st.series())
		if old.transport != st.transport {
			old.transport.retire()
		}
	}
	return nil
}

// Close closes the idle connections to the upstreams. The gateway can
// still serve afterwards: it then opens new ones.
func (g *Gateway) Close() {
	g.cur.Load().transport.closeIdle()
}

// series returns the (policy, upstream) pairs of the state's routes.
func (st *state) series() map[[2]string]bool {
	out := make(map[[2]string]bool, len(st.routes)+1)
	for _, rt := range st.routes {
		out[[2]string{rt.name, rt.upstream}] = true
	}
	out[[2]string{st.none.name, st.none.upstream}] = true
	return out
}

// File returns the policy file in force.
func (g *Gateway) File() *policyfile.File { return g.cur.Load().file }

// state is what a request is served with: a policy file and the routes
// built from it. It is immutable once built.
type state struct {
	file      *policyfile.File
	routes    map[*policyfile.Policy]*route
	none      *route // for the requests that no policy matches
	accessLog bool
	transport *sharedTransport
}

// route is how the requests of one policy are served.
type route struct {
	name     string // the policy's name; "" for no policy
	mw       *cors.Middleware
	keep     bool // keep_upstream_cors
	upstream string
	proxy    *httputil.ReverseProxy
	counters routeCounters
}

// noPolicy is the zero Middleware: no policy, so no CORS headers.
var noPolicy = new(cors.Middleware)

func (g *Gateway) build(f *policyfile.File, s Settings, old *state) (*state, error) {
	st := &state{
		file:      f,
		routes:    make(map[*policyfile.Policy]*route, len(f.Policies)),
		accessLog: s.AccessLog,
	}
	// Keep the connections to the upstreams across reloads when the
	// transport's settings do not change. Otherwise Load retires the old
	// transport, which closes its connections once no request uses them.
	if old != nil && old.transport.timeout == s.UpstreamTimeout {
		st.transport = old.transport
	} else {
		st.transport = newSharedTransport(s.UpstreamTimeout)
	}
	var missing []string
	upstreams := make(map[string]*upstream)
	routeFor := func(p *policyfile.Policy) *route {
		rt := &route{mw: noPolicy}
		if p != nil {
			rt.name, rt.mw, rt.keep, rt.upstream = p.Name, p.Middleware, p.KeepUpstreamCORS, p.Upstream
		}
		if rt.upstream == "" {
			rt.upstream = s.Upstream
		}
		if rt.upstream == "" {
			if p != nil {
				missing = append(missing, fmt.Sprintf("%q", p.Name))
			}
			rt.counters = g.metrics.route(rt.name, "")
			return rt
		}
		up := upstreams[rt.upstream]
		if up == nil {
			up = newUpstream(rt.upstream, st.transport.Transport)
			upstreams[rt.upstream] = up
		}
		rt.counters = g.metrics.route(rt.name, rt.upstream)
		rt.proxy = g.newProxy(rt, up)
		return rt
	}
	for _, p := range f.Policies {
		st.routes[p] = routeFor(p)
	}
	st.none = routeFor(nil)
	if len(missing) > 0 || len(f.Policies) == 0 && s.Upstream == "" {
		msg := "no upstream: set proxy.upstream in the policy file or pass --upstream"
		if len(missing) > 0 {
			msg += " (policies without their own upstream: " + strings.Join(missing, ", ") + ")"
		}
		return nil, errors.New(msg)
	}
	// With no default upstream, every policy has its own, and the requests
	// that no policy matches have nowhere to go: they get 404.
	return st, nil
}

// newProxy returns the reverse proxy of rt, towards up.
func (g *Gateway) newProxy(rt *route, up *upstream) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(up.target)
			// The client's own X-Forwarded-For is not trusted: the
			// upstream sees the address the gateway got the request from.
			pr.SetXForwarded()
			dropH2CUpgrade(pr.Out)
			g.via.mark(pr)
		},
		Transport: &timedTransport{base: up.transport, observe: rt.counters.upstream, errors: rt.counters.upstreamErrors},
		ModifyResponse: func(resp *http.Response) error {
			if !rt.keep {
				stripCORS(resp.Header)
			}
			return nil
		},
		ErrorHandler: g.errorHandler,
		ErrorLog:     slog.NewLogLogger(g.log.Handler(), slog.LevelWarn),
		BufferPool:   bufferPool,
	}
}

// ServeHTTP serves r: a preflight is answered here and never forwarded;
// any other request is forwarded to the upstream of its policy, with the
// path that the policy was matched on.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var start time.Time
	st := g.cur.Load()
	if st.accessLog {
		start = time.Now()
	}
	p, path, routeErr := st.file.Route(r)
	rt := st.none
	if p != nil {
		rt = st.routes[p]
	}
	ans := rt.mw.Answer(r)
	if routeErr == nil && ans.Kind == cors.KindPreflight {
		g.servePreflight(w, r, st, rt, &ans, path, start)
		return
	}
	rec := &recorder{rw: w, cors: ans, keep: rt.keep}
	d := &rec.cors.Decision
	g.metrics.inFlight.Inc()
	defer func() {
		g.metrics.inFlight.Dec()
		v := recover()
		if v != nil {
			// httputil.ReverseProxy aborts the response with
			// http.ErrAbortHandler when the upstream's body fails
			// midway: log it, then let net/http close the connection.
			if rec.err == nil {
				rec.err = fmt.Errorf("response aborted: %v", v)
			}
		}
		rt.counters.count(*d)
		if !d.Allowed && d.Kind != cors.KindNotCORS || rec.refusal != "" {
			g.recent.record(r, path, rt.name, d, rec.refusal)
		}
		if st.accessLog {
			g.accessLog(r, path, rt, d, rec.status, rec.bytes, rec.err, rec.clientGone, rec.refusal, time.Since(start))
		}
		if v != nil {
			panic(v)
		}
	}()
	switch {
	case routeErr != nil:
		// The upstream might read the path differently from the gateway
		// and serve a resource under another policy's CORS headers.
		rec.err = routeErr
		http.Error(rec, "400 Bad Request: "+routeErr.Error(), http.StatusBadRequest)
	case r.Method == http.MethodConnect:
		// The gateway is a reverse proxy, not a forward one: a tunnel
		// to an authority (RFC 9110 §9.3.6) is not forwarded upstream.
		rec.err = errors.New("CONNECT is not supported: the gateway is not a forward proxy")
		http.Error(rec, "400 Bad Request: CONNECT is not supported", http.StatusBadRequest)
	case path == "" || path[0] != '/':
		rec.err = errors.New("request target is not a path")
		http.Error(rec, "400 Bad Request: the request target must be a path", http.StatusBadRequest)
	case g.looped(rec, r):
		// The request has been through this gateway already: an
		// upstream leads back to it. Forwarding it again would go on
		// until the gateway ran out of file descriptors.
	case g.refused(rec, rt, r):
		// protect_writes, or a WebSocket handshake from an origin the
		// policy does not allow: answered with 403, never forwarded.
	case rt.proxy == nil:
		// Only the requests that no policy matches can lack an upstream
		// (build refuses a policy without one): there is no route.
		rec.err = errors.New("no policy matches, and there is no default upstream")
		g.writeError(rec, http.StatusNotFound)
	default:
		if path != r.URL.EscapedPath() {
			r = withPath(r, path)
		}
		if r.Body != nil && r.Body != http.NoBody {
			// Part of the recorder: no allocation of its own.
			rec.body.ReadCloser = r.Body
			r.Body = &rec.body
		}
		if isUpgrade(r) {
			g.forwardUpgrade(st.transport, rt.proxy, rec, r)
			break
		}
		forward(st.transport, rt.proxy, rec, r)
	}
}

// forward has p serve r, counted as a user of t for as long as it runs
// (the proxy may abort the response with a panic).
func forward(t *sharedTransport, p http.Handler, w http.ResponseWriter, r *http.Request) {
	t.acquire()
	defer t.release()
	p.ServeHTTP(w, r)
}

// servePreflight answers a preflight, which is never forwarded: its
// status and the policy's headers, with nothing to recover from and no
// response to record, so without the recorder that proxied requests need.
// Preflights are most of what a busy CORS gateway serves (profiled: the
// recorder and its deferred closure were a sixth of the gateway's own
// cost per preflight).
func (g *Gateway) servePreflight(w http.ResponseWriter, r *http.Request, st *state, rt *route, ans *cors.Answer, path string, start time.Time) {
	// Not counted in flight: the answer takes well under a microsecond of
	// the handler, and the gauge's two atomic updates, on a cache line that
	// every core writes, cost more than the rest of its bookkeeping.
	status := ans.Status
	if status == 0 {
		status = http.StatusForbidden // no policy: refused, with no CORS header
	}
	// Answered here, so there are no upstream headers to keep.
	ans.SetHeaders(w.Header())
	w.WriteHeader(status)
	rt.counters.count(ans.Decision)
	if !ans.Decision.Allowed {
		g.recent.record(r, path, rt.name, &ans.Decision, "") // for the admin page
	}
	if st.accessLog {
		g.accessLog(r, path, rt, &ans.Decision, status, 0, nil, false, "", time.Since(start))
	}
}

// withPath returns a shallow copy of r whose URL has the escaped path p.
func withPath(r *http.Request, p string) *http.Request {
	r2 := new(http.Request)
	*r2 = *r
	u := *r.URL
	if dp, err := url.PathUnescape(p); err == nil {
		u.Path, u.RawPath = dp, p
		if u.EscapedPath() != p {
			u.RawPath = "" // p is the default encoding of dp
		}
	}
	r2.URL = &u
	return r2
}

// errorHandler answers for an upstream that could not be reached or did
// not answer in time: 504 for a timeout, 502 otherwise. The recorder adds
// the CORS headers, so that the page can read the status.
func (g *Gateway) errorHandler(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusBadGateway
	if isTimeout(err) {
		status = http.StatusGatewayTimeout
	}
	if rec, ok := w.(*recorder); ok {
		rec.err = err
		if berr := rec.body.failure(); berr != nil {
			// The client's body failed, not the upstream: past
			// proxy.read_timeout, 408 (RFC 9110 §15.5.9).
			status = http.StatusBadRequest
			if isTimeout(berr) {
				status = http.StatusRequestTimeout
			}
			rec.err = fmt.Errorf("reading the request body: %w", berr)
		}
		if r.Context().Err() != nil {
			// The client went away: nobody reads the answer.
			rec.clientGone = true
		}
	}
	g.writeError(w, status)
}

func (g *Gateway) writeError(w http.ResponseWriter, status int) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	io.WriteString(w, fmt.Sprintf("%d %s\n", status, http.StatusText(status)))
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
