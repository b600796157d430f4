package fetch

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// AddressSpace is an IP address space of Chromium's Local Network Access
// (https://wicg.github.io/local-network-access/): where a page was loaded
// from, or where a server is. The zero value means unknown.
type AddressSpace string

// The address spaces, from the least private to the most.
const (
	PublicAddressSpace   AddressSpace = "public"
	LocalAddressSpace    AddressSpace = "local" // RFC 1918, link-local, unique local (called "private" before)
	LoopbackAddressSpace AddressSpace = "loopback"
)

// rank orders the address spaces from the least private; unknown is -1.
func (s AddressSpace) rank() int {
	switch s {
	case PublicAddressSpace:
		return 0
	case LocalAddressSpace:
		return 1
	case LoopbackAddressSpace:
		return 2
	}
	return -1
}

// valid reports whether s is unknown or one of the three spaces.
func (s AddressSpace) valid() bool { return s == "" || s.rank() >= 0 }

// HostAddressSpace returns the address space of a URL's host when the host
// tells it: an IP address (loopback; local for RFC 1918, link-local,
// unique-local and shared addresses; public otherwise), or "localhost" and
// its subdomains (loopback). For any other name it returns "": the space
// depends on what the name resolves to.
func HostAddressSpace(host string) AddressSpace {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return LoopbackAddressSpace
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	if err != nil {
		return ""
	}
	a = a.Unmap()
	switch {
	case a.IsLoopback(), a.IsUnspecified():
		return LoopbackAddressSpace
	case a.IsPrivate(), a.IsLinkLocalUnicast(), sharedAddresses.Contains(a):
		return LocalAddressSpace
	}
	return PublicAddressSpace
}

// sharedAddresses is RFC 6598's carrier-grade NAT range, local to Chromium.
var sharedAddresses = netip.MustParsePrefix("100.64.0.0/10")

// targetAddressSpace returns the address space of p's URL: the one the
// request gives for its first URL, else what the host tells.
func (p *Plan) targetAddressSpace() AddressSpace {
	if p.TargetAddressSpace != "" {
		return p.TargetAddressSpace
	}
	return HostAddressSpace(p.URL.Hostname())
}

// isFileURL reports whether u is a file: URL.
func isFileURL(u *url.URL) bool { return strings.EqualFold(u.Scheme, "file") }

// CheckRequest runs the checks Chromium makes before it sends anything for
// p, and returns nil when they pass:
//
//   - a URL whose scheme CORS does not support, requested in mode cors, is
//     refused with [CorsDisabledScheme]: a page loaded from a file: URL
//     (origin "null") fetching a file: URL (observed in Chromium 156,
//     reference §6 row 54; the Fetch standard makes any non-HTTP(S) scheme
//     a network error in mode cors);
//   - with [Chromium], Local Network Access: a request from a page to a
//     more private address space (public to local or loopback, local to
//     loopback) needs the user's permission, which headless Chromium
//     denies without asking ([LocalNetworkAccessPermissionDenied], with
//     the target's space as the parameter; observed in Chromium 156,
//     reference §6 row 55). It is checked only when both spaces are known:
//     the page's from [Request.AddressSpace], the target's from
//     [Request.TargetAddressSpace] or the URL's host ([HostAddressSpace]).
func (e Engine) CheckRequest(p *Plan) *Failure {
	if isFileURL(p.URL) && p.Tainting == Cors {
		f := p.failure(CorsDisabledScheme, "")
		f.Firefox = "CORSRequestNotHttp"
		f.Fix = fixFor(p, f, Response{}, false)
		return f
	}
	if e == Chromium && p.AddressSpace != "" {
		if target := p.targetAddressSpace(); target.rank() > p.AddressSpace.rank() {
			f := p.failure(LocalNetworkAccessPermissionDenied, string(target))
			f.Fix = fixFor(p, f, Response{}, false)
			return f
		}
	}
	return nil
}

// checkContext checks the page context fields of req.
func checkContext(req Request, u *url.URL) error {
	switch req.PageScheme {
	case "", "http", "https":
	case "file":
		if req.Origin != "null" {
			return fmt.Errorf("fetch: invalid origin %q for a page loaded from a file: URL: its origin is \"null\"", req.Origin)
		}
	default:
		return fmt.Errorf("fetch: unsupported page scheme %q: want http, https or file", req.PageScheme)
	}
	if isFileURL(u) {
		if req.PageScheme != "file" {
			return fmt.Errorf("fetch: invalid URL %q: a file: URL can be requested only from a page loaded from a file: URL (PageScheme \"file\")", req.URL)
		}
		if req.Mode != "" && req.Mode != CORS && req.Initiator != XHR {
			return fmt.Errorf("fetch: a file: URL is modelled in mode cors only, not %q", req.Mode)
		}
	}
	for _, s := range []AddressSpace{req.AddressSpace, req.TargetAddressSpace} {
		if !s.valid() {
			return fmt.Errorf("fetch: invalid address space %q: want public, local or loopback", s)
		}
	}
	return nil
}
