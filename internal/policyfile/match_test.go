package policyfile_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/crossgate/crossgate/internal/policyfile"
)

const routingFile = `policies:
  - name: catch-all
    allow_origins: ["*"]
  - name: api
    allow_origins: ["*"]
    match: { paths: [/api] }
  - name: v2
    allow_origins: ["*"]
    match: { paths: [/v2/] }
  - name: admin
    allow_origins: ["*"]
    match: { paths: [/admin] }
  - name: host
    allow_origins: ["*"]
    match: { hosts: [api.example.com] }
  - name: host-admin
    allow_origins: ["*"]
    match: { hosts: [api.example.com], paths: [/api/admin] }
  - name: wild
    allow_origins: ["*"]
    match: { hosts: ["*.example.com"] }
  - name: wild-eu
    allow_origins: ["*"]
    match: { hosts: ["*.eu.example.com"] }
  - name: wild-eu-api
    allow_origins: ["*"]
    match: { hosts: ["*.example.com"], paths: [/api] }
  - name: ipv6
    allow_origins: ["*"]
    match: { hosts: ["[::1]"] }
`

func TestFile_Match(t *testing.T) {
	t.Parallel()
	f, err := policyfile.Parse("routing.yaml", []byte(routingFile))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		desc string
		url  string
		want string
	}{
		{"no constraint matches any request", "http://other.test/", "catch-all"},
		{"path prefix, exact", "http://other.test/api", "api"},
		{"path prefix, below", "http://other.test/api/users", "api"},
		{"path prefix stops at segment boundary", "http://other.test/apix", "catch-all"},
		{"prefix with slash needs the slash", "http://other.test/v2", "catch-all"},
		{"prefix with slash, below", "http://other.test/v2/items", "v2"},
		{"prefix with slash, itself", "http://other.test/v2/", "v2"},
		{"host beats path", "http://api.example.com/api/users", "host"},
		{"host and path beat host", "http://api.example.com/api/admin/users", "host-admin"},
		{"host is case-insensitive and port is ignored", "http://API.Example.COM:8443/api/admin", "host-admin"},
		{"trailing dot in host is ignored", "http://api.example.com./x", "host"},
		{"dot-dot segments are resolved", "http://other.test/api/../admin", "admin"},
		{"encoded dot-dot segments are resolved", "http://other.test/api/%2e%2e/admin", "admin"},
		{"dot-dot cannot climb above the root", "http://other.test/../../api/x", "api"},
		{"dot segments are removed", "http://other.test/./api/./x", "api"},
		{"duplicate slashes are collapsed", "http://other.test//api//x", "api"},
		{"encoded unreserved characters are decoded", "http://other.test/%61pi/x", "api"},
		{"encoded slash is not a separator when it changes nothing", "http://other.test/misc%2Fx", "catch-all"},
		{"subdomain pattern", "http://www.example.com/", "wild"},
		{"subdomain pattern at depth", "http://a.b.example.com/", "wild"},
		{"subdomain pattern does not match the apex", "http://example.com/", "catch-all"},
		{"longer subdomain pattern beats shorter one with a path", "http://x.eu.example.com/api", "wild-eu"},
		{"subdomain pattern with path", "http://x.example.com/api/v1", "wild-eu-api"},
		{"exact host beats subdomain pattern", "http://api.example.com/", "host"},
		{"bracketed IPv6 host with port", "http://[::1]:8080/", "ipv6"},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodGet, tc.url, nil)
			p := f.Match(r)
			if p == nil {
				t.Fatalf("Match(%s) = nil; want policy %q", tc.url, tc.want)
			}
			if p.Name != tc.want {
				t.Errorf("Match(%s) = %q; want %q", tc.url, p.Name, tc.want)
			}
		})
	}
}

func TestFile_Match_none(t *testing.T) {
	t.Parallel()
	f, err := policyfile.Parse("p.yaml", []byte(`policies:
  - name: api
    allow_origins: ["*"]
    match: { hosts: [api.example.com], paths: [/api/] }
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, url := range []string{
		"http://api.example.com/",
		"http://api.example.com/api",
		"http://www.example.com/api/x",
		"http://api.example.com/api/../x",
	} {
		if p := f.Match(httptest.NewRequest(http.MethodGet, url, nil)); p != nil {
			t.Errorf("Match(%s) = %q; want nil", url, p.Name)
		}
	}
	if p := f.Match(httptest.NewRequest(http.MethodGet, "http://api.example.com/api/x", nil)); p == nil || p.Name != "api" {
		t.Errorf("Match(http://api.example.com/api/x) = %v; want policy %q", p, "api")
	}
}

func TestFile_Match_allocations(t *testing.T) {
	f, err := policyfile.Parse("routing.yaml", []byte(routingFile))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "http://api.example.com:8443/api/admin/users", nil)
	allocs := testing.AllocsPerRun(100, func() {
		if f.Match(r) == nil {
			t.Fatal("no match")
		}
	})
	if allocs != 0 {
		t.Errorf("got %v allocations per Match of a normal path; want 0", allocs)
	}
}
