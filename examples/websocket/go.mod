module github.com/crossgate/crossgate/examples/websocket

go 1.25.0

replace github.com/crossgate/crossgate => ../../

require (
	github.com/coder/websocket v1.8.14
	github.com/crossgate/crossgate v0.0.0
	github.com/gorilla/websocket v1.5.3
)

require golang.org/x/net v0.58.0 // indirect
