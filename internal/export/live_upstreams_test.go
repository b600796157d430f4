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
// server target, as crossgate proxy honours them.
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
			res := exporttest.Run(t, file, tg, tc.start, exporttest.Options{})
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
