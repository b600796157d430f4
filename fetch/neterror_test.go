package fetch_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/crossgate/crossgate/fetch"
)

// dialErr is a transport whose every connection fails with err, as the
// kernel fails connect(2).
func dialErr(err error) http.RoundTripper {
	return &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Net: network, Err: os.NewSyscallError("connect", err)}
	}}
}

// Each system error maps to the net error code Chromium's
// MapSystemError gives it, not to a catch-all net::ERR_FAILED.
func TestClient_networkErrorCodes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err  error
		want string
	}{
		{syscall.ECONNREFUSED, "net::ERR_CONNECTION_REFUSED"},
		{syscall.EHOSTUNREACH, "net::ERR_ADDRESS_UNREACHABLE"},
		{syscall.ENETUNREACH, "net::ERR_ADDRESS_UNREACHABLE"},
		{syscall.ENETDOWN, "net::ERR_INTERNET_DISCONNECTED"},
		{syscall.ECONNRESET, "net::ERR_CONNECTION_RESET"},
		{syscall.ETIMEDOUT, "net::ERR_TIMED_OUT"},
		{syscall.EACCES, "net::ERR_ACCESS_DENIED"},
		{&net.DNSError{Err: "no such host", Name: "nowhere.invalid", IsNotFound: true}, "net::ERR_NAME_NOT_RESOLVED"},
	}
	for _, tc := range cases {
		t.Run(tc.want+" "+tc.err.Error(), func(t *testing.T) {
			t.Parallel()
			tr := dialErr(tc.err)
			if dns := (*net.DNSError)(nil); errors.As(tc.err, &dns) {
				tr = &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
					return nil, &net.OpError{Op: "dial", Net: "tcp", Err: tc.err}
				}}
			}
			c := &fetch.Client{Transport: tr}
			res, err := c.Do(context.Background(), fetch.Request{URL: "http://api.example/x", Origin: pageOrigin})
			var ne *fetch.NetworkError
			if !errors.As(err, &ne) || ne.Code != tc.want {
				t.Fatalf("got error %v; want a network error %s", err, tc.want)
			}
			if res.NetworkError != tc.want || res.Allowed {
				t.Errorf("got network_error %q, allowed %t; want %q, false", res.NetworkError, res.Allowed, tc.want)
			}
		})
	}
}

// Response headers past Chromium's 256 KiB fail the fetch with
// net::ERR_RESPONSE_HEADERS_TOO_BIG on the default transport; headers
// under the limit pass.
func TestClient_responseHeadersTooBig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		size int
		want string
	}{{fetch.MaxResponseHeaderBytes + 1024, "net::ERR_RESPONSE_HEADERS_TOO_BIG"}, {fetch.MaxResponseHeaderBytes - 4096, ""}} {
		srv := rawServer(t, "HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\nX-Big: "+strings.Repeat("a", tc.size)+"\r\nContent-Length: 0\r\n\r\n")
		res, err := (&fetch.Client{}).Do(context.Background(), fetch.Request{URL: srv + "/", Origin: pageOrigin})
		if tc.want == "" {
			if err != nil || !res.Allowed {
				t.Errorf("%d bytes of headers: got %v, %+v; want allowed", tc.size, err, res)
			}
			continue
		}
		var ne *fetch.NetworkError
		if !errors.As(err, &ne) || ne.Code != tc.want {
			t.Errorf("%d bytes of headers: got error %v; want %s", tc.size, err, tc.want)
		}
	}
}

// rawServer answers every connection on 127.0.0.1 with response, once,
// and returns its URL.
func rawServer(t *testing.T, response string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				_, _ = c.Read(buf)
				_, _ = c.Write([]byte(response))
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}
