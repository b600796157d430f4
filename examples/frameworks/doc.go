// Package frameworks shows crossgate's cors middleware with chi, gin, echo
// and gorilla/mux, one program each (go run ./chi, ./gin, ./echo,
// ./gorillamux), each with a test that a preflight reaches the middleware
// rather than the router's 405 or 404.
//
// The rule is the same everywhere: the middleware must see a request
// before the router decides that no route takes its method. A preflight is
// an OPTIONS request, and the API's routes are for GET, PUT, DELETE...:
// a router that matches first answers 405 Method Not Allowed (or 404),
// without CORS headers, and the browser reports a CORS error.
package frameworks
