package policyfile_test

import (
	"errors"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/policyfile"
)

// The proxy section and the per-policy gateway keys run through TestParse
// (and seed the fuzzer) with the other cases.
func init() {
	parseCases = append(parseCases, proxyParseCases...)
}

var proxyParseCases = []parseCase{
	{
		desc: "proxy section, every key",
		src: lines(
			"policies:",
			"  - name: app",
			`    allow_origins: ["*"]`,
			"    upstream: http://127.0.0.1:9000/base",
			"    keep_upstream_cors: true",
			"proxy:",
			"  listen: 127.0.0.1:8080",
			"  upstream: echo",
			"  admin_listen: off",
			"  read_header_timeout: 5s",
			"  read_timeout: 45s",
			"  idle_timeout: 2m",
			"  upstream_timeout: 30s",
			"  shutdown_timeout: 10s",
			"  max_header_bytes: 65536",
			"  tls_cert: cert.pem",
			"  tls_key: /etc/key.pem",
			"  log_format: text",
			"  access_log: false",
		),
	}, {
		desc: "proxy section, bad values",
		src: lines(
			"policies:",
			"  - name: app",
			`    allow_origins: ["*"]`,
			"    upstream: ftp://files.example.com",
			"    keep_upstream_cors: yes",
			"proxy:",
			"  listen: localhost",
			"  upstream: http://user:pw@example.com",
			"  admin_listen: localhost:http",
			"  read_header_timeout: 0s",
			"  idle_timeout: 10",
			"  upstream_timeout: soon",
			"  max_header_bytes: -1",
			"  tls_cert: cert.pem",
			"  log_format: yaml",
			"  Access-Log: true",
		),
		want: []string{
			`p.yaml:4:15: policies[0].upstream: upstream "ftp://files.example.com": want "echo" or an http:// or https:// URL such as "http://127.0.0.1:9000"`,
			`p.yaml:5:25: policies[0].keep_upstream_cors: want a boolean (true or false), got string "yes"`,
			`p.yaml:7:11: proxy.listen: listen address "localhost": want host:port, such as "127.0.0.1:8080"`,
			`p.yaml:8:13: proxy.upstream: upstream "http://user:pw@example.com" has user information: credentials do not belong in the URL`,
			`p.yaml:9:17: proxy.admin_listen: listen address "localhost:http": port "http" is not a number from 0 to 65535`,
			`p.yaml:10:24: proxy.read_header_timeout: duration "0s" must be positive`,
			`p.yaml:11:17: proxy.idle_timeout: want a duration such as "10s" or "2m", got integer 10`,
			`p.yaml:12:21: proxy.upstream_timeout: invalid duration "soon": want a duration such as "10s" or "2m"`,
			`p.yaml:13:21: proxy.max_header_bytes: max_header_bytes must be positive, got -1`,
			`p.yaml:14:13: proxy.tls_cert: tls_cert without tls_key: set both, or neither to serve plain HTTP`,
			`p.yaml:15:15: proxy.log_format: unknown log format "yaml": want "json" or "text"`,
			`p.yaml:16:3: proxy: unknown key "Access-Log" (did you mean "access_log"?)`,
		},
	}, {
		desc: "proxy section is a list",
		src: lines(
			"policies:",
			"  - name: app",
			`    allow_origins: ["*"]`,
			"proxy: [listen]",
		),
		want: []string{`p.yaml:4:8: proxy: want a mapping, got a list`},
	},
}

func TestParse_proxy(t *testing.T) {
	t.Parallel()
	f, err := policyfile.Parse(filepath.Join("conf", "p.yaml"), []byte(proxyParseCases[0].src))
	if err != nil {
		t.Fatal(err)
	}
	px := f.Proxy
	want := policyfile.Proxy{
		Listen: "127.0.0.1:8080", Upstream: "echo", AdminListen: "off",
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 45 * time.Second, IdleTimeout: 2 * time.Minute,
		UpstreamTimeout: 30 * time.Second, ShutdownTimeout: 10 * time.Second,
		MaxHeaderBytes: 65536,
		TLSCert:        filepath.Join("conf", "cert.pem"), TLSKey: "/etc/key.pem",
		TLSCertPos:  policyfile.Pos{File: filepath.Join("conf", "p.yaml"), Line: 16, Column: 13},
		TLSKeyPos:   policyfile.Pos{File: filepath.Join("conf", "p.yaml"), Line: 17, Column: 12},
		UpstreamPos: policyfile.Pos{File: filepath.Join("conf", "p.yaml"), Line: 8, Column: 13},
		LogFormat:   "text",
	}
	if px.AccessLog == nil || *px.AccessLog {
		t.Errorf("got AccessLog %v; want false", px.AccessLog)
	}
	px.AccessLog, px.Pos = nil, policyfile.Pos{}
	if px != want {
		t.Errorf("got Proxy\n%+v\nwant\n%+v", px, want)
	}
	p := f.Policies[0]
	if p.Upstream != "http://127.0.0.1:9000/base" || !p.KeepUpstreamCORS {
		t.Errorf("got Upstream %q, KeepUpstreamCORS %t; want %q, true", p.Upstream, p.KeepUpstreamCORS, "http://127.0.0.1:9000/base")
	}
}

func TestCheckUpstream(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in string
		ok bool
	}{
		{"echo", true},
		{"http://127.0.0.1:9000", true},
		{"https://api.internal/base/", true},
		{"http://[::1]:80", true},
		{"", false},
		{"Echo", false},
		{"127.0.0.1:9000", false},
		{"//127.0.0.1:9000", false},
		{"http:///path", false},
		{"http://h:0", false},
		{"http://h:99999", false},
		{"http://h:", false},
		{"http://h/?q=1", false},
		{"http://h/#f", false},
		{"ws://h", false},
	}
	for _, tc := range cases {
		if err := policyfile.CheckUpstream(tc.in); (err == nil) != tc.ok {
			t.Errorf("CheckUpstream(%q) = %v; want ok %t", tc.in, err, tc.ok)
		}
	}
}

// TestFile_Route checks that the path a policy is matched on is the
// normal form, the one a gateway forwards, so that dot segments and
// encodings cannot borrow another path's policy (flask-cors,
// CVE-2020-25032).
func TestFile_Route(t *testing.T) {
	t.Parallel()
	f, err := policyfile.Parse("p.yaml", []byte(lines(
		"policies:",
		"  - name: api",
		`    allow_origins: ["*"]`,
		"    match: { paths: [/api/] }",
		"  - name: admin",
		"    allow_origins: [https://admin.example.com]",
		"    match: { paths: [/admin/] }",
	)))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		target, wantPolicy, wantPath string
		wantAmbiguous                bool
	}{
		{"/api/x", "api", "/api/x", false},
		{"/api/../admin/x", "admin", "/admin/x", false},
		{"/api/%2e%2e/admin/x", "admin", "/admin/x", false},
		{"/api/%2E%2E/admin/x", "admin", "/admin/x", false},
		{"/api/./../admin/", "admin", "/admin/", false},
		{"//api//x", "api", "/api/x", false},
		{"/%61pi/x", "api", "/api/x", false},
		{"/api/a%2fb", "api", "/api/a%2Fb", false},
		{"/api/..%2fadmin/x", "", "/api/..%2Fadmin/x", true},
		{"/api/..%5Cadmin/x", "", "/api/..%5Cadmin/x", true},
		{"/api%2f..%2f..%2fadmin/x", "", "/api%2F..%2F..%2Fadmin/x", true},
		{"/other/..%2fapi/x", "", "/other/..%2Fapi/x", true},
		{"/api/x%2f..%2fy", "api", "/api/x%2F..%2Fy", false},
		{"/admin/../api/x", "api", "/api/x", false},
		{"/../../api/x", "api", "/api/x", false},
		{"/API/x", "", "/API/x", false},
		{"/api", "", "/api", false},
	}
	for _, tc := range cases {
		r := httptest.NewRequest("GET", "http://h.test"+tc.target, nil)
		p, path, err := f.Route(r)
		name := ""
		if p != nil {
			name = p.Name
		}
		if name != tc.wantPolicy || path != tc.wantPath {
			t.Errorf("Route(%q) = %q, %q; want %q, %q", tc.target, name, path, tc.wantPolicy, tc.wantPath)
		}
		if ambiguous := errors.Is(err, policyfile.ErrAmbiguousPath); ambiguous != tc.wantAmbiguous || err != nil && !ambiguous {
			t.Errorf("Route(%q): got error %v; want ambiguous %t", tc.target, err, tc.wantAmbiguous)
		}
		if m := f.Match(r); m != p {
			t.Errorf("Match(%q) and Route disagree", tc.target)
		}
	}
}
