package gateway_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/gateway"
	"github.com/crossgate/crossgate/internal/policyfile"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

const protectPolicy = `policies:
  - name: app
    match: { paths: [/api/] }
    allow_origins: [https://app.example.com, "https://*.preview.example.com"]
    allow_credentials: true
    allow_methods: [PUT, DELETE]
    protect_writes: true
  - name: open
    match: { paths: [/open/] }
    allow_origins: [https://app.example.com]
    websocket_allow_no_origin: true
`

func (g *testGateway) metrics() string {
	g.t.Helper()
	resp, err := client.Get(g.admin + "/metrics")
	if err != nil {
		g.t.Fatal(err)
	}
	return body(g.t, resp)
}

func wantMetrics(t *testing.T, metrics string, lines ...string) {
	t.Helper()
	for _, line := range lines {
		if !strings.Contains(metrics, line+"\n") {
			t.Errorf("/metrics lacks %q", line)
		}
	}
}

// Under protect_writes, the gateway refuses a cross-origin write from an
// origin the policy does not allow before the upstream sees it; without it
// (policy "open"), the write goes through, as CORS alone lets it.
func TestGateway_protectWrites(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, okHandler)
	g := startGateway(t, protectPolicy, gateway.Overrides{Upstream: up.URL})
	cross := map[string]string{"Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"}
	tests := []struct {
		method, path, origin string
		header               map[string]string
		refused              bool
	}{
		{"POST", "/api/orders", "https://evil.example", cross, true},
		{"PUT", "/api/orders/1", "https://evil.example", cross, true},
		{"DELETE", "/api/orders/1", "https://evil.example", nil, true}, // no Sec-Fetch-Site: Origin against Host
		{"POST", "/api/orders", "https://app.example.com", cross, false},
		{"POST", "/api/orders", "https://pr-3.preview.example.com", cross, false},
		{"POST", "/api/orders", "", nil, false}, // curl
		{"GET", "/api/orders", "https://evil.example", cross, false},
		{"POST", "/open/orders", "https://evil.example", cross, false}, // no protect_writes
	}
	forwarded := 0
	for _, tc := range tests {
		resp := g.do(request{method: tc.method, path: tc.path, origin: tc.origin, header: tc.header, body: strings.NewReader("x")})
		b := body(t, resp)
		if !tc.refused {
			forwarded++
			if resp.StatusCode != 200 || len(up.got()) != forwarded {
				t.Errorf("%s %s from %q: status %d, upstream saw %d requests; want it forwarded", tc.method, tc.path, tc.origin, resp.StatusCode, len(up.got()))
			}
			continue
		}
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(b, "cross-origin "+tc.method+" refused") || !strings.Contains(b, tc.origin) {
			t.Errorf("%s %s from %q: got %d %q; want 403 saying why", tc.method, tc.path, tc.origin, resp.StatusCode, b)
		}
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("refusal has Access-Control-Allow-Origin %q", got)
		}
		if len(up.got()) != forwarded {
			t.Fatalf("%s %s from %q reached the upstream", tc.method, tc.path, tc.origin)
		}
	}
	g.waitLogs(`"method":"POST"`, `"status":403`, `"refused":"cross-origin-write"`)
	wantMetrics(t, g.metrics(),
		`crossgate_write_refusals_total{policy="app"} 3`,
		`crossgate_write_refusals_total{policy="open"} 0`,
	)
}

// wsEcho is an upstream that accepts every WebSocket handshake and echoes
// text messages.
func wsEcho(w http.ResponseWriter, r *http.Request) {
	conn, _, _, err := ws.UpgradeHTTP(r, w)
	if err != nil {
		return
	}
	defer conn.Close()
	for {
		msg, op, err := wsutil.ReadClientData(conn)
		if err != nil {
			return
		}
		if err := wsutil.WriteServerMessage(conn, op, msg); err != nil {
			return
		}
	}
}

// dialWS opens a WebSocket through the gateway, sends "ping" and returns
// what came back, or the handshake's status when it was refused.
func dialWS(t *testing.T, g *testGateway, path, origin string) (echo string, status int) {
	t.Helper()
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d := ws.Dialer{Header: ws.HandshakeHeaderHTTP(h), Timeout: 5 * time.Second}
	conn, _, _, err := d.Dial(ctx, "ws"+strings.TrimPrefix(g.url, "http")+path)
	var se ws.StatusError
	if errors.As(err, &se) {
		return "", int(se)
	}
	if err != nil {
		t.Fatalf("dial %s from %q: %v", path, origin, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if err := wsutil.WriteClientText(conn, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	msg, err := wsutil.ReadServerText(conn)
	if err != nil {
		t.Fatal(err)
	}
	return string(msg), http.StatusSwitchingProtocols
}

// The gateway forwards WebSocket handshakes from allowed origins (and its
// own) to the upstream, which then talks to the client through it, and
// refuses the others with 403 before the upstream sees them; a handshake
// without Origin follows websocket_allow_no_origin.
func TestGateway_websocket(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, wsEcho)
	g := startGateway(t, protectPolicy, gateway.Overrides{Upstream: up.URL})
	self := "http://" + strings.TrimPrefix(g.url, "http://")
	tests := []struct {
		path, origin string
		want         int
	}{
		{"/api/live", "https://app.example.com", 101},
		{"/api/live", "https://a.b.preview.example.com", 101},
		{"/api/live", self, 101}, // the gateway's own origin
		{"/api/live", "https://evil.example", 403},
		{"/api/live", "null", 403},
		{"/api/live", "", 403}, // websocket_allow_no_origin is off
		{"/open/live", "", 101},
		{"/open/live", "https://evil.example", 403},
		{"/elsewhere", "https://app.example.com", 403}, // no policy: only the gateway's own origin
	}
	forwarded := 0
	for _, tc := range tests {
		echo, status := dialWS(t, g, tc.path, tc.origin)
		if status != tc.want {
			t.Errorf("%s from %q: status %d; want %d", tc.path, tc.origin, status, tc.want)
		}
		if status == 101 {
			forwarded++
			if echo != "ping" {
				t.Errorf("%s from %q: echo %q; want ping", tc.path, tc.origin, echo)
			}
		}
		if n := len(up.got()); n != forwarded {
			t.Fatalf("%s from %q: upstream saw %d handshakes; want %d", tc.path, tc.origin, n, forwarded)
		}
	}
	logs := g.waitLogs(`"status":101`, `"upgrade":"websocket"`, `"refused":"websocket-origin-not-allowed"`, `"refused":"websocket-no-origin"`, `"refused":"websocket-invalid-origin"`)
	if strings.Contains(logs, `"status":0`) {
		t.Errorf("an access log record has status 0:\n%s", logs)
	}
	wantMetrics(t, g.metrics(),
		`crossgate_websocket_handshakes_total{decision="allowed",policy="app",reason="allowed"} 3`,
		`crossgate_websocket_handshakes_total{decision="refused",policy="app",reason="origin-not-allowed"} 1`,
		`crossgate_websocket_handshakes_total{decision="refused",policy="app",reason="invalid-origin"} 1`,
		`crossgate_websocket_handshakes_total{decision="refused",policy="app",reason="no-origin"} 1`,
		`crossgate_websocket_handshakes_total{decision="allowed",policy="open",reason="allowed"} 1`,
		`crossgate_websocket_handshakes_total{decision="refused",policy="open",reason="origin-not-allowed"} 1`,
		`crossgate_websocket_handshakes_total{decision="refused",policy="",reason="origin-not-allowed"} 1`,
	)
}

// An Upgrade to another protocol than WebSocket is forwarded as it is:
// browsers cannot send one (Upgrade is a forbidden request header), so there
// is no Origin to check.
func TestGateway_otherUpgrade(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "x-echo" {
			http.Error(w, "want Upgrade: x-echo", http.StatusBadRequest)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprint(brw, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: x-echo\r\n\r\n")
		brw.Flush()
		line, _ := brw.ReadString('\n')
		fmt.Fprint(brw, "echo: "+line)
		brw.Flush()
	})
	g := startGateway(t, protectPolicy, gateway.Overrides{Upstream: up.URL})
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(g.url, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprint(conn, "GET /api/raw HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade\r\nUpgrade: x-echo\r\nOrigin: https://evil.example\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 101 {
		t.Fatalf("status %d; want 101", resp.StatusCode)
	}
	fmt.Fprint(conn, "hello\n")
	got, err := br.ReadString('\n')
	if err != nil && err != io.EOF {
		t.Fatal(err)
	}
	if got != "echo: hello\n" {
		t.Errorf("got %q through the upgraded connection; want %q", got, "echo: hello\n")
	}
}

// The write check and the upgrade test cost the gateway no allocation on
// the requests they let through: a GET from a refused origin and a write
// from an allowed one cost the same with protect_writes as without.
func TestGateway_protectAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts vary under the race detector (sync.Pool drops items at random); run without -race")
	}
	const twin = `policies:
  - name: on
    match: { paths: [/on/] }
    allow_origins: [https://app.example.com, "https://*.preview.example.com"]
    protect_writes: true
  - name: off
    match: { paths: [/off/] }
    allow_origins: [https://app.example.com, "https://*.preview.example.com"]
`
	f, err := policyfile.Parse("t.yaml", []byte(twin))
	if err != nil {
		t.Fatal(err)
	}
	set := gateway.Resolve(policyfile.Proxy{}, gateway.Overrides{Upstream: "echo"})
	set.AccessLog = false
	g, err := gateway.New(f, set, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	allocs := func(method, path, origin string) float64 {
		r := httptest.NewRequest(method, "http://api.test"+path, nil)
		r.Header.Set("Origin", origin)
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		serve := func() {
			w := &discardWriter{h: make(http.Header, 8)}
			g.ServeHTTP(w, r)
			if w.status != 200 {
				t.Fatalf("%s %s from %s: status %d", method, path, origin, w.status)
			}
		}
		serve()
		return testing.AllocsPerRun(200, serve)
	}
	for _, tc := range []struct{ method, origin string }{
		{"GET", "https://evil.example"},
		{"HEAD", "https://evil.example"},
		{"POST", "https://app.example.com"},
		{"DELETE", "https://pr-1.preview.example.com"},
	} {
		on, off := allocs(tc.method, "/on/x", tc.origin), allocs(tc.method, "/off/x", tc.origin)
		if on != off {
			t.Errorf("%s from %s: %v allocs with protect_writes, %v without; want the same", tc.method, tc.origin, on, off)
		}
	}
}
