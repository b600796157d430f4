package policyfile

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// LoopsBack reports whether a gateway listening on listen (host:port)
// would reach itself by forwarding to upstream (an http or https URL): the
// ports are the same (the scheme's default when the URL has none), and
// the hosts are the same name, or loopback addresses the listener is on.
// "localhost" (and names under .localhost, RFC 6761 §6.3) is 127.0.0.1 and
// ::1; a listener on 0.0.0.0, :: or no host is on every loopback address;
// an upstream of 0.0.0.0 or :: is dialled on loopback. The echo upstream
// never loops.
func LoopsBack(listen, upstream string) bool {
	if upstream == EchoUpstream {
		return false
	}
	lh, lp, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	u, err := url.Parse(upstream)
	if err != nil || u.Host == "" {
		return false
	}
	uh, up := u.Hostname(), u.Port()
	if up == "" {
		up = "80"
		if u.Scheme == "https" {
			up = "443"
		}
	}
	ln, err1 := strconv.ParseUint(lp, 10, 16)
	un, err2 := strconv.ParseUint(up, 10, 16)
	if err1 != nil || err2 != nil || ln != un || ln == 0 {
		return false
	}
	lh, uh = strings.ToLower(strings.TrimSuffix(lh, ".")), strings.ToLower(strings.TrimSuffix(uh, "."))
	if lh == uh {
		return true
	}
	ups := loopbacks(uh, true)
	if len(ups) == 0 {
		return false // a name or an address elsewhere: the same only if written the same
	}
	if lh == "" || isUnspecified(lh) {
		return true // listening on every address, loopback included
	}
	for _, a := range loopbacks(lh, false) {
		for _, b := range ups {
			if a == b {
				return true
			}
		}
	}
	return false
}

var loopback4, loopback6 = netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()

// loopbacks returns the loopback addresses host stands for: localhost
// names, loopback IP addresses and, for an upstream (dialled),
// unspecified ones.
func loopbacks(host string, dialled bool) []netip.Addr {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return []netip.Addr{loopback4, loopback6}
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return nil
	}
	a = a.Unmap()
	switch {
	case a.IsLoopback():
		return []netip.Addr{a}
	case dialled && a.IsUnspecified():
		// Linux and the BSDs connect to the unspecified address on
		// loopback.
		return []netip.Addr{loopback4, loopback6}
	}
	return nil
}

func isUnspecified(host string) bool {
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsUnspecified()
}

// CheckLoops returns an error diagnostic for each upstream of f (the
// proxy section's and the policies' own) that is the file's own
// proxy.listen, for lint: the gateway's --listen and --upstream flags can
// differ from the file, so it checks again at start (see LoopsBack).
func (f *File) CheckLoops() []Diagnostic {
	listen := f.Proxy.Listen
	if listen == "" {
		return nil
	}
	var diags []Diagnostic
	msg := func(up string) string {
		return fmt.Sprintf("upstream %q is the gateway's own listener %s (proxy.listen): every request would come back to the gateway, without end", up, listen)
	}
	if LoopsBack(listen, f.Proxy.Upstream) {
		diags = append(diags, Diagnostic{Pos: f.Proxy.UpstreamPos, Path: "proxy.upstream", Message: msg(f.Proxy.Upstream)})
	}
	for i, p := range f.Policies {
		if p.Upstream != "" && LoopsBack(listen, p.Upstream) {
			diags = append(diags, Diagnostic{Pos: p.Pos, Path: fmt.Sprintf("policies[%d].upstream", i), Message: msg(p.Upstream)})
		}
	}
	return diags
}
