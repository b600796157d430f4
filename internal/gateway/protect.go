package gateway

import (
	"bufio"
	"errors"
	"net"
	"net/http"

	"github.com/crossgate/crossgate/cors"
	"github.com/crossgate/crossgate/internal/httplex"
	"github.com/prometheus/client_golang/prometheus"
)

// Where the gateway refuses requests outright, which CORS never does: a
// cross-origin write under protect_writes, and a WebSocket handshake from
// an origin the policy does not allow (WebSockets are not subject to CORS;
// RFC 6455 §10.2 leaves the Origin check to the server).

// isUpgrade reports whether r asks to switch protocols (RFC 9110 §7.8):
// "Connection: upgrade" and an Upgrade header. httputil.ReverseProxy
// forwards such a request and, on 101, splices the two connections.
func isUpgrade(r *http.Request) bool {
	return httplex.IsUpgrade(r.Header)
}

// isWebSocket reports whether the upgrade r asks for is a WebSocket
// handshake (RFC 6455 §4.1: Upgrade: websocket, case-insensitive).
func isWebSocket(r *http.Request) bool {
	return httplex.HasListElementFold(r.Header["Upgrade"], "websocket")
}

// refusal reason codes, for the access log and the metrics.
const (
	refusedWrite = "cross-origin-write"
	wsPrefix     = "websocket-" // + the cors.WebSocketError reason
)

// refuse answers with 403 and the reason err gives; the recorder adds the
// policy's Vary, and no Access-Control-Allow-Origin (the origin is not
// allowed).
func (g *Gateway) refuse(rec *recorder, err error, reason string) {
	rec.refusal = reason
	cors.WriteRefusal(rec, err)
}

// protectCounters are a route's series for the refusals.
type protectCounters struct {
	writesRefused prometheus.Counter
	handshakes    map[string]prometheus.Counter // by reason; "allowed" for accepted
}

// protectMetrics are the metrics of the refusals:
//
//	crossgate_write_refusals_total{policy}                       counter
//	crossgate_websocket_handshakes_total{policy,decision,reason} counter
//
// decision is allowed or refused; reason is "allowed", "origin-not-allowed",
// "invalid-origin" or "no-origin".
type protectMetrics struct {
	writes     *prometheus.CounterVec
	handshakes *prometheus.CounterVec
}

var wsReasons = []string{"origin-not-allowed", "invalid-origin", "no-origin"}

func newProtectMetrics(reg prometheus.Registerer) *protectMetrics {
	m := &protectMetrics{
		writes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossgate_write_refusals_total",
			Help: "Requests with an unsafe method refused by protect_writes (cross-origin writes from origins the policy does not allow), by policy.",
		}, []string{"policy"}),
		handshakes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossgate_websocket_handshakes_total",
			Help: "WebSocket handshakes, by policy, decision (allowed, refused) and reason (allowed, origin-not-allowed, invalid-origin, no-origin).",
		}, []string{"policy", "decision", "reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.writes, m.handshakes)
	}
	return m
}

func (m *protectMetrics) route(policy string) protectCounters {
	c := protectCounters{
		writesRefused: m.writes.WithLabelValues(policy),
		handshakes:    map[string]prometheus.Counter{"allowed": m.handshakes.WithLabelValues(policy, "allowed", "allowed")},
	}
	for _, r := range wsReasons {
		c.handshakes[r] = m.handshakes.WithLabelValues(policy, "refused", r)
	}
	return c
}

func (m *protectMetrics) forget(policy string) {
	m.writes.DeleteLabelValues(policy)
	m.handshakes.DeletePartialMatch(prometheus.Labels{"policy": policy})
}

// checkUpgrade decides a WebSocket handshake: a nil error to forward it,
// or the reason code and the error to refuse it with.
func (rt *route) checkUpgrade(r *http.Request) (string, error) {
	err := rt.mw.CheckWebSocket(r)
	if err == nil {
		rt.counters.protect.handshakes["allowed"].Inc()
		return "", nil
	}
	reason := "origin-not-allowed"
	var we *cors.WebSocketError
	if errors.As(err, &we) {
		reason = we.Reason()
	}
	if c := rt.counters.protect.handshakes[reason]; c != nil {
		c.Inc()
	}
	return wsPrefix + reason, err
}

// checkWrite decides a request under protect_writes.
func (rt *route) checkWrite(r *http.Request) error {
	err := rt.mw.CheckWrite(r)
	if err != nil {
		rt.counters.protect.writesRefused.Inc()
	}
	return err
}

// Hijack takes over the client's connection, for the protocol switch of
// an upgrade that the upstream accepted (httputil.ReverseProxy then writes
// the upstream's 101 itself): the access log reports status 101.
func (w *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(w.rw).Hijack()
	if err == nil && w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return c, brw, err
}

// refused answers r with 403 when the route's policy refuses it outright,
// and reports whether it did.
func (g *Gateway) refused(rec *recorder, rt *route, r *http.Request) bool {
	if isUpgrade(r) && isWebSocket(r) {
		if reason, err := rt.checkUpgrade(r); err != nil {
			g.refuse(rec, err, reason)
			return true
		}
		return false
	}
	if err := rt.checkWrite(r); err != nil {
		g.refuse(rec, err, refusedWrite)
		return true
	}
	return false
}
