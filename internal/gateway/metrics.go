package gateway

import (
	"strings"

	"github.com/crossgate/crossgate/cors"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the gateway's Prometheus metrics.
type Metrics struct {
	requests       *prometheus.CounterVec
	preflights     *prometheus.CounterVec
	rejections     *prometheus.CounterVec
	upstream       *prometheus.HistogramVec
	upstreamErrors *prometheus.CounterVec
	inFlight       prometheus.Gauge
	reloads        *prometheus.CounterVec
	configOK       prometheus.Gauge
	protect        *protectMetrics // protect.go
}

// NewMetrics returns the gateway's metrics, registered with reg when reg
// is not nil.
//
//	crossgate_requests_total{policy,kind,decision}        counter
//	crossgate_preflights_total{policy,decision}           counter
//	crossgate_cors_rejections_total{policy,reason}        counter
//	crossgate_upstream_duration_seconds{policy,upstream}  histogram, to the response header
//	crossgate_upstream_errors_total{policy,upstream}      counter, unreachable or timed out
//	crossgate_in_flight_requests                          gauge
//	crossgate_config_reloads_total{result}                counter, result "ok" or "refused"
//	crossgate_config_last_reload_successful               gauge, 1 or 0
//
// policy is "" for the requests that no policy matches; kind is not-cors,
// actual or preflight; decision is allowed or refused; reason is a
// [cors.Reason] string.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossgate_requests_total",
			Help: "Requests served, by policy, CORS kind (not-cors, actual, preflight) and decision (allowed, refused).",
		}, []string{"policy", "kind", "decision"}),
		preflights: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossgate_preflights_total",
			Help: "CORS preflights answered by the gateway, by policy and decision.",
		}, []string{"policy", "decision"}),
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossgate_cors_rejections_total",
			Help: "CORS requests refused, by policy and reason.",
		}, []string{"policy", "reason"}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "crossgate_upstream_duration_seconds",
			Help:    "Time from sending a request upstream to its response header (or error).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"policy", "upstream"}),
		upstreamErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossgate_upstream_errors_total",
			Help: "Requests whose upstream could not be reached or did not answer in time.",
		}, []string{"policy", "upstream"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "crossgate_in_flight_requests",
			Help: "Requests being forwarded or answered with an error; preflights, answered at once, are not counted.",
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossgate_config_reloads_total",
			Help: "Policy file reloads, by result (ok, refused).",
		}, []string{"result"}),
		configOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "crossgate_config_last_reload_successful",
			Help: "Whether the last reload of the policy file was applied (1) or refused (0).",
		}),
	}
	m.configOK.Set(1)
	m.protect = newProtectMetrics(reg)
	if reg != nil {
		reg.MustRegister(m.requests, m.preflights, m.rejections, m.upstream, m.upstreamErrors, m.inFlight, m.reloads, m.configOK)
	}
	return m
}

func (m *Metrics) get() *Metrics {
	if m == nil {
		return NewMetrics(nil)
	}
	return m
}

// routeCounters are the series of one route, looked up once when the
// route is built rather than on every request.
type routeCounters struct {
	requests       [3][2]prometheus.Counter // by cors.Kind, then refused/allowed
	preflights     [2]prometheus.Counter
	rejections     []prometheus.Counter // by cors.Reason
	upstream       prometheus.Observer
	upstreamErrors prometheus.Counter
	protect        protectCounters
}

var decisions = [2]string{"refused", "allowed"}

// reasons are the cors.Reason values, in order.
var reasons = func() []cors.Reason {
	var rs []cors.Reason
	for r := cors.Reason(0); !strings.HasPrefix(r.String(), "Reason("); r++ {
		rs = append(rs, r)
	}
	return rs
}()

func (m *Metrics) route(policy, upstream string) routeCounters {
	var c routeCounters
	for k := range c.requests {
		for a := range c.requests[k] {
			c.requests[k][a] = m.requests.WithLabelValues(policy, cors.Kind(k).String(), decisions[a])
		}
	}
	for a := range c.preflights {
		c.preflights[a] = m.preflights.WithLabelValues(policy, decisions[a])
	}
	c.rejections = make([]prometheus.Counter, len(reasons))
	for _, r := range reasons {
		if r != cors.ReasonAllowed && r != cors.ReasonNotCORS {
			c.rejections[r] = m.rejections.WithLabelValues(policy, r.String())
		}
	}
	c.upstream = m.upstream.WithLabelValues(policy, upstream)
	c.upstreamErrors = m.upstreamErrors.WithLabelValues(policy, upstream)
	c.protect = m.protect.route(policy)
	return c
}

// forget deletes the series of the (policy, upstream) pairs of old that are
// not in cur, so that /metrics does not report policies a reload removed.
func (m *Metrics) forget(old, cur map[[2]string]bool) {
	policies := make(map[string]bool, len(cur))
	for k := range cur {
		policies[k[0]] = true
	}
	for k := range old {
		if cur[k] {
			continue
		}
		m.upstream.DeleteLabelValues(k[0], k[1])
		m.upstreamErrors.DeleteLabelValues(k[0], k[1])
		if !policies[k[0]] {
			for _, v := range []*prometheus.CounterVec{m.requests, m.preflights, m.rejections} {
				v.DeletePartialMatch(prometheus.Labels{"policy": k[0]})
			}
			m.protect.forget(k[0])
		}
	}
}

// count counts a request and its CORS decision.
func (c *routeCounters) count(d cors.Decision) {
	a := 0
	if d.Allowed {
		a = 1
	}
	if int(d.Kind) < len(c.requests) {
		c.requests[d.Kind][a].Inc()
	}
	if d.Kind == cors.KindPreflight {
		c.preflights[a].Inc()
	}
	if !d.Allowed && int(d.Reason) < len(c.rejections) && c.rejections[d.Reason] != nil {
		c.rejections[d.Reason].Inc()
	}
}
