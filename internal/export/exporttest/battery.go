package exporttest

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/crossgate/crossgate/fetch"
	"github.com/crossgate/crossgate/internal/export"
)

// Case is one request of the battery.
type Case struct {
	ID   string // unique within the battery
	Name string // what it tests, for failure messages

	Method string
	Host   string // the Host header
	Target string // the request target as sent: a raw path, not cleaned
	Origin string // "" for no Origin header

	// Preflight, when not nil, is the script's request a preflight is for:
	// the case sends the preflight fetch builds for it
	// (fetch.Plan.PreflightHeader) and judges the answer with
	// fetch.Engine.CheckPreflight.
	Preflight *fetch.Request
	// Header holds further request headers (Access-Control-Request-Method
	// without a preflight plan, for the malformed cases).
	Header http.Header
}

// probeSegment is a path segment that no route names, to stand for "some
// path under this prefix".
const probeSegment = "cg-probe"

// Battery returns the requests that tell a correct export from a wrong
// one, for every policy of pl: its allowed origins (exact, subdomain at
// depth, any port), the attacks on them (apex, suffix, prefix, null, the
// http:// twin of an https:// origin, upper case, a foreign origin), no
// Origin, an upstream 500, the path boundaries of its routes (/v1, /v1x,
// /v1/../x), its host with a port and in upper case, allowed and refused
// preflights (origin, method, headers, Authorization under "*", private
// network), a plain OPTIONS and an OPTIONS without Origin; and a request
// that no policy matches.
func Battery(pl *export.Plan) []Case {
	var cases []Case
	add := func(c Case) {
		c.ID = strconv.Itoa(len(cases))
		if c.Method == "" {
			c.Method = "GET"
		}
		cases = append(cases, c)
	}
	for _, p := range pl.Policies {
		host, base, route, ok := probeFor(pl, p)
		if !ok {
			continue // every route of p is shadowed: nothing to send
		}
		name := func(s string) string { return p.Name + ": " + s }
		allowed := AllowedOrigins(p)
		good := allowed[0]

		for _, o := range allowed {
			add(Case{Name: name("allowed origin " + o), Host: host, Target: base, Origin: o})
		}
		for _, a := range Attacks(p) {
			add(Case{Name: name("attack " + a), Host: host, Target: base, Origin: a})
		}
		add(Case{Name: name("no Origin"), Host: host, Target: base})
		// WebSocket handshakes: crossgate proxy refuses those from an
		// origin the policy does not allow (nor the host's own), and those
		// without Origin unless websocket_allow_no_origin.
		ws := func(h http.Header) http.Header {
			h = h.Clone()
			if h == nil {
				h = http.Header{}
			}
			h.Set("Connection", "Upgrade")
			h.Set("Upgrade", "websocket")
			h.Set("Sec-WebSocket-Version", "13")
			h.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
			return h
		}
		add(Case{Name: name("WebSocket from an allowed origin"), Host: host, Target: base, Origin: good, Header: ws(nil)})
		add(Case{Name: name("WebSocket from a refused origin"), Host: host, Target: base, Origin: "https://evil.test", Header: ws(nil)})
		add(Case{Name: name("WebSocket from the host's own origin"), Host: host, Target: base, Origin: "http://" + host, Header: ws(nil)})
		add(Case{Name: name("WebSocket without Origin"), Host: host, Target: base, Header: ws(nil)})
		// Writes, which protect_writes refuses when cross-origin from an
		// origin the policy does not allow (Sec-Fetch-Site, else Origin
		// against Host, as net/http.CrossOriginProtection decides).
		sfs := func(v string) http.Header { return http.Header{"Sec-Fetch-Site": {v}} }
		add(Case{Name: name("cross-site write"), Method: "POST", Host: host, Target: base, Origin: "https://evil.test", Header: sfs("cross-site")})
		add(Case{Name: name("cross-site write, no Sec-Fetch-Site"), Method: "PUT", Host: host, Target: base, Origin: "https://evil.test"})
		add(Case{Name: name("same-site write"), Method: "DELETE", Host: host, Target: base, Origin: "https://evil." + hostOnly(host), Header: sfs("same-site")})
		add(Case{Name: name("write from an allowed origin"), Method: "POST", Host: host, Target: base, Origin: good, Header: sfs("cross-site")})
		add(Case{Name: name("same-origin write"), Method: "POST", Host: host, Target: base, Origin: "http://" + host, Header: sfs("same-origin")})
		add(Case{Name: name("write from the host's own origin, no Sec-Fetch-Site"), Method: "POST", Host: host, Target: base, Origin: "http://" + host})
		add(Case{Name: name("write without Origin or Sec-Fetch-Site"), Method: "POST", Host: host, Target: base})
		add(Case{Name: name("write with Sec-Fetch-Site: none"), Method: "POST", Host: host, Target: base, Origin: "https://evil.test", Header: sfs("none")})
		add(Case{Name: name("upstream 500"), Host: host, Target: base + "/status/500", Origin: good})
		add(Case{Name: name("percent-encoded path"), Host: host, Target: base + "/a%2Bb%20c%7E%41?q=1%2B2", Origin: good})
		add(Case{Name: name("upstream 404, no Origin"), Host: host, Target: base + "/status/404"})
		if route.Path != "/" {
			t := strings.TrimSuffix(route.Path, "/")
			for _, path := range []string{t, t + "x", t + "/", t + "/../x", "//" + strings.TrimPrefix(t, "/") + "//x", t + "/./" + probeSegment} {
				add(Case{Name: name("path " + path), Host: host, Target: path, Origin: good})
			}
			// An encoded slash that would select another policy once
			// decoded: crossgate proxy refuses it (400).
			if r, ok := pl.Lookup(hostOnly(host), "/"+probeSegment); !ok || r.Policy != p {
				add(Case{Name: name("ambiguous path"), Host: host, Target: t + "/..%2F" + probeSegment, Origin: good})
			}
		}
		if route.Host != "" {
			add(Case{Name: name("host with a port"), Host: host + ":8443", Target: base, Origin: good})
			add(Case{Name: name("host in upper case"), Host: strings.ToUpper(host), Target: base, Origin: good})
			add(Case{Name: name("host with a trailing dot"), Host: host + ".", Target: base, Origin: good})
		}

		// Preflights.
		url := "http://" + host + base
		creds := fetch.Omit
		if p.Credentials {
			creds = fetch.Include
		}
		script := func(method string, headers ...string) *fetch.Request {
			r := &fetch.Request{Method: method, URL: url, Origin: good, Credentials: creds, Header: http.Header{}}
			for _, h := range headers {
				r.Header.Set(h, "v")
			}
			if len(headers) == 0 && fetch.IsCORSSafelistedMethod(method) {
				// An XMLHttpRequest with an upload listener is
				// preflighted whatever its method and headers.
				r.Initiator, r.UploadListener = fetch.XHR, true
			}
			return r
		}
		method, headers := allowedRequest(p)
		add(Case{Name: name("allowed preflight"), Method: "OPTIONS", Host: host, Target: base, Origin: good, Preflight: script(method, headers...)})
		if p.AnyMethod {
			add(Case{Name: name("preflight for a made-up method"), Method: "OPTIONS", Host: host, Target: base, Origin: good, Preflight: script("CROSSGATE")})
		}
		if !p.AnyMethod {
			add(Case{Name: name("preflight for a method not allowed"), Method: "OPTIONS", Host: host, Target: base, Origin: good, Preflight: script("PROPFIND")})
		}
		if !p.AnyHeader {
			add(Case{Name: name("preflight for a header not allowed"), Method: "OPTIONS", Host: host, Target: base, Origin: good, Preflight: script("GET", "X-Not-Allowed")})
		}
		if p.RefuseAuthorization {
			add(Case{Name: name("preflight for Authorization under *"), Method: "OPTIONS", Host: host, Target: base, Origin: good, Preflight: script("GET", "Authorization")})
		}
		if !p.AnyOrigin {
			r := script(method, headers...)
			r.Origin = "https://evil.test"
			add(Case{Name: name("preflight from a refused origin"), Method: "OPTIONS", Host: host, Target: base, Origin: r.Origin, Preflight: r})
		}
		if p.AllowPrivateNetwork {
			add(Case{Name: name("private network preflight"), Method: "OPTIONS", Host: host, Target: base, Origin: good,
				Preflight: script(method, headers...), Header: http.Header{"Access-Control-Request-Private-Network": {"true"}}})
		}
		add(Case{Name: name("preflight to an upstream error path"), Method: "OPTIONS", Host: host, Target: base + "/status/500", Origin: good, Preflight: script(method, headers...)})
		add(Case{Name: name("plain OPTIONS"), Method: "OPTIONS", Host: host, Target: base, Origin: good})
		add(Case{Name: name("OPTIONS without Origin"), Method: "OPTIONS", Host: host, Target: base})
		add(Case{Name: name("OPTIONS with Access-Control-Request-Method, no Origin"), Method: "OPTIONS", Host: host, Target: base,
			Header: http.Header{"Access-Control-Request-Method": {"PUT"}}})
	}
	// A request that no policy (or the catch-all one) answers.
	add(Case{Name: "unmatched host and path", Host: "unmatched.test", Target: "/" + probeSegment + "-unmatched", Origin: "https://evil.test"})
	add(Case{Name: "unmatched preflight", Method: "OPTIONS", Host: "unmatched.test", Target: "/" + probeSegment + "-unmatched", Origin: "https://evil.test",
		Preflight: &fetch.Request{Method: "PUT", URL: "http://unmatched.test/", Origin: "https://evil.test"}})
	return cases
}

// probeFor returns a host and path that p answers, and the route they go
// by: a route's host (a subdomain for a wildcard, a name no route has for
// any host) and a path under the route's prefix.
func probeFor(pl *export.Plan, p *export.Policy) (string, string, export.Route, bool) {
	for _, r := range pl.Routes {
		if r.Policy != p {
			continue
		}
		host := r.Host
		switch r.Kind() {
		case export.WildcardHost:
			host = "a.b" + r.Host[1:]
		case export.AnyHost:
			host = "any-host.test"
		}
		path := r.Path
		if !strings.HasSuffix(path, "/") {
			path += "/"
		}
		path += probeSegment
		if got, ok := pl.Lookup(host, path); ok && got.Policy == p {
			return host, path, r, true
		}
	}
	return "", "", export.Route{}, false
}

// AllowedOrigins returns origins p allows: its exact origins and one or
// two per pattern (a subdomain two labels deep, a port).
func AllowedOrigins(p *export.Policy) []string {
	if p.AnyOrigin {
		return []string{"https://anyone.test"}
	}
	out := append([]string(nil), p.Exact...)
	for _, pat := range p.Patterns {
		o := pat.Scheme + "://"
		if pat.Subdomains {
			o += "a.b."
		}
		o += pat.Host
		switch {
		case pat.Port > 0:
			o += ":" + strconv.Itoa(pat.Port)
		case pat.Port == -1:
			out = append(out, o) // no port
			o += ":5173"
		}
		out = append(out, o)
	}
	return out
}

// Attacks returns origins that p must refuse although they look like the
// ones it allows.
func Attacks(p *export.Policy) []string {
	out := []string{"null", "https://evil.test"}
	if p.AnyOrigin {
		return out
	}
	// The exact origins, and the any-port patterns' hosts without a
	// port: the subdomain patterns get their own attacks below.
	bases := append([]string(nil), p.Exact...)
	for _, pat := range p.Patterns {
		if !pat.Subdomains {
			bases = append(bases, pat.Scheme+"://"+pat.Host)
		}
	}
	for _, o := range bases {
		scheme, host, _ := strings.Cut(o, "://")
		out = append(out,
			o+".evil.test",         // suffix
			scheme+"://evil"+host,  // prefix, no dot
			scheme+"://evil-"+host, // prefix, hyphen
			strings.ToUpper(o),     // upper case: browsers never send it, crossgate refuses it
			o+"/",                  // a path
			scheme+"://"+host+"%60.evil.test",
		)
		if scheme == "https" {
			out = append(out, "http://"+host) // the insecure twin
		}
		if strings.Contains(host, ".") {
			out = append(out, scheme+"://"+strings.Replace(host, ".", "x", 1)) // unescaped dot
		}
	}
	for _, pat := range p.Patterns {
		if pat.Subdomains {
			out = append(out, pat.Scheme+"://"+pat.Host, // the apex
				pat.Scheme+"://x"+pat.Host,                     // no label boundary
				pat.Scheme+"://a.b."+pat.Host+".evil.test",     // suffix
				pat.Scheme+"://evil.test/."+pat.Host,           // a path that ends like it
				pat.Scheme+"://a.b."+pat.Host+":1"+"x",         // a bad port
				strings.ToUpper(pat.Scheme+"://a.b."+pat.Host), // upper case
				"http://a.b."+pat.Host)                         // the insecure twin (or the same scheme)
		}
		if pat.Port == -1 {
			out = append(out, pat.Scheme+"://"+pat.Host+".evil.test:5173", pat.Scheme+"://"+pat.Host+":0", pat.Scheme+"://"+pat.Host+":")
		}
	}
	return out
}

// allowedRequest returns the method and request headers of a request p
// allows that needs a preflight.
func allowedRequest(p *export.Policy) (string, []string) {
	method := "GET"
	switch {
	case p.AnyMethod:
		method = "PUT"
	default:
		for _, m := range p.Methods {
			if !fetch.IsCORSSafelistedMethod(m) {
				method = m
				break
			}
		}
	}
	var headers []string
	switch {
	case p.AnyHeader:
		headers = []string{"X-Anything"}
	default:
		for _, h := range p.Headers {
			if len(headers) < 2 && !strings.EqualFold(h, "content-type") {
				headers = append(headers, h)
			}
		}
	}
	return method, headers
}
