package policyfile

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// EchoUpstream is the name of the built-in upstream that answers every
// request with what it received.
const EchoUpstream = "echo"

// Proxy is the file's proxy section: how `crossgate proxy` serves the
// policies. A zero field was not set in the file; the gateway then uses its
// default.
type Proxy struct {
	Listen      string // host:port
	Upstream    string // the default upstream: "echo" or an http(s) URL
	AdminListen string // host:port of /metrics, /healthz and /readyz; "off" for none

	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration // to read a whole request, its body included
	IdleTimeout       time.Duration
	UpstreamTimeout   time.Duration // to connect and get the response headers
	ShutdownTimeout   time.Duration // to drain requests in flight

	MaxHeaderBytes int

	// TLSCert and TLSKey are the certificate and key files, both or
	// neither, resolved against the policy file's directory.
	TLSCert, TLSKey string
	// TLSCertPos and TLSKeyPos are where their values are written.
	TLSCertPos, TLSKeyPos Pos
	// UpstreamPos is where Upstream is written.
	UpstreamPos Pos

	LogFormat string // "json" or "text"
	AccessLog *bool  // nil when not set

	// Pos is where the section starts; zero without a proxy section.
	Pos Pos
}

// The keys of the proxy section, in the order of the documentation.
var proxyKeys = []string{
	"listen", "upstream", "admin_listen",
	"read_header_timeout", "read_timeout", "idle_timeout", "upstream_timeout", "shutdown_timeout",
	"max_header_bytes", "tls_cert", "tls_key", "log_format", "access_log",
}

// proxy decodes the proxy section into d.proxy.
func (d *decoder) proxy(n *yaml.Node, path string) {
	px := &d.px
	px.Pos = d.pos(n)
	var certNode, keyNode *yaml.Node
	ok := d.mapping(n, path, proxyKeys, func(key string, k, v *yaml.Node) {
		p := path + "." + key
		switch key {
		case "listen":
			px.Listen = d.listen(v, p, false)
		case "admin_listen":
			px.AdminListen = d.listen(v, p, true)
		case "upstream":
			px.Upstream, px.UpstreamPos = d.upstream(v, p), d.pos(v)
		case "read_header_timeout":
			px.ReadHeaderTimeout = d.timeout(v, p)
		case "read_timeout":
			px.ReadTimeout = d.timeout(v, p)
		case "idle_timeout":
			px.IdleTimeout = d.timeout(v, p)
		case "upstream_timeout":
			px.UpstreamTimeout = d.timeout(v, p)
		case "shutdown_timeout":
			px.ShutdownTimeout = d.timeout(v, p)
		case "max_header_bytes":
			if i := d.integer(v, p); i <= 0 && v.ShortTag() == "!!int" {
				d.errorf(v, p, "max_header_bytes must be positive, got %s", v.Value)
			} else {
				px.MaxHeaderBytes = i
			}
		case "tls_cert":
			certNode = v
			px.TLSCert, px.TLSCertPos = d.fileName(v, p), d.pos(v)
		case "tls_key":
			keyNode = v
			px.TLSKey, px.TLSKeyPos = d.fileName(v, p), d.pos(v)
		case "log_format":
			if s, ok := d.str(v, p); ok {
				if s != "json" && s != "text" {
					d.errorf(v, p, "unknown log format %q: want %q or %q", s, "json", "text")
				} else {
					px.LogFormat = s
				}
			}
		case "access_log":
			b := d.boolean(v, p)
			px.AccessLog = &b
		}
	})
	if !ok {
		return
	}
	switch {
	case certNode != nil && keyNode == nil:
		d.errorf(certNode, path+".tls_cert", "tls_cert without tls_key: set both, or neither to serve plain HTTP")
	case keyNode != nil && certNode == nil:
		d.errorf(keyNode, path+".tls_key", "tls_key without tls_cert: set both, or neither to serve plain HTTP")
	}
}

// listen decodes a host:port address to listen on.
func (d *decoder) listen(n *yaml.Node, path string, offAllowed bool) string {
	s, ok := d.str(n, path)
	if !ok {
		return ""
	}
	if offAllowed && s == "off" {
		return s
	}
	if err := CheckListen(s); err != nil {
		d.errorf(n, path, "%v", err)
		return ""
	}
	return s
}

// upstream decodes an upstream: "echo" or an http(s) URL.
func (d *decoder) upstream(n *yaml.Node, path string) string {
	s, ok := d.str(n, path)
	if !ok {
		return ""
	}
	if err := CheckUpstream(s); err != nil {
		d.errorf(n, path, "%v", err)
		return ""
	}
	return s
}

// timeout decodes a positive Go duration.
func (d *decoder) timeout(n *yaml.Node, path string) time.Duration {
	const what = `a duration such as "10s" or "2m"`
	if !d.scalar(n, path, "!!str", what) {
		return 0
	}
	dur, err := time.ParseDuration(n.Value)
	switch {
	case err != nil:
		d.errorf(n, path, "invalid duration %q: want %s", n.Value, what)
		return 0
	case dur <= 0:
		d.errorf(n, path, "duration %q must be positive", n.Value)
		return 0
	}
	return dur
}

// file decodes a file name, resolved against the policy file's directory.
func (d *decoder) fileName(n *yaml.Node, path string) string {
	s, ok := d.str(n, path)
	if !ok {
		return ""
	}
	if s == "" {
		d.errorf(n, path, "empty file name")
		return ""
	}
	if !filepath.IsAbs(s) && d.file != "" && !strings.HasPrefix(d.file, "<") {
		s = filepath.Join(filepath.Dir(d.file), s)
	}
	return s
}

// CheckListen returns an error saying why addr is not an address to listen
// on (host:port, with a numeric port; an empty host means every
// interface), or nil.
func CheckListen(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: want host:port, such as %q", addr, "127.0.0.1:8080")
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || port != strconv.FormatUint(n, 10) {
		return fmt.Errorf("listen address %q: port %q is not a number from 0 to 65535", addr, port)
	}
	if strings.ContainsAny(host, "/?#@ ") {
		return fmt.Errorf("listen address %q: want host:port, such as %q", addr, "127.0.0.1:8080")
	}
	return nil
}

// CheckUpstream returns an error saying why s is not an upstream, or nil.
// An upstream is [EchoUpstream] or an absolute http or https URL with a
// host and no user information, query or fragment; its path, if any, is
// put before the path of every request.
func CheckUpstream(s string) error {
	if s == EchoUpstream {
		return nil
	}
	const want = `want "echo" or an http:// or https:// URL such as "http://127.0.0.1:9000"`
	u, err := url.Parse(s)
	switch {
	case s == "":
		return fmt.Errorf("empty upstream: %s", want)
	case err != nil:
		return fmt.Errorf("upstream %q: %s", s, want)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("upstream %q: %s", s, want)
	case u.Host == "" || u.Opaque != "":
		return fmt.Errorf("upstream %q has no host: %s", s, want)
	case u.User != nil:
		return fmt.Errorf("upstream %q has user information: credentials do not belong in the URL", s)
	case u.RawQuery != "" || u.ForceQuery:
		return fmt.Errorf("upstream %q has a query: the request's query is forwarded as it is", s)
	case u.Fragment != "" || strings.Contains(s, "#"):
		return fmt.Errorf("upstream %q has a fragment", s)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.ParseUint(p, 10, 16); err != nil || n == 0 {
			return fmt.Errorf("upstream %q: port %q is not a number from 1 to 65535", s, p)
		}
	}
	if strings.HasSuffix(u.Host, ":") {
		return fmt.Errorf("upstream %q: empty port", s)
	}
	return nil
}

// ErrAmbiguousPath is the error of [File.Route] for a path whose encoded
// slashes or backslashes (%2F, %5C) would select another policy if the
// upstream decoded them as separators: "/api/..%2Fadmin/x" is "/api/..."
// to the gateway but may be "/admin/x" to the upstream.
var ErrAmbiguousPath = errors.New("ambiguous path: an encoded slash or backslash in it would select another policy once decoded")

// Route returns the policy for r, as [File.Match] does, and the path it
// was matched on: r's path in normal form, escaped. A gateway must forward
// exactly that path, so that the upstream serves the resource whose policy
// was applied ("/api/../admin" is matched, and must be forwarded, as
// "/admin"). The path is "*" for "OPTIONS *", and does not start with "/"
// for other request targets that are not paths.
//
// Upstreams differ on whether "%2F" is a separator. When decoding the
// encoded slashes and backslashes of the path would change which policy
// applies, Route returns [ErrAmbiguousPath] and no policy: such a request
// should be refused rather than forwarded.
func (f *File) Route(r *http.Request) (*Policy, string, error) {
	p := ""
	if r.URL != nil {
		p = r.URL.EscapedPath()
	}
	np := normalizePath(p)
	host := requestHost(r)
	rt := f.routes.match(host, np)
	if strings.IndexByte(np, '%') >= 0 && (strings.Contains(np, "%2F") || strings.Contains(np, "%5C")) {
		// normalizePath upper-cases the hex digits of the encodings it
		// keeps, so these two spellings are the only ones left.
		decoded := strings.NewReplacer("%2F", "/", "%5C", "/").Replace(np)
		if f.routes.match(host, normalizePath(decoded)) != rt {
			return nil, np, ErrAmbiguousPath
		}
	}
	if rt == nil {
		return nil, np, nil
	}
	return rt.rp.policy, np, nil
}

// NormalizePath returns the escaped URL path p in the normal form that
// policies are matched on (see [File.Match]).
func NormalizePath(p string) string { return normalizePath(p) }
