// Package websocket shows the CORS policy of package cors guarding
// WebSocket endpoints served with gorilla/websocket and coder/websocket.
//
// WebSockets are not subject to CORS: a page on any site can open a
// connection to any server, and the browser sends the server's cookies with
// the handshake (cross-site WebSocket hijacking). The only defence is the
// server checking the Origin header, against the same origins the CORS
// policy allows. This module is apart from crossgate's so that package cors
// depends on neither library.
package websocket
