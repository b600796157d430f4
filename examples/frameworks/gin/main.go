// Command gin serves an API with gin and crossgate's cors middleware.
//
// With gin, register the middleware with engine.Use before the routes:
// gin runs the engine's middlewares on requests that match no route too
// (its 404 and 405 handlers), so a preflight reaches it. Middleware adapts
// the net/http middleware to a gin.HandlerFunc. (Wrapping the whole
// engine, mw.Wrap(engine), works as well.)
package main

import (
	"log"
	"net/http"

	"github.com/crossgate/crossgate/cors"
	"github.com/gin-gonic/gin"
)

// Middleware returns mw as gin middleware: the handlers after it run only
// when mw passes the request on (it answers preflights itself).
func Middleware(mw *cors.Middleware) gin.HandlerFunc {
	return func(c *gin.Context) {
		passed := false
		mw.Wrap(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			passed = true
			c.Request = r
		})).ServeHTTP(c.Writer, c.Request)
		if !passed {
			c.Abort()
			return
		}
		c.Next()
	}
}

// newEngine returns the API; mw may be nil for none.
func newEngine(mw *cors.Middleware) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	if mw != nil {
		e.Use(Middleware(mw))
	}
	e.PUT("/api/orders/:id", func(c *gin.Context) {
		c.Header("X-Handled-By", "gin")
		c.String(http.StatusOK, "updated %s\n", c.Param("id"))
	})
	e.DELETE("/api/orders/:id", func(c *gin.Context) { c.Status(http.StatusNoContent) })
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
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", newEngine(mw)))
}
