package policyfile_test

import (
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/policyfile"
)

func TestLoopsBack(t *testing.T) {
	for _, tc := range []struct {
		listen, upstream string
		want             bool
	}{
		{"127.0.0.1:8080", "http://127.0.0.1:8080", true},
		{"127.0.0.1:8080", "http://localhost:8080/base", true},
		{"localhost:8080", "http://127.0.0.1:8080", true},
		{"localhost:8080", "http://[::1]:8080", true},
		{"[::1]:8080", "http://localhost:8080", true},
		{"0.0.0.0:8080", "http://127.0.0.1:8080", true},
		{"[::]:8080", "http://[::1]:8080", true},
		{":8080", "http://localhost:8080", true},
		{":80", "http://localhost", true},
		{":443", "https://localhost", true},
		{"127.0.0.1:8080", "http://0.0.0.0:8080", true},
		{"127.0.0.1:8080", "http://[::ffff:127.0.0.1]:8080", true},
		{"gw.internal:8080", "http://GW.internal:8080", true},
		{"127.0.0.1:8080", "http://app.localhost:8080", true},

		{"127.0.0.1:8080", "http://127.0.0.1:8081", false},
		{"127.0.0.1:8080", "http://127.0.0.2:8080", false},
		{"127.0.0.1:8080", "http://[::1]:8080", false},
		{"127.0.0.1:443", "http://localhost", false},
		{"0.0.0.0:8080", "http://10.0.0.5:8080", false}, // maybe this host: Via catches it
		{"10.0.0.5:8080", "http://127.0.0.1:8080", false},
		{"127.0.0.1:0", "http://127.0.0.1:0", false},
		{"127.0.0.1:8080", "echo", false},
	} {
		if got := policyfile.LoopsBack(tc.listen, tc.upstream); got != tc.want {
			t.Errorf("LoopsBack(%q, %q) = %v; want %v", tc.listen, tc.upstream, got, tc.want)
		}
	}
}

func TestFile_CheckLoops(t *testing.T) {
	const src = `policies:
  - name: app
    allow_origins: [https://app.example.com]
    upstream: http://localhost:8080/api
  - name: other
    match: { paths: [/other/] }
    allow_origins: [https://app.example.com]
    upstream: http://127.0.0.1:9000
proxy:
  listen: 0.0.0.0:8080
  upstream: http://127.0.0.1:8080
`
	f, err := policyfile.Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range f.CheckLoops() {
		got = append(got, d.String())
	}
	want := []string{
		`p.yaml:11:13: proxy.upstream: upstream "http://127.0.0.1:8080" is the gateway's own listener 0.0.0.0:8080 (proxy.listen)`,
		`p.yaml:2:5: policies[0].upstream: upstream "http://localhost:8080/api" is the gateway's own listener 0.0.0.0:8080 (proxy.listen)`,
	}
	if len(got) != len(want) {
		t.Fatalf("CheckLoops:\n%s\nwant %d diagnostics", strings.Join(got, "\n"), len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("diagnostic %d:\n got %s\nwant %s...", i, got[i], want[i])
		}
	}
	// Without proxy.listen, lint cannot know the address.
	f, err = policyfile.Parse("p.yaml", []byte(strings.Replace(src, "  listen: 0.0.0.0:8080\n", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if d := f.CheckLoops(); d != nil {
		t.Errorf("without proxy.listen: %v; want none", d)
	}
}
