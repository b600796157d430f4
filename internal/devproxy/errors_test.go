package devproxy_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/devproxy"
)

// A frontend that is not running and an API that never answers get a
// 502 and a 504 whose body names them and says why, instead of an empty
// 502 and a page that loads forever.
func TestProxy_upstreamErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	release := make(chan struct{})
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hung.Close()
	defer close(release)
	p, err := devproxy.New(devproxy.Config{
		Frontend: mustURL(t, down),
		APIs:     []devproxy.API{{Prefix: "/api", Target: mustURL(t, hung.URL)}},
		Timeout:  200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()
	client := &http.Client{Timeout: 5 * time.Second}
	for path, want := range map[string]struct {
		status int
		body   string
	}{
		"/":      {502, "crossgate dev: the frontend " + down + " cannot be reached (is it running?): GET /:"},
		"/api/x": {504, "crossgate dev: the API /api " + hung.URL + " sent no response within 200ms: GET /api/x:"},
	} {
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want.status || !strings.Contains(string(b), want.body) {
			t.Errorf("GET %s: %d %q; want %d and a body with %q", path, resp.StatusCode, b, want.status, want.body)
		}
	}
}
