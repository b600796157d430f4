package policyfile

import (
	"cmp"
	"fmt"
	"net/http"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Match returns the policy for r, or nil if none applies (the response
// then gets no CORS headers). It is safe for concurrent use.
//
// A policy applies when one of its hosts and one of its paths match. Hosts
// are compared case-insensitively with r's host, its port and any trailing
// dot removed; "*.example.com" matches any subdomain of example.com, not
// example.com itself. Paths are prefixes that end on a segment boundary
// ("/api" matches "/api" and "/api/x", not "/apix"; "/api/" matches
// "/api/x", not "/api"), compared with r's path once normalised as RFC 3986
// §6.2.2 says: percent-encoded unreserved characters decoded, "." and ".."
// segments removed, and runs of slashes collapsed, so that "/api/../admin"
// is matched as "/admin".
//
// When several policies apply, the most specific wins: an exact host before
// a subdomain pattern (the longer first) before no host list, then the
// longest path. [Parse] refuses two policies that would tie.
func (f *File) Match(r *http.Request) *Policy {
	p, _, _ := f.Route(r) // an ambiguous path gets no policy
	return p
}

// route is one (host, path) pair of a policy.
type route struct {
	host string // "" for any host, or "*.example.com"
	path string // a path prefix; "/" for any path
	rp   *rawPolicy
	// node is the YAML node the pair comes from (the path's, else the
	// host's, else the policy's), and nodePath its key path.
	node     *yaml.Node
	nodePath string
}

// routes holds every route, grouped by kind of host, each group in the
// order in which routes are tried.
type routes struct {
	exact map[string][]*route // by host; longest path first
	wild  []*route            // longest host, then longest path, first
	any   []*route            // longest path first
}

func (rs *routes) match(host, p string) *route {
	if host != "" {
		if rt := firstPath(rs.exact[host], p); rt != nil {
			return rt
		}
		for _, rt := range rs.wild {
			suffix := rt.host[1:] // ".example.com"
			if len(host) > len(suffix) && strings.HasSuffix(host, suffix) && pathMatch(rt.path, p) {
				return rt
			}
		}
	}
	return firstPath(rs.any, p)
}

func firstPath(list []*route, p string) *route {
	for _, rt := range list {
		if pathMatch(rt.path, p) {
			return rt
		}
	}
	return nil
}

// pathMatch reports whether the path p is under prefix, on a segment
// boundary.
func pathMatch(prefix, p string) bool {
	if prefix == "/" {
		return true // every path, including the "*" of "OPTIONS *"
	}
	if !strings.HasPrefix(p, prefix) {
		return false
	}
	return len(p) == len(prefix) || prefix[len(prefix)-1] == '/' || p[len(prefix)] == '/'
}

// buildRoutes indexes the routes of every policy, and reports the pairs of
// policies that would tie for some request.
func (d *decoder) buildRoutes(policies []*rawPolicy) routes {
	rs := routes{exact: make(map[string][]*route)}
	seen := make(map[[2]string]*route)
	reported := make(map[[2]*rawPolicy]bool)
	for _, rp := range policies {
		if f := rp.fields["match"]; f != nil && f.bad {
			continue // its lists are incomplete: they would report false ties
		}
		hosts, paths := rp.hosts.values, rp.paths.values
		if len(hosts) == 0 {
			hosts = []string{""}
		}
		if len(paths) == 0 {
			paths = []string{"/"}
		}
		for hi, h := range hosts {
			for pi, p := range paths {
				rt := &route{host: h, path: p, rp: rp, node: rp.node, nodePath: rp.path}
				switch {
				case len(rp.paths.values) > 0:
					rt.node, rt.nodePath = rp.paths.elems[pi], rp.path+".match.paths["+strconv.Itoa(rp.paths.index[pi])+"]"
				case len(rp.hosts.values) > 0:
					rt.node, rt.nodePath = rp.hosts.elems[hi], rp.path+".match.hosts["+strconv.Itoa(rp.hosts.index[hi])+"]"
				}
				key := [2]string{h, p}
				if first, dup := seen[key]; dup {
					if pair := [2]*rawPolicy{first.rp, rp}; !reported[pair] {
						reported[pair] = true
						d.errorf(rt.node, rt.nodePath, "same match as policy %q (%s, line %d) for %s: neither is more specific, so make one so or merge them",
							first.rp.name, first.rp.path, first.rp.node.Line, describeRoute(h, p))
					}
					continue
				}
				seen[key] = rt
				switch {
				case h == "":
					rs.any = append(rs.any, rt)
				case strings.HasPrefix(h, "*."):
					rs.wild = append(rs.wild, rt)
				default:
					rs.exact[h] = append(rs.exact[h], rt)
				}
			}
		}
	}
	byPath := func(a, b *route) int { return cmp.Compare(len(b.path), len(a.path)) }
	slices.SortStableFunc(rs.any, byPath)
	for _, list := range rs.exact {
		slices.SortStableFunc(list, byPath)
	}
	slices.SortStableFunc(rs.wild, func(a, b *route) int {
		return cmp.Or(cmp.Compare(len(b.host), len(a.host)), byPath(a, b))
	})
	return rs
}

func describeRoute(host, p string) string {
	h := "any host"
	if host != "" {
		h = fmt.Sprintf("host %q", host)
	}
	if p == "/" {
		return h + " and any path"
	}
	return fmt.Sprintf("%s and path %q", h, p)
}

// requestHost returns r's host, lower-case, without port or trailing dot.
func requestHost(r *http.Request) string {
	h := r.Host
	if h == "" && r.URL != nil {
		h = r.URL.Host
	}
	if strings.HasPrefix(h, "[") {
		if i := strings.IndexByte(h, ']'); i >= 0 {
			h = h[:i+1]
		}
	} else if i := strings.LastIndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	h = strings.TrimSuffix(h, ".")
	return strings.ToLower(h) // no allocation when h is lower-case already
}

// normalizePath normalises an escaped URL path for matching (RFC 3986
// §6.2.2): percent-encodings of unreserved characters are decoded, the hex
// digits of the others upper-cased, and "." and ".." segments and empty
// segments removed. A trailing slash is kept. A path that is already
// normal is returned as is, without allocating.
func normalizePath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' || isNormal(p) {
		return p // "*" (OPTIONS *) or already normal
	}
	if strings.IndexByte(p, '%') >= 0 {
		p = decodeUnreserved(p)
	}
	c := path.Clean(p)
	if c != "/" && (strings.HasSuffix(p, "/") || strings.HasSuffix(p, "/.") || strings.HasSuffix(p, "/..")) {
		c += "/"
	}
	return c
}

// isNormal reports whether the path p needs no normalising: no escape,
// no empty segment and no dot segment.
func isNormal(p string) bool {
	if strings.IndexByte(p, '%') >= 0 || strings.Contains(p, "//") {
		return false
	}
	for seg := range strings.SplitSeq(p[1:], "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// decodeUnreserved decodes the percent-encoded unreserved characters of p
// (ALPHA, DIGIT, "-", ".", "_", "~": RFC 3986 §2.3) and upper-cases the hex
// digits of the other escapes. A "%" not followed by two hex digits is
// left as it is.
func decodeUnreserved(p string) string {
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c != '%' || i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
			b.WriteByte(c)
			continue
		}
		v := unhex(p[i+1])<<4 | unhex(p[i+2])
		if isUnreserved(v) {
			b.WriteByte(v)
		} else {
			b.WriteByte('%')
			b.WriteByte(upper(p[i+1]))
			b.WriteByte(upper(p[i+2]))
		}
		i += 2
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// checkPath returns why p cannot be a match path, or "" if it can.
func checkPath(p string) string {
	if !strings.HasPrefix(p, "/") {
		return fmt.Sprintf("path %q must start with %q", p, "/")
	}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c <= ' ' || c == 0x7f:
			return fmt.Sprintf("path %q holds a space or control character: percent-encode it", p)
		case c == '?' || c == '#':
			return fmt.Sprintf("path %q holds a query or fragment: paths are matched without them", p)
		}
	}
	if n := normalizePath(p); n != p {
		return fmt.Sprintf("path %q is not in normal form, so no request path would match it: write %q", p, n)
	}
	return ""
}

// checkHost returns why h cannot be a match host, or "" if it can.
func checkHost(h string) string {
	switch {
	case h == "":
		return "empty host"
	case strings.Contains(h, "://"):
		return fmt.Sprintf("host %q is a URL: write the host name alone", h)
	case strings.ContainsAny(h, "/?#"):
		return fmt.Sprintf("host %q has a path: paths go in match.paths", h)
	case strings.ToLower(h) != h:
		return fmt.Sprintf("host %q has upper-case letters: write %q", h, strings.ToLower(h))
	case strings.HasPrefix(h, "["):
		a, err := netip.ParseAddr(strings.TrimSuffix(h[1:], "]"))
		if err != nil || !strings.HasSuffix(h, "]") || !a.Is6() || a.Zone() != "" {
			return fmt.Sprintf("host %q is not an IPv6 address in brackets", h)
		}
		if c := "[" + a.String() + "]"; c != h {
			return fmt.Sprintf("host %q is not in canonical form: write %q", h, c)
		}
		return ""
	case strings.Contains(h, ":"):
		return fmt.Sprintf("host %q has a port: hosts match whatever the port", h)
	case strings.HasSuffix(h, "."):
		return fmt.Sprintf("host %q ends with a dot: write %q (a trailing dot in requests is ignored)", h, strings.TrimSuffix(h, "."))
	}
	name := strings.TrimPrefix(h, "*.")
	if len(name) > 253 {
		return fmt.Sprintf("host %q is longer than 253 bytes", h)
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "*" || strings.Contains(label, "*") {
			return fmt.Sprintf("host %q has a wildcard that is not the whole leftmost label, as in %q", h, "*.example.com")
		}
		if label == "" || len(label) > 63 {
			return fmt.Sprintf("host %q has an empty label or one longer than 63 bytes", h)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return fmt.Sprintf("host %q has the character %q: host names hold letters, digits, %q and %q", h, c, "-", "_")
			}
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Sprintf("host %q has a label that starts or ends with %q", h, "-")
		}
	}
	return ""
}
