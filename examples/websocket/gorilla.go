package websocket

import (
	"net/http"

	"github.com/crossgate/crossgate/cors"
	gorilla "github.com/gorilla/websocket"
)

// GorillaEcho returns a WebSocket echo endpoint on gorilla/websocket whose
// handshakes are accepted from the origins mw's policy allows: mw.CheckOrigin
// has the signature of Upgrader.CheckOrigin. A refused handshake gets 403
// (gorilla's own answer) before any WebSocket frame.
func GorillaEcho(mw *cors.Middleware) http.Handler {
	up := gorilla.Upgrader{CheckOrigin: mw.CheckOrigin}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return // Upgrade has answered with the error
		}
		defer c.Close()
		for {
			kind, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(kind, msg); err != nil {
				return
			}
		}
	})
}
