package websocket

import (
	"context"
	"net/http"

	"github.com/coder/websocket"
	"github.com/crossgate/crossgate/cors"
)

// CoderEcho returns a WebSocket echo endpoint on coder/websocket whose
// handshakes are accepted from the origins mw's policy allows.
//
// coder/websocket's AcceptOptions.OriginPatterns are path.Match globs on
// the Origin's host[:port] alone: they cannot say "https only" (an
// http://app.example.com page, which any network attacker can inject into,
// passes for https://app.example.com), and they are a second list to keep
// in step with the CORS policy. So the origin is checked with
// mw.CheckWebSocket, against the policy's own AllowOrigins, before Accept,
// and Accept's check is turned off with InsecureSkipVerify, which is then
// safe.
func CoderEcho(mw *cors.Middleware) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := mw.CheckWebSocket(r); err != nil {
			cors.WriteRefusal(w, err)
			return
		}
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
		if err != nil {
			return // Accept has answered with the error
		}
		defer c.CloseNow()
		ctx := context.Background()
		for {
			kind, msg, err := c.Read(ctx)
			if err != nil {
				return
			}
			if err := c.Write(ctx, kind, msg); err != nil {
				return
			}
		}
	})
}
