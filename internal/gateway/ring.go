package gateway

import (
	"net/http"
	"sync"
	"time"

	"github.com/crossgate/crossgate/cors"
)

// RingSize is how many refused requests the admin page keeps: the most
// recent ones.
const RingSize = 128

// Refusal is a refused CORS request, as the admin page shows it. Each
// string is at most the size of its field in the ring (origins 256 bytes,
// paths 512...); Truncated says whether one was cut.
type Refusal struct {
	Seq       uint64    `json:"seq"` // 1 for the first refusal since the start
	Time      time.Time `json:"time"`
	Policy    string    `json:"policy"` // "" when no policy matched
	Kind      string    `json:"kind"`   // actual or preflight
	Reason    string    `json:"reason"` // a cors.Reason string, or the gateway's refusal (cross-origin-write, websocket-...)
	Method    string    `json:"method"`
	Scheme    string    `json:"scheme"`
	Host      string    `json:"host"`
	Path      string    `json:"path"` // escaped, as the gateway matched it
	Origin    string    `json:"origin"`
	ACRM      string    `json:"request_method,omitempty"`  // Access-Control-Request-Method
	ACRH      string    `json:"request_headers,omitempty"` // Access-Control-Request-Headers
	Truncated bool      `json:"truncated,omitempty"`
}

// The strings of a refusal, each held in a fixed part of its slot's buffer.
const (
	fMethod = iota
	fHost
	fPath
	fOrigin
	fACRM
	fACRH
	nFields
)

// fieldSize is the room of each string; fieldOff where it starts.
var (
	fieldSize = [nFields]int{fMethod: 64, fHost: 256, fPath: 512, fOrigin: 256, fACRM: 64, fACRH: 512}
	fieldOff  = func() (off [nFields + 1]int) {
		for i, n := range fieldSize {
			off[i+1] = off[i] + n
		}
		return off
	}()
)

const slotBytes = 64 + 256 + 512 + 256 + 64 + 512

// slot is one refusal, its strings copied into a fixed buffer, so that
// recording one neither allocates nor keeps the request's (possibly huge)
// header strings alive.
type slot struct {
	seq    uint64
	at     int64 // Unix nanoseconds
	policy string
	kind   cors.Kind
	reason cors.Reason
	refuse string // the gateway's own refusal (protect.go), or ""
	tls    bool
	cut    bool
	n      [nFields]uint16
	buf    [slotBytes]byte
}

// set copies v into field f, truncated to its room, and reports whether
// it was cut.
func (s *slot) set(f int, v string) bool {
	n := copy(s.buf[fieldOff[f]:fieldOff[f+1]], v)
	s.n[f] = uint16(n)
	return n < len(v)
}

func (s *slot) get(f int) string {
	return string(s.buf[fieldOff[f] : fieldOff[f]+int(s.n[f])])
}

// ring keeps the most recent refused requests in a fixed array: recording
// one copies a few strings under a mutex and never allocates.
type ring struct {
	mu    sync.Mutex
	next  uint64 // sequence number of the next refusal, from 1
	slots [RingSize]slot
}

func newRing() *ring { return &ring{next: 1} }

// record keeps r, refused under the policy named policy with decision d,
// or by the gateway itself for the reason refusal (one of protect.go's
// constant strings) when it is not ""; path is the escaped path the
// gateway matched.
func (g *ring) record(r *http.Request, path, policy string, d *cors.Decision, refusal string) {
	if g == nil {
		return
	}
	if path == "" { // the request target was not a path
		path = r.URL.RawPath
		if path == "" {
			path = r.URL.Path
		}
	}
	now := time.Now().UnixNano()
	g.mu.Lock()
	s := &g.slots[(g.next-1)%RingSize]
	s.seq, s.at, s.policy, s.kind, s.reason, s.refuse, s.tls = g.next, now, policy, d.Kind, d.Reason, refusal, r.TLS != nil
	cut := s.set(fMethod, r.Method)
	cut = s.set(fHost, r.Host) || cut
	cut = s.set(fPath, path) || cut
	cut = s.set(fOrigin, headerValue(r.Header, "Origin")) || cut
	cut = s.set(fACRM, headerValue(r.Header, "Access-Control-Request-Method")) || cut
	cut = s.set(fACRH, headerValue(r.Header, "Access-Control-Request-Headers")) || cut
	s.cut = cut
	g.next++
	g.mu.Unlock()
}

// headerValue returns the first value of the canonical header name,
// without allocating (Header.Get canonicalises its argument).
func headerValue(h http.Header, name string) string {
	if v := h[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// recent returns the refusals kept, the most recent first, with sequence
// numbers above after (0 for all).
func (g *ring) recent(after uint64) []Refusal {
	if g == nil {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []Refusal
	for seq := g.next - 1; seq > 0 && seq > after && g.next-seq <= RingSize; seq-- {
		s := &g.slots[(seq-1)%RingSize]
		rf := Refusal{
			Seq:       s.seq,
			Time:      time.Unix(0, s.at).UTC(),
			Policy:    s.policy,
			Kind:      s.kind.String(),
			Reason:    s.reason.String(),
			Method:    s.get(fMethod),
			Scheme:    "http",
			Host:      s.get(fHost),
			Path:      s.get(fPath),
			Origin:    s.get(fOrigin),
			ACRM:      s.get(fACRM),
			ACRH:      s.get(fACRH),
			Truncated: s.cut,
		}
		if s.tls {
			rf.Scheme = "https"
		}
		if s.refuse != "" {
			rf.Reason = s.refuse
		}
		out = append(out, rf)
	}
	return out
}
