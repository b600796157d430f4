// Package bench measures the crossgate cors middleware side by side with
// github.com/rs/cors and github.com/go-chi/cors, on the same policies and
// the same requests. It holds no code of its own: everything is in the
// _test.go files, and README.md says how to run them and what they gave.
package bench
