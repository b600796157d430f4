package check_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/cli"
)

// stallServer listens on 127.0.0.1 and hands each connection to serve
// until the test ends; it returns the server's URL.
func stallServer(t *testing.T, serve func(c net.Conn, stop <-chan struct{})) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); defer c.Close(); serve(c, stop) }()
		}
	}()
	t.Cleanup(func() {
		close(stop)
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "http://" + ln.Addr().String()
}

// dribble writes s a byte every interval until stop.
func dribble(c net.Conn, s string, interval time.Duration, stop <-chan struct{}) {
	for i := range len(s) {
		select {
		case <-stop:
			return
		case <-time.After(interval):
		}
		if _, err := c.Write([]byte{s[i]}); err != nil {
			return
		}
	}
	<-stop
}

// A server that accepts and says nothing, one that sends its headers a
// byte at a time, and one that stalls in the body: --timeout ends each
// with the browser's net::ERR_TIMED_OUT and exit 2, instead of hanging.
func TestRun_timeout(t *testing.T) {
	t.Parallel()
	head := "HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\nContent-Length: 100\r\n\r\n"
	servers := map[string]func(net.Conn, <-chan struct{}){
		"silent": func(c net.Conn, stop <-chan struct{}) {
			_, _ = io.Copy(io.Discard, c)
		},
		"headers a byte at a time": func(c net.Conn, stop <-chan struct{}) {
			_, _ = c.Read(make([]byte, 4096))
			dribble(c, head, 50*time.Millisecond, stop)
		},
		"stalled body": func(c net.Conn, stop <-chan struct{}) {
			_, _ = c.Read(make([]byte, 4096))
			_, _ = c.Write([]byte(head + "partial"))
			<-stop
		},
	}
	for name, serve := range servers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url := stallServer(t, serve)
			var stdout, stderr bytes.Buffer
			done := make(chan int, 1)
			go func() {
				done <- cli.Main(context.Background(), []string{"check", url + "/x", "--origin", "https://app.example", "--timeout", "400ms"},
					strings.NewReader(""), &stdout, &stderr)
			}()
			var code int
			select {
			case code = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("check did not give up")
			}
			if code != 2 {
				t.Errorf("got exit %d; want 2\n%s%s", code, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), "network error net::ERR_TIMED_OUT") || !strings.Contains(stderr.String(), "net::ERR_TIMED_OUT") {
				t.Errorf("got\n%s%s\nwant net::ERR_TIMED_OUT reported", stdout.String(), stderr.String())
			}
		})
	}
}

// --timeout 0 is no bound, a negative one is a usage error, and the
// default is 30 s.
func TestNewCmdCheck_timeout(t *testing.T) {
	t.Parallel()
	got, err := execute(t, []string{"http://api.example/", "--origin", "http://a.example"})
	if err != nil || got.Timeout != 30*time.Second {
		t.Fatalf("default: got %v, %v; want 30s", got, err)
	}
	got, err = execute(t, []string{"http://api.example/", "--origin", "http://a.example", "--timeout", "0"})
	if err != nil || got.Timeout != 0 {
		t.Fatalf("0: got %v, %v; want 0", got, err)
	}
	_, err = execute(t, []string{"http://api.example/", "--origin", "http://a.example", "--timeout", "-1s"})
	if err == nil || !strings.Contains(err.Error(), "invalid --timeout") {
		t.Fatalf("-1s: got %v; want a usage error", err)
	}
	var ue interface{ Unwrap() error }
	_ = errors.As(err, &ue)
}
