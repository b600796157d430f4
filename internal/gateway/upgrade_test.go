package gateway_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/gateway"
)

// sendRaw sends req on a new connection to the gateway and reads the
// response.
func sendRaw(t *testing.T, g *testGateway, req string) (*http.Response, net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(g.url, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprint(conn, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp, conn, br
}

// An upgrade to h2c is not forwarded as an upgrade: it concerns the hop
// between client and gateway only (its HTTP2-Settings is a connection
// header, which the gateway removes), RFC 9113 §3.1 deprecates it, and an
// upstream that switched would then take every request of the client's
// connection straight, past the gateway's routing and policies (h2c
// smuggling). The request is served as a plain HTTP/1.1 one, which RFC
// 9110 §7.8 allows ("a server MAY ignore a received Upgrade header").
func TestGateway_h2cUpgradeNotForwarded(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "" {
			fmt.Fprint(w, "plain")
			return
		}
		// A naive h2c server: switches whenever asked.
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprint(brw, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
		brw.Flush()
		brw.ReadString('\n')
	})
	g := startGateway(t, protectPolicy, gateway.Overrides{Upstream: up.URL})
	for _, upgrade := range []string{"h2c", "H2C", "websocket, h2c"} {
		resp, _, _ := sendRaw(t, g, "GET /open/x HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: "+upgrade+"\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n")
		b := body(t, resp)
		if resp.StatusCode != 200 || b != "plain" {
			t.Errorf("Upgrade: %s: got %d %q; want 200 \"plain\", served without the upgrade", upgrade, resp.StatusCode, b)
		}
	}
	for _, r := range up.got() {
		if v := r.Header.Values("Upgrade"); len(v) > 0 {
			t.Errorf("the upstream got Upgrade: %q", v)
		}
	}
}
