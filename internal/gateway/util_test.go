package gateway_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/gateway"
)

// syncBuffer is a bytes.Buffer safe for concurrent use, for logs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// testGateway is a gateway serving on 127.0.0.1 for one test.
type testGateway struct {
	t     *testing.T
	srv   *gateway.Server
	path  string // the policy file
	url   string // "http://127.0.0.1:port"
	admin string // "http://127.0.0.1:port", or "" with no admin listener
	logs  *syncBuffer
	done  chan error // Serve's result
	stop  context.CancelFunc
}

// proxySection is appended to every test policy file: loopback listeners
// on free ports, JSON logs.
const proxySection = `
proxy:
  listen: 127.0.0.1:0
  admin_listen: 127.0.0.1:0
  upstream_timeout: 2s
  shutdown_timeout: 5s
`

// startGateway writes policies (a policy file without its proxy section,
// or with extra proxy keys after "proxy:" given in extra) and serves it.
func startGateway(t *testing.T, policies string, ovr gateway.Overrides) *testGateway {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.yaml")
	writeFile(t, path, policies+proxySection)
	return serve(t, path, ovr)
}

func serve(t *testing.T, path string, ovr gateway.Overrides) *testGateway {
	t.Helper()
	logs := new(syncBuffer)
	srv, err := gateway.NewServer(gateway.ServerOptions{ConfigPath: path, Watch: true, Overrides: ovr, LogWriter: logs})
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatalf("Listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := &testGateway{t: t, srv: srv, path: path, logs: logs, done: make(chan error, 1), stop: cancel}
	g.url = "http://" + srv.Addr().String()
	if a := srv.AdminAddr(); a != nil {
		g.admin = "http://" + a.String()
	}
	go func() { g.done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-g.done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return within 10s of the shutdown")
		}
		g.done <- nil // for a second cleanup
	})
	waitFor(t, "the gateway to be ready", func() bool {
		if g.admin == "" {
			return true
		}
		resp, err := http.Get(g.admin + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return g
}

func writeFile(t *testing.T, path, src string) {
	t.Helper()
	// Write then rename, as editors do, so that a watcher never reads a
	// half-written file.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond every 10 ms for at most 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 500 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// waitLogs waits until the logs (flushed every 100 ms) hold each of want,
// and returns them.
func (g *testGateway) waitLogs(want ...string) string {
	g.t.Helper()
	var logs string
	for range 200 {
		logs = g.logs.String()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(logs, w)
		}
		if ok {
			return logs
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, w := range want {
		if !strings.Contains(logs, w) {
			g.t.Errorf("logs lack %q", w)
		}
	}
	g.t.Logf("logs:\n%s", logs)
	return logs
}

// request is a request to the gateway.
type request struct {
	method, path, host, origin string
	header                     map[string]string // more headers
	body                       io.Reader
}

func (g *testGateway) do(rq request) *http.Response {
	g.t.Helper()
	resp, err := g.try(rq)
	if err != nil {
		g.t.Fatalf("%s %s: %v", rq.method, rq.path, err)
	}
	return resp
}

// client has a bounded timeout, so that a test never hangs on a request.
var client = &http.Client{Timeout: 10 * time.Second}

func (g *testGateway) try(rq request) (*http.Response, error) {
	if rq.method == "" {
		rq.method = http.MethodGet
	}
	r, err := http.NewRequest(rq.method, g.url+rq.path, rq.body)
	if err != nil {
		return nil, err
	}
	if rq.host != "" {
		r.Host = rq.host
	}
	if rq.origin != "" {
		r.Header.Set("Origin", rq.origin)
	}
	for k, v := range rq.header {
		r.Header.Set(k, v)
	}
	return client.Do(r)
}

// body reads and closes resp's body.
func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the body: %v", err)
	}
	return string(b)
}

// corsHeaders returns the response's Access-Control-* fields, one
// "Name: value" per field line, and its Vary lines as the one list they
// make (RFC 9110 §5.3), sorted.
func corsHeaders(h http.Header) []string {
	var out []string
	for k, vs := range h {
		switch {
		case k == "Vary":
			out = append(out, k+": "+strings.Join(vs, ", "))
		case strings.HasPrefix(k, "Access-Control-"):
			for _, v := range vs {
				out = append(out, k+": "+v)
			}
		}
	}
	slicesSort(out)
	return out
}

func slicesSort(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func checkHeaders(t *testing.T, what string, h http.Header, want ...string) {
	t.Helper()
	got := corsHeaders(h)
	slicesSort(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: got CORS headers\n\t%s\nwant\n\t%s", what, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// upstream is a test upstream on 127.0.0.1 that counts its requests.
type upstream struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*http.Request
}

func newUpstream(t *testing.T, h http.HandlerFunc) *upstream {
	t.Helper()
	u := new(upstream)
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.requests = append(u.requests, r.Clone(context.Background()))
		u.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) got() []*http.Request {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]*http.Request(nil), u.requests...)
}

// okHandler answers 200 "ok".
func okHandler(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }

var errTimeout = errors.New("timed out")

// within runs f and returns errTimeout if it takes more than d.
func within(d time.Duration, f func() error) error {
	c := make(chan error, 1)
	go func() { c <- f() }()
	select {
	case err := <-c:
		return err
	case <-time.After(d):
		return errTimeout
	}
}
