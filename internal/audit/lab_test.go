package audit_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/crossgate/crossgate/cors"
	"github.com/crossgate/crossgate/internal/audit"
)

// The lab: one loopback server (plain and TLS listeners on 127.0.0.1)
// that serves each endpoint under its own name, <name>.victim.test. A
// custom dialer maps those names to the listeners and refuses every other
// name, so nothing leaves loopback and host-derived probes such as
// https://evilX.victim.test make sense. Every request is logged.

const labDomain = "victim.test"

// endpoint is one server of the lab, with the findings it must produce.
type endpoint struct {
	name    string
	scheme  string // "https" when ""
	handler func(own string) http.Handler
	want    []audit.Class
}

func (e endpoint) host() string { return e.name + "." + labDomain }

func (e endpoint) url() string {
	s := e.scheme
	if s == "" {
		s = "https"
	}
	return s + "://" + e.host() + "/"
}

// allowFunc makes a handler that sets CORS headers when allow(origin) is
// true, the way hand-written servers do: the origin echoed, credentials
// on, Vary: Origin unless noVary; preflights answered 204 with fixed
// lists. Only "/" exists; other paths get a 404 with the same headers.
func allowFunc(allow func(origin string) bool, creds, noVary bool) func(string) http.Handler {
	return func(string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			o, ok := r.Header["Origin"]
			if !noVary {
				w.Header().Add("Vary", "Origin")
			}
			if ok && allow(o[0]) {
				w.Header().Set("Access-Control-Allow-Origin", o[0])
				if creds {
					w.Header().Set("Access-Control-Allow-Credentials", "true")
				}
			}
			if r.Method == http.MethodOptions {
				w.Header().Set("Access-Control-Allow-Methods", "GET, POST, PUT")
				w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
				w.WriteHeader(http.StatusNoContent)
				return
			}
			if r.URL.Path != "/" {
				http.NotFound(w, r)
				return
			}
			fmt.Fprintln(w, `{"user":"alice","balance":42}`)
		})
	}
}

// devOrigins is meant to allow local development servers on any port,
// but is anchored at the start only.
var devOrigins = regexp.MustCompile(`^https?://(localhost|127\.0\.0\.1)(:[0-9]+)?`)

// strict allows the endpoint's own origin and the app's, exactly.
func strict(own string) func(string) bool {
	return func(o string) bool { return o == own || o == "https://app."+labDomain }
}

func ownOrigin(name string) string { return "https://" + name + "." + labDomain }

func lab() []endpoint {
	return []endpoint{
		// Flawed, one class (or the classes the flawed check really lets
		// through) each.
		{name: "reflect", handler: allowFunc(func(string) bool { return true }, true, false),
			want: []audit.Class{audit.OriginReflected}},
		{name: "reflect-nocreds", handler: allowFunc(func(string) bool { return true }, false, false),
			want: []audit.Class{audit.OriginReflected}},
		{name: "plain-reflect", scheme: "http", handler: allowFunc(func(string) bool { return true }, true, false),
			want: []audit.Class{audit.OriginReflected}},
		// Reflects every origin but its own: Corsy's baseline request
		// gets no ACAO and Corsy stops there.
		{name: "reflect-foreign", handler: allowFunc(func(o string) bool { return o != ownOrigin("reflect-foreign") }, true, false),
			want: []audit.Class{audit.OriginReflected}},
		{name: "null", handler: allowFunc(func(o string) bool { return o == "null" || strict(ownOrigin("null"))(o) }, true, false),
			want: []audit.Class{audit.NullOrigin}},
		// strings.HasPrefix(origin, "https://"+host): also lets
		// special characters and other ports through.
		{name: "prefix", handler: allowFunc(func(o string) bool { return strings.HasPrefix(o, ownOrigin("prefix")) }, true, false),
			want: []audit.Class{audit.PostDomain, audit.SpecialChar, audit.AnyPort}},
		// strings.HasSuffix(origin, "victim.test"), scheme unchecked.
		{name: "suffix", handler: allowFunc(func(o string) bool { return strings.HasSuffix(o, labDomain) }, true, false),
			want: []audit.Class{audit.PreDomain, audit.UnescapedDot, audit.AnySubdomain, audit.InsecureOrigin}},
		{name: "regexdot", handler: allowFunc(regexp.MustCompile(`^https://regexdot.victim.test$`).MatchString, true, false),
			want: []audit.Class{audit.UnescapedDot}},
		// strings.Contains(allowlist, origin).
		{name: "substring", handler: allowFunc(func(o string) bool {
			return strings.Contains(ownOrigin("substring")+" https://app.victim.test", o)
		}, true, false),
			want: []audit.Class{audit.Substring}},
		{name: "subdomain", handler: allowFunc(func(o string) bool {
			return o == ownOrigin("subdomain") || strings.HasPrefix(o, "https://") && strings.HasSuffix(o, ".subdomain."+labDomain)
		}, true, false),
			want: []audit.Class{audit.AnySubdomain}},
		// Compares hosts and forgets the scheme.
		{name: "trusthttp", handler: allowFunc(func(o string) bool {
			u, err := url.Parse(o)
			return err == nil && u.Host == "trusthttp."+labDomain
		}, true, false),
			want: []audit.Class{audit.InsecureOrigin}},
		{name: "thirdparty", handler: allowFunc(func(o string) bool {
			return strict(ownOrigin("thirdparty"))(o) || o == "https://codepen.io" || strings.HasSuffix(o, ".github.io")
		}, true, false),
			want: []audit.Class{audit.ThirdPartyOrigin}},
		// Blocks "." and name characters after the host, nothing else.
		{name: "specialchar", handler: allowFunc(func(o string) bool {
			own := ownOrigin("specialchar")
			if o == own {
				return true
			}
			rest, ok := strings.CutPrefix(o, own)
			return ok && !strings.ContainsAny(rest[:1], ".-:abcdefghijklmnopqrstuvwxyz0123456789")
		}, true, false),
			want: []audit.Class{audit.SpecialChar}},
		{name: "anyport", handler: allowFunc(func(o string) bool {
			u, err := url.Parse(o)
			return err == nil && u.Scheme == "https" && u.Hostname() == "anyport."+labDomain
		}, true, false),
			want: []audit.Class{audit.AnyPort}},
		{name: "wildcard", handler: fixedHeaders(http.Header{"Access-Control-Allow-Origin": {"*"}}, true),
			want: []audit.Class{audit.WildcardOrigin}},
		{name: "wildcard-creds", handler: fixedHeaders(http.Header{"Access-Control-Allow-Origin": {"*"}, "Access-Control-Allow-Credentials": {"true"}}, true),
			want: []audit.Class{audit.WildcardOrigin, audit.WildcardCredentials}},
		// A gateway and the application both set the header.
		{name: "multi-acao", handler: fixedHeaders(http.Header{"Access-Control-Allow-Origin": {"https://app.victim.test", "https://app.victim.test"}}, true),
			want: []audit.Class{audit.InvalidAllowOrigin}},
		{name: "crlf", handler: crlfHandler,
			want: []audit.Class{audit.CRLFInjection}},
		{name: "novary", handler: allowFunc(strict(ownOrigin("novary")), true, true),
			want: []audit.Class{audit.VaryOriginMissing}},
		// Answers a preflight with what it asked for, filtered by fixed
		// lists, but varies on Origin only.
		{name: "preflight-novary", handler: filteredPreflights,
			want: []audit.Class{audit.VaryPreflightMissing}},
		// A development allowlist next to the strict one, as an
		// unanchored regex ...
		{name: "dev-regex", handler: allowFunc(func(o string) bool {
			return strict(ownOrigin("dev-regex"))(o) || devOrigins.MatchString(o)
		}, true, false),
			want: []audit.Class{audit.LocalhostPrefix}},
		// ... and as a prefix, which only the http:// probe shows.
		{name: "dev-prefix", handler: allowFunc(func(o string) bool {
			return strict(ownOrigin("dev-prefix"))(o) || strings.HasPrefix(o, "http://localhost")
		}, true, false),
			want: []audit.Class{audit.LocalhostPrefix}},
		// The nginx snippet that silences Chromium's Private Network
		// Access errors: "*", and the PNA header on every preflight.
		{name: "private-network", handler: privateNetwork,
			want: []audit.Class{audit.WildcardOrigin, audit.PrivateNetworkAllowed}},
		// Hard-coded, on every response.
		{name: "acao-always", handler: fixedHeaders(http.Header{"Access-Control-Allow-Origin": {"https://app.victim.test"}, "Access-Control-Allow-Credentials": {"true"}}, false),
			want: []audit.Class{audit.AllowOriginWithoutOrigin}},
		// Wrong only on preflights: OPTIONS reflects everything.
		// Both echo what the preflight asks for and vary on Origin only.
		{name: "preflight-only", handler: reflectPreflights(nil),
			want: []audit.Class{audit.OriginReflected, audit.PreflightAnyMethod, audit.PreflightAnyHeader, audit.VaryPreflightMissing}},
		{name: "reflect-methods", handler: reflectPreflights(strict(ownOrigin("reflect-methods"))),
			want: []audit.Class{audit.PreflightAnyMethod, audit.PreflightAnyHeader, audit.VaryPreflightMissing}},
		{name: "preflight-redirect", handler: preflightStatus(ownOrigin("preflight-redirect"), http.StatusMovedPermanently, false),
			want: []audit.Class{audit.PreflightRedirected}},
		{name: "preflight-auth", handler: preflightStatus(ownOrigin("preflight-auth"), http.StatusUnauthorized, false),
			want: []audit.Class{audit.PreflightAuthRequired}},
		{name: "preflight-405", handler: preflightStatus(ownOrigin("preflight-405"), http.StatusMethodNotAllowed, true),
			want: []audit.Class{audit.PreflightFailed}},
		{name: "error-nocors", handler: errorNoCORS,
			want: []audit.Class{audit.CORSMissingOnError}},
		// Decodes Origin, checks its first word, writes the decoded value
		// back: <allowed>%0d%0aX-...: splits the response.
		{name: "crlf-allowed", handler: decodingHandler(false),
			want: []audit.Class{audit.CRLFAllowedOrigin}},
		// Strict with an Origin (Vary everywhere), "*" with credentials and
		// no Vary without one.
		{name: "noorigin-wildcard", handler: noOriginWildcard,
			want: []audit.Class{audit.WildcardWithoutOrigin}},
		// Vary: Origin only when the origin is allowed.
		{name: "vary-partial", handler: varyPartial,
			want: []audit.Class{audit.VaryOriginPartial}},

		// Correct.
		{name: "good-middleware", handler: middleware},
		{name: "good-handwritten", handler: func(own string) http.Handler { return allowFunc(strict(own), true, false)(own) }},
		// Decodes Origin too, but refuses an origin with CR or LF in it.
		{name: "good-crlf", handler: decodingHandler(true)},
		// Private Network Access for the listed origins only.
		{name: "good-private-network", handler: func(own string) http.Handler {
			m, err := cors.New(cors.Config{
				AllowOrigins:        []string{own, "https://app." + labDomain},
				AllowMethods:        []string{http.MethodGet, http.MethodPut},
				AllowHeaders:        []string{"Content-Type"},
				AllowPrivateNetwork: true,
			})
			if err != nil {
				panic(err)
			}
			return m.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "data") }))
		}},
		// Sloppy but harmless: the PNA header on every preflight, but the
		// origin check refuses foreign origins, so it opens nothing.
		{name: "pna-strict-origin", handler: func(own string) http.Handler {
			inner := allowFunc(strict(own), true, false)(own)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodOptions {
					w.Header().Set("Access-Control-Allow-Private-Network", "true")
				}
				inner.ServeHTTP(w, r)
			})
		}},
		{name: "no-cors", handler: func(string) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodOptions {
					http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
					return
				}
				fmt.Fprintln(w, "ok")
			})
		}},
	}
}

// fixedHeaders sends the same CORS headers on every response; with
// onlyCORS, only when the request has an Origin.
func fixedHeaders(h http.Header, onlyCORS bool) func(string) http.Handler {
	return func(string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, ok := r.Header["Origin"]; ok || !onlyCORS {
				for k, vs := range h {
					w.Header()[k] = slices.Clone(vs)
				}
			}
			if r.Method == http.MethodOptions {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			fmt.Fprintln(w, "data")
		})
	}
}

// crlfHandler URL-decodes the Origin into a debug header, writing the
// response by hand as servers without header sanitising do. Its CORS is
// otherwise strict.
func crlfHandler(own string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := r.Header.Get("Origin")
		dec, err := url.PathUnescape(o)
		if err != nil {
			dec = o
		}
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		defer conn.Close()
		status := "200 OK"
		if r.Method == http.MethodOptions {
			status = "204 No Content"
		}
		fmt.Fprintf(buf, "HTTP/1.1 %s\r\nContent-Length: 0\r\nConnection: close\r\nVary: Origin\r\n", status)
		if o != "" {
			fmt.Fprintf(buf, "X-Debug-Origin: %s\r\n", dec)
		}
		if o == own {
			fmt.Fprintf(buf, "Access-Control-Allow-Origin: %s\r\nAccess-Control-Allow-Credentials: true\r\n", own)
		}
		buf.WriteString("\r\n")
		buf.Flush()
	})
}

// decodingHandler URL-decodes Origin, checks the first word of what it
// decoded against a strict allowlist and writes the decoded value into
// Access-Control-Allow-Origin, writing the response by hand as servers
// without header sanitising do. With refuseCRLF, an origin that decodes
// to CR or LF is refused: the correct variant.
func decodingHandler(refuseCRLF bool) func(string) http.Handler {
	return func(own string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			o, hasOrigin := r.Header["Origin"]
			dec := ""
			if hasOrigin {
				if d, err := url.PathUnescape(o[0]); err == nil {
					dec = d
				}
			}
			first := ""
			if f := strings.Fields(dec); len(f) > 0 {
				first = f[0]
			}
			allowed := strict(own)(first) && !(refuseCRLF && strings.ContainsAny(dec, "\r\n"))
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				panic(err)
			}
			defer conn.Close()
			status := "200 OK"
			if r.Method == http.MethodOptions {
				status = "204 No Content"
			}
			fmt.Fprintf(buf, "HTTP/1.1 %s\r\nContent-Length: 0\r\nConnection: close\r\nVary: Origin\r\n", status)
			if allowed {
				fmt.Fprintf(buf, "Access-Control-Allow-Origin: %s\r\nAccess-Control-Allow-Credentials: true\r\n", dec)
				if r.Method == http.MethodOptions {
					buf.WriteString("Access-Control-Allow-Methods: GET, POST, PUT\r\nAccess-Control-Allow-Headers: Content-Type\r\n")
				}
			}
			buf.WriteString("\r\n")
			buf.Flush()
		})
	}
}

// noOriginWildcard is strict with an Origin and answers requests without
// one with "*", credentials and no Vary, as a CDN default left in place.
func noOriginWildcard(own string) http.Handler {
	inner := allowFunc(strict(own), true, false)(own)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.Header["Origin"]; !ok {
			w.Header().Set("Access-Control-Allow-Origin", "*")
			w.Header().Set("Access-Control-Allow-Credentials", "true")
			if r.URL.Path != "/" {
				http.NotFound(w, r)
				return
			}
			fmt.Fprintln(w, "data")
			return
		}
		inner.ServeHTTP(w, r)
	})
}

// varyPartial adds Vary: Origin only when it allows the origin.
func varyPartial(own string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := r.Header.Get("Origin")
		if strict(own)(o) {
			w.Header().Set("Vary", "Origin")
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
		}
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST, PUT")
			w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		fmt.Fprintln(w, "data")
	})
}

// reflectPreflights answers preflights by echoing Origin, the method and
// the headers, for origins allow accepts (any when nil); actual requests
// are strict.
func reflectPreflights(allow func(string) bool) func(string) http.Handler {
	return func(own string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Vary", "Origin")
			o := r.Header.Get("Origin")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				if allow == nil || allow(o) {
					w.Header().Set("Access-Control-Allow-Origin", o)
					w.Header().Set("Access-Control-Allow-Credentials", "true")
					w.Header().Set("Access-Control-Allow-Methods", r.Header.Get("Access-Control-Request-Method"))
					w.Header().Set("Access-Control-Allow-Headers", r.Header.Get("Access-Control-Request-Headers"))
				}
				w.WriteHeader(http.StatusNoContent)
				return
			}
			if strict(own)(o) {
				w.Header().Set("Access-Control-Allow-Origin", o)
				w.Header().Set("Access-Control-Allow-Credentials", "true")
			}
			fmt.Fprintln(w, "data")
		})
	}
}

// filteredPreflights answers a preflight from an allowed origin with the
// requested method and the requested headers its lists allow, and leaves
// the rest out, as many hand-written middlewares do; its Vary names Origin
// only, though the answer depends on Access-Control-Request-Method and
// -Headers too.
func filteredPreflights(own string) http.Handler {
	methods, headers := []string{http.MethodGet, http.MethodPost, http.MethodPut}, []string{"content-type"}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Vary", "Origin")
		o := r.Header.Get("Origin")
		if strict(own)(o) {
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
		}
		acrm := r.Header.Get("Access-Control-Request-Method")
		if r.Method != http.MethodOptions || acrm == "" {
			fmt.Fprintln(w, "data")
			return
		}
		if strict(own)(o) {
			if slices.Contains(methods, acrm) {
				w.Header().Set("Access-Control-Allow-Methods", acrm)
			}
			var ok []string
			for name := range strings.SplitSeq(r.Header.Get("Access-Control-Request-Headers"), ",") {
				if name = strings.ToLower(strings.TrimSpace(name)); slices.Contains(headers, name) {
					ok = append(ok, name)
				}
			}
			if len(ok) > 0 {
				w.Header().Set("Access-Control-Allow-Headers", strings.Join(ok, ", "))
			}
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// privateNetwork sends "*" on every CORS response, and
// Access-Control-Allow-Private-Network: true on every preflight, whatever
// it asks for.
func privateNetwork(string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.Header["Origin"]; ok {
			w.Header().Set("Access-Control-Allow-Origin", "*")
		}
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST, PUT")
			w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
			w.Header().Set("Access-Control-Allow-Private-Network", "true")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		fmt.Fprintln(w, "data")
	})
}

// preflightStatus is strict on actual requests and answers every OPTIONS
// with status (a redirect, an authentication challenge, a 405), with the
// CORS headers when withCORS.
func preflightStatus(own string, status int, withCORS bool) func(string) http.Handler {
	return func(string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Vary", "Origin")
			o := r.Header.Get("Origin")
			if r.Method == http.MethodOptions {
				switch status {
				case http.StatusMovedPermanently:
					w.Header().Set("Location", "/login")
				case http.StatusUnauthorized:
					w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
				}
				if withCORS && strict(own)(o) {
					w.Header().Set("Access-Control-Allow-Origin", o)
					w.Header().Set("Access-Control-Allow-Credentials", "true")
				}
				w.WriteHeader(status)
				return
			}
			if strict(own)(o) {
				w.Header().Set("Access-Control-Allow-Origin", o)
				w.Header().Set("Access-Control-Allow-Credentials", "true")
			}
			fmt.Fprintln(w, "data")
		})
	}
}

// errorNoCORS sets CORS headers in the success path of "/" only.
func errorNoCORS(own string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		allowFunc(strict(own), true, false)(own).ServeHTTP(w, r)
	})
}

// middleware is package cors with a strict policy around a mux.
func middleware(own string) http.Handler {
	m, err := cors.New(cors.Config{
		AllowOrigins:     []string{own, "https://app." + labDomain},
		AllowCredentials: true,
		AllowMethods:     []string{http.MethodGet, http.MethodPost, http.MethodPut},
		AllowHeaders:     []string{"Content-Type"},
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "data") })
	return m.Wrap(mux)
}

// logEntry is one request the lab received.
type logEntry struct {
	host, method, path, origin, acrm, acrh, acrpn string
	hasOrigin                                     bool
}

func (e logEntry) String() string {
	return fmt.Sprintf("%s %s%s origin=%q(%t) acrm=%q acrh=%q acrpn=%q", e.method, e.host, e.path, e.origin, e.hasOrigin, e.acrm, e.acrh, e.acrpn)
}

// newLogEntry renders a request as the lab logs it.
func newLogEntry(host, method, path string, h http.Header) logEntry {
	o, hasOrigin := h["Origin"]
	e := logEntry{host: host, method: method, path: path, hasOrigin: hasOrigin,
		acrm: h.Get("Access-Control-Request-Method"), acrh: h.Get("Access-Control-Request-Headers"),
		acrpn: h.Get("Access-Control-Request-Private-Network")}
	if hasOrigin {
		e.origin = o[0]
	}
	return e
}

// labServer runs the lab.
type labServer struct {
	endpoints []endpoint
	plain     *httptest.Server
	tls       *httptest.Server
	mu        sync.Mutex
	log       []logEntry
}

func startLab(tb testing.TB, eps []endpoint) *labServer {
	tb.Helper()
	l := newLab(eps)
	tb.Cleanup(l.close)
	return l
}

func (l *labServer) close() {
	l.plain.Close()
	l.tls.Close()
}

// newLab starts a lab; l.close stops it.
func newLab(eps []endpoint) *labServer {
	l := &labServer{endpoints: eps}
	handlers := map[string]http.Handler{}
	for _, e := range eps {
		handlers[e.host()] = e.handler(strings.TrimSuffix(e.url(), "/"))
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host
		}
		e := newLogEntry(host, r.Method, r.URL.RequestURI(), r.Header)
		l.mu.Lock()
		l.log = append(l.log, e)
		l.mu.Unlock()
		hd, ok := handlers[host]
		if !ok {
			http.Error(w, "no such lab host", http.StatusMisdirectedRequest)
			return
		}
		hd.ServeHTTP(w, r)
	})
	l.plain = httptest.NewServer(h)
	l.tls = httptest.NewTLSServer(h)
	return l
}

// transport dials the lab for every name under victim.test, and nothing
// else.
func (l *labServer) transport() *http.Transport {
	plain, secure := l.plain.Listener.Addr().String(), l.tls.Listener.Addr().String()
	d := &net.Dialer{}
	return &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if host != labDomain && !strings.HasSuffix(host, "."+labDomain) {
				return nil, fmt.Errorf("lab: refusing to dial %s", addr)
			}
			switch port {
			case "80":
				return d.DialContext(ctx, network, plain)
			case "443":
				return d.DialContext(ctx, network, secure)
			}
			return nil, fmt.Errorf("lab: no listener for port %s", port)
		},
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: true},
		DisableCompression:  true,
		MaxIdleConnsPerHost: 4,
	}
}

func (l *labServer) entries(host string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.log {
		if e.host == host {
			out = append(out, e.String())
		}
	}
	slices.Sort(out)
	return out
}

func (l *labServer) reset() {
	l.mu.Lock()
	l.log = nil
	l.mu.Unlock()
}

func (l *labServer) targets(tb testing.TB) []*audit.Target {
	tb.Helper()
	var ts []*audit.Target
	for _, e := range l.endpoints {
		t, err := audit.ParseTarget(e.url())
		if err != nil {
			tb.Fatal(err)
		}
		ts = append(ts, t)
	}
	return ts
}

// sent renders the exchanges of a target as the lab logs them.
func sent(tr audit.TargetResult) []string {
	var out []string
	for _, ex := range tr.Exchanges {
		u, err := url.Parse(ex.Request.URL)
		if err != nil {
			panic(err)
		}
		out = append(out, newLogEntry(u.Hostname(), ex.Request.Method, u.RequestURI(), ex.Request.Header).String())
	}
	slices.Sort(out)
	return out
}
