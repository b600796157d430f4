package gateway

import (
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/crossgate/crossgate/cors"
)

// The access log: one record per request, in the format of the gateway's
// other records (log/slog's JSON or text). With the gateway's own JSON
// logger, the records are encoded by zerolog, in the same keys, order and
// format as slog.JSONHandler writes them: slog's handler cost 4 µs of CPU
// per record here, a sixth of a preflight's, zerolog's about a third of
// that, with no allocation (BenchmarkAccessLog). A Logger that the caller
// gave gets the records through slog, as every other record.

// accessRecord is what the access log reports of a request.
type accessRecord struct {
	level                        slog.Level
	method, host, path           string
	status                       int
	bytes                        int64
	dur                          time.Duration
	remote, policy, upstream     string
	kind                         string
	allowed                      bool
	reason                       string
	origin, detail, upgrade, why string // "" when absent
	err                          string // "" when none
}

func (g *Gateway) accessLog(r *http.Request, path string, rt *route, d *cors.Decision, status int, bytes int64, err error, clientGone bool, refusal string, dur time.Duration) {
	a := accessRecord{
		level: slog.LevelInfo, method: r.Method, host: r.Host, path: path, status: status, bytes: bytes, dur: dur,
		remote: r.RemoteAddr, policy: rt.name, upstream: rt.upstream,
		kind: d.Kind.String(), allowed: d.Allowed, reason: d.Reason.String(), why: refusal,
	}
	if o := r.Header.Get("Origin"); o != "" {
		a.origin = truncate(o, 256)
	}
	if d.Detail != "" {
		a.detail = truncate(d.Detail, 256)
	}
	if up := r.Header.Get("Upgrade"); up != "" && isUpgrade(r) {
		a.upgrade = truncate(up, 64)
	}
	if err != nil {
		a.err = err.Error()
		if !clientGone {
			a.level = slog.LevelWarn
		}
	}
	if h, ok := g.log.Handler().(*jsonHandler); ok {
		h.access(&a)
		return
	}
	g.log.LogAttrs(r.Context(), a.level, "request", a.attrs()...)
}

// durationMS is the record's duration in milliseconds, to the microsecond.
func (a *accessRecord) durationMS() float64 { return float64(a.dur.Microseconds()) / 1000 }

// attrs returns the record as slog attributes.
func (a *accessRecord) attrs() []slog.Attr {
	attrs := make([]slog.Attr, 0, 17)
	attrs = append(attrs,
		slog.String("method", a.method),
		slog.String("host", a.host),
		slog.String("path", a.path),
		slog.Int("status", a.status),
		slog.Int64("bytes", a.bytes),
		slog.Float64("duration_ms", a.durationMS()),
		slog.String("remote", a.remote),
		slog.String("policy", a.policy),
		slog.String("upstream", a.upstream),
		slog.String("cors_kind", a.kind),
		slog.Bool("cors_allowed", a.allowed),
		slog.String("cors_reason", a.reason),
	)
	for _, kv := range a.optional() {
		if kv[1] != "" {
			attrs = append(attrs, slog.String(kv[0], kv[1]))
		}
	}
	return attrs
}

// optional returns the keys and values of the fields written only when
// they are not empty, in their order.
func (a *accessRecord) optional() [5][2]string {
	return [5][2]string{{"origin", a.origin}, {"cors_detail", a.detail}, {"upgrade", a.upgrade}, {"refused", a.why}, {"error", a.err}}
}

// jsonHandler is NewLogger's JSON handler: slog's own for every record,
// and, for the access log's, a zerolog logger on the same writer. Both
// write each record whole, in one Write, under one lock.
type jsonHandler struct {
	slog.Handler
	zl zerolog.Logger
}

func newJSONHandler(w io.Writer) *jsonHandler {
	if _, ok := w.(*bufferedWriter); !ok {
		w = &lockedWriter{w: w} // the bufferedWriter locks already
	}
	return &jsonHandler{Handler: slog.NewJSONHandler(w, nil), zl: zerolog.New(w)}
}

// access writes a as slog.JSONHandler would have: "time" (RFC 3339 with
// nanoseconds, local time), "level", "msg", then the attributes.
func (h *jsonHandler) access(a *accessRecord) {
	var tb [40]byte
	e := h.zl.Log().
		Bytes("time", time.Now().AppendFormat(tb[:0], time.RFC3339Nano)).
		Str("level", a.level.String()).
		Str("msg", "request").
		Str("method", a.method).
		Str("host", a.host).
		Str("path", a.path).
		Int("status", a.status).
		Int64("bytes", a.bytes).
		Float64("duration_ms", a.durationMS()).
		Str("remote", a.remote).
		Str("policy", a.policy).
		Str("upstream", a.upstream).
		Str("cors_kind", a.kind).
		Bool("cors_allowed", a.allowed).
		Str("cors_reason", a.reason)
	for _, kv := range a.optional() {
		if kv[1] != "" {
			e = e.Str(kv[0], kv[1])
		}
	}
	e.Send()
}

// lockedWriter serializes the writes to a writer that may not be safe for
// concurrent use: slog's handler and zerolog each lock only their own.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
