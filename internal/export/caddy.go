package export

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// Caddy v2 (tested on Debian's 2.6.2): the same routes as a Caddyfile
// (caddy run --config FILE --adapter caddyfile) and as JSON (caddy run
// --config FILE). Modules: https://caddyserver.com/docs/json/apps/http/.
var caddyCaps = func() Caps {
	c := ProxyCaps()
	c.ProtectWrites = Yes
	c.WebSocketNoOrigin = Yes
	c.KeepUpstreamCORS = No("keep_upstream_cors is not rendered: Caddy's response matchers cannot test that the upstream sent no Access-Control-* header")
	return c
}()

var caddyTarget = &Target{
	Name:          "caddy",
	Summary:       "a Caddyfile for Caddy 2.6+, run as it is with caddy run --config FILE --adapter caddyfile (admin off, no automatic HTTPS)",
	Caps:          caddyCaps,
	Render:        renderCaddyfile,
	Comment:       "# ",
	NeedsUpstream: true,
	CheckPlan:     checkCaddy,
}

var caddyJSONTarget = &Target{
	Name:          "caddy-json",
	Summary:       "the same as caddy, as Caddy's JSON configuration (caddy run --config FILE)",
	Caps:          caddyCaps,
	Render:        renderCaddyJSON,
	NeedsUpstream: true,
	CheckPlan:     checkCaddy,
}

// checkCaddy refuses values holding "{" or "}", which Caddy would read as
// placeholders, and backticks, which quote Caddyfile tokens.
func checkCaddy(pl *Plan) error {
	for _, p := range pl.Policies {
		for _, v := range append([]string{p.AllowMethods, p.AllowHeaders, p.ExposeHeaders}, p.Paths...) {
			if strings.ContainsAny(v, "{}`") {
				return fmt.Errorf("policy %q: %q holds a brace or backtick, which Caddy reads as a placeholder or quote", p.Name, v)
			}
		}
	}
	return nil
}

// The route tree both Caddy renderings write. Routes run in order; a route
// runs when all its matchers match, and a respond or reverse_proxy ends the
// request, so the first route whose handlers end in one of them is the
// only one that answers (no Caddyfile directive sorting is involved: every
// route is inside a route block, which keeps the written order).
type cRoute struct {
	Comment  string
	Match    []cMatch // ANDed
	Handlers []cHandler
}

type cMatch struct {
	Kind  string // "host", "path", "header", "present", "method", "uri"
	Field string // the header name for "header" and "present"
	Value string // a regexp, or the method
	Not   bool
}

type cHandler struct {
	Set, Add [][2]string // headers handler: response headers set or added
	Status   string      // static_response
	Proxy    *cProxy
	Routes   []cRoute // subroute
}

type cProxy struct {
	Upstream *url.URL
	Delete   []string // upstream response headers removed
}

// caddyRoutes returns the main routes and the error routes of pl.
func caddyRoutes(pl *Plan) (routes, errRoutes []cRoute, err error) {
	// crossgate proxy refuses a path whose encoded slashes would select
	// another policy.
	routes = append(routes, cRoute{
		Comment:  "paths with an encoded slash or backslash are refused",
		Match:    []cMatch{{Kind: "uri", Value: `(?i)%2f|%5c`}},
		Handlers: []cHandler{{Status: "400"}},
	})
	for _, s := range pl.Servers() {
		var host []cMatch
		switch {
		case s.Default():
		case s.Wildcard():
			// Caddy's host matcher's "*" is one label: crossgate's
			// "*.example.com" is any depth, so it is a regexp.
			host = []cMatch{{Kind: "host", Value: `(?i)^.+` + QuoteMeta(s.Hosts[0][1:], RE2) + `\.?$`}}
		default:
			var alts []string
			for _, h := range s.Hosts {
				alts = append(alts, QuoteMeta(h, RE2))
			}
			host = []cMatch{{Kind: "host", Value: `(?i)^(?:` + strings.Join(alts, "|") + `)\.?$`}}
		}
		for _, l := range s.Locations {
			m := append([]cMatch(nil), host...)
			if l.Path != "/" || l.Exact {
				// path_regexp, not path: Caddy's path matcher ignores
				// case, crossgate's paths do not.
				re := "^" + QuoteMeta(l.Path, RE2)
				if l.Exact {
					re += "$"
				}
				m = append(m, cMatch{Kind: "path", Value: re})
			}
			main, errs, err := caddyLocation(pl, l)
			if err != nil {
				return nil, nil, err
			}
			comment := "no policy"
			if l.Policy != nil {
				comment = fmt.Sprintf("policy %q", l.Policy.Name)
			}
			where := strings.Join(s.Hosts, ", ")
			if s.Default() {
				where = "any other host"
			}
			comment = fmt.Sprintf("%s, %s %s: %s", where, map[bool]string{true: "path", false: "under"}[l.Exact], l.Path, comment)
			routes = append(routes, cRoute{Comment: comment, Match: m, Handlers: []cHandler{{Routes: main}}})
			errRoutes = append(errRoutes, cRoute{Comment: comment, Match: m, Handlers: []cHandler{{Routes: errs}}})
		}
	}
	return routes, errRoutes, nil
}

// sameHostExpr is true when the Origin is the Host's own (crossgate
// compares host and port, any case, whatever the scheme; browsers send
// http and https origins).
const sameHostExpr = `{http.request.header.Origin}.lowerAscii() == ("http://" + {http.request.hostport}).lowerAscii() || {http.request.header.Origin}.lowerAscii() == ("https://" + {http.request.hostport}).lowerAscii()`

var (
	mWebSocket = []cMatch{{Kind: "header", Field: "Upgrade", Value: "(?i)websocket"}, {Kind: "header", Field: "Connection", Value: "(?i)upgrade"}}
	mPreflight = []cMatch{{Kind: "method", Value: "OPTIONS"}, {Kind: "present", Field: "Origin"}, {Kind: "present", Field: "Access-Control-Request-Method"}}
	mNoOrigin  = cMatch{Kind: "present", Field: "Origin", Not: true}
	mHasOrigin = cMatch{Kind: "present", Field: "Origin"}
)

// caddyLocation returns the routes that answer a request in l, and those
// that add the CORS headers to an error response in l.
func caddyLocation(pl *Plan, l Location) (main, errs []cRoute, err error) {
	p := l.Policy
	up := pl.Upstream
	if p != nil {
		up = p.Upstream
	}
	var last cHandler
	if up == "" {
		last = cHandler{Status: "404"}
	} else {
		u, err := UpstreamURL(policyName(p), up)
		if err != nil {
			return nil, nil, err
		}
		last = cHandler{Proxy: &cProxy{Upstream: u, Delete: corsResponseHeaders}}
	}
	// reverse_proxy forwards the raw path (/v1/../x); crossgate proxy
	// forwards the normalised one the policy was chosen on. path_regexp
	// matches the cleaned path, so its capture is that path.
	lastRoute := cRoute{Handlers: []cHandler{last}}
	if last.Proxy != nil {
		lastRoute.Match = []cMatch{{Kind: "pathcap", Value: "^(.*)$"}}
	}
	// An error response ends in its location's route, so that no later
	// (shorter) location adds its headers too.
	errEnd := cRoute{Handlers: []cHandler{{Status: "{http.error.status_code}"}}}
	if p == nil {
		main = []cRoute{
			{Comment: "no policy: preflights are refused", Match: mPreflight, Handlers: []cHandler{{Status: "403"}}},
			{Comment: "no policy: only the Host's own origin may open a WebSocket",
				Match: append(append([]cMatch(nil), mWebSocket...), cMatch{Kind: "expr", Value: "!(" + sameHostExpr + ")"}), Handlers: []cHandler{{Status: "403"}}},
			lastRoute,
		}
		return main, []cRoute{errEnd}, nil
	}
	ok := cMatch{Kind: "header", Field: "Origin", Value: p.OriginsRegex(RE2)}
	acao := "{http.request.header.Origin}"
	if p.AnyOrigin {
		ok = mHasOrigin
		acao = "*"
	}
	allow := [][2]string{{"Access-Control-Allow-Origin", acao}}
	if p.Credentials {
		allow = append(allow, [2]string{"Access-Control-Allow-Credentials", "true"})
	}
	pfOK := append([][2]string(nil), allow...)
	if p.AllowMethods != "" {
		pfOK = append(pfOK, [2]string{"Access-Control-Allow-Methods", p.AllowMethods})
	}
	if p.AllowHeaders != "" {
		pfOK = append(pfOK, [2]string{"Access-Control-Allow-Headers", p.AllowHeaders})
	}
	if p.HasMaxAge {
		pfOK = append(pfOK, [2]string{"Access-Control-Max-Age", p.MaxAge})
	}
	actual := append([][2]string(nil), allow...)
	if p.ExposeHeaders != "" {
		actual = append(actual, [2]string{"Access-Control-Expose-Headers", p.ExposeHeaders})
	}
	var vary [][2]string
	if p.VaryActual != "" {
		vary = [][2]string{{"Vary", p.VaryActual}}
	}
	pf := func(extra ...cMatch) []cMatch { return append(append([]cMatch(nil), mPreflight...), extra...) }

	if p.AllowPrivateNetwork {
		main = append(main, cRoute{Comment: "a private network preflight that asks",
			Match:    pf(ok, cMatch{Kind: "header", Field: "Access-Control-Request-Private-Network", Value: "^true$"}),
			Handlers: []cHandler{{Set: [][2]string{{"Access-Control-Allow-Private-Network", "true"}}}}})
	}
	refuse := []cHandler{{Set: allow}, {Status: "403"}}
	if p.RefuseAuthorization {
		main = append(main, cRoute{Comment: `allow_headers "*" never covers Authorization`,
			Match:    pf(ok, cMatch{Kind: "header", Field: "Access-Control-Request-Headers", Value: AuthorizationRegex}),
			Handlers: refuse})
	}
	if p.StrictPreflight {
		main = append(main,
			cRoute{Comment: "a malformed method is refused, as crossgate refuses it",
				Match:    pf(ok, cMatch{Kind: "header", Field: "Access-Control-Request-Method", Value: MethodSyntaxRegex, Not: true}),
				Handlers: refuse},
			cRoute{Comment: "a malformed header list is refused, as crossgate refuses it",
				Match: pf(ok, cMatch{Kind: "present", Field: "Access-Control-Request-Headers"},
					cMatch{Kind: "header", Field: "Access-Control-Request-Headers", Value: HeadersSyntaxRegex, Not: true}),
				Handlers: refuse})
	}
	main = append(main,
		cRoute{Comment: "allowed preflight: answered here, never forwarded", Match: pf(ok),
			Handlers: []cHandler{{Set: pfOK}, {Status: strconv.Itoa(p.PreflightStatus)}}},
		cRoute{Comment: "refused preflight", Match: mPreflight,
			Handlers: []cHandler{{Status: "403"}}},
	)
	// Headers set before the upstream answers stay on its response and
	// its errors; the upstream's own Access-Control-* headers are deleted
	// by reverse_proxy before they are copied (a deferred delete would
	// also delete these).
	var headerRoutes []cRoute
	if p.AnyOrigin {
		headerRoutes = []cRoute{{Comment: `"*": the same headers with or without Origin`, Handlers: []cHandler{{Set: actual}}}}
	} else {
		headerRoutes = []cRoute{
			{Comment: "allowed origin", Match: []cMatch{ok}, Handlers: []cHandler{{Set: actual, Add: vary}}},
			{Comment: "refused origin, or none", Match: []cMatch{{Kind: "header", Field: "Origin", Value: p.OriginsRegex(RE2), Not: true}}, Handlers: []cHandler{{Add: vary}}},
		}
	}
	main = append(main, headerRoutes...)
	// WebSocket handshakes, which CORS does not cover: refused from an
	// origin the policy does not allow (nor the Host's own), and without
	// Origin unless websocket_allow_no_origin, as crossgate proxy does.
	if !p.AnyOrigin {
		main = append(main, cRoute{Comment: "a WebSocket handshake from an origin the policy does not allow",
			Match: append(append([]cMatch(nil), mWebSocket...), mHasOrigin,
				cMatch{Kind: "header", Field: "Origin", Value: p.OriginsRegex(RE2), Not: true},
				cMatch{Kind: "expr", Value: "!(" + sameHostExpr + ")"}),
			Handlers: []cHandler{{Status: "403"}}})
	}
	if !p.WebSocketAllowNoOrigin {
		main = append(main, cRoute{Comment: "a WebSocket handshake without Origin (not a browser)",
			Match:    append(append([]cMatch(nil), mWebSocket...), mNoOrigin),
			Handlers: []cHandler{{Status: "403"}}})
	}
	if p.ProtectWrites && !p.AnyOrigin {
		// A write (not GET, HEAD, OPTIONS) is cross-origin when
		// Sec-Fetch-Site says so, or, without it, when the Origin is not
		// the Host's (net/http.CrossOriginProtection compares the host).
		write := []cMatch{{Kind: "methods", Value: "GET HEAD OPTIONS", Not: true}, {Kind: "header", Field: "Origin", Value: p.OriginsRegex(RE2), Not: true}}
		refused := []cHandler{{Status: "403"}}
		main = append(main,
			cRoute{Comment: "protect_writes: a cross-site write (Sec-Fetch-Site)",
				Match: append(append([]cMatch(nil), write...), cMatch{Kind: "present", Field: "Sec-Fetch-Site"},
					cMatch{Kind: "header", Field: "Sec-Fetch-Site", Value: "^(same-origin|none)$", Not: true}),
				Handlers: refused},
			cRoute{Comment: "protect_writes: a write from another host's Origin, without Sec-Fetch-Site",
				Match: append(append([]cMatch(nil), write...), cMatch{Kind: "present", Field: "Sec-Fetch-Site", Not: true}, mHasOrigin,
					cMatch{Kind: "expr", Value: `{http.request.header.Origin} != "http://" + {http.request.hostport} && {http.request.header.Origin} != "https://" + {http.request.hostport}`}),
				Handlers: refused},
		)
	}
	main = append(main, lastRoute)
	return main, append(headerRoutes, errEnd), nil
}

// caddyJSON returns the whole JSON configuration.
func caddyJSON(pl *Plan) (map[string]any, error) {
	routes, errRoutes, err := caddyRoutes(pl)
	if err != nil {
		return nil, err
	}
	errors := jsonRoutes(errRoutes, true)
	srv := map[string]any{
		"listen":          []string{pl.Listen},
		"automatic_https": map[string]any{"disable": true},
		"routes":          jsonRoutes(routes, false),
		"errors":          map[string]any{"routes": errors},
	}
	return map[string]any{
		"admin": map[string]any{"disabled": true},
		"apps": map[string]any{"http": map[string]any{
			"servers": map[string]any{"crossgate": srv},
		}},
	}, nil
}

func jsonRoutes(rs []cRoute, errPhase bool) []any {
	out := []any{}
	for _, r := range rs {
		jr := map[string]any{}
		if len(r.Match) > 0 {
			jr["match"] = []any{jsonMatch(r.Match)}
		}
		hs := []any{}
		for _, h := range r.Handlers {
			hs = append(hs, jsonHandler(h, errPhase)...)
		}
		jr["handle"] = hs
		out = append(out, jr)
	}
	return out
}

func jsonMatch(ms []cMatch) map[string]any {
	set := map[string]any{}
	var not []any
	for _, m := range ms {
		one := map[string]any{}
		switch m.Kind {
		case "host":
			one["vars_regexp"] = map[string]any{"{http.request.host}": map[string]any{"pattern": m.Value}}
		case "uri":
			one["vars_regexp"] = map[string]any{"{http.request.orig_uri}": map[string]any{"pattern": m.Value}}
		case "path":
			one["path_regexp"] = map[string]any{"pattern": m.Value}
		case "pathcap":
			one["path_regexp"] = map[string]any{"name": "cgpath", "pattern": m.Value}
		case "header":
			one["header_regexp"] = map[string]any{m.Field: map[string]any{"pattern": m.Value}}
		case "present":
			one["header"] = map[string]any{m.Field: []string{"*"}}
		case "method":
			one["method"] = []string{m.Value}
		case "methods":
			one["method"] = strings.Fields(m.Value)
		case "expr":
			one["expression"] = m.Value
		}
		if m.Not {
			not = append(not, one)
			continue
		}
		for k, v := range one {
			if old, ok := set[k].(map[string]any); ok {
				for kk, vv := range v.(map[string]any) {
					old[kk] = vv
				}
				continue
			}
			set[k] = v
		}
	}
	if len(not) > 0 {
		set["not"] = not
	}
	return set
}

func jsonHandler(h cHandler, errPhase bool) []any {
	var out []any
	if len(h.Set)+len(h.Add) > 0 {
		resp := map[string]any{}
		if len(h.Set) > 0 {
			resp["set"] = headerMap(h.Set)
		}
		if len(h.Add) > 0 {
			resp["add"] = headerMap(h.Add)
		}
		out = append(out, map[string]any{"handler": "headers", "response": resp})
	}
	switch {
	case h.Status != "":
		sr := map[string]any{"handler": "static_response", "status_code": h.Status}
		if strings.HasPrefix(h.Status, "{") {
			sr["body"] = "{http.error.status_code} {http.error.status_text}\n"
		}
		out = append(out, sr)
	case h.Proxy != nil:
		u := h.Proxy.Upstream
		rp := map[string]any{
			"handler":   "reverse_proxy",
			"upstreams": []any{map[string]any{"dial": hostPort(u)}},
			"headers": map[string]any{
				// The upstream sees its own host, as crossgate proxy sends.
				"request":  map[string]any{"set": map[string]any{"Host": []string{"{http.reverse_proxy.upstream.hostport}"}}},
				"response": map[string]any{"delete": h.Proxy.Delete},
			},
		}
		if u.Scheme == "https" {
			rp["transport"] = map[string]any{"protocol": "http", "tls": map[string]any{"server_name": u.Hostname()}}
		}
		base := strings.TrimSuffix(u.EscapedPath(), "/")
		out = append(out, map[string]any{"handler": "rewrite", "uri": base + "{http.regexp.cgpath.1}"})
		out = append(out, rp)
	case h.Routes != nil:
		out = append(out, map[string]any{"handler": "subroute", "routes": jsonRoutes(h.Routes, errPhase)})
	}
	return out
}

func headerMap(kv [][2]string) map[string][]string {
	m := map[string][]string{}
	for _, p := range kv {
		m[p[0]] = append(m[p[0]], p[1])
	}
	return m
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return u.Host + ":443"
	}
	return u.Host + ":80"
}

func renderCaddyJSON(pl *Plan, w io.Writer) error {
	cfg, err := caddyJSON(pl)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// renderCaddyfile writes the route tree as a Caddyfile: every route in a
// route block (which keeps the order as written; outside one, the
// Caddyfile adapter sorts directives, and a deferred header delete written
// first ended up running last), matchers as named matchers, regexps in
// backticks (no escapes inside).
func renderCaddyfile(pl *Plan, w io.Writer) error {
	routes, errRoutes, err := caddyRoutes(pl)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, `# crossgate export --format caddy, from %s.
#
# Run it as it is: caddy run --config FILE --adapter caddyfile. The admin
# endpoint is off and the listener is plain http://, without automatic
# HTTPS. Check it with caddy adapt --config FILE.
#
# How it keeps the policy's meaning, and the traps it avoids:
# - Every route sits in a route block, which keeps the written order; the
#   Caddyfile adapter otherwise sorts directives, and a header delete
#   written first ends up running last.
# - Origins are matched by anchored regexps (header_regexp ^...$): the
#   header matcher reads a leading or trailing * as a glob.
# - Hosts and paths are regexps too: the host matcher's * is one label
#   (crossgate's *.example.com is any depth), and the path matcher ignores
#   case.
# - The upstream's Access-Control-* headers are deleted by reverse_proxy
#   (header_down) before they are copied: a deferred "header -Access-Control-*"
#   would delete the policy's own preflight headers too.
# - Preflights are answered with respond, never proxied; a plain OPTIONS is.
# - Errors skip the handlers that ran: handle_errors sets the CORS headers
#   again on Caddy's own 502/504.
# - reverse_proxy forwards the raw path (/v1/../x): a rewrite to the path
#   path_regexp matched (the cleaned one) forwards the normalised path, as
#   crossgate proxy does. Behind an upstream's base path, reserved
#   characters arrive decoded (%%2B as +).
`, pl.File)
	b.WriteString("{\n\tadmin off\n\tauto_https off\n}\n\n")
	listenHost, port := pl.ListenHost, pl.ListenPort
	fmt.Fprintf(&b, "http://:%s {\n", port)
	if listenHost != "" {
		fmt.Fprintf(&b, "\tbind %s\n", strings.Trim(listenHost, "[]"))
	}
	cw := &caddyfileWriter{b: &b}
	b.WriteString("\troute {\n")
	cw.routes(routes, 2)
	b.WriteString("\t}\n\thandle_errors {\n\t\troute {\n")
	cw.routes(errRoutes, 3)
	b.WriteString("\t\t}\n\t}\n")
	// Named matchers, defined once each at the site's level.
	for _, m := range cw.matchers {
		b.WriteString(m)
	}
	b.WriteString("}\n")
	_, err = io.WriteString(w, b.String())
	return err
}

type caddyfileWriter struct {
	b        *strings.Builder
	matchers []string
	names    map[string]string // matcher body -> name
}

func (cw *caddyfileWriter) matcher(ms []cMatch) string {
	var body strings.Builder
	line := func(m cMatch) string {
		switch m.Kind {
		case "host":
			return "vars_regexp {http.request.host} `" + m.Value + "`"
		case "uri":
			return "vars_regexp {http.request.orig_uri} `" + m.Value + "`"
		case "path":
			return "path_regexp `" + m.Value + "`"
		case "pathcap":
			return "path_regexp cgpath `" + m.Value + "`"
		case "header":
			return "header_regexp " + m.Field + " `" + m.Value + "`"
		case "present":
			return "header " + m.Field + " *"
		case "method", "methods":
			return "method " + m.Value
		case "expr":
			return "expression `" + m.Value + "`"
		}
		return ""
	}
	for _, m := range ms {
		if m.Not {
			body.WriteString("\t\tnot " + line(m) + "\n")
		} else {
			body.WriteString("\t\t" + line(m) + "\n")
		}
	}
	if cw.names == nil {
		cw.names = map[string]string{}
	}
	if name, ok := cw.names[body.String()]; ok {
		return name
	}
	name := "@cg" + strconv.Itoa(len(cw.names))
	cw.names[body.String()] = name
	cw.matchers = append(cw.matchers, "\t"+name+" {\n"+body.String()+"\t}\n")
	return name
}

func (cw *caddyfileWriter) routes(rs []cRoute, depth int) {
	ind := strings.Repeat("\t", depth)
	for _, r := range rs {
		if r.Comment != "" {
			fmt.Fprintf(cw.b, "%s# %s\n", ind, r.Comment)
		}
		m := ""
		if len(r.Match) > 0 {
			m = cw.matcher(r.Match) + " "
		}
		fmt.Fprintf(cw.b, "%sroute %s{\n", ind, m)
		for _, h := range r.Handlers {
			cw.handler(h, depth+1)
		}
		fmt.Fprintf(cw.b, "%s}\n", ind)
	}
}

func (cw *caddyfileWriter) handler(h cHandler, depth int) {
	ind := strings.Repeat("\t", depth)
	for _, kv := range h.Set {
		fmt.Fprintf(cw.b, "%sheader %s %s\n", ind, kv[0], cq(kv[1]))
	}
	for _, kv := range h.Add {
		fmt.Fprintf(cw.b, "%sheader +%s %s\n", ind, kv[0], cq(kv[1]))
	}
	switch {
	case strings.HasPrefix(h.Status, "{"):
		fmt.Fprintf(cw.b, "%srespond \"{http.error.status_code} {http.error.status_text}\" %s\n", ind, h.Status)
	case h.Status != "":
		fmt.Fprintf(cw.b, "%srespond %s\n", ind, h.Status)
	case h.Proxy != nil:
		u := h.Proxy.Upstream
		fmt.Fprintf(cw.b, "%srewrite * %s{re.cgpath.1}\n", ind, strings.TrimSuffix(u.EscapedPath(), "/"))
		target := hostPort(u)
		if u.Scheme == "https" {
			target = "https://" + target
		}
		fmt.Fprintf(cw.b, "%sreverse_proxy %s {\n", ind, target)
		fmt.Fprintf(cw.b, "%s\theader_up Host {upstream_hostport}\n", ind)
		for _, d := range h.Proxy.Delete {
			fmt.Fprintf(cw.b, "%s\theader_down -%s\n", ind, d)
		}
		fmt.Fprintf(cw.b, "%s}\n", ind)
	case h.Routes != nil:
		cw.routes(h.Routes, depth)
	}
}

// cq quotes a header value for the Caddyfile.
func cq(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }
