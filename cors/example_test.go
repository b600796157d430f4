package cors_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/crossgate/crossgate/cors"
)

func Example() {
	mw, err := cors.New(cors.Config{
		AllowOrigins:     []string{"https://app.example.com", "https://*.preview.example.com"},
		AllowCredentials: true,
		AllowMethods:     []string{"PUT", "DELETE"},
		AllowHeaders:     []string{"Authorization", "Content-Type"},
		MaxAge:           2 * time.Hour,
	})
	if err != nil {
		log.Fatal(err)
	}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	})
	handler := mw.Wrap(api) // serve it with http.ListenAndServe(":8080", handler)

	// What a browser's preflight gets back:
	req := httptest.NewRequest("OPTIONS", "https://api.example.com/items/1", nil)
	req.Header.Set("Origin", "https://pr-42.preview.example.com")
	req.Header.Set("Access-Control-Request-Method", "PUT")
	req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	for _, name := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age"} {
		fmt.Printf("%s: %s\n", name, rec.Header().Get(name))
	}
	// Output:
	// 204
	// Access-Control-Allow-Origin: https://pr-42.preview.example.com
	// Access-Control-Allow-Credentials: true
	// Access-Control-Allow-Methods: PUT,DELETE
	// Access-Control-Allow-Headers: authorization,content-type
	// Access-Control-Max-Age: 7200
}

// New refuses a dangerous policy, and names every problem.
func ExampleNew_refused() {
	_, err := cors.New(cors.Config{
		AllowOrigins:     []string{"*", "null", "https://*.co.uk"},
		AllowCredentials: true,
	})
	fmt.Println(err)
	// Output:
	// cors: AllowOrigins[0]: incompatible value "*": "*" cannot be used with AllowCredentials: browsers reject Access-Control-Allow-Origin: * on credentialed requests; list the origins
	// cors: AllowOrigins[1]: prohibited value "null": the null origin is sent by sandboxed iframes, file: pages and redirected requests, so any attacker can forge it
	// cors: AllowOrigins[2]: prohibited value "https://*.co.uk": "co.uk" is a public suffix: anyone can register a subdomain of it (set DangerouslyAllowPublicSuffixPatterns to allow it anyway)
	// cors: AllowOrigins[0]: duplicate value "*": "*" already allows every origin: list either "*" alone or the origins
}

func ExampleMiddleware_Evaluate() {
	mw, err := cors.New(cors.Config{AllowOrigins: []string{"https://app.example.com"}, AllowHeaders: []string{"Content-Type"}})
	if err != nil {
		log.Fatal(err)
	}
	req := httptest.NewRequest("OPTIONS", "https://api.example.com/", nil)
	req.Header.Set("Origin", "https://app.example.com")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type,x-debug")
	d := mw.Evaluate(req)
	fmt.Println(d.Kind, d.Allowed, d.Reason)
	fmt.Println(d.Explain())
	// Output:
	// preflight false header-not-allowed
	// request header "x-debug" is not allowed by the policy
}

// Registering the middleware on a pattern with a method is a trap: the mux
// answers the preflight (OPTIONS) with 405 before the middleware runs.
func ExampleMiddleware_Wrap_incorrect() {
	mw, err := cors.New(cors.Config{AllowOrigins: []string{"https://app.example.com"}, AllowMethods: []string{"PUT"}})
	if err != nil {
		log.Fatal(err)
	}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	mux := http.NewServeMux()
	mux.Handle("PUT /items", mw.Wrap(api)) // wrong: register "/items", or wrap the mux
	req := httptest.NewRequest("OPTIONS", "/items", nil)
	req.Header.Set("Origin", "https://app.example.com")
	req.Header.Set("Access-Control-Request-Method", "PUT")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("Access-Control-Allow-Origin") == "")

	rec = httptest.NewRecorder()
	mw.Wrap(mux).ServeHTTP(rec, req) // right: the middleware outside the mux
	fmt.Println(rec.Code, rec.Header().Get("Access-Control-Allow-Origin"))
	// Output:
	// 405 true
	// 204 https://app.example.com
}
