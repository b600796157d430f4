package gateway_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/gateway"
	"github.com/crossgate/crossgate/internal/policyfile"
)

// An upstream that is the gateway's own listener is refused at start,
// with the key and both addresses: it would make every request come back
// to the gateway until it ran out of file descriptors.
func TestNewServer_selfUpstream(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const pol = "policies:\n  - name: app\n    allow_origins: [https://app.example.com]\n"
	for i, tc := range []struct {
		desc, src string
		ovr       gateway.Overrides
		want      string // "" for no error
	}{
		{"proxy.upstream on localhost", pol + "proxy:\n  listen: 127.0.0.1:18080\n  upstream: http://localhost:18080\n", gateway.Overrides{},
			`proxy.upstream "http://localhost:18080" is the gateway's own listener 127.0.0.1:18080 (proxy.listen)`},
		{"--upstream on a wildcard --listen", pol, gateway.Overrides{Listen: "0.0.0.0:18080", Upstream: "http://127.0.0.1:18080/base"},
			`--upstream "http://127.0.0.1:18080/base" is the gateway's own listener 0.0.0.0:18080 (--listen)`},
		{"a policy's upstream on ::1", "policies:\n  - name: app\n    allow_origins: [https://app.example.com]\n    upstream: http://[::1]:18080\n" +
			"proxy:\n  listen: '[::]:18080'\n  upstream: echo\n", gateway.Overrides{},
			`policies[0].upstream (policy "app") "http://[::1]:18080" is the gateway's own listener [::]:18080 (proxy.listen)`},
		{"the default listen address", pol, gateway.Overrides{Upstream: "http://localhost:8080"},
			`--upstream "http://localhost:8080" is the gateway's own listener 127.0.0.1:8080 (the default listen address)`},
		{"another port", pol, gateway.Overrides{Listen: "127.0.0.1:18080", Upstream: "http://127.0.0.1:18081"}, ""},
		{"another loopback address", pol, gateway.Overrides{Listen: "127.0.0.1:18080", Upstream: "http://127.0.0.2:18080"}, ""},
		{"https on the default port", pol, gateway.Overrides{Listen: "127.0.0.1:8443", Upstream: "https://localhost"}, ""},
	} {
		path := filepath.Join(dir, fmt.Sprintf("p%d.yaml", i))
		os.WriteFile(path, []byte(tc.src), 0o644)
		_, err := gateway.NewServer(gateway.ServerOptions{ConfigPath: path, Overrides: tc.ovr})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v; want no error", tc.desc, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: got error %v; want one containing %q", tc.desc, err, tc.want)
		}
	}
}

// A reload that makes an upstream the gateway's own listener (as opened:
// the file asks for any port) is refused, and the policies in force stay.
func TestServer_reloadSelfUpstream(t *testing.T) {
	t.Parallel()
	g := startGateway(t, versionPolicy("a"), gateway.Overrides{Upstream: "echo"})
	self := g.url // http://127.0.0.1:port
	src := strings.Replace(versionPolicy("b"), "  - name: app\n", "  - name: app\n    upstream: "+self+"\n", 1)
	if !strings.Contains(src, self) {
		t.Fatalf("the test policy has no policy named app:\n%s", src)
	}
	writeFile(t, g.path, src+proxySection)
	g.srv.Reload()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(self, "http://"))
	g.waitLogs("reload refused", fmt.Sprintf(`policies[0].upstream (policy \"app\") \"%s\" is the gateway's own listener 127.0.0.1:%s (proxy.listen)`, self, port))
	resp := g.do(request{path: "/", origin: "https://app.example.com"})
	body(t, resp)
	if got := exposed(resp); got != "x-version-a" {
		t.Errorf("after the refused reload: got %q; want x-version-a (the policy in force)", got)
	}
}

// Forwarded requests carry the gateway's pseudonym in Via, after the Via
// they came with; a request that comes back with it is answered 508 with
// the policy's CORS headers, and never forwarded again. Two gateways in a
// chain each add their own, and are no loop.
func TestGateway_via(t *testing.T) {
	t.Parallel()
	var got []string
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { got = r.Header["Via"]; io.WriteString(w, "ok") })
	front := startGateway(t, versionPolicy("a"), gateway.Overrides{Upstream: up.URL})
	resp := front.do(request{path: "/", origin: "https://app.example.com", header: map[string]string{"Via": "1.0 fred"}})
	body(t, resp)
	if len(got) != 1 || !regexp.MustCompile(`^1\.0 fred, 1\.1 crossgate-[0-9a-f]{12}$`).MatchString(got[0]) {
		t.Fatalf("the upstream got Via %q; want [\"1.0 fred, 1.1 crossgate-<12 hex>\"]", got)
	}
	mine := strings.TrimPrefix(got[0], "1.0 fred, 1.1 ")

	// A second gateway in front of the first: two pseudonyms, no loop.
	back := startGateway(t, versionPolicy("b"), gateway.Overrides{Upstream: front.url})
	resp = back.do(request{path: "/", origin: "https://app.example.com"})
	if b := body(t, resp); resp.StatusCode != 200 || b != "ok" {
		t.Fatalf("through two gateways: %d %q; want 200 ok", resp.StatusCode, b)
	}
	if len(got) != 1 || !regexp.MustCompile(`^1\.1 crossgate-[0-9a-f]{12}, 1\.1 `+mine+`$`).MatchString(got[0]) || strings.Count(got[0], mine) != 1 {
		t.Errorf("through two gateways, the upstream got Via %q; want two distinct crossgate entries, the first gateway's last", got)
	}

	// The request comes back to the first gateway.
	got = nil
	resp = front.do(request{path: "/", origin: "https://app.example.com", header: map[string]string{"Via": "1.1 other, 1.1 " + mine}})
	b := body(t, resp)
	if resp.StatusCode != http.StatusLoopDetected || !strings.Contains(b, "Loop Detected") {
		t.Errorf("a request with the gateway's own Via: %d %q; want 508 Loop Detected", resp.StatusCode, b)
	}
	if o := resp.Header.Get("Access-Control-Allow-Origin"); o != "https://app.example.com" {
		t.Errorf("the 508 has Access-Control-Allow-Origin %q; want https://app.example.com, so that the page reads it", o)
	}
	if got != nil {
		t.Errorf("the looped request reached the upstream (Via %q)", got)
	}
	front.waitLogs(`"refused":"loop-detected"`)
}

// Two gateways pointing at each other: the request goes around once and
// is stopped with 508 where it started, instead of multiplying.
func TestGateway_viaLoopThroughAnotherGateway(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "a.yaml")
	writeFile(t, path, versionPolicy("a")+proxySection+"  upstream: echo\n")
	a := serve(t, path, gateway.Overrides{})
	b := startGateway(t, versionPolicy("b"), gateway.Overrides{Upstream: a.url})
	// Now a's upstream is b, whose upstream is a.
	writeFile(t, a.path, versionPolicy("a")+proxySection+"  upstream: "+b.url+"\n")
	a.srv.Reload()
	waitFor(t, "the reload to apply", func() bool { return strings.Contains(a.logs.String(), `"msg":"reloaded"`) })
	resp := a.do(request{path: "/", origin: "https://app.example.com"})
	body(t, resp)
	if resp.StatusCode != http.StatusLoopDetected {
		t.Errorf("round a → b → a: status %d; want 508", resp.StatusCode)
	}
	a.waitLogs(`"refused":"loop-detected"`)
	if n := strings.Count(a.logs.String(), `"refused":"loop-detected"`); n != 1 {
		t.Errorf("a logged %d loops; want 1 (the request went around once)", n)
	}
}

// stubTransport answers every request with an empty 200, allocating the
// same whatever the request's headers (unlike the echo upstream, which
// describes them).
type stubTransport struct{}

func (stubTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	return &http.Response{StatusCode: 200, ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
}

// Via costs a proxied request no allocation when it comes without Via,
// and one (the joined value) when it comes with one; a preflight, which
// is never forwarded, nothing.
func TestGateway_viaAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts vary under the race detector (sync.Pool drops items at random); run without -race")
	}
	f, err := policyfile.Parse("p.yaml", []byte(versionPolicy("a")))
	if err != nil {
		t.Fatal(err)
	}
	set := gateway.Resolve(policyfile.Proxy{}, gateway.Overrides{Upstream: "http://upstream.test"})
	set.AccessLog = false
	newGateway := func(via bool) *gateway.Gateway {
		g, err := gateway.New(f, set, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		gateway.StubUpstreams(g, stubTransport{})
		if !via {
			gateway.WithoutVia(g)
		}
		return g
	}
	with, without := newGateway(true), newGateway(false)
	allocs := func(g *gateway.Gateway, method string, header map[string]string, status int) float64 {
		r := httptest.NewRequest(method, "http://api.test/api/items", nil)
		r.Header.Set("Origin", "https://app.example.com")
		for k, v := range header {
			r.Header.Set(k, v)
		}
		serve := func() {
			w := &discardWriter{h: make(http.Header, 8)}
			g.ServeHTTP(w, r)
			if w.status != status {
				t.Fatalf("%s with %v: status %d; want %d", method, header, w.status, status)
			}
		}
		serve()
		return testing.AllocsPerRun(200, serve)
	}
	for _, tc := range []struct {
		method string
		header map[string]string
		status int
		extra  float64
	}{
		{"GET", nil, 200, 0},
		{"GET", map[string]string{"Via": "1.1 proxy.example.net"}, 200, 1},
		// Preflights never reach the loop guard (servePreflight answers
		// them): TestGateway_preflightAllocs bounds them on its own.
	} {
		on, off := allocs(with, tc.method, tc.header, tc.status), allocs(without, tc.method, tc.header, tc.status)
		if on > off+tc.extra {
			t.Errorf("%s with %v: %v allocations with Via, %v without; want at most %v more", tc.method, tc.header, on, off, tc.extra)
		}
	}
}
