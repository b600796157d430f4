package cors

import (
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/crossgate/crossgate/internal/httplex"
	"github.com/crossgate/crossgate/internal/origin"
)

// Middleware applies a CORS policy to HTTP handlers.
//
// The zero Middleware has no policy: it passes every request through
// untouched, and [Middleware.Evaluate] reports [ReasonNoPolicy]. Its
// methods are safe for concurrent use, [Middleware.Reconfigure] included.
type Middleware struct {
	p atomic.Pointer[policy]
}

// New returns a Middleware that applies cfg, or a nil Middleware and an
// error listing every problem in cfg (see [Validate] and package corserr).
func New(cfg Config) (*Middleware, error) {
	p, _, err := compile(cfg)
	if err != nil {
		return nil, err
	}
	m := new(Middleware)
	m.p.Store(p)
	return m, nil
}

// Reconfigure replaces the policy with cfg. If cfg is refused, the error
// lists every problem and the policy in force stays as it was. It can be
// called concurrently with request handling: a request is handled entirely
// under the policy that was in force when it arrived.
func (m *Middleware) Reconfigure(cfg Config) error {
	p, _, err := compile(cfg)
	if err != nil {
		return err
	}
	m.p.Store(p)
	return nil
}

// Config returns a copy of the policy in force, or nil if there is none.
func (m *Middleware) Config() *Config {
	p := m.p.Load()
	if p == nil {
		return nil
	}
	c := cloneConfig(&p.cfg)
	return &c
}

// Wrap returns a handler that applies the policy and then, for every request
// that is not a CORS preflight, calls h.
//
// Preflights (OPTIONS requests with both Origin and
// Access-Control-Request-Method) are answered by the middleware and never
// reach h, whether they succeed or fail, so authentication or routing in h
// cannot break them. On every other request the CORS headers are set before
// h runs, so that they are on h's error responses too; they replace any
// value already set for the same header, except Vary, to which they are
// added.
//
// Do not register the wrapped handler on a ServeMux pattern with a method
// ("GET /api"): the mux would answer preflights with 405 before the
// middleware sees them.
func (m *Middleware) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := m.p.Load()
		if p == nil {
			h.ServeHTTP(w, r)
			return
		}
		if p.writes != nil && p.refuseWrite(w, r) {
			return
		}
		origins, isCORS := r.Header[hdrOrigin]
		if !isCORS && !p.anyOrigin {
			// The most common request of all, cut short: not CORS, and
			// the policy depends on the origin, so only Vary: Origin
			// (as decide and apply would have it).
			addVary(w.Header(), varyOrigin)
			h.ServeHTTP(w, r)
			return
		}
		if isCORS && r.Method == http.MethodOptions {
			if acrm, ok := r.Header[hdrACRM]; ok {
				// A preflight, as decide has it, with its commonest
				// refusal cut short: an origin that is not allowed gets
				// the failure status and nothing else, at the cost of a
				// bare 403.
				if !p.anyOrigin && (len(origins) != 1 || !p.origins.Match(origins[0])) {
					w.WriteHeader(http.StatusForbidden)
					return
				}
				pl := plan{kind: KindPreflight, status: http.StatusForbidden}
				p.decideAllowedPreflight(r, &pl, origins, acrm)
				if pl.acao != "" { // every answer with headers has this one
					pl.apply(w.Header())
				}
				w.WriteHeader(pl.status)
				return
			}
		}
		var pl plan
		p.decide(r, origins, isCORS, &pl)
		pl.apply(w.Header())
		h.ServeHTTP(w, r)
	})
}

// Evaluate reports what the middleware does with r: the same decision, to
// the header, that [Middleware.Wrap] acts on. It does not read the body.
func (m *Middleware) Evaluate(r *http.Request) Decision {
	a := m.Answer(r)
	a.Decision.Header = make(http.Header)
	a.SetHeaders(a.Decision.Header)
	return a.Decision
}

// Answer is the middleware's answer to a request, to be written on a
// response later: for a proxy that must set the CORS headers after the
// upstream's response arrives, where [Middleware.Wrap] sets them before
// the handler runs.
type Answer struct {
	// Decision is what Evaluate reports, but for Header, which is nil:
	// SetHeaders writes the headers.
	Decision
	pl plan
}

// Answer returns the middleware's answer to r. It allocates nothing.
func (m *Middleware) Answer(r *http.Request) Answer {
	p := m.p.Load()
	if p == nil {
		d := Decision{Kind: KindNotCORS, Allowed: true, Reason: ReasonNotCORS}
		if r.Header[hdrOrigin] != nil {
			d.Kind, d.Allowed, d.Reason = KindActual, false, ReasonNoPolicy
			if r.Method == http.MethodOptions && r.Header[hdrACRM] != nil {
				d.Kind = KindPreflight
			}
		}
		return Answer{Decision: d}
	}
	var a Answer
	origins, isCORS := r.Header[hdrOrigin]
	p.decide(r, origins, isCORS, &a.pl)
	if a.pl.reason == ReasonOriginNotAllowed {
		// Wrap does not need to tell a malformed origin from an unlisted
		// one; a report does.
		if _, ok := origin.Parse(a.pl.detail); !ok {
			a.pl.reason = ReasonInvalidOrigin
		}
	}
	a.Decision = Decision{
		Kind:    a.pl.kind,
		Allowed: a.pl.reason == ReasonAllowed || a.pl.reason == ReasonNotCORS,
		Reason:  a.pl.reason,
		Detail:  a.pl.detail,
	}
	if a.pl.kind == KindPreflight {
		a.Status = a.pl.status
	}
	return a
}

// SetHeaders sets the answer's headers in h as Wrap does: they replace any
// value already set, except Vary, which they add to. It allocates at most
// one array, for all the values.
func (a *Answer) SetHeaders(h http.Header) { a.pl.apply(h) }

// plan is what the middleware does with one request: which CORS headers it
// sets, and for a preflight the status it answers with. Empty strings are
// headers it does not set. A plan lives on the stack: deciding allocates
// nothing, and applying allocates one backing array for all values.
type plan struct {
	kind   Kind
	reason Reason
	detail string
	status int

	acao, acac, acam, acah, acma, acapn, aceh string
	vary                                      varySet
}

// varySet is a set of request-header names that a response depends on.
// Only actual responses carry Vary: a preflight response is not stored by
// caches unless they are told to (OPTIONS is not a cacheable method, RFC
// 9110 §9.3.7), and the browser's own CORS-preflight cache is keyed by
// origin, URL and credentials, never by Vary (Fetch, "CORS-preflight
// cache", https://fetch.spec.whatwg.org/#cors-preflight-cache).
type varySet uint8

const (
	varyOrigin varySet = 1 << iota
	varyAll
)

// varyNames are the names of a varySet's bits.
var varyNames = [...]string{hdrOrigin}

// varyValues holds the Vary value for each varySet, computed once so that
// merging with a Vary already set takes no allocation.
var varyValues = func() (vs [varyAll]string) {
	for s := range vs {
		for i, n := range varyNames {
			if s&(1<<i) != 0 {
				if vs[s] != "" {
					vs[s] += ", "
				}
				vs[s] += n
			}
		}
	}
	return vs
}()

// Header names, in canonical form so that they index http.Header directly.
const (
	hdrOrigin = "Origin"
	hdrVary   = "Vary"
	hdrACRM   = "Access-Control-Request-Method"
	hdrACRH   = "Access-Control-Request-Headers"
	hdrACRPN  = "Access-Control-Request-Private-Network"
	hdrACAO   = "Access-Control-Allow-Origin"
	hdrACAC   = "Access-Control-Allow-Credentials"
	hdrACAM   = "Access-Control-Allow-Methods"
	hdrACAH   = "Access-Control-Allow-Headers"
	hdrACMA   = "Access-Control-Max-Age"
	hdrACAPN  = "Access-Control-Allow-Private-Network"
	hdrACEH   = "Access-Control-Expose-Headers"
)

// decide fills pl for r, whose Origin lines are origins (isCORS: it has
// some). It never allocates, whatever r holds.
func (p *policy) decide(r *http.Request, origins []string, isCORS bool, pl *plan) {
	if !isCORS {
		// Not a CORS request, but caches must still tell it apart from
		// one: https://fetch.spec.whatwg.org/#cors-protocol-and-http-caches.
		pl.kind, pl.reason = KindNotCORS, ReasonNotCORS
		p.allowActual(pl, "")
		return
	}
	if r.Method == http.MethodOptions {
		if acrm, ok := r.Header[hdrACRM]; ok {
			// A CORS-preflight request: https://fetch.spec.whatwg.org/#cors-preflight-request.
			pl.kind, pl.status = KindPreflight, http.StatusForbidden
			if p.anyOrigin || p.originAllowed(origins, pl) {
				p.decideAllowedPreflight(r, pl, origins, acrm)
			}
			return
		}
	}
	// An actual CORS request, OPTIONS or not: the handler answers it.
	pl.kind = KindActual
	if !p.anyOrigin {
		pl.vary = varyOrigin
		if !p.originAllowed(origins, pl) {
			return
		}
	}
	pl.reason = ReasonAllowed
	p.allowActual(pl, origins[0])
}

// allowActual sets the headers of a response that the page may read.
func (p *policy) allowActual(pl *plan, o string) {
	if p.anyOrigin {
		// With "*", every response carries the same headers and needs no
		// Vary (Fetch, "CORS protocol and HTTP caches").
		pl.acao, pl.aceh = "*", p.aceh
		return
	}
	if o == "" {
		pl.vary = varyOrigin
		return
	}
	pl.acao, pl.acac, pl.aceh = o, p.acac, p.aceh
}

func (p *policy) originAllowed(origins []string, pl *plan) bool {
	if len(origins) == 1 && p.origins.Match(origins[0]) {
		return true
	}
	pl.reason = ReasonOriginNotAllowed
	if len(origins) != 1 {
		pl.reason = ReasonInvalidOrigin
		return false
	}
	// Whether the origin is malformed or just not listed matters only to
	// Evaluate, which tells them apart; the request path does not parse
	// it a second time.
	pl.detail = origins[0]
	return false
}

// decideAllowedPreflight answers a CORS-preflight request
// (https://fetch.spec.whatwg.org/#cors-preflight-fetch) from an origin the
// policy allows; pl.status is the failure status.
//
// A preflight refused before the method and header checks (an origin that
// is not allowed, a malformed Origin, Access-Control-Request-Method or
// Access-Control-Request-Headers, or one longer than the policy could ever
// allow) gets the failure status and no header at all: nothing in it can
// help a legitimate page, and it costs no more than a bare 403. A
// well-formed preflight from an allowed origin refused on its method or its
// headers gets the ok status and the allowed lists, so that the browser's
// own error names what was refused (steps 7.3 to 7.8: the lists are what the
// browser checks).
func (p *policy) decideAllowedPreflight(r *http.Request, pl *plan, origins, acrm []string) {
	// No Vary: see varySet.
	if len(acrm) != 1 || !httplex.IsToken(acrm[0]) {
		pl.reason = ReasonInvalidMethod
		if len(acrm) == 1 {
			pl.detail = acrm[0]
		}
		return
	}
	hdrReason, hdrName := p.checkRequestHeaders(r.Header[hdrACRH])
	if hdrReason == ReasonInvalidHeaders || hdrReason == ReasonHeadersTooLong {
		pl.reason, pl.detail = hdrReason, hdrName
		return
	}
	// The CORS check will pass; now the method and the headers.
	if p.anyOrigin {
		pl.acao = "*"
	} else {
		pl.acao, pl.acac = origins[0], p.acac
	}
	method := acrm[0]
	if !isSafelistedMethod(method) && !p.anyMethod {
		if _, ok := p.methods[method]; !ok {
			// The ok status and the lists: the browser rejects the
			// preflight with an error naming the method.
			pl.reason, pl.detail = ReasonMethodNotAllowed, method
			pl.status = p.status
			pl.acam, pl.acah = p.acam, p.acah
			return
		}
	}
	switch hdrReason {
	case ReasonHeaderNotAllowed:
		// The listed names do not cover it: the browser's error will
		// name it.
		pl.reason, pl.detail = hdrReason, hdrName
		pl.status = p.status
		pl.acam, pl.acah = p.acam, p.acah
		return
	case ReasonAuthorizationNotCovered:
		// Under "*", only Authorization is refused, and Chromium lets
		// Access-Control-Allow-Headers: * cover it, departing from the
		// standard (https://fetch.spec.whatwg.org/#cors-non-wildcard-request-header-name):
		// the lists would let it through, so the failure status, with the
		// origin so that the browser's error is about the status.
		pl.reason, pl.detail = hdrReason, hdrName
		return
	}
	pl.reason = ReasonAllowed
	pl.status = p.status
	pl.acam, pl.acah, pl.acma = p.acam, p.acah, p.acma
	if p.pna {
		if v := r.Header[hdrACRPN]; len(v) == 1 && v[0] == "true" {
			pl.acapn = "true"
		}
	}
}

// checkRequestHeaders checks the Access-Control-Request-Headers lines
// against the policy, and returns the first name the policy does not allow,
// unless the lines are malformed or too long. It reads a bounded number of
// bytes, whatever their size: no allowed list can need more than
// p.maxACRHLen bytes, so past that (plus room for one refused name) the
// request is refused unread. Browsers send one line of lower-case names
// joined by "," without spaces; the parser also takes several lines,
// optional whitespace and empty elements, as RFC 9110 §5.6.1 asks of
// recipients.
func (p *policy) checkRequestHeaders(lines []string) (Reason, string) {
	left := p.maxACRHLen + p.maxHeaderLen + 16
	for _, line := range lines {
		if left -= len(line) + 1; left < 0 {
			return ReasonHeadersTooLong, ""
		}
	}
	reason, refused := ReasonAllowed, ""
	for _, line := range lines {
		for line != "" {
			if c := line[0]; c == ',' || httplex.IsOWS(c) {
				line = line[1:]
				continue
			}
			n := 0
			for n < len(line) && httplex.IsTokenByte(line[n]) {
				n++
			}
			if n == 0 {
				return ReasonInvalidHeaders, line[:1]
			}
			name := line[:n]
			line = line[n:]
			for line != "" && httplex.IsOWS(line[0]) {
				line = line[1:]
			}
			if line != "" && line[0] != ',' {
				return ReasonInvalidHeaders, name
			}
			if reason == ReasonAllowed && !p.headerAllowed(name) {
				// Read on: a malformed list is refused as such.
				reason, refused = ReasonHeaderNotAllowed, name
				if p.anyHeader {
					reason = ReasonAuthorizationNotCovered
				}
			}
		}
	}
	return reason, refused
}

// headerAllowed reports whether the header name is allowed, comparing
// case-insensitively without allocating.
func (p *policy) headerAllowed(name string) bool {
	if p.anyHeader {
		return p.authorization || !httplex.EqualFold(name, "authorization")
	}
	if len(name) > p.maxHeaderLen {
		return false
	}
	var buf [maxHeaderNameLen]byte // no allowed name is longer: never allocates
	lower := buf[:0]
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower = append(lower, c)
	}
	_, ok := p.headers[string(lower)]
	return ok
}

// apply sets the planned headers in h, with one allocation for all values.
// Each header gets its own slice of that array, capped at its length, so
// that a handler or outer middleware appending to one cannot write into
// another, nor into another response's (rs/cors#198).
func (pl *plan) apply(h http.Header) {
	vary := pl.vary
	var oldVary []string
	if vary != 0 {
		// Add to what the handler or an outer middleware put in Vary
		// rather than replace it, and name nothing twice.
		if oldVary = h[hdrVary]; len(oldVary) > 0 {
			for i, name := range varyNames {
				if vary&(1<<i) != 0 && httplex.HasListElementFold(oldVary, name) {
					vary &^= 1 << i
				}
			}
			if httplex.HasListElementFold(oldVary, "*") {
				vary = 0
			}
		}
	}
	n := count(pl.acao) + count(pl.acac) + count(pl.acam) + count(pl.acah) + count(pl.acma) + count(pl.acapn) + count(pl.aceh)
	if vary != 0 {
		n += len(oldVary) + 1
	}
	if n == 0 {
		return
	}
	vals := newValues(n)
	i := 0
	if pl.acao != "" {
		i = put(h, hdrACAO, pl.acao, vals, i)
	}
	if pl.acac != "" {
		i = put(h, hdrACAC, pl.acac, vals, i)
	}
	if pl.acam != "" {
		i = put(h, hdrACAM, pl.acam, vals, i)
	}
	if pl.acah != "" {
		i = put(h, hdrACAH, pl.acah, vals, i)
	}
	if pl.acma != "" {
		i = put(h, hdrACMA, pl.acma, vals, i)
	}
	if pl.acapn != "" {
		i = put(h, hdrACAPN, pl.acapn, vals, i)
	}
	if pl.aceh != "" {
		i = put(h, hdrACEH, pl.aceh, vals, i)
	}
	if vary != 0 {
		j := i + copy(vals[i:], oldVary)
		vals[j] = varyValues[vary]
		h[hdrVary] = vals[i : j+1 : j+1]
	}
}

// addVary adds the names of vary that h's Vary does not hold yet, as apply
// does when Vary is the only header it sets.
func addVary(h http.Header, vary varySet) {
	old := h[hdrVary]
	if len(old) > 0 {
		(&plan{vary: vary}).apply(h)
		return
	}
	vals := newValues(1)
	vals[0] = varyValues[vary]
	h[hdrVary] = vals
}

// put sets the header name to the single value v, stored at vals[i], and
// returns the index of the next free value.
func put(h http.Header, name, v string, vals []string, i int) int {
	vals[i] = v
	h[name] = vals[i : i+1 : i+1]
	return i + 1
}

func count(v string) int {
	if v == "" {
		return 0
	}
	return 1
}

// Header values are carved out of slabs: each response gets its own
// elements, in a slice capped at its length, so that no two responses share
// an element and an append reallocates; but the slab is allocated once for
// many responses. A slab is held by one goroutine at a time (sync.Pool).
const slabLen = 64

type slab struct {
	vals []string
	next int
}

var slabs = sync.Pool{New: func() any { return new(slab) }}

// newValues returns n zeroed values that no other response shares.
func newValues(n int) []string {
	if n > slabLen/4 {
		return make([]string, n)
	}
	s := slabs.Get().(*slab)
	if len(s.vals)-s.next < n {
		s.vals, s.next = make([]string, slabLen), 0
	}
	v := s.vals[s.next : s.next+n : s.next+n]
	s.next += n
	slabs.Put(s)
	return v
}
