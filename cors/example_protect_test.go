package cors_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/crossgate/crossgate/cors"
)

// A form on a foreign site posts to the API. CORS alone lets the POST reach
// the handler (the browser only hides the answer from the page);
// ProtectWrites refuses it first. Allowed origins, patterns included, and
// same-origin pages still write.
func ExampleConfig_protectWrites() {
	mw, err := cors.New(cors.Config{
		AllowOrigins:  []string{"https://app.example.com", "https://*.preview.example.com"},
		ProtectWrites: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	handler := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("  handler ran: order placed")
	}))
	for _, o := range []string{"https://evil.example", "https://pr-42.preview.example.com"} {
		req := httptest.NewRequest("POST", "https://api.example.com/orders", nil)
		req.Header.Set("Origin", o)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		fmt.Println("POST from", o)
		handler.ServeHTTP(rec, req)
		fmt.Println(" ", rec.Code)
	}
	// Output:
	// POST from https://evil.example
	//   403
	// POST from https://pr-42.preview.example.com
	//   handler ran: order placed
	//   200
}

// CheckOrigin has the signature of gorilla/websocket's
// Upgrader.CheckOrigin: the handshake is accepted only from the origins the
// CORS policy allows (and the server's own). With coder/websocket, call
// CheckWebSocket before websocket.Accept and set InsecureSkipVerify: its
// OriginPatterns match the host alone, so they cannot refuse http:// where
// https:// is meant, and would be a second list to keep in step with the
// policy. Both are in the module examples/websocket.
func ExampleMiddleware_CheckWebSocket() {
	mw, err := cors.New(cors.Config{AllowOrigins: []string{"https://*.example.com"}})
	if err != nil {
		log.Fatal(err)
	}
	ws := func(w http.ResponseWriter, r *http.Request) {
		if err := mw.CheckWebSocket(r); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		// websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
		w.WriteHeader(http.StatusSwitchingProtocols)
	}
	for _, o := range []string{"https://chat.eu.example.com", "https://evil.example", ""} {
		req := httptest.NewRequest("GET", "https://ws.example.com/live", nil)
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "websocket")
		if o != "" {
			req.Header.Set("Origin", o)
		}
		rec := httptest.NewRecorder()
		ws(rec, req)
		fmt.Printf("%q: %d %v\n", o, rec.Code, mw.CheckOrigin(req))
	}
	// Output:
	// "https://chat.eu.example.com": 101 true
	// "https://evil.example": 403 false
	// "": 403 false
}
