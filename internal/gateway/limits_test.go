package gateway_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/gateway"
)

// A client that sends its body a byte at a time does not hold its
// connection past proxy.read_timeout: it gets 408, and the connection is
// closed (issue 8, defect 8).
func TestServer_readTimeout(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			return // the gateway gave up on the client's body
		}
		io.WriteString(w, "ok")
	})
	path := filepath.Join(t.TempDir(), "policy.yaml")
	writeFile(t, path, versionPolicy("a")+`
proxy:
  listen: 127.0.0.1:0
  admin_listen: "off"
  read_timeout: 300ms
`)
	g := serve(t, path, gateway.Overrides{Upstream: up.URL})
	if got := g.srv.Settings().ReadTimeout; got != 300*time.Millisecond {
		t.Fatalf("ReadTimeout is %s; want 300ms", got)
	}

	c, err := net.DialTimeout("tcp", strings.TrimPrefix(g.url, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	io.WriteString(c, "POST /x HTTP/1.1\r\nHost: api.test\r\nOrigin: https://app.example.com\r\nContent-Length: 1000\r\n\r\n")
	stop := make(chan struct{})
	defer close(stop)
	go func() { // a byte every 50 ms: 50 s for the whole body
		for range 1000 {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if _, err := c.Write([]byte("x")); err != nil {
				return
			}
		}
	}()
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("reading the response: %v (after %s)", err, time.Since(start))
	}
	io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("got %d; want 408", resp.StatusCode)
	}
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "https://app.example.com" {
		t.Errorf("the 408 has Access-Control-Allow-Origin %q; want the policy's", got)
	}
	if _, err := br.ReadByte(); err == nil {
		t.Error("the connection is still open after the 408")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the slow client held its connection %s; want about 300ms", d)
	}
	g.waitLogs(`"status":408`, "reading the request body")
}

// CONNECT is answered 400 by the gateway and never forwarded.
func TestGateway_connect(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, okHandler)
	g := startGateway(t, versionPolicy("a"), gateway.Overrides{Upstream: up.URL})
	resp := rawRequest(t, strings.TrimPrefix(g.url, "http://"), "CONNECT", "example.com:443")
	b := body(t, resp)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(b, "CONNECT is not supported") {
		t.Errorf("CONNECT: got %d %q; want 400", resp.StatusCode, b)
	}
	if n := len(up.got()); n != 0 {
		t.Errorf("the upstream got %d requests; want none", n)
	}
}
