package gateway_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/gateway"
)

// benchPolicy is bench/gateway's policy: the seeds' three origins,
// credentials, the nginx recipe's methods and headers, max age 2h.
const benchPolicy = `policies:
  - name: api
    match: { paths: [/api/] }
    allow_origins: [https://myapp.com, https://admin.myapp.com, https://staging.myapp.com]
    allow_credentials: true
    allow_methods: [GET, POST, PUT, DELETE, PATCH]
    allow_headers: [Authorization, Content-Type, X-Request-ID]
    expose_headers: [X-Total-Count, X-Request-ID]
    max_age: 2h
`

const loopbackPreflight = "OPTIONS /api/items HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://myapp.com\r\n" +
	"Access-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: content-type,x-request-id\r\n\r\n"

// BenchmarkLoopback_preflight serves bench/gateway's preflight over
// loopback TCP, on keep-alive connections, from four servers: the floor
// (a net/http handler that only writes 204), floor+headers (the same
// with the gateway's five CORS headers as fixed strings), the gateway with
// its own http.Server settings, and the same with its JSON access log (to
// io.Discard). Client and server share the process, so ns/op includes the
// client; the client is the same in all four, and allocs/op are the
// servers'.
//
//	go test -run '^$' -bench Loopback -benchmem ./internal/gateway
func BenchmarkLoopback_preflight(b *testing.B) {
	g, set := echoGateway(b, benchPolicy, nil)
	gl, _ := echoGateway(b, benchPolicy, gateway.NewLogger(io.Discard, "json"))
	floor := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	floorHeaders := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Access-Control-Allow-Origin"] = []string{r.Header.Get("Origin")}
		h["Access-Control-Allow-Credentials"] = []string{"true"}
		h["Access-Control-Allow-Methods"] = []string{"GET,POST,PUT,DELETE,PATCH"}
		h["Access-Control-Allow-Headers"] = []string{"authorization,content-type,x-request-id"}
		h["Access-Control-Max-Age"] = []string{"7200"}
		w.WriteHeader(http.StatusNoContent)
	})
	for _, bc := range []struct {
		name string
		srv  func() *http.Server
	}{
		{"server=floor", func() *http.Server { return &http.Server{Handler: floor, ReadHeaderTimeout: 10 * time.Second} }},
		{"server=floor+headers", func() *http.Server {
			return &http.Server{Handler: floorHeaders, ReadHeaderTimeout: 10 * time.Second}
		}},
		{"server=gateway", func() *http.Server {
			return &http.Server{Handler: g, ReadHeaderTimeout: set.ReadHeaderTimeout, ReadTimeout: set.ReadTimeout,
				IdleTimeout: set.IdleTimeout, MaxHeaderBytes: set.MaxHeaderBytes}
		}},
		{"server=gateway+log", func() *http.Server {
			return &http.Server{Handler: gl, ReadHeaderTimeout: set.ReadHeaderTimeout, ReadTimeout: set.ReadTimeout,
				IdleTimeout: set.IdleTimeout, MaxHeaderBytes: set.MaxHeaderBytes}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) { loopback(b, bc.srv()) })
	}
}

func loopback(b *testing.B, srv *http.Server) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	const conns = 8
	cs := make([]net.Conn, conns)
	for i := range cs {
		if cs[i], err = net.Dial("tcp", ln.Addr().String()); err != nil {
			b.Fatal(err)
		}
		defer cs[i].Close()
	}
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	per := b.N / conns
	for i, c := range cs {
		n := per
		if i == 0 {
			n += b.N % conns
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			br := bufio.NewReader(c)
			for range n {
				if _, err := c.Write([]byte(loopbackPreflight)); err != nil {
					b.Error(err)
					return
				}
				line, err := br.ReadSlice('\n')
				if err != nil || !bytes.HasPrefix(line, []byte("HTTP/1.1 204")) {
					b.Errorf("got %q, %v", line, err)
					return
				}
				for {
					l, err := br.ReadSlice('\n')
					if err != nil {
						b.Error(err)
						return
					}
					if len(l) == 2 {
						break
					}
				}
			}
		}()
	}
	wg.Wait()
}
