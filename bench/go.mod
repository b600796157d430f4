module github.com/crossgate/crossgate/bench

go 1.25.0

replace github.com/crossgate/crossgate => ../

require (
	github.com/crossgate/crossgate v0.0.0
	github.com/go-chi/cors v1.2.2
	github.com/rs/cors v1.11.1
)

require golang.org/x/net v0.58.0 // indirect
