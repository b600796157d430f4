package export_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/export"
	"github.com/crossgate/crossgate/internal/export/exporttest"
)

// upstreamsFile writes a policy file whose policies have upstreams of
// their own, one of them with a base path, and returns its name.
func upstreamsFile(t *testing.T) (name, ownURL, basedURL string) {
	own := exporttest.NewUpstream(t)
	based := exporttest.NewUpstream(t)
	src := `policies:
  - name: own
    match: { paths: [/own/] }
    allow_origins: [https://app.example.com]
    upstream: ` + own.URL + `
  - name: based
    match: { hosts: [based.test] }
    allow_origins: ["*"]
    upstream: ` + based.URL + `/base/
  - name: default
    match: { paths: [/v1] }
    allow_origins: [https://app.example.com]
    allow_credentials: true
`
	name = filepath.Join(t.TempDir(), "upstreams.yaml")
	if err := os.WriteFile(name, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return name, own.URL, based.URL
}

// Per-policy upstreams (and an upstream's base path) are honoured by every
// server target, as crossgate proxy honours them. Behind a base path,
// Caddy's rewrite forwards reserved characters decoded, as nginx and Apache
// always do (see their tests); HAProxy keeps them encoded.
func TestLiveUpstreams(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start exporttest.StartFunc
	}{
		{"nginx", startNginx}, {"apache", startApache}, {"haproxy", startHAProxy},
		{"caddy", startCaddy("caddyfile")}, {"caddy-json", startCaddy("")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg, _ := export.Lookup(tc.name)
			file, own, based := upstreamsFile(t)
			res := exporttest.Run(t, file, tg, tc.start, exporttest.Options{DecodedPath: tc.name != "haproxy"})
			var sawOwn, sawBased bool
			for _, o := range res.Export {
				sawOwn = sawOwn || o.Upstream == own
				sawBased = sawBased || o.Upstream == based && strings.HasPrefix(o.Path, "/base/")
			}
			if !sawOwn || !sawBased {
				t.Errorf("requests reached the policy's own upstream: %t, the one with a base path under /base/: %t", sawOwn, sawBased)
			}
		})
	}
}

// The server's own error (its upstream is down) carries the CORS headers,
// as crossgate proxy's 502 does.
func TestLiveUpstreamDown(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start exporttest.StartFunc
	}{
		{"nginx", startNginx}, {"apache", startApache}, {"haproxy", startHAProxy},
		{"caddy", startCaddy("caddyfile")}, {"caddy-json", startCaddy("")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg, _ := export.Lookup(tc.name)
			src := `policies:
  - name: down
    match: { paths: [/down/] }
    allow_origins: [https://app.example.com, "https://*.app.example.com"]
    allow_credentials: true
    expose_headers: [X-Total-Count]
    upstream: http://127.0.0.1:` + exporttest.FreePort(t) + `
  - name: up
    allow_origins: ["*"]
`
			file := filepath.Join(t.TempDir(), "down.yaml")
			if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			res := exporttest.Run(t, file, tg, tc.start, exporttest.Options{StatusClass: true, DecodedPath: true})
			n := 0
			for i, c := range res.Cases {
				o := res.Export[i]
				if strings.HasPrefix(c.Name, "down: allowed origin") {
					n++
					if o.Status < 500 || o.Include != "ok" {
						t.Errorf("%s: %s; want a 5xx the page can read", c.Name, o)
					}
				}
			}
			if n == 0 {
				t.Error("no request to the policy whose upstream is down")
			}
		})
	}
}
