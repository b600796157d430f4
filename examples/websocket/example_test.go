package websocket_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/crossgate/crossgate/cors"
	wsexample "github.com/crossgate/crossgate/examples/websocket"
	gorilla "github.com/gorilla/websocket"
)

// policy allows pages of any subdomain of example.com, at any depth, over
// https only, and local development servers on any port.
func policy() *cors.Middleware {
	mw, err := cors.New(cors.Config{
		AllowOrigins: []string{"https://*.example.com", "http://localhost:*"},
	})
	if err != nil {
		log.Fatal(err)
	}
	return mw
}

var origins = []string{
	"https://a.b.example.com", // allowed: the pattern covers any depth
	"http://localhost:5173",   // allowed: any port
	"http://app.example.com",  // refused: http, where the policy says https
	"https://evil.example",    // refused
}

// newServer serves h on 127.0.0.1.
func newServer(h http.Handler) (*httptest.Server, string) {
	srv := httptest.NewServer(h)
	return srv, "ws" + strings.TrimPrefix(srv.URL, "http")
}

func Example_gorilla() {
	srv, url := newServer(wsexample.GorillaEcho(policy()))
	defer srv.Close()
	for _, o := range origins {
		c, resp, err := gorilla.DefaultDialer.Dial(url, http.Header{"Origin": {o}})
		if err != nil {
			fmt.Printf("%s: refused, %d\n", o, resp.StatusCode)
			continue
		}
		c.WriteMessage(gorilla.TextMessage, []byte("hi"))
		_, msg, _ := c.ReadMessage()
		c.Close()
		fmt.Printf("%s: connected, echo %q\n", o, msg)
	}
	// Output:
	// https://a.b.example.com: connected, echo "hi"
	// http://localhost:5173: connected, echo "hi"
	// http://app.example.com: refused, 403
	// https://evil.example: refused, 403
}

func Example_coder() {
	srv, url := newServer(wsexample.CoderEcho(policy()))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, o := range origins {
		c, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {o}}})
		if err != nil {
			fmt.Printf("%s: refused, %d\n", o, resp.StatusCode)
			continue
		}
		c.Write(ctx, websocket.MessageText, []byte("hi"))
		_, msg, _ := c.Read(ctx)
		c.Close(websocket.StatusNormalClosure, "")
		fmt.Printf("%s: connected, echo %q\n", o, msg)
	}
	// Output:
	// https://a.b.example.com: connected, echo "hi"
	// http://localhost:5173: connected, echo "hi"
	// http://app.example.com: refused, 403
	// https://evil.example: refused, 403
}

// coder/websocket's own check, given the policy's hosts as
// OriginPatterns, accepts what the policy refuses (it matches the host
// only, so an http:// page that any network attacker can inject into passes
// for an https:// one): why the examples check the origin with package cors
// instead.
func Example_coderOriginPatterns() {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: []string{"*.example.com", "localhost:*"}})
		if err == nil {
			c.Close(websocket.StatusNormalClosure, "")
		}
	})
	srv, url := newServer(h)
	defer srv.Close()
	mw := policy()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, o := range origins {
		c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {o}}})
		if err == nil {
			c.CloseNow()
		}
		req := httptest.NewRequest("GET", url, nil)
		req.Header.Set("Origin", o)
		fmt.Printf("%s: OriginPatterns accepts %v, policy accepts %v\n", o, err == nil, mw.CheckOrigin(req))
	}
	// Output:
	// https://a.b.example.com: OriginPatterns accepts true, policy accepts true
	// http://localhost:5173: OriginPatterns accepts true, policy accepts true
	// http://app.example.com: OriginPatterns accepts true, policy accepts false
	// https://evil.example: OriginPatterns accepts false, policy accepts false
}
