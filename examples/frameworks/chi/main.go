// Command chi serves an API with chi and crossgate's cors middleware.
//
// With chi, r.Use on the root router is enough: chi runs the root's
// middlewares before it routes, so a preflight for a PUT-only route
// reaches the middleware instead of chi's 405.
package main

import (
	"fmt"
	"log"
	"net/http"

	"github.com/crossgate/crossgate/cors"
	"github.com/go-chi/chi/v5"
)

// newRouter returns the API; mw may be nil for none.
func newRouter(mw *cors.Middleware) http.Handler {
	r := chi.NewRouter()
	if mw != nil {
		r.Use(mw.Wrap)
	}
	r.Put("/api/orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Handled-By", "chi")
		fmt.Fprintf(w, "updated %s\n", chi.URLParam(r, "id"))
	})
	r.Delete("/api/orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	return r
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
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", newRouter(mw)))
}
