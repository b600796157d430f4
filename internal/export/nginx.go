package export

import (
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// nginx: a file for the http context (what conf.d/*.conf holds), tested
// on nginx 1.22 (Debian 12). Directives:
// https://nginx.org/en/docs/http/ngx_http_map_module.html,
// https://nginx.org/en/docs/http/ngx_http_headers_module.html#add_header,
// https://nginx.org/en/docs/http/ngx_http_proxy_module.html.
var nginxTarget = &Target{
	Name:    "nginx",
	Summary: "a file for nginx's http context (conf.d/*.conf): maps and server blocks with their listen",
	Caps: func() Caps {
		c := ProxyCaps()
		c.ProtectWrites = Yes
		c.WebSocketNoOrigin = Yes
		return c
	}(),
	Render:        renderNginx,
	Comment:       "# ",
	NeedsUpstream: true,
	CheckPlan:     checkNoDollar("nginx"),
}

// checkNoDollar refuses header values holding "$" (a token character,
// so a method or header name may have one), which nginx and Caddy would
// read as a variable and which no escape can quote in nginx.
func checkNoDollar(target string) func(*Plan) error {
	return func(pl *Plan) error {
		for _, p := range pl.Policies {
			for _, v := range []string{p.AllowMethods, p.AllowHeaders, p.ExposeHeaders} {
				if strings.ContainsAny(v, "$") {
					return fmt.Errorf("policy %q: %q holds \"$\", which %s reads as a variable", p.Name, v, target)
				}
			}
		}
		return nil
	}
}

// corsResponseHeaders are the CORS response headers an upstream may send,
// which the export removes (crossgate removes every Access-Control-*
// header; these are all the Fetch standard and Private Network Access
// define, and none other has a meaning to browsers).
var corsResponseHeaders = []string{
	"Access-Control-Allow-Origin",
	"Access-Control-Allow-Credentials",
	"Access-Control-Allow-Methods",
	"Access-Control-Allow-Headers",
	"Access-Control-Expose-Headers",
	"Access-Control-Max-Age",
	"Access-Control-Allow-Private-Network",
}

// nq quotes s as an nginx string, in double quotes. nginx's parser
// unescapes \", \', \\, \t, \r and \n in them and keeps any other
// backslash as it is, so only a backslash before one of those (and a
// double quote) needs escaping: regexes keep their readable \. escapes.
func nq(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			b.WriteString(`\"`)
			continue
		case c == '\\' && i+1 < len(s) && strings.IndexByte(`"'\\trn`, s[i+1]) >= 0,
			c == '\\' && i+1 == len(s):
			b.WriteString(`\\`)
			continue
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
	return b.String()
}

func renderNginx(pl *Plan, w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, `# crossgate export --format nginx, from %s.
#
# For nginx's http context: include it from http { } (Debian:
# /etc/nginx/conf.d/). Check it with "nginx -t". It needs no module beyond
# the default ones (map, headers, proxy, rewrite).
#
# How it keeps the policy's meaning, and the traps it avoids:
# - Origins are matched by anchored, case-sensitive regexes (~^...$): a map's
#   plain strings ignore case, and an unanchored regex lets
#   https://app.example.com.evil.net through.
# - Composite map keys join the request's values with "|", which no method
#   holds; the Origin's own ":" would make a ":"-separated key ambiguous.
# - add_header is inherited from the enclosing level only when a level has
#   none of its own, so every location that answers repeats all of its
#   headers, and "if" blocks hold nothing but "return". add_header
#   directives of your http { } level do not reach these servers: repeat
#   them in each location if you need them (nginx 1.29.3+ has
#   add_header_inherit, Debian 12's 1.22 does not).
# - "always" puts the headers on every status: the upstream's errors and
#   nginx's own 502/504.
# - proxy_hide_header removes the upstream's Access-Control-* headers (it
#   has the same all-or-nothing inheritance, so each location repeats it),
#   or the browser sees two Access-Control-Allow-Origin and fails.
# - Preflights (OPTIONS + Origin + Access-Control-Request-Method) are
#   answered here with "return", never proxied; a plain OPTIONS is.
# - A location P/ answers P with a 301 when proxied, and a preflight that
#   gets a redirect fails: every such P has an exact location of its own.
# - proxy_pass with a URI part sends the normalised path, the one the
#   location was chosen on (without one, nginx forwards the raw URI, so
#   /v1/../admin would reach the upstream under /v1/'s policy), re-encoded
#   only where a path must be: reserved characters arrive decoded (%%2B as
#   +), where crossgate proxy keeps their encoding. Paths
#   holding an encoded slash or backslash (%%2F, %%5C) are refused with
#   400, as crossgate proxy refuses those that would change the policy.
# - Vary: Origin on every response but preflights whose answer depends on
#   the origin, as a field line of its own next to the upstream's Vary (RFC
#   9110 section 12.5.5: a list, so both count). Preflights carry none, as
#   crossgate's: OPTIONS responses are not cached (RFC 9110 section 9.3.7).
`, pl.File)

	b.WriteString("\n# Request classification, shared by every policy.\n")
	b.WriteString("map $http_origin $cg_has_origin {\n    \"\" 0;\n    default 1;\n}\n")
	b.WriteString("# A CORS preflight: https://fetch.spec.whatwg.org/#cors-preflight-request\n")
	b.WriteString("map \"$request_method|$http_access_control_request_method|$cg_has_origin\" $cg_preflight {\n" +
		"    \"~^OPTIONS\\|.+\\|1$\" 1;\n    default 0;\n}\n")
	if anyPolicy(pl, func(p *Policy) bool { return p.RefuseAuthorization }) {
		b.WriteString("# Whether a preflight asks for Authorization, which allow_headers \"*\" never covers.\n")
		fmt.Fprintf(&b, "map $http_access_control_request_headers $cg_acrh_auth {\n    %s 1;\n    default 0;\n}\n", nq("~*"+strings.TrimPrefix(AuthorizationRegex, "(?i)")))
	}
	if anyPolicy(pl, func(p *Policy) bool { return p.StrictPreflight }) {
		b.WriteString("# Whether a preflight's Access-Control-Request-Method or -Headers is malformed\n" +
			"# (not a token, not a list of names): crossgate refuses it with 403.\n")
		fmt.Fprintf(&b, "map $http_access_control_request_method $cg_acrm_ok {\n    %s 1;\n    default 0;\n}\n", nq("~"+MethodSyntaxRegex))
		// An empty value (no header) never reaches a map's regexes.
		fmt.Fprintf(&b, "map $http_access_control_request_headers $cg_acrh_ok {\n    \"\" 1;\n    %s 1;\n    default 0;\n}\n", nq("~"+HeadersSyntaxRegex))
		b.WriteString("map \"$cg_acrm_ok$cg_acrh_ok\" $cg_malformed {\n    11 0;\n    default 1;\n}\n")
	}
	b.WriteString(`# WebSocket handshakes (RFC 6455 §4.1), which CORS does not cover: crossgate
# proxy refuses those from an origin the policy does not allow, unless the
# Origin is the Host's own (same host and port, any case), and those without
# Origin unless websocket_allow_no_origin.
map "$http_connection|$http_upgrade" $cg_ws {
    "~*upgrade[^|]*\|.*websocket" 1;
    default 0;
}
map "$http_origin|$http_host" $cg_ws_same {
    "~*^[^:/|]+://([^/|]+)\|\1$" 1;
    default 0;
}
# Upgrades (WebSockets) are forwarded with their hop-by-hop headers.
map $http_upgrade $cg_connection {
    "" "";
    default upgrade;
}
map "$cg_ws$cg_ws_same" $cg_ws_nopolicy {
    10 1;
    default 0;
}
`)
	if anyPolicy(pl, func(p *Policy) bool { return p.ProtectWrites }) {
		b.WriteString(`# protect_writes: a write (not GET, HEAD, OPTIONS) is cross-origin when
# Sec-Fetch-Site says so (anything but same-origin or none), or, without it,
# when the Origin's host is not the Host, as net/http.CrossOriginProtection
# decides.
map $http_sec_fetch_site $cg_sfs {
    "" absent;
    same-origin same;
    none same;
    default cross;
}
map "$http_origin|$http_host" $cg_origin_is_host {
    "~^[^:/|]+://([^/|]+)\|\1$" 1;
    default 0;
}
map "$request_method|$cg_sfs|$cg_has_origin|$cg_origin_is_host" $cg_xwrite {
    "~^(?:GET|HEAD|OPTIONS)\|" 0;
    "~^[^|]+\|cross\|" 1;
    "~^[^|]+\|absent\|1\|0$" 1;
    default 0;
}
`)
	}
	if anyPolicy(pl, func(p *Policy) bool { return p.KeepUpstreamCORS }) {
		b.WriteString("# Whether the upstream's response has CORS headers of its own (keep_upstream_cors).\n")
		var vars []string
		for _, h := range corsResponseHeaders {
			vars = append(vars, "$upstream_http_"+strings.ReplaceAll(strings.ToLower(h), "-", "_"))
		}
		fmt.Fprintf(&b, "map \"%s\" $cg_upstream_cors {\n    \"\" 0;\n    default 1;\n}\n", strings.Join(vars, ""))
	}
	for _, p := range pl.Policies {
		nginxPolicyMaps(&b, p)
	}

	servers := pl.Servers()
	for _, s := range servers {
		b.WriteString("\nserver {\n")
		listen := pl.Listen
		if pl.ListenHost == "" {
			listen = pl.ListenPort
		}
		if s.Default() {
			fmt.Fprintf(&b, "    listen %s default_server;\n    server_name _;\n", listen)
		} else {
			fmt.Fprintf(&b, "    listen %s;\n    server_name %s;\n", listen, strings.Join(s.Hosts, " "))
		}
		b.WriteString("    # crossgate proxy refuses a path whose encoded slashes would select another policy.\n")
		b.WriteString("    if ($request_uri ~* \"%2f|%5c\") {\n        return 400;\n    }\n")
		for _, l := range s.Locations {
			if err := nginxLocation(&b, pl, l); err != nil {
				return err
			}
		}
		b.WriteString("}\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func anyPolicy(pl *Plan, f func(*Policy) bool) bool {
	for _, p := range pl.Policies {
		if f(p) {
			return true
		}
	}
	return false
}

// nginxVar returns the name of policy p's variable v.
func nginxVar(p *Policy, v string) string { return fmt.Sprintf("$cg_%d_%s", p.Index, v) }

// nginxPolicyMaps writes policy p's maps: whether the origin is allowed,
// the request's kind under p, and one map per header from the kind.
//
// Kinds: pf_ok (allowed preflight), pf_denied (preflight from a refused
// origin: 403, Vary only), pf_bad (preflight asking for Authorization
// under allow_headers "*", or malformed: 403 with the origin), ok (allowed actual request), denied
// (refused actual request: Vary only), noorigin (no Origin).
func nginxPolicyMaps(b *strings.Builder, p *Policy) {
	fmt.Fprintf(b, "\n# Policy %q (policies[%d]).\n", p.Name, p.Index)
	okVar := nginxVar(p, "ok")
	if p.AnyOrigin {
		fmt.Fprintf(b, "# allow_origins \"*\": every origin.\nmap $cg_has_origin %s {\n    default 1;\n}\n", okVar)
	} else {
		fmt.Fprintf(b, "map $http_origin %s {\n    default 0;\n", okVar)
		for _, s := range p.Exact {
			fmt.Fprintf(b, "    %s 1;\n", nq("~"+ExactRegex(s, PCRE)))
		}
		for _, pat := range p.Patterns {
			fmt.Fprintf(b, "    %s 1; # %s\n", nq("~"+OriginRegex(pat, PCRE)), pat)
		}
		b.WriteString("}\n")
	}
	// The kind from the bits preflight, has Origin, allowed, and (for the
	// policies that need them) asks for Authorization, is malformed.
	key := "$cg_preflight$cg_has_origin" + okVar
	nbits := 3
	if p.RefuseAuthorization {
		key += "$cg_acrh_auth"
		nbits++
	}
	if p.StrictPreflight {
		key += "$cg_malformed"
		nbits++
	}
	kinds := map[string]string{}
	for n := 0; n < 1<<nbits; n++ {
		bits := ""
		for i := nbits - 1; i >= 0; i-- {
			bits += strconv.Itoa(n >> i & 1)
		}
		pf, has, ok, bad := bits[0] == '1', bits[1] == '1', bits[2] == '1', strings.Contains(bits[3:], "1")
		switch {
		case pf && !has:
			continue // a preflight has an Origin
		case pf && ok && bad:
			kinds[bits] = "pf_bad"
		case pf && ok:
			kinds[bits] = "pf_ok"
		case pf:
			kinds[bits] = "pf_denied"
		case !has:
			kinds[bits] = "noorigin"
		case ok:
			kinds[bits] = "ok"
		default:
			kinds[bits] = "denied"
		}
	}
	fmt.Fprintf(b, "map \"%s\" %s {\n    default noorigin;\n", key, nginxVar(p, "kind"))
	for _, k := range sortedKeys(kinds) {
		fmt.Fprintf(b, "    %s %s;\n", k, kinds[k])
	}
	b.WriteString("}\n")

	// The kinds each header goes with, and its value.
	acao := "$http_origin"
	if p.AnyOrigin {
		acao = `"*"`
	}
	type hdr struct {
		name, v string
		value   string
		kinds   []string
	}
	allowedKinds := []string{"pf_ok", "pf_bad", "ok"}
	exposeKinds := []string{"ok"}
	if p.AnyOrigin {
		// With "*", every response that is not a preflight carries the
		// same headers, requests without Origin included.
		allowedKinds = append(allowedKinds, "noorigin")
		exposeKinds = append(exposeKinds, "noorigin")
	}
	hdrs := []hdr{{"Access-Control-Allow-Origin", "acao", acao, allowedKinds}}
	if p.Credentials {
		hdrs = append(hdrs, hdr{"Access-Control-Allow-Credentials", "acac", "true", []string{"pf_ok", "pf_bad", "ok"}})
	}
	if p.AllowMethods != "" {
		hdrs = append(hdrs, hdr{"Access-Control-Allow-Methods", "acam", nq(p.AllowMethods), []string{"pf_ok"}})
	}
	if p.AllowHeaders != "" {
		hdrs = append(hdrs, hdr{"Access-Control-Allow-Headers", "acah", nq(p.AllowHeaders), []string{"pf_ok"}})
	}
	if p.HasMaxAge {
		hdrs = append(hdrs, hdr{"Access-Control-Max-Age", "acma", nq(p.MaxAge), []string{"pf_ok"}})
	}
	if p.ExposeHeaders != "" {
		hdrs = append(hdrs, hdr{"Access-Control-Expose-Headers", "aceh", nq(p.ExposeHeaders), exposeKinds})
	}
	// keep_upstream_cors: the policy's headers give way to the upstream's
	// own whenever it sends any, as crossgate proxy does.
	suffix := ""
	kindKey := nginxVar(p, "kind")
	if p.KeepUpstreamCORS {
		kindKey, suffix = kindKey+"|$cg_upstream_cors", "|0"
	}
	for _, h := range hdrs {
		fmt.Fprintf(b, "map %s %s {\n    default \"\";\n", nq(kindKey), nginxVar(p, h.v))
		for _, k := range h.kinds {
			fmt.Fprintf(b, "    %s %s;\n", nq(k+suffix), h.value)
		}
		b.WriteString("}\n")
	}
	if p.AllowPrivateNetwork {
		// Only to a preflight that asks (Private Network Access).
		fmt.Fprintf(b, "map \"%s|$http_access_control_request_private_network\" %s {\n    default \"\";\n    \"pf_ok|true\" true;\n}\n",
			nginxVar(p, "kind"), nginxVar(p, "acapn"))
	}
	noOrigin := "1"
	if p.WebSocketAllowNoOrigin {
		noOrigin = "0"
	}
	fmt.Fprintf(b, "# A WebSocket handshake it refuses.\nmap \"$cg_ws$cg_has_origin%s$cg_ws_same\" %s {\n    1100 1;\n    1000 %s;\n    1010 %s;\n    default 0;\n}\n",
		okVar, nginxVar(p, "wsrefuse"), noOrigin, noOrigin)
	if p.ProtectWrites {
		fmt.Fprintf(b, "# protect_writes: a cross-origin write from an origin not allowed.\nmap \"$cg_xwrite%s\" %s {\n    10 1;\n    default 0;\n}\n", okVar, nginxVar(p, "refuse"))
	}
	fmt.Fprintf(b, "map %s %s {\n    default %s;\n", nginxVar(p, "kind"), nginxVar(p, "vary"), nq(p.VaryActual))
	if p.VaryActual != "" {
		// Preflight answers carry no Vary (decision 1 of issue 8).
		for _, k := range []string{"pf_ok", "pf_denied", "pf_bad"} {
			fmt.Fprintf(b, "    %s \"\";\n", k)
		}
	}
	b.WriteString("}\n")
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}

// proxyPass returns the proxy_pass URL for location l towards upstream u:
// u's scheme and host, and u's path joined with l's, so that nginx
// replaces the matched part of the normalised URI (the whole of it) and
// sends that.
func proxyPass(u *url.URL, l Location) string {
	base := strings.TrimSuffix(u.EscapedPath(), "/")
	return u.Scheme + "://" + u.Host + base + l.Path
}

func nginxLocation(b *strings.Builder, pl *Plan, l Location) error {
	mod := ""
	if l.Exact {
		mod = "= "
	}
	fmt.Fprintf(b, "\n    location %s%s {\n", mod, l.Path)
	p := l.Policy
	upstream := pl.Upstream
	if p != nil {
		upstream = p.Upstream
		fmt.Fprintf(b, "        # policy %q\n", p.Name)
		fmt.Fprintf(b, "        if (%s = pf_ok) {\n            return %d%s;\n        }\n", nginxVar(p, "kind"), p.PreflightStatus, emptyBody(p.PreflightStatus))
		fmt.Fprintf(b, "        if (%s = pf_denied) {\n            return 403;\n        }\n", nginxVar(p, "kind"))
		if p.RefuseAuthorization || p.StrictPreflight {
			fmt.Fprintf(b, "        if (%s = pf_bad) {\n            return 403;\n        }\n", nginxVar(p, "kind"))
		}
		fmt.Fprintf(b, "        if (%s = 1) {\n            return 403;\n        }\n", nginxVar(p, "wsrefuse"))
		if p.ProtectWrites {
			fmt.Fprintf(b, "        if (%s = 1) {\n            return 403 \"403 Forbidden: a cross-origin write from an origin the policy does not allow\\n\";\n        }\n", nginxVar(p, "refuse"))
		}
		for _, h := range []struct{ name, v string }{
			{"Access-Control-Allow-Origin", "acao"},
			{"Access-Control-Allow-Credentials", "acac"},
			{"Access-Control-Allow-Methods", "acam"},
			{"Access-Control-Allow-Headers", "acah"},
			{"Access-Control-Max-Age", "acma"},
			{"Access-Control-Allow-Private-Network", "acapn"},
			{"Access-Control-Expose-Headers", "aceh"},
		} {
			switch {
			case h.v == "acac" && !p.Credentials, h.v == "acam" && p.AllowMethods == "",
				h.v == "acah" && p.AllowHeaders == "", h.v == "acma" && !p.HasMaxAge,
				h.v == "acapn" && !p.AllowPrivateNetwork, h.v == "aceh" && p.ExposeHeaders == "":
				continue
			}
			// An empty value adds no header.
			fmt.Fprintf(b, "        add_header %s %s always;\n", h.name, nginxVar(p, h.v))
		}
		fmt.Fprintf(b, "        add_header Vary %s always;\n", nginxVar(p, "vary"))
	} else {
		b.WriteString("        # no policy: no CORS headers, and preflights are refused\n")
		b.WriteString("        if ($cg_preflight = 1) {\n            return 403;\n        }\n")
		b.WriteString("        if ($cg_ws_nopolicy = 1) {\n            return 403;\n        }\n")
	}
	if p == nil || !p.KeepUpstreamCORS {
		for _, h := range corsResponseHeaders {
			fmt.Fprintf(b, "        proxy_hide_header %s;\n", h)
		}
	}
	if upstream == "" {
		b.WriteString("        # no upstream: crossgate proxy answers 404\n        return 404;\n    }\n")
		return nil
	}
	u, err := UpstreamURL(policyName(p), upstream)
	if err != nil {
		return err
	}
	b.WriteString("        proxy_http_version 1.1;\n        proxy_set_header Upgrade $http_upgrade;\n        proxy_set_header Connection $cg_connection;\n")
	if u.Scheme == "https" {
		b.WriteString("        proxy_ssl_server_name on;\n        proxy_ssl_verify on;\n" +
			"        proxy_ssl_trusted_certificate /etc/ssl/certs/ca-certificates.crt;\n")
	}
	fmt.Fprintf(b, "        proxy_pass %s;\n    }\n", proxyPass(u, l))
	return nil
}

func policyName(p *Policy) string {
	if p == nil {
		return ""
	}
	return p.Name
}

// emptyBody returns the text of a "return" with a status that has a body
// by default: nginx would otherwise send its own page for it.
func emptyBody(status int) string {
	if status == 204 {
		return ""
	}
	return ` ""`
}
