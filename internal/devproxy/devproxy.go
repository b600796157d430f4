// Package devproxy is the server of crossgate dev: one origin for a
// frontend's development server and the APIs it calls, as the Vite and
// webpack dev-server proxies do, so that the browser makes no cross-origin
// request at all and CORS never comes up while developing.
//
// It also learns, from the requests the page makes, what the production
// deployment will need once the frontend and the APIs are on different
// origins: the methods and headers a preflight will ask for, and whether
// credentials are sent. [Proxy.Policy] writes that as a policy file.
package devproxy

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/crossgate/crossgate/fetch"
	"github.com/crossgate/crossgate/internal/httplex"
)

// API is one --api: requests whose path is Prefix or under it go to Target.
type API struct {
	Prefix string // "/api": matches /api and /api/..., not /apix
	Target *url.URL
}

// Config configures a Proxy.
type Config struct {
	Frontend *url.URL // every request no API takes
	APIs     []API
	// Origin is the frontend's origin in production, for Policy; "" when
	// unknown.
	Origin string
	// OnChange, when not nil, is called (without locks held) when a request
	// teaches the proxy something new that changes Policy.
	OnChange func()
	// AllowedHosts are the host names, beyond localhost, *.localhost and
	// IP addresses, that requests may name in Host (see [Proxy.ServeHTTP]);
	// ".example.com" allows example.com and its subdomains.
	AllowedHosts []string
	// Timeout is how long to wait for an upstream's response headers;
	// 0 means DefaultTimeout.
	Timeout time.Duration
}

// Proxy is the development server's handler. It is safe for concurrent use.
type Proxy struct {
	cfg      Config
	frontend *httputil.ReverseProxy
	apis     []*apiRoute // longest prefix first
	tr       *http.Transport
	via      string   // this proxy's pseudonym in Via, to detect loops
	flags    []string // by the number after via: the flag and target that forwarded a request

	mu sync.Mutex
}

type apiRoute struct {
	API
	name  string
	proxy *httputil.ReverseProxy
	// What the page sent, that a cross-origin deployment must allow.
	methods     map[string]bool // beyond the CORS-safelisted ones
	headers     map[string]bool // lower case, not CORS-safelisted
	credentials bool
}

// New checks cfg and returns its Proxy.
func New(cfg Config) (*Proxy, error) {
	if err := checkTarget("--frontend", cfg.Frontend); err != nil {
		return nil, err
	}
	p := &Proxy{cfg: cfg, tr: newTransport(cfg.Timeout), via: newVia()}
	p.frontend = p.guard(newReverseProxy(cfg.Frontend, false), "the frontend", "--frontend", cfg.Frontend)
	names := map[string]bool{}
	for _, a := range cfg.APIs {
		if !strings.HasPrefix(a.Prefix, "/") || strings.ContainsAny(a.Prefix, "?#* ") {
			return nil, fmt.Errorf("--api %s: the prefix must be a path starting with /", a.Prefix)
		}
		if strings.Contains(a.Prefix, "%") {
			// route matches the decoded path: an escape would never match.
			return nil, fmt.Errorf("--api %s: write the prefix without %%-escapes; it is matched against the decoded path", a.Prefix)
		}
		a.Prefix = strings.TrimSuffix(a.Prefix, "/")
		if a.Prefix == "" {
			return nil, errors.New("--api /: the whole site would go to the API; give the API a path such as /api")
		}
		if err := checkTarget("--api "+a.Prefix, a.Target); err != nil {
			return nil, err
		}
		for _, o := range p.apis {
			if o.Prefix == a.Prefix {
				return nil, fmt.Errorf("--api %s given twice", a.Prefix)
			}
		}
		name := strings.ReplaceAll(strings.Trim(a.Prefix, "/"), "/", "-")
		for base, i := name, 2; names[name]; i++ {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		names[name] = true
		p.apis = append(p.apis, &apiRoute{API: a, name: name, proxy: p.guard(newReverseProxy(a.Target, true), "the API "+a.Prefix, "--api "+a.Prefix, a.Target),
			methods: map[string]bool{}, headers: map[string]bool{}})
	}
	slices.SortStableFunc(p.apis, func(a, b *apiRoute) int { return len(b.Prefix) - len(a.Prefix) })
	return p, nil
}

func checkTarget(flag string, u *url.URL) error {
	if u == nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s: want an http or https URL", flag)
	}
	return nil
}

// newReverseProxy forwards to target, with the target's Host (as Vite's
// changeOrigin does) and X-Forwarded-* naming the development origin.
// httputil.ReverseProxy forwards Upgrade requests, so the frontend's hot
// reload WebSocket goes through too.
func newReverseProxy(target *url.URL, api bool) *httputil.ReverseProxy {
	own := target.Scheme + "://" + target.Host
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.URL.Path, pr.Out.URL.RawPath = joinPath(target, pr.In.URL)
			pr.SetXForwarded()
			if !sameOrigin(pr.In) {
				return // a foreign page: the upstream judges its Origin
			}
			// The page is on the development origin: to the upstream,
			// the request is same-origin too.
			if api && !isUpgrade(pr.In) {
				// No Origin: the API sees what a same-origin page on its
				// own origin would send for a GET, and needs no CORS.
				pr.Out.Header.Del("Origin")
			} else {
				// Dev servers check the Origin of their hot-reload
				// WebSocket against their own (webpack-dev-server,
				// Vite), and an API checks a WebSocket handshake's,
				// which browsers always send (Fetch, "WebSocket opening
				// handshake"): cors.Middleware.CheckWebSocket refuses
				// one without Origin, gorilla/websocket compares its
				// host with Host. Either sees its own origin.
				pr.Out.Header.Set("Origin", own)
			}
		},
	}
}

// joinPath puts the request's path under the target's (a target of
// http://host/base sends /api/x to /base/api/x).
func joinPath(target, in *url.URL) (path, rawPath string) {
	base := strings.TrimSuffix(target.Path, "/")
	if base == "" {
		return in.Path, in.RawPath
	}
	rawPath = ""
	if in.RawPath != "" {
		rawPath = strings.TrimSuffix(target.EscapedPath(), "/") + in.RawPath
	}
	return base + in.Path, rawPath
}

// sameOrigin reports whether r's Origin is the development server's own
// origin (the page is served by this proxy).
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	return o != "" && (o == "http://"+r.Host || o == "https://"+r.Host)
}

// route returns the API whose prefix holds path, or nil for the frontend.
func (p *Proxy) route(path string) *apiRoute {
	for _, a := range p.apis {
		if path == a.Prefix || strings.HasPrefix(path, a.Prefix+"/") {
			return a
		}
	}
	return nil
}

// ServeHTTP refuses, with 403, a request whose Host is not localhost, a
// subdomain of localhost, an IP address or one of cfg.AllowedHosts: a page
// of any site whose name an attacker re-points at 127.0.0.1 (DNS
// rebinding) would otherwise be same-origin with the development server,
// read the frontend's sources and call the APIs with no Origin, as the
// page itself does. Vite refuses such requests the same way
// (server.allowedHosts). Names under .localhost always resolve to
// loopback (RFC 6761 §6.3), and an IP address cannot be re-pointed.
// Otherwise it forwards r.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !p.allowedHost(r.Host) {
		http.Error(w, fmt.Sprintf("403 Forbidden: crossgate dev: Host %q is not localhost, an IP address or an --allowed-host: refused, "+
			"as a page whose name is re-pointed at this machine (DNS rebinding) would send it; "+
			"to serve this name, pass --allowed-host %s", r.Host, hostOnly(r.Host)), http.StatusForbidden)
		return
	}
	a := p.route(r.URL.Path)
	if p.looped(w, r) {
		return
	}
	if a == nil {
		p.frontend.ServeHTTP(w, r)
		return
	}
	if p.learn(a, r) && p.cfg.OnChange != nil {
		p.cfg.OnChange()
	}
	a.proxy.ServeHTTP(w, r)
}

// hostOnly returns the host of a Host header, without port, brackets or
// trailing dot, in lower case.
func hostOnly(hostport string) string {
	h := hostport
	if hh, _, err := net.SplitHostPort(hostport); err == nil {
		h = hh
	}
	return strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
}

func (p *Proxy) allowedHost(hostport string) bool {
	h := hostOnly(hostport)
	if h == "localhost" || strings.HasSuffix(h, ".localhost") || net.ParseIP(h) != nil {
		return true
	}
	for _, a := range p.cfg.AllowedHosts {
		a = strings.ToLower(a)
		if a == h || strings.HasPrefix(a, ".") && (h == a[1:] || strings.HasSuffix(h, a)) {
			return true // ".example.com": it and its subdomains, as Vite has it
		}
	}
	return false
}

// browserHeaders are request headers that browsers add themselves, never
// page scripts, which are not on the Fetch standard's forbidden list: they
// play no part in CORS.
var browserHeaders = map[string]bool{
	"cache-control": true, "pragma": true, "priority": true, "upgrade-insecure-requests": true,
	"user-agent": true, "dnt": true, "purpose": true, "x-forwarded-for": true, "x-forwarded-host": true, "x-forwarded-proto": true,
}

// learn records what r needs from a cross-origin policy, and reports
// whether that is new.
func (p *Proxy) learn(a *apiRoute, r *http.Request) bool {
	if !sameOrigin(r) && r.Header.Get("Sec-Fetch-Site") != "same-origin" {
		return false // not the page of this origin
	}
	if isUpgrade(r) {
		return false // WebSockets need no CORS; the gateway checks their Origin against allow_origins
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	changed := false
	if !fetch.IsCORSSafelistedMethod(r.Method) && !a.methods[r.Method] {
		a.methods[r.Method] = true
		changed = true
	}
	if r.Header.Get("Cookie") != "" || r.Header.Get("Authorization") != "" {
		if !a.credentials {
			a.credentials, changed = true, true
		}
	}
	if mode := r.Header.Get("Sec-Fetch-Mode"); mode == "navigate" {
		return changed // a form or a link: the page's script sets no header
	}
	for name, values := range r.Header {
		lower := strings.ToLower(name)
		if lower == "authorization" {
			// Cookies need allow_credentials; Authorization, set by the
			// script, also needs allow_headers.
		} else if browserHeaders[lower] || fetch.IsForbiddenRequestHeader(name, "") || strings.HasPrefix(lower, "sec-") {
			continue
		}
		v := strings.Join(values, ", ")
		if fetch.IsCORSSafelistedRequestHeader(name, v) || a.headers[lower] {
			continue
		}
		a.headers[lower] = true
		changed = true
	}
	return changed
}

// isUpgrade reports whether r asks for a protocol upgrade (a WebSocket,
// say): it goes through untouched.
func isUpgrade(r *http.Request) bool { return httplex.IsUpgrade(r.Header) }

// Policy returns the policy file the production deployment needs for
// pages of cfg.Origin to call the APIs cross-origin, from what the page has
// sent so far: one policy per API, matched on its prefix, with
// protect_writes on. It returns "" without an Origin.
func (p *Proxy) Policy() string {
	if p.cfg.Origin == "" || len(p.apis) == 0 {
		return ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "# The policy the production deployment needs for pages of %s to call\n", p.cfg.Origin)
	b.WriteString("# the APIs cross-origin, from the requests the page sent through crossgate dev.\n")
	b.WriteString("# Add match.hosts for the APIs' production host names; check it with crossgate lint.\n")
	b.WriteString("policies:\n")
	apis := slices.Clone(p.apis)
	slices.SortFunc(apis, func(a, b *apiRoute) int { return strings.Compare(a.Prefix, b.Prefix) })
	for _, a := range apis {
		fmt.Fprintf(&b, "  - name: %s\n", yamlString(a.name))
		fmt.Fprintf(&b, "    match: { paths: [%s] }\n", yamlString(a.Prefix))
		fmt.Fprintf(&b, "    allow_origins: [%s]\n", yamlString(p.cfg.Origin))
		if a.credentials {
			b.WriteString("    allow_credentials: true\n")
		}
		if len(a.methods) > 0 {
			fmt.Fprintf(&b, "    allow_methods: [%s]\n", yamlList(a.methods))
		}
		if len(a.headers) > 0 {
			fmt.Fprintf(&b, "    allow_headers: [%s]\n", yamlList(a.headers))
		}
		b.WriteString("    protect_writes: true\n")
	}
	return b.String()
}

func yamlList(set map[string]bool) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(set)) {
		out = append(out, yamlString(k))
	}
	return strings.Join(out, ", ")
}

// yamlString quotes s as a YAML double-quoted scalar.
func yamlString(s string) string {
	return fmt.Sprintf("%q", s)
}
