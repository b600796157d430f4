package export

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// HAProxy 2.6 (Debian 12): a whole haproxy.cfg. Directives:
// https://docs.haproxy.org/2.6/configuration.html (http-request,
// http-response, http-after-response, normalize-uri, fetches var, req.fhdr,
// req.fhdr_cnt, res.fhdr_cnt).
var haproxyTarget = &Target{
	Name:    "haproxy",
	Summary: "a whole haproxy.cfg for HAProxy 2.6+, run as it is with haproxy -db -f FILE",
	Caps: func() Caps {
		c := ProxyCaps()
		c.ProtectWrites = Yes
		c.WebSocketNoOrigin = Yes
		return c
	}(),
	Render:        renderHAProxy,
	Comment:       "# ",
	NeedsUpstream: true,
	CheckPlan: func(pl *Plan) error {
		for _, p := range pl.Policies {
			for _, v := range append([]string{p.AllowMethods, p.AllowHeaders, p.ExposeHeaders}, p.Origins...) {
				if strings.ContainsAny(v, `'"\`) {
					return fmt.Errorf("policy %q: %q holds a quote or backslash, which haproxy.cfg would read as quoting", p.Name, v)
				}
			}
		}
		return nil
	},
}

// hq quotes s as an HAProxy log-format string in double quotes: "%" is
// doubled ("%%" is a literal percent sign in log-format), and the quote and
// backslash characters are refused by CheckPlan.
func hq(s string) string { return `"` + strings.ReplaceAll(s, "%", "%%") + `"` }

func renderHAProxy(pl *Plan, w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, `# crossgate export --format haproxy, from %s.
#
# A whole haproxy.cfg for HAProxy 2.6 or later. It runs as it is with
# "haproxy -db -f FILE" (no daemon, chroot, user switch or stats socket);
# check it with "haproxy -c -f FILE".
#
# How it keeps the policy's meaning, and the traps it avoids:
# - The path is normalised (normalize-uri: dot segments, repeated slashes,
#   percent-encodings) before any policy is chosen, and the normalised path
#   is the one forwarded, so /v1/../admin cannot borrow /v1/'s policy.
#   normalize-uri is experimental in 2.6, hence expose-experimental-directives.
#   Paths with an encoded slash or backslash (%%2F, %%5C) are refused (400),
#   as crossgate proxy refuses those that would change the policy.
# - Everything the response rules need is copied into txn.* variables by
#   http-request rules: http-response and http-after-response rules cannot
#   see request fetches (path, method, headers).
# - Two ACL lines with one name are ORed; "acl x a or b" would be one ACL
#   with the patterns "a", "or" and "b". The conditions here are written
#   out instead.
# - req.fhdr() (not req.hdr(), which splits on commas) reads the whole
#   Origin, and an Origin sent twice is refused, as crossgate does.
# - Preflights are answered by "http-request return" (or denied with 403),
#   never forwarded; a plain OPTIONS is. http-response rules do not run on
#   HAProxy's own responses (return, deny, the 503 of a server that is
#   down): the CORS headers are set by http-after-response, which does,
#   with set-header (add-header would duplicate them).
# - The upstream's Access-Control-* headers are deleted by http-response.
# - Origins are matched by anchored regexes (-m reg '^...$'), in single
#   quotes so that the configuration parser leaves their backslashes alone.
`, pl.File)
	b.WriteString(`
global
    expose-experimental-directives

defaults
    mode http
    # No retry, as crossgate proxy: a refused connection gets a 503 at once
    # (HAProxy waits a second before each of its 3 default retries).
    retries 0
    timeout connect 30s
    timeout client 2m
    timeout server 30s
    timeout http-request 10s
    timeout http-keep-alive 2m

frontend crossgate
`)
	fmt.Fprintf(&b, "    bind %s\n", pl.Listen)
	b.WriteString(`
    # Paths and hosts as crossgate matches them.
    http-request deny deny_status 400 if { path -m sub -i %2f %5c }
    http-request normalize-uri path-strip-dotdot
    http-request normalize-uri path-strip-dot
    http-request normalize-uri path-merge-slashes
    http-request normalize-uri percent-decode-unreserved
    http-request normalize-uri percent-to-uppercase
    http-request set-var(txn.host) req.hdr(host),lower,regsub(:[0-9]+$,),regsub([.]$,)
    http-request set-var(txn.origin) req.fhdr(origin)

    # The policy of the request: the first rule that matches sets txn.pol,
    # exact hosts first, then subdomain patterns (the longest first), then
    # any host; within each, the longest path first.
`)
	servers := pl.Servers()
	for _, s := range servers {
		hostCond := ""
		switch {
		case s.Default():
		case s.Wildcard():
			hostCond = fmt.Sprintf(" { var(txn.host) -m end %s }", s.Hosts[0][1:])
		default:
			hostCond = fmt.Sprintf(" { var(txn.host) -m str %s }", strings.Join(s.Hosts, " "))
		}
		for _, l := range s.Locations {
			pathCond := ""
			switch {
			case l.Exact:
				pathCond = fmt.Sprintf(" { path -m str %s }", l.Path)
			case l.Path != "/":
				pathCond = fmt.Sprintf(" { path -m beg %s }", l.Path)
			}
			val, comment := "none", "no policy"
			if l.Policy != nil {
				val, comment = "p"+strconv.Itoa(l.Policy.Index), fmt.Sprintf("policy %q", l.Policy.Name)
			}
			fmt.Fprintf(&b, "    http-request set-var(txn.pol) str(%s) if !{ var(txn.pol) -m found }%s%s # %s\n", val, hostCond, pathCond, comment)
		}
	}

	b.WriteString(`
    # Whether the policy allows the origin (txn.ok).
`)
	for _, p := range pl.Policies {
		pol := fmt.Sprintf("{ var(txn.pol) -m str p%d }", p.Index)
		if p.AnyOrigin {
			fmt.Fprintf(&b, "    http-request set-var(txn.ok) bool(1) if %s # %q: \"*\"\n", pol, p.Name)
		} else {
			fmt.Fprintf(&b, "    http-request set-var(txn.ok) bool(1) if %s { req.fhdr_cnt(origin) eq 1 } { var(txn.origin) -m reg '%s' } # %q\n",
				pol, p.OriginsRegex(PCRE), p.Name)
		}
		if p.KeepUpstreamCORS {
			fmt.Fprintf(&b, "    http-request set-var(txn.keep) bool(1) if %s\n", pol)
		}
	}
	b.WriteString(`
    # The kind of request (txn.kind): noorigin, denied, ok, pf_denied,
    # pf_bad, pf_ok. A CORS preflight is OPTIONS with Origin and
    # Access-Control-Request-Method (https://fetch.spec.whatwg.org/#cors-preflight-request).
    acl cg_has_origin req.fhdr_cnt(origin) gt 0
    acl cg_pf method OPTIONS
    acl cg_acrm req.fhdr_cnt(access-control-request-method) gt 0
    acl cg_ok var(txn.ok) -m bool
    http-request set-var(txn.kind) str(noorigin) if !cg_has_origin
    http-request set-var(txn.kind) str(denied) if cg_has_origin !cg_ok
    http-request set-var(txn.kind) str(ok) if cg_has_origin cg_ok
    http-request set-var(txn.kind) str(pf_denied) if cg_pf cg_has_origin cg_acrm !cg_ok
    http-request set-var(txn.kind) str(pf_ok) if cg_pf cg_has_origin cg_acrm cg_ok
`)
	for _, p := range pl.Policies {
		pol := fmt.Sprintf("{ var(txn.pol) -m str p%d } { var(txn.kind) -m str pf_ok }", p.Index)
		if p.RefuseAuthorization {
			fmt.Fprintf(&b, "    # %q: allow_headers \"*\" never covers Authorization.\n", p.Name)
			fmt.Fprintf(&b, "    http-request set-var(txn.kind) str(pf_bad) if %s { req.fhdr(access-control-request-headers) -m reg -i '%s' }\n",
				pol, strings.TrimPrefix(AuthorizationRegex, "(?i)"))
		}
		if p.StrictPreflight {
			fmt.Fprintf(&b, "    # %q: a malformed method or header list is refused, as crossgate refuses it.\n", p.Name)
			fmt.Fprintf(&b, "    http-request set-var(txn.kind) str(pf_bad) if %s !{ req.fhdr(access-control-request-method) -m reg '%s' }\n", pol, MethodSyntaxRegex)
			fmt.Fprintf(&b, "    http-request set-var(txn.kind) str(pf_bad) if %s { req.fhdr_cnt(access-control-request-headers) gt 0 } !{ req.fhdr(access-control-request-headers) -m reg '%s' }\n", pol, HeadersSyntaxRegex)
		}
	}
	b.WriteString(`
    # WebSocket handshakes (RFC 6455 §4.1), which CORS does not cover: refused
    # from an origin the policy does not allow, unless the Origin is the
    # Host's own (same host and port, any case), and without Origin unless
    # websocket_allow_no_origin, as crossgate proxy refuses them.
    acl cg_ws req.fhdr(upgrade) -m reg -i websocket
    acl cg_ws_conn req.fhdr(connection) -m reg -i upgrade
    http-request set-var(txn.ohostl) req.fhdr(origin),regsub(^[^:/]*://,),lower if cg_has_origin
    http-request set-var(txn.rhostl) req.fhdr(host),lower
    acl cg_ws_same var(txn.ohostl),strcmp(txn.rhostl) eq 0
    http-request deny deny_status 403 if { var(txn.pol) -m str none } cg_ws cg_ws_conn !cg_ws_same
`)
	for _, p := range pl.Policies {
		pol := fmt.Sprintf("{ var(txn.pol) -m str p%d }", p.Index)
		fmt.Fprintf(&b, "    http-request deny deny_status 403 if %s cg_ws cg_ws_conn cg_has_origin !cg_ok !cg_ws_same # %q\n", pol, p.Name)
		if !p.WebSocketAllowNoOrigin {
			fmt.Fprintf(&b, "    http-request deny deny_status 403 if %s cg_ws cg_ws_conn !cg_has_origin # %q\n", pol, p.Name)
		}
	}
	if anyPolicy(pl, func(p *Policy) bool { return p.ProtectWrites }) {
		b.WriteString(`
    # protect_writes: a write (not GET, HEAD, OPTIONS) is cross-origin when
    # Sec-Fetch-Site says so (anything but same-origin or none), or, without
    # it, when the Origin's host is not the Host, as
    # net/http.CrossOriginProtection decides.
    http-request set-var(txn.ohost) req.fhdr(origin),regsub(^[^:/]*://,) if cg_has_origin
    http-request set-var(txn.rhost) req.fhdr(host)
    acl cg_safe method GET HEAD OPTIONS
    acl cg_sfs req.fhdr_cnt(sec-fetch-site) gt 0
    acl cg_sfs_same req.fhdr(sec-fetch-site) -m str same-origin none
    acl cg_origin_is_host var(txn.ohost),strcmp(txn.rhost) eq 0
`)
		for _, p := range pl.Policies {
			if !p.ProtectWrites {
				continue
			}
			pol := fmt.Sprintf("{ var(txn.pol) -m str p%d }", p.Index)
			fmt.Fprintf(&b, "    http-request deny deny_status 403 if %s !cg_safe !cg_ok cg_sfs !cg_sfs_same # %q\n", pol, p.Name)
			fmt.Fprintf(&b, "    http-request deny deny_status 403 if %s !cg_safe !cg_ok !cg_sfs cg_has_origin !cg_origin_is_host # %q\n", pol, p.Name)
		}
	}
	b.WriteString("\n    # Preflights are answered here, never forwarded.\n")
	for _, p := range pl.Policies {
		fmt.Fprintf(&b, "    http-request return status %d if { var(txn.pol) -m str p%d } { var(txn.kind) -m str pf_ok } # %q\n", p.PreflightStatus, p.Index, p.Name)
	}
	b.WriteString("    http-request deny deny_status 403 if { var(txn.kind) -m beg pf_ }\n")

	// Backends: one per upstream, chosen by txn.be.
	ups := pl.Upstreams()
	beName := func(up string) string {
		for i, u := range ups {
			if u == up {
				return "cg_up" + strconv.Itoa(i)
			}
		}
		return "cg_none"
	}
	b.WriteString("\n")
	for _, p := range pl.Policies {
		if p.OwnUpstream {
			fmt.Fprintf(&b, "    use_backend %s if { var(txn.pol) -m str p%d }\n", beName(p.Upstream), p.Index)
		}
	}
	fmt.Fprintf(&b, "    default_backend %s\n", beName(pl.Upstream))

	b.WriteString(`
    # The upstream's own CORS headers go (keep_upstream_cors keeps them, and
    # then the policy's give way).
`)
	for _, h := range corsResponseHeaders {
		fmt.Fprintf(&b, "    http-response set-var(txn.upcors) bool(1) if { var(txn.keep) -m bool } { res.fhdr_cnt(%s) gt 0 }\n", strings.ToLower(h))
	}
	for _, h := range corsResponseHeaders {
		fmt.Fprintf(&b, "    http-response del-header %s unless { var(txn.keep) -m bool }\n", h)
	}

	b.WriteString(`
    # The policy's headers, on every response: the upstream's, its errors,
    # the preflights answered above and HAProxy's own errors.
`)
	for _, p := range pl.Policies {
		pol := fmt.Sprintf("{ var(txn.pol) -m str p%d } !{ var(txn.upcors) -m bool }", p.Index)
		fmt.Fprintf(&b, "    # Policy %q (policies[%d]).\n", p.Name, p.Index)
		allowed := "{ var(txn.kind) -m str ok pf_ok pf_bad }"
		expose := "{ var(txn.kind) -m str ok }"
		acao := `"%[var(txn.origin)]"`
		if p.AnyOrigin {
			allowed = "{ var(txn.kind) -m str ok pf_ok pf_bad noorigin }"
			expose = "{ var(txn.kind) -m str ok noorigin }"
			acao = `"*"`
		}
		pfok := "{ var(txn.kind) -m str pf_ok }"
		fmt.Fprintf(&b, "    http-after-response set-header Access-Control-Allow-Origin %s if %s %s\n", acao, pol, allowed)
		if p.Credentials {
			fmt.Fprintf(&b, "    http-after-response set-header Access-Control-Allow-Credentials \"true\" if %s %s\n", pol, "{ var(txn.kind) -m str ok pf_ok pf_bad }")
		}
		if p.AllowMethods != "" {
			fmt.Fprintf(&b, "    http-after-response set-header Access-Control-Allow-Methods %s if %s %s\n", hq(p.AllowMethods), pol, pfok)
		}
		if p.AllowHeaders != "" {
			fmt.Fprintf(&b, "    http-after-response set-header Access-Control-Allow-Headers %s if %s %s\n", hq(p.AllowHeaders), pol, pfok)
		}
		if p.HasMaxAge {
			fmt.Fprintf(&b, "    http-after-response set-header Access-Control-Max-Age %s if %s %s\n", hq(p.MaxAge), pol, pfok)
		}
		if p.AllowPrivateNetwork {
			fmt.Fprintf(&b, "    http-after-response set-header Access-Control-Allow-Private-Network \"true\" if %s %s { var(txn.pna) -m str true }\n", pol, pfok)
		}
		if p.ExposeHeaders != "" {
			fmt.Fprintf(&b, "    http-after-response set-header Access-Control-Expose-Headers %s if %s %s\n", hq(p.ExposeHeaders), pol, expose)
		}
		polVary := fmt.Sprintf("{ var(txn.pol) -m str p%d }", p.Index)
		if p.VaryActual != "" {
			fmt.Fprintf(&b, "    http-after-response add-header Vary %s if %s { var(txn.kind) -m str noorigin denied ok }\n", hq(p.VaryActual), polVary)
		}
	}
	if anyPolicy(pl, func(p *Policy) bool { return p.AllowPrivateNetwork }) {
		// Read in the request phase, for the response rules.
		s := b.String()
		i := strings.Index(s, "    # The kind of request")
		s = s[:i] + "    http-request set-var(txn.pna) req.fhdr(access-control-request-private-network)\n\n" + s[i:]
		b.Reset()
		b.WriteString(s)
	}

	for i, up := range ups {
		u, err := UpstreamURL("", up)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "\nbackend cg_up%d\n", i)
		fmt.Fprintf(&b, "    # %s\n", up)
		b.WriteString("    http-reuse safe\n")
		fmt.Fprintf(&b, "    http-request set-header Host %s\n", u.Host)
		if base := strings.TrimSuffix(u.EscapedPath(), "/"); base != "" {
			fmt.Fprintf(&b, "    http-request set-path %s%%[path]\n", base)
		}
		port := u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		host := u.Hostname()
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		tls := ""
		if u.Scheme == "https" {
			tls = fmt.Sprintf(" ssl verify required ca-file /etc/ssl/certs/ca-certificates.crt sni str(%s)", u.Hostname())
		}
		fmt.Fprintf(&b, "    server s0 %s:%s%s\n", host, port, tls)
	}
	if pl.Upstream == "" {
		b.WriteString("\nbackend cg_none\n    # No default upstream: crossgate proxy answers 404.\n    http-request return status 404\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
