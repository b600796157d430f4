// Command gorillamux serves an API with gorilla/mux and crossgate's cors
// middleware.
//
// With gorilla/mux, wrap the whole router: mw.Wrap(r). Middlewares added
// with r.Use run only once a route has matched, and a preflight (OPTIONS)
// matches no route registered with .Methods("PUT"): the router answers 405
// itself and r.Use's middleware never sees it (TestUseMissesPreflights).
package main

import (
	"fmt"
	"log"
	"net/http"

	"github.com/crossgate/crossgate/cors"
	"github.com/gorilla/mux"
)

func newRouter() *mux.Router {
	r := mux.NewRouter()
	r.HandleFunc("/api/orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Handled-By", "gorilla/mux")
		fmt.Fprintf(w, "updated %s\n", mux.Vars(r)["id"])
	}).Methods(http.MethodPut)
	r.HandleFunc("/api/orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}).Methods(http.MethodDelete)
	return r
}

// newHandler returns the API behind the middleware.
func newHandler(mw *cors.Middleware) http.Handler {
	return mw.Wrap(newRouter())
}

func main() {
	mw, err := cors.New(cors.Config{
		AllowOrigins:     []string{"https://app.example.com"},
		AllowCredentials: true,
		AllowMethods:     []string{"PUT", "DELETE"},
		AllowHeaders:     []string{"Content-Type"},
	})
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", newHandler(mw)))
}
