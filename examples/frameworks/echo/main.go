// Command echo serves an API with Echo and crossgate's cors middleware.
//
// With Echo, register the middleware with e.Pre: it runs before the
// router, so a preflight reaches it instead of Echo's own answer to
// OPTIONS (a 204 with an Allow header and no CORS headers, which the
// browser fails). echo.WrapMiddleware adapts the net/http middleware.
package main

import (
	"log"
	"net/http"

	"github.com/crossgate/crossgate/cors"
	"github.com/labstack/echo/v4"
)

// newEcho returns the API; mw may be nil for none.
func newEcho(mw *cors.Middleware) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	if mw != nil {
		e.Pre(echo.WrapMiddleware(mw.Wrap))
	}
	e.PUT("/api/orders/:id", func(c echo.Context) error {
		c.Response().Header().Set("X-Handled-By", "echo")
		return c.String(http.StatusOK, "updated "+c.Param("id")+"\n")
	})
	e.DELETE("/api/orders/:id", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	return e
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
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", newEcho(mw)))
}
