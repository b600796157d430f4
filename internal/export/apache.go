package export

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Apache httpd 2.4: a file for the server config context (an Include),
// with its Listen and VirtualHosts. Directives:
// https://httpd.apache.org/docs/2.4/mod/mod_rewrite.html,
// https://httpd.apache.org/docs/2.4/mod/mod_headers.html,
// https://httpd.apache.org/docs/2.4/mod/mod_setenvif.html,
// https://httpd.apache.org/docs/2.4/mod/mod_proxy.html.
var apacheTarget = &Target{
	Name:    "apache",
	Summary: "a file for Apache httpd 2.4's server config (an Include): Listen and VirtualHost blocks",
	Caps: func() Caps {
		c := ProxyCaps()
		c.PreflightStatus = Approx("a preflight_status other than 204 is answered by mod_rewrite's R=NNN, which sends Apache's error-page body with it")
		c.KeepUpstreamCORS = No("keep_upstream_cors is not rendered: mod_headers cannot make the policy's headers give way to the upstream's per response")
		c.ProtectWrites = Yes
		c.WebSocketNoOrigin = Yes
		return c
	}(),
	Render:        renderApache,
	Comment:       "# ",
	NeedsUpstream: true,
	CheckPlan:     checkApache,
}

func checkApache(pl *Plan) error {
	for _, p := range pl.Policies {
		for _, v := range []string{p.AllowMethods, p.AllowHeaders, p.ExposeHeaders} {
			if strings.ContainsAny(v, `%"\`) {
				return fmt.Errorf("policy %q: %q holds a character mod_headers reads as a format (%%) or quote", p.Name, v)
			}
		}
		for _, path := range p.Paths {
			if strings.Contains(path, "%") {
				return fmt.Errorf("policy %q: path %q is percent-encoded, and mod_rewrite matches the decoded path", p.Name, path)
			}
		}
	}
	return nil
}

// aq quotes s for Apache's configuration parser: double quotes, with " and
// \ before a quote escaped.
func aq(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

func renderApache(pl *Plan, w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, `# crossgate export --format apache, from %s.
#
# For Apache httpd 2.4's server config context: Include it from
# apache2.conf (Debian: /etc/apache2/conf-enabled/ or sites-enabled/). It
# needs the modules headers, rewrite, setenvif, proxy and proxy_http
# (Debian: a2enmod headers rewrite setenvif proxy proxy_http). Check it with
# "apache2ctl -t".
#
# How it keeps the policy's meaning, and the traps it avoids:
# - Everything is decided in the VirtualHost, by mod_rewrite, which runs
#   before the preflight is answered: SetEnvIf or Header inside <Location>
#   runs too late for a preflight answered by mod_rewrite, and several
#   <Location> sections that match one path add up their Header directives.
#   The location rules set CG_P to the policy of the request's path, the
#   first that matches, longest first, as crossgate picks the most
#   specific policy.
# - Origins are matched by anchored, case-sensitive regexes (^...$).
# - [NV] keeps mod_rewrite from adding the request headers it tests to
#   Vary; the origin is copied by SetEnvIf, not by %%{req:Origin}, which
#   would add Origin to Vary on every response.
# - "Header always set" writes the table of error responses (and of the
#   preflights mod_rewrite answers), "Header unset" the proxied response's
#   own: mod_proxy puts the upstream's headers in the onsuccess table, and
#   "always" does not replace them, so the upstream's
#   Access-Control-Allow-Origin is removed with "Header unset" (two values
#   make the browser fail).
# - Preflights are answered with R=204 (or R=403), never proxied; a plain
#   OPTIONS is proxied. %%{Origin}i in mod_headers is not the request header
#   (it is the idle percentage): the origin comes from %%{CG_ORIGIN}e.
# - Paths holding an encoded slash or backslash (%%2F, %%5C) are refused
#   with 400, as crossgate proxy refuses those that would change the policy.
# - mod_proxy forwards the normalised path (no dot segments), with reserved
#   characters decoded where a path may hold them (%%2B arrives as +);
#   crossgate proxy keeps their encoding.
`, pl.File)
	listen := pl.Listen
	if pl.ListenHost == "" {
		listen = pl.ListenPort
	}
	fmt.Fprintf(&b, "\nListen %s\n", listen)
	vhostAddr := pl.Listen
	if pl.ListenHost == "" {
		vhostAddr = "*:" + pl.ListenPort
	}
	servers := pl.Servers()
	// The first VirtualHost of an address is the one that answers hosts no
	// other names, so the default server comes first; then exact names
	// before wildcards (httpd takes the first VirtualHost whose ServerName
	// or ServerAlias matches, in the order of the file).
	ordered := append([]Server{servers[len(servers)-1]}, servers[:len(servers)-1]...)
	for i, s := range ordered {
		fmt.Fprintf(&b, "\n<VirtualHost %s>\n", vhostAddr)
		switch {
		case s.Default():
			b.WriteString("    # Hosts that no other VirtualHost names.\n    ServerName crossgate-default.invalid\n")
		case s.Wildcard():
			fmt.Fprintf(&b, "    ServerName crossgate-%d.invalid\n    ServerAlias %s\n", i, s.Hosts[0])
		default:
			fmt.Fprintf(&b, "    ServerName %s\n", s.Hosts[0])
			if len(s.Hosts) > 1 {
				fmt.Fprintf(&b, "    ServerAlias %s\n", strings.Join(s.Hosts[1:], " "))
			}
		}
		if err := apacheServer(&b, pl, s); err != nil {
			return err
		}
		b.WriteString("</VirtualHost>\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func apacheServer(b *strings.Builder, pl *Plan, s Server) error {
	var policies []*Policy
	for _, l := range s.Locations {
		if l.Policy != nil && !containsPolicy(policies, l.Policy) {
			policies = append(policies, l.Policy)
		}
	}
	b.WriteString(`    AllowEncodedSlashes NoDecode
    SetEnvIf Origin "^(.+)$" CG_ORIGIN=$1
    RewriteEngine On
    RewriteCond %{THE_REQUEST} "%2[fF]|%5[cC]"
    RewriteRule ^ - [R=400,L]

    # The policy of the path: CG_P, the first location that matches.
`)
	for _, l := range s.Locations {
		val := "none"
		if l.Policy != nil {
			val = strconv.Itoa(l.Policy.Index)
		}
		re := "^" + QuoteMeta(l.Path, PCRE)
		if l.Exact {
			re += "$"
		}
		comment := "no policy"
		if l.Policy != nil {
			comment = fmt.Sprintf("policy %q", l.Policy.Name)
		}
		fmt.Fprintf(b, "    RewriteCond %%{ENV:CG_P} ^$\n    RewriteRule %s - [E=CG_P:%s] # %s\n", aq(re), val, comment)
	}
	b.WriteString(`
    # A CORS preflight: OPTIONS with Origin and Access-Control-Request-Method
    # (https://fetch.spec.whatwg.org/#cors-preflight-request).
    RewriteCond %{REQUEST_METHOD} =OPTIONS
    RewriteCond %{HTTP:Origin} . [NV]
    RewriteCond %{HTTP:Access-Control-Request-Method} . [NV]
    RewriteRule ^ - [E=CG_PF:1]
    RewriteCond %{HTTP:Origin} . [NV]
    RewriteRule ^ - [E=CG_HAS_ORIGIN:1]
`)
	for _, p := range policies {
		i := strconv.Itoa(p.Index)
		fmt.Fprintf(b, "\n    # Policy %q (policies[%d]).\n", p.Name, p.Index)
		cond := "    RewriteCond %{ENV:CG_P} =" + i + "\n"
		if p.AnyOrigin {
			fmt.Fprintf(b, "%s    RewriteRule ^ - [E=CG_OK:1]\n", cond)
		} else {
			fmt.Fprintf(b, "%s    RewriteCond %%{HTTP:Origin} %s [NV]\n    RewriteRule ^ - [E=CG_OK:1]\n", cond, aq(p.OriginsRegex(PCRE)))
		}
		// Actual requests, allowed or not, and requests without Origin.
		fmt.Fprintf(b, "%s    RewriteCond %%{ENV:CG_PF} !=1\n    RewriteCond %%{ENV:CG_OK} =1\n    RewriteCond %%{ENV:CG_HAS_ORIGIN} =1\n    RewriteRule ^ - [E=CG_ALLOW_%s:1,E=CG_EXPOSE_%s:1,E=CG_VARY_%s:1]\n", cond, i, i, i)
		fmt.Fprintf(b, "%s    RewriteCond %%{ENV:CG_PF} !=1\n    RewriteCond %%{ENV:CG_OK} !=1\n    RewriteRule ^ - [E=CG_VARY_%s:1]\n", cond, i)
		if p.AnyOrigin {
			// With "*", a request without Origin gets the same headers.
			fmt.Fprintf(b, "%s    RewriteCond %%{ENV:CG_HAS_ORIGIN} !=1\n    RewriteRule ^ - [E=CG_ALLOW_%s:1,E=CG_EXPOSE_%s:1]\n", cond, i, i)
		} else {
			fmt.Fprintf(b, "%s    RewriteCond %%{ENV:CG_HAS_ORIGIN} !=1\n    RewriteRule ^ - [E=CG_VARY_%s:1]\n", cond, i)
		}
		// A WebSocket handshake from an origin the policy does not allow
		// (nor the Host's own, any case), or without Origin unless
		// websocket_allow_no_origin.
		ws := "    RewriteCond %{HTTP:Upgrade} websocket [NC,NV]\n    RewriteCond %{HTTP:Connection} upgrade [NC,NV]\n"
		refuseWS := fmt.Sprintf("    RewriteRule ^ - [E=CG_VARY_%s:1,R=403,L]\n", i)
		fmt.Fprintf(b, "    # A WebSocket handshake it refuses.\n%s%s    RewriteCond %%{ENV:CG_OK} !=1\n    RewriteCond %%{HTTP:Origin} . [NV]\n    RewriteCond \"%%{HTTP:Origin}|%%{HTTP_HOST}\" \"!^[^:/|]+://([^/|]+)\\|\\1$\" [NC,NV]\n%s", cond, ws, refuseWS)
		if !p.WebSocketAllowNoOrigin {
			fmt.Fprintf(b, "%s%s    RewriteCond %%{HTTP:Origin} ^$ [NV]\n%s", cond, ws, refuseWS)
		}
		if p.ProtectWrites {
			// A write (not GET, HEAD, OPTIONS) is cross-origin when
			// Sec-Fetch-Site says so, or, without it, when the Origin's
			// host is not the Host (net/http.CrossOriginProtection).
			refuseWrite := fmt.Sprintf("    RewriteRule ^ - [E=CG_VARY_%s:1,R=403,L]\n", i)
			fmt.Fprintf(b, "    # protect_writes: a cross-origin write from an origin not allowed.\n%s    RewriteCond %%{REQUEST_METHOD} !^(GET|HEAD|OPTIONS)$\n    RewriteCond %%{ENV:CG_OK} !=1\n    RewriteCond %%{HTTP:Sec-Fetch-Site} . [NV]\n    RewriteCond %%{HTTP:Sec-Fetch-Site} !^(same-origin|none)$ [NV]\n%s", cond, refuseWrite)
			fmt.Fprintf(b, "%s    RewriteCond %%{REQUEST_METHOD} !^(GET|HEAD|OPTIONS)$\n    RewriteCond %%{ENV:CG_OK} !=1\n    RewriteCond %%{HTTP:Sec-Fetch-Site} ^$ [NV]\n    RewriteCond %%{HTTP:Origin} . [NV]\n    RewriteCond \"%%{HTTP:Origin}|%%{HTTP_HOST}\" \"!^[^:/|]+://([^/|]+)\\|\\1$\" [NV]\n%s", cond, refuseWrite)
		}
		// Preflights: answered here, never proxied.
		if p.AllowPrivateNetwork {
			fmt.Fprintf(b, "%s    RewriteCond %%{ENV:CG_PF} =1\n    RewriteCond %%{ENV:CG_OK} =1\n    RewriteCond %%{HTTP:Access-Control-Request-Private-Network} =true [NV]\n    RewriteRule ^ - [E=CG_PNA_%s:1]\n", cond, i)
		}
		refuse := fmt.Sprintf("    RewriteRule ^ - [E=CG_ALLOW_%s:1,E=CG_VARYPF_%s:1,R=403,L]\n", i, i)
		if p.RefuseAuthorization {
			fmt.Fprintf(b, "    # allow_headers \"*\" never covers Authorization.\n%s    RewriteCond %%{ENV:CG_PF} =1\n    RewriteCond %%{ENV:CG_OK} =1\n    RewriteCond %%{HTTP:Access-Control-Request-Headers} %s [NC,NV]\n%s",
				cond, aq(strings.TrimPrefix(AuthorizationRegex, "(?i)")), refuse)
		}
		if p.StrictPreflight {
			fmt.Fprintf(b, "    # A malformed method or header list is refused, as crossgate refuses it.\n%s    RewriteCond %%{ENV:CG_PF} =1\n    RewriteCond %%{ENV:CG_OK} =1\n    RewriteCond %%{HTTP:Access-Control-Request-Method} %s [NV,OR]\n    RewriteCond %%{HTTP:Access-Control-Request-Headers} %s [NV]\n%s",
				cond, aq("!"+MethodSyntaxRegex), aq("!"+HeadersSyntaxRegex), refuse)
		}
		fmt.Fprintf(b, "%s    RewriteCond %%{ENV:CG_PF} =1\n    RewriteCond %%{ENV:CG_OK} =1\n    RewriteRule ^ - [E=CG_ALLOW_%s:1,E=CG_PFOK_%s:1,E=CG_VARYPF_%s:1,R=%d,L]\n", cond, i, i, i, p.PreflightStatus)
		fmt.Fprintf(b, "%s    RewriteCond %%{ENV:CG_PF} =1\n    RewriteRule ^ - [E=CG_VARYPF_%s:1,R=403,L]\n", cond, i)
	}
	b.WriteString("\n    # No policy: preflights are refused, with no CORS header.\n")
	b.WriteString("    RewriteCond %{ENV:CG_P} =none\n    RewriteCond %{ENV:CG_PF} =1\n    RewriteRule ^ - [R=403,L]\n")
	b.WriteString("    # No policy: only the Host's own origin may open a WebSocket.\n")
	b.WriteString("    RewriteCond %{ENV:CG_P} =none\n    RewriteCond %{HTTP:Upgrade} websocket [NC,NV]\n    RewriteCond %{HTTP:Connection} upgrade [NC,NV]\n    RewriteCond \"%{HTTP:Origin}|%{HTTP_HOST}\" \"!^[^:/|]+://([^/|]+)\\|\\1$\" [NC,NV]\n    RewriteRule ^ - [R=403,L]\n")
	for _, l := range s.Locations {
		up := pl.Upstream
		if l.Policy != nil {
			up = l.Policy.Upstream
		}
		if up == "" {
			re := "^" + QuoteMeta(l.Path, PCRE)
			if l.Exact {
				re += "$"
			}
			fmt.Fprintf(b, "    # No upstream: crossgate proxy answers 404.\n    RewriteCond %%{ENV:CG_P} =%s\n    RewriteRule %s - [R=404,L]\n", apacheLocVal(l), aq(re))
		}
	}

	b.WriteString("\n    # The upstream's own CORS headers go (onsuccess table); ours are set in\n    # the always table, on every status.\n")
	for _, h := range corsResponseHeaders {
		fmt.Fprintf(b, "    Header unset %s\n", h)
	}
	for _, p := range policies {
		i := strconv.Itoa(p.Index)
		fmt.Fprintf(b, "    # Policy %q.\n", p.Name)
		if p.AnyOrigin {
			fmt.Fprintf(b, "    Header always set Access-Control-Allow-Origin \"*\" env=CG_ALLOW_%s\n", i)
		} else {
			fmt.Fprintf(b, "    Header always set Access-Control-Allow-Origin \"%%{CG_ORIGIN}e\" env=CG_ALLOW_%s\n", i)
		}
		if p.Credentials {
			fmt.Fprintf(b, "    Header always set Access-Control-Allow-Credentials \"true\" env=CG_ALLOW_%s\n", i)
		}
		if p.AllowMethods != "" {
			fmt.Fprintf(b, "    Header always set Access-Control-Allow-Methods %s env=CG_PFOK_%s\n", aq(p.AllowMethods), i)
		}
		if p.AllowHeaders != "" {
			fmt.Fprintf(b, "    Header always set Access-Control-Allow-Headers %s env=CG_PFOK_%s\n", aq(p.AllowHeaders), i)
		}
		if p.HasMaxAge {
			fmt.Fprintf(b, "    Header always set Access-Control-Max-Age %s env=CG_PFOK_%s\n", aq(p.MaxAge), i)
		}
		if p.AllowPrivateNetwork {
			fmt.Fprintf(b, "    Header always set Access-Control-Allow-Private-Network \"true\" env=CG_PNA_%s\n", i)
		}
		if p.ExposeHeaders != "" {
			fmt.Fprintf(b, "    Header always set Access-Control-Expose-Headers %s env=CG_EXPOSE_%s\n", aq(p.ExposeHeaders), i)
		}
		if p.VaryActual != "" {
			fmt.Fprintf(b, "    Header always merge Vary %s env=CG_VARY_%s\n", aq(p.VaryActual), i)
		}
	}

	b.WriteString("\n    # Longest first: ProxyPass takes the first rule that matches.\n")
	for _, l := range s.Locations {
		up := pl.Upstream
		if l.Policy != nil {
			up = l.Policy.Upstream
		}
		if up == "" {
			continue
		}
		u, err := UpstreamURL(policyName(l.Policy), up)
		if err != nil {
			return err
		}
		target := proxyPass(u, l)
		if l.Exact {
			// A target without a backreference gets the request's path
			// appended by mod_proxy: capture the path instead.
			base := strings.TrimSuffix(target, l.Path)
			fmt.Fprintf(b, "    ProxyPassMatch %s %s upgrade=websocket\n", aq("^("+QuoteMeta(l.Path, PCRE)+")$"), aq(base+"$1"))
		} else {
			fmt.Fprintf(b, "    ProxyPass %s %s upgrade=websocket\n", aq(l.Path), aq(target))
		}
	}
	if anyHTTPS(pl) {
		b.WriteString("    SSLProxyEngine On\n")
	}
	return nil
}

func apacheLocVal(l Location) string {
	if l.Policy == nil {
		return "none"
	}
	return strconv.Itoa(l.Policy.Index)
}

func containsPolicy(ps []*Policy, p *Policy) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

func anyHTTPS(pl *Plan) bool {
	for _, u := range pl.Upstreams() {
		if strings.HasPrefix(u, "https://") {
			return true
		}
	}
	return false
}
