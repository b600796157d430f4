package cors

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/crossgate/crossgate/internal/httplex"
	"github.com/crossgate/crossgate/internal/origin"
)

// Where CORS is not enough. CORS decides which pages may read a response; it
// never stops a request from reaching the server. Two kinds of request run
// their side effect whatever the policy says:
//
//   - A "simple" cross-origin request (a form POST, fetch with a
//     CORS-safelisted Content-Type such as text/plain) is sent without a
//     preflight (https://fetch.spec.whatwg.org/#cors-safelisted-method,
//     #cors-safelisted-request-header): the handler runs, and only the
//     page's read of the answer is blocked. [Config.ProtectWrites] refuses
//     them before the handler runs.
//   - A WebSocket handshake is not subject to CORS at all
//     (https://fetch.spec.whatwg.org/#websocket-opening-handshake, and
//     RFC 6455 §10.2: the server must check Origin itself).
//     [Middleware.CheckWebSocket] and [Middleware.CheckOrigin] check it
//     against the same AllowOrigins.

// protection is the part of a compiled policy that refuses requests
// outright, where CORS only withholds responses.
type protection struct {
	// writes decides cross-origin as Go's net/http does; nil when
	// ProtectWrites is off.
	writes *http.CrossOriginProtection
	// wsNoOrigin: WebSocket handshakes without Origin are accepted.
	wsNoOrigin bool
}

func (p *policy) compileProtection(v *validator, cfg *Config) {
	p.wsNoOrigin = cfg.WebSocketAllowNoOrigin
	if !cfg.ProtectWrites {
		return
	}
	if p.anyOrigin {
		v.warn("ProtectWrites", -1, "true", "AllowOrigins is \"*\": every origin is trusted, so ProtectWrites refuses nothing")
	}
	// The origins the policy allows are not given to AddTrustedOrigin:
	// it takes exact origins only, and the policy's matcher also knows
	// its patterns. checkWrite consults the matcher for the requests
	// that CrossOriginProtection refuses.
	p.writes = http.NewCrossOriginProtection()
}

// WriteError is why [Config.ProtectWrites] refused a request.
type WriteError struct {
	Method string
	Origin string // the Origin header, "" when absent
	Site   string // the Sec-Fetch-Site header, "" when absent
	// Err is net/http.CrossOriginProtection's verdict.
	Err error
}

func (e *WriteError) Error() string {
	from := "from an origin the CORS policy does not allow"
	if e.Origin != "" {
		from = fmt.Sprintf("from origin %q, which the CORS policy does not allow", e.Origin)
	}
	how := "Sec-Fetch-Site is absent and Origin does not match Host"
	if e.Site != "" {
		how = "Sec-Fetch-Site: " + e.Site
	}
	return fmt.Sprintf("cross-origin %s refused: it comes %s (%s), and the policy protects writes: "+
		"a method other than GET, HEAD and OPTIONS runs only for the same origin, allowed origins and non-browser clients",
		e.Method, from, how)
}

func (e *WriteError) Unwrap() error { return e.Err }

// Reason is a stable kebab-case identifier of the refusal, for logs and
// metrics: "cross-origin-write".
func (e *WriteError) Reason() string { return "cross-origin-write" }

// CheckWrite reports whether [Config.ProtectWrites] refuses r: nil when it
// does not (ProtectWrites is off, the method is GET, HEAD or OPTIONS, the
// request is same-origin or comes from no browser, or its origin is
// allowed), else a *[WriteError]. [Middleware.Wrap] answers such requests
// with 403 and never calls its handler; a proxy calls CheckWrite before
// forwarding. It allocates nothing for safe methods.
func (m *Middleware) CheckWrite(r *http.Request) error {
	p := m.p.Load()
	if p == nil || p.writes == nil {
		return nil
	}
	return p.checkWrite(r)
}

// checkWrite builds on net/http.CrossOriginProtection: its Check decides
// whether a request is cross-origin (safe methods pass; then Sec-Fetch-Site
// "same-origin" or "none" passes and any other value is cross-origin; with
// no Sec-Fetch-Site, an Origin whose host differs from Host is, and a
// request with neither header is not from a browser). Among the requests it
// refuses, those from an origin the policy allows are trusted: the policy's
// matcher takes the place of AddTrustedOrigin, patterns included.
func (p *policy) checkWrite(r *http.Request) error {
	err := p.writes.Check(r)
	if err == nil {
		return nil
	}
	o := r.Header[hdrOrigin]
	if len(o) == 1 && (p.anyOrigin || p.origins.Match(o[0])) {
		return nil
	}
	we := &WriteError{Method: r.Method, Site: r.Header.Get("Sec-Fetch-Site"), Err: err}
	if len(o) > 0 {
		we.Origin = strings.Join(o, ", ")
	}
	return we
}

// refuseWrite answers r with 403 if ProtectWrites refuses it, and reports
// whether it did.
func (p *policy) refuseWrite(w http.ResponseWriter, r *http.Request) bool {
	err := p.checkWrite(r)
	if err == nil {
		return false
	}
	h := w.Header()
	if !p.anyOrigin {
		addVary(h, varyOrigin) // the answer depends on the origin
	}
	WriteRefusal(w, err)
	return true
}

// WriteRefusal answers with 403 and a plain-text body saying why err (a
// *[WriteError] or *[WebSocketError]) refused the request, without CORS
// headers: the page cannot read it, the developer sees it in the network
// panel. Wrap and the gateway write their refusals with it.
//
// The response also carries the header Crossgate-Refused with the reason
// code ("cross-origin-write", or "websocket-" and the WebSocketError's
// reason), so that tools such as crossgate check tell the refusal from the
// handler's own 403.
func WriteRefusal(w http.ResponseWriter, err error) {
	h := w.Header()
	switch e := err.(type) {
	case *WriteError:
		h.Set(RefusedHeader, e.Reason())
	case *WebSocketError:
		h.Set(RefusedHeader, "websocket-"+e.Reason())
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusForbidden)
	io.WriteString(w, "403 Forbidden: "+err.Error()+"\n")
}

// RefusedHeader is the response header that [WriteRefusal] sets.
const RefusedHeader = "Crossgate-Refused"

// WebSocketError is why [Middleware.CheckWebSocket] refused a handshake.
type WebSocketError struct {
	// Origin is the Origin header ("" when absent, several values joined
	// with ", ").
	Origin string
	reason string
}

// Reason is a stable kebab-case identifier of the refusal:
// "origin-not-allowed", "invalid-origin" or "no-origin".
func (e *WebSocketError) Reason() string { return e.reason }

func (e *WebSocketError) Error() string {
	switch e.reason {
	case wsNoOrigin:
		return "WebSocket handshake without an Origin header refused: the policy does not let non-browser clients connect (WebSocketAllowNoOrigin, websocket_allow_no_origin)"
	case wsInvalidOrigin:
		if e.Origin == "null" {
			// An opaque origin serializes as "null" (HTML, "ASCII
			// serialization of an origin",
			// https://html.spec.whatwg.org/#ascii-serialisation-of-an-origin):
			// no policy may allow it, any page can make itself null.
			return `WebSocket handshake refused: its Origin is "null", the opaque origin of a sandboxed iframe, a file: page or a data: URL, which any page can take on, so no policy allows it`
		}
		if strings.Contains(e.Origin, ", ") {
			return fmt.Sprintf("WebSocket handshake refused: it carries several Origin values (%q); a browser sends exactly one", e.Origin)
		}
		return fmt.Sprintf("WebSocket handshake refused: the Origin header %q is not a serialized origin as browsers send it", e.Origin)
	}
	return fmt.Sprintf("WebSocket handshake from origin %q refused: the CORS policy does not allow it, and WebSockets are not subject to CORS, so the server checks Origin itself", e.Origin)
}

const (
	wsNotAllowed    = "origin-not-allowed"
	wsInvalidOrigin = "invalid-origin"
	wsNoOrigin      = "no-origin"
)

// CheckWebSocket reports whether a WebSocket handshake (or any request
// that opens a connection without CORS) may go on: nil when its Origin is
// allowed by AllowOrigins (patterns included) or is the server's own
// origin (its host and port are the Host header, as gorilla/websocket and
// net/http.CrossOriginProtection compare them), or when it has no Origin
// and [Config.WebSocketAllowNoOrigin] is set; else a *[WebSocketError].
// Browsers always send Origin on a handshake
// (https://fetch.spec.whatwg.org/#websocket-opening-handshake), and send
// the cookies of the server's site with it: a handshake from a foreign
// page is cross-site WebSocket hijacking unless the server refuses it.
//
// A Middleware without a policy refuses every handshake with an Origin
// that is not its own.
func (m *Middleware) CheckWebSocket(r *http.Request) error {
	p := m.p.Load()
	if p == nil {
		p = &policy{origins: origin.NewMatcher(nil)}
	}
	return p.checkWebSocket(r)
}

// CheckOrigin is [Middleware.CheckWebSocket] as a bool, with the signature
// of gorilla/websocket's Upgrader.CheckOrigin:
//
//	upgrader := websocket.Upgrader{CheckOrigin: mw.CheckOrigin}
func (m *Middleware) CheckOrigin(r *http.Request) bool { return m.CheckWebSocket(r) == nil }

func (p *policy) checkWebSocket(r *http.Request) error {
	origins := r.Header[hdrOrigin]
	switch {
	case len(origins) == 0:
		if p.wsNoOrigin {
			return nil
		}
		return &WebSocketError{reason: wsNoOrigin}
	case len(origins) > 1:
		return &WebSocketError{Origin: strings.Join(origins, ", "), reason: wsInvalidOrigin}
	}
	o := origins[0]
	if p.anyOrigin || p.origins.Match(o) || sameHost(o, r.Host) {
		return nil
	}
	if _, ok := origin.Parse(o); !ok {
		return &WebSocketError{Origin: o, reason: wsInvalidOrigin}
	}
	return &WebSocketError{Origin: o, reason: wsNotAllowed}
}

// sameHost reports whether the serialized origin o has host (and port)
// host, case-insensitively, as gorilla/websocket's default CheckOrigin
// compares them. The scheme is not compared: Host does not carry it.
func sameHost(o, host string) bool {
	i := strings.Index(o, "://")
	if i < 0 || host == "" {
		return false
	}
	if _, ok := origin.Parse(o); !ok {
		return false
	}
	return httplex.EqualFold(o[i+3:], host)
}
