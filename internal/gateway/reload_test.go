package gateway_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/gateway"
)

// Two versions of one policy: the same origin is allowed, each exposes
// its own header, so that a response shows which one it was served under.
func versionPolicy(v string) string {
	return `policies:
  - name: app
    allow_origins: [https://app.example.com]
    expose_headers: [X-Version-` + v + `]
`
}

const invalidPolicy = `policies:
  - name: app
    allow_origins: ["null"]
`

func exposed(resp *http.Response) string {
	return resp.Header.Get("Access-Control-Expose-Headers")
}

func TestServer_reload(t *testing.T) {
	t.Parallel()
	g := startGateway(t, versionPolicy("a"), gateway.Overrides{Upstream: "echo"})
	get := func() string {
		resp := g.do(request{path: "/", origin: "https://app.example.com"})
		body(t, resp)
		return exposed(resp)
	}
	if got := get(); got != "x-version-a" {
		t.Fatalf("got %q; want x-version-a", got)
	}

	// A valid file, picked up by the watcher.
	writeFile(t, g.path, versionPolicy("b")+proxySection)
	waitFor(t, "the file change to apply", func() bool { return get() == "x-version-b" })

	// An invalid file is refused, with its diagnostics logged; the
	// policy in force stays, through a change and a signal alike. (The
	// watcher and the signal may both reload: count at least one more
	// refusal at each step.)
	refusals := func() int { return strings.Count(g.logs.String(), "reload refused") }
	writeFile(t, g.path, invalidPolicy+proxySection)
	waitFor(t, "the refusal to be logged", func() bool { return refusals() >= 1 })
	n := refusals()
	g.srv.Reload()
	waitFor(t, "the second refusal", func() bool { return refusals() > n })
	if got := get(); got != "x-version-b" {
		t.Errorf("after an invalid file: got %q; want x-version-b", got)
	}
	g.waitLogs(fmt.Sprintf(`%s:3:21: policies[0].allow_origins[0]: cors: prohibited value \"null\"`, g.path))

	// An unreadable file is refused too.
	n = refusals()
	os.Remove(g.path)
	g.srv.Reload()
	waitFor(t, "the third refusal", func() bool { return refusals() > n })
	if got := get(); got != "x-version-b" {
		t.Errorf("after a missing file: got %q; want x-version-b", got)
	}

	// A valid file again, on a signal.
	os.WriteFile(g.path, []byte(versionPolicy("c")+proxySection), 0o644)
	g.srv.Reload()
	waitFor(t, "the reload to apply", func() bool { return get() == "x-version-c" })

	resp, err := client.Get(g.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m := body(t, resp)
	if !strings.Contains(m, "crossgate_config_last_reload_successful 1\n") {
		t.Error("/metrics lacks crossgate_config_last_reload_successful 1")
	}
	var refused, ok int
	for _, line := range strings.Split(m, "\n") {
		fmt.Sscanf(line, `crossgate_config_reloads_total{result="refused"} %d`, &refused)
		fmt.Sscanf(line, `crossgate_config_reloads_total{result="ok"} %d`, &ok)
	}
	if refused < 3 || ok < 2 {
		t.Errorf("/metrics: got %d refused and %d ok reloads; want at least 3 and 2", refused, ok)
	}
}

// A request in flight during a reload finishes under the policy it
// started with.
func TestServer_reloadInFlight(t *testing.T) {
	t.Parallel()
	arrived, release := make(chan struct{}), make(chan struct{})
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			arrived <- struct{}{}
			<-release
		}
	})
	g := startGateway(t, versionPolicy("a"), gateway.Overrides{Upstream: up.URL})
	type result struct {
		resp *http.Response
		err  error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := g.try(request{path: "/slow", origin: "https://app.example.com"})
		res <- result{resp, err}
	}()
	select {
	case <-arrived:
	case <-time.After(5 * time.Second):
		t.Fatal("the request did not reach the upstream")
	}
	writeFile(t, g.path, versionPolicy("b")+proxySection)
	g.srv.Reload()
	waitFor(t, "the reload", func() bool {
		resp := g.do(request{path: "/fast", origin: "https://app.example.com"})
		body(t, resp)
		return exposed(resp) == "x-version-b"
	})
	close(release)
	r := <-res
	if r.err != nil {
		t.Fatal(r.err)
	}
	body(t, r.resp)
	if got := exposed(r.resp); got != "x-version-a" {
		t.Errorf("in-flight request: got %q; want x-version-a, the policy it started with", got)
	}
}

// Reloads, valid and invalid, while requests are being served: every
// request is answered by the upstream, under one whole policy or the
// other.
func TestServer_reloadUnderLoad(t *testing.T) {
	t.Parallel()
	var served atomic.Int64
	up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request) {
		served.Add(1)
		io.WriteString(w, "ok")
	})
	g := startGateway(t, versionPolicy("a"), gateway.Overrides{Upstream: up.URL})
	const workers, perWorker, reloads = 8, 100, 30
	stop := make(chan struct{})
	var reloader sync.WaitGroup
	reloader.Add(1)
	go func() {
		defer reloader.Done()
		for i := range reloads {
			src := versionPolicy("a")
			switch i % 3 {
			case 1:
				src = versionPolicy("b")
			case 2:
				src = invalidPolicy
			}
			writeFile(t, g.path, src+proxySection)
			g.srv.Reload()
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	var wg sync.WaitGroup
	var failures atomic.Int64
	var sent atomic.Int64
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perWorker {
				sent.Add(1)
				resp, err := g.try(request{path: "/x", origin: "https://app.example.com"})
				if err != nil {
					failures.Add(1)
					t.Errorf("request failed: %v", err)
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				v := exposed(resp)
				if resp.StatusCode != 200 || string(b) != "ok" || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
					(v != "x-version-a" && v != "x-version-b") {
					failures.Add(1)
					t.Errorf("got %d %q with CORS headers %q", resp.StatusCode, b, corsHeaders(resp.Header))
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	reloader.Wait()
	if f := failures.Load(); f > 0 {
		t.Fatalf("%d of %d requests failed", f, sent.Load())
	}
	if s, n := served.Load(), sent.Load(); s != n || n != workers*perWorker {
		t.Errorf("the upstream served %d requests; %d were sent, want %d", s, n, workers*perWorker)
	}
}

// Shutdown stops accepting connections, lets the requests in flight
// finish, and then Serve returns nil.
func TestServer_gracefulShutdown(t *testing.T) {
	t.Parallel()
	arrived, release := make(chan struct{}), make(chan struct{})
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		io.WriteString(w, "done")
	})
	g := startGateway(t, versionPolicy("a"), gateway.Overrides{Upstream: up.URL})
	res := make(chan string, 1)
	go func() {
		resp, err := g.try(request{path: "/slow", origin: "https://app.example.com"})
		if err != nil {
			res <- "error: " + err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		res <- fmt.Sprintf("%d %s %s", resp.StatusCode, b, exposed(resp))
	}()
	<-arrived
	g.stop()
	waitFor(t, "the listener to close", func() bool {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(g.url, "http://"), time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	select {
	case err := <-g.done:
		t.Fatalf("Serve returned (%v) with a request in flight", err)
	default:
	}
	close(release)
	if got := <-res; got != "200 done x-version-a" {
		t.Errorf("in-flight request: got %q; want %q", got, "200 done x-version-a")
	}
	select {
	case err := <-g.done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
		g.done <- nil // for the cleanup
	case <-time.After(5 * time.Second):
		t.Error("Serve did not return after the last request")
	}
}

// With tls_cert and tls_key, the gateway serves HTTPS, and HTTP/2 to the
// clients that ask for it.
func TestServer_TLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certPEM, keyPEM := selfSigned(t)
	os.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o600)
	os.WriteFile(filepath.Join(dir, "key.pem"), keyPEM, 0o600)
	path := filepath.Join(dir, "policy.yaml")
	writeFile(t, path, versionPolicy("a")+proxySection+"  tls_cert: cert.pem\n  tls_key: key.pem\n")
	g := serve(t, path, gateway.Overrides{Upstream: "echo"})

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	req, _ := http.NewRequest("GET", "https://"+g.srv.Addr().String()+"/x", nil)
	req.Header.Set("Origin", "https://app.example.com")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b := body(t, resp)
	if resp.ProtoMajor != 2 {
		t.Errorf("got %s; want HTTP/2", resp.Proto)
	}
	if !strings.Contains(b, `"X-Forwarded-Proto": [`+"\n"+`      "https"`) {
		t.Errorf("echo: want X-Forwarded-Proto https, got\n%s", b)
	}
	checkHeaders(t, "over TLS", resp.Header, "Access-Control-Allow-Origin: https://app.example.com", "Access-Control-Expose-Headers: x-version-a", "Vary: Origin")
}

func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// Bad settings are refused at start with an error naming what is wrong.
func TestNewServer_errors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cases := []struct {
		desc string
		src  string // "" for no file
		ovr  gateway.Overrides
		want string
	}{
		{"missing file", "", gateway.Overrides{}, "no such file or directory"},
		{"invalid file", invalidPolicy, gateway.Overrides{}, `policies[0].allow_origins[0]: cors: prohibited value "null"`},
		{"no upstream", versionPolicy("a"), gateway.Overrides{}, "no upstream: set proxy.upstream in the policy file or pass --upstream"},
		{"bad upstream flag", versionPolicy("a"), gateway.Overrides{Upstream: "localhost:9000"}, `--upstream: upstream "localhost:9000": want "echo" or an http:// or https:// URL`},
		{"bad listen flag", versionPolicy("a"), gateway.Overrides{Upstream: "echo", Listen: "8080"}, `--listen: listen address "8080": want host:port`},
		{"missing TLS files", versionPolicy("a") + "proxy:\n  tls_cert: nope.pem\n  tls_key: nope.key\n", gateway.Overrides{Upstream: "echo"},
			`loading TLS certificate "` + filepath.Join(dir, "nope.pem") + `" and key "` + filepath.Join(dir, "nope.key") + `"`},
		{"endless file", "/dev/zero", gateway.Overrides{Upstream: "echo"}, "read /dev/zero: larger than 4 MiB, the limit for a policy file"},
	}
	for i, tc := range cases {
		path := filepath.Join(dir, fmt.Sprintf("p%d.yaml", i))
		if tc.src == "/dev/zero" {
			path = tc.src // a device that never ends, never written to
		} else if tc.src != "" {
			os.WriteFile(path, []byte(tc.src), 0o644)
		}
		_, err := gateway.NewServer(gateway.ServerOptions{ConfigPath: path, Overrides: tc.ovr})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got error %v; want one containing %q", tc.desc, err, tc.want)
		}
	}
}

// Every bundled example serves: the requests its policies match get their
// CORS headers. examples/crossgate.yaml runs on its own built-in echo
// upstream.
func TestExamples(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../examples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), filepath.Base(file))
		// Free ports, whatever the example says.
		os.WriteFile(path, src, 0o644)
		ovr := gateway.Overrides{Listen: "127.0.0.1:0"}
		if !strings.Contains(string(src), "\nproxy:") {
			ovr.Upstream = "echo"
			os.WriteFile(path, append(src, "proxy:\n  admin_listen: 127.0.0.1:0\n"...), 0o644)
		} else {
			os.WriteFile(path, []byte(strings.ReplaceAll(string(src), "admin_listen: 127.0.0.1:9090", "admin_listen: 127.0.0.1:0")), 0o644)
		}
		g := serve(t, path, ovr)
		for _, p := range g.srv.Gateway().File().Policies {
			host := "any.test"
			if len(p.Hosts) > 0 {
				host = strings.ReplaceAll(p.Hosts[0], "*", "x")
			}
			reqPath := "/"
			if len(p.Paths) > 0 {
				reqPath = p.Paths[0]
			}
			origin := strings.ReplaceAll(strings.ReplaceAll(p.Config.AllowOrigins[0], "*", "x"), ":x", ":3000")
			if origin == "x" {
				origin = "https://any.example"
			}
			resp := g.do(request{path: reqPath, host: host, origin: origin})
			b := body(t, resp)
			if resp.StatusCode != 200 || !strings.Contains(b, `"method": "GET"`) {
				t.Errorf("%s, policy %s: got %d %q", file, p.Name, resp.StatusCode, b)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != origin && got != "*" {
				t.Errorf("%s, policy %s: GET %s%s from %s: got ACAO %q", file, p.Name, host, reqPath, origin, got)
			}
		}
	}
}

// A reload that removes a policy removes its series from /metrics; the
// policies that stay keep theirs.
func TestReload_forgetsRemovedPolicies(t *testing.T) {
	t.Parallel()
	two := `policies:
  - name: app
    match: { paths: [/api/] }
    allow_origins: [https://app.example.com]
  - name: gone
    match: { paths: [/gone/] }
    allow_origins: [https://gone.example.com]
`
	g := startGateway(t, two, gateway.Overrides{Upstream: "echo"})
	for _, p := range []string{"/api/x", "/gone/x"} {
		body(t, g.do(request{path: p, origin: "https://app.example.com"}))
	}
	metrics := func() string {
		resp, err := client.Get(g.admin + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		return body(t, resp)
	}
	if m := metrics(); !strings.Contains(m, `policy="gone"`) || !strings.Contains(m, `policy="app"`) {
		t.Fatal("/metrics lacks the series of both policies before the reload")
	}
	writeFile(t, g.path, versionPolicy("a")+proxySection) // only "app" is left
	g.srv.Reload()
	waitFor(t, "the reload to apply", func() bool { return !strings.Contains(metrics(), `policy="gone"`) })
	if m := metrics(); !strings.Contains(m, `crossgate_requests_total{decision="allowed",kind="actual",policy="app"} 1`) {
		t.Errorf("/metrics lost the series of the policy that stayed:\n%s", m)
	}
}
