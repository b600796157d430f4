package gateway_test

import (
	"context"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/gateway"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// openWS opens a WebSocket through the gateway from an allowed origin and
// checks that it echoes.
func openWS(t *testing.T, g *testGateway, path string) net.Conn {
	t.Helper()
	h := ws.HandshakeHeaderHTTP{"Origin": []string{"https://app.example.com"}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d := ws.Dialer{Header: h, Timeout: 5 * time.Second}
	conn, _, _, err := d.Dial(ctx, "ws"+strings.TrimPrefix(g.url, "http")+path)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if err := wsutil.WriteClientText(conn, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	if msg, err := wsutil.ReadServerText(conn); err != nil || string(msg) != "ping" {
		t.Fatalf("echo: %q, %v", msg, err)
	}
	conn.SetDeadline(time.Time{})
	return conn
}

// http.Server.Shutdown neither waits for nor closes hijacked connections:
// a WebSocket open through the gateway must not outlive the shutdown. The
// shutdown waits for it up to shutdown_timeout, then closes it (both
// sides) and reports that it was cut off.
func TestServer_shutdownClosesWebSockets(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, wsEcho)
	path := filepath.Join(t.TempDir(), "policy.yaml")
	writeFile(t, path, protectPolicy+strings.Replace(proxySection, "shutdown_timeout: 5s", "shutdown_timeout: 300ms", 1))
	g := serve(t, path, gateway.Overrides{Upstream: up.URL})
	conn := openWS(t, g, "/api/live")
	defer conn.Close()

	g.stop()
	select {
	case err := <-g.done:
		if err == nil || !strings.Contains(err.Error(), "WebSockets) still open after the shutdown timeout (300ms) were closed: 1") {
			t.Errorf("Serve: %v; want an error saying connections were cut off at shutdown_timeout", err)
		}
		g.done <- nil // for the cleanup
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return within 5s of the shutdown (shutdown_timeout 300ms)")
	}
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Read(make([]byte, 64)); err == nil || isTimeoutErr(err) {
		t.Errorf("the WebSocket is still open after the shutdown: read %v", err)
	}
}

// A WebSocket closed by its client before the shutdown lets it finish
// cleanly and at once; the proxy's goroutines for it are gone.
func TestServer_shutdownAfterWebSocketClosed(t *testing.T) {
	up := newUpstream(t, wsEcho)
	g := startGateway(t, protectPolicy, gateway.Overrides{Upstream: up.URL})
	base := runtime.NumGoroutine()
	for range 20 {
		openWS(t, g, "/api/live").Close()
	}
	waitFor(t, "the WebSockets' goroutines to end", func() bool { return runtime.NumGoroutine() <= base+2 })
	start := time.Now()
	g.stop()
	if err := <-g.done; err != nil {
		t.Errorf("Serve: %v", err)
	}
	g.done <- nil
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("shutdown took %s with no WebSocket open", d)
	}
}

func isTimeoutErr(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
