package fetch_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/crossgate/crossgate/fetch"
)

// Classify tells whether a request is preflighted, and what the preflight
// carries.
func ExampleEngine_Classify() {
	p, err := fetch.Chromium.Classify(fetch.Request{
		Method: "put",
		URL:    "https://api.example.com/items/1",
		Origin: "https://app.example.com",
		Header: http.Header{"X-B": {"1"}, "X-A": {"2"}, "Cookie": {"sid=1"}, "Content-Type": {"text/plain"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	pf := p.PreflightHeader()
	fmt.Println("method:", p.Method)
	fmt.Println("preflight:", p.NeedsPreflight())
	fmt.Println("Access-Control-Request-Method:", pf.Get("Access-Control-Request-Method"))
	fmt.Println("Access-Control-Request-Headers:", pf.Get("Access-Control-Request-Headers"))
	fmt.Println("dropped:", p.Dropped)
	// Output:
	// method: PUT
	// preflight: true
	// Access-Control-Request-Method: PUT
	// Access-Control-Request-Headers: x-a,x-b
	// dropped: [Cookie]
}

// CheckPreflight checks a preflight response in Chromium's order and says
// what the console will show.
func ExampleEngine_CheckPreflight() {
	p, _ := fetch.Chromium.Classify(fetch.Request{
		URL:    "https://api.example.com/items",
		Origin: "https://app.example.com",
		Header: http.Header{"X-Foo": {"1"}},
	})
	f, _ := fetch.Chromium.CheckPreflight(p, fetch.Response{
		Status: 204,
		Header: http.Header{"Access-Control-Allow-Origin": {"https://app.example.com"}},
	})
	fmt.Println(f.ID)
	fmt.Println(f.ConsoleMessage())
	fmt.Println(f.Firefox)
	// Output:
	// HeaderDisallowedByPreflightResponse
	// Access to fetch at 'https://api.example.com/items' from origin 'https://app.example.com' has been blocked by CORS policy: Request header field x-foo is not allowed by Access-Control-Allow-Headers in preflight response.
	// CORSMissingAllowHeaderFromPreflight2
}

// Chromium 156 lets Access-Control-Allow-Headers: * cover Authorization,
// with a deprecation warning; the standard does not.
func ExampleEngine_CheckPreflight_authorization() {
	resp := fetch.Response{Status: 204, Header: http.Header{
		"Access-Control-Allow-Origin":  {"*"},
		"Access-Control-Allow-Headers": {"*"},
	}}
	for _, e := range []fetch.Engine{fetch.Chromium, fetch.Spec} {
		p, _ := e.Classify(fetch.Request{
			URL:    "https://api.example.com/me",
			Origin: "https://app.example.com",
			Header: http.Header{"Authorization": {"Bearer t"}},
		})
		f, warnings := e.CheckPreflight(p, resp)
		if f != nil {
			fmt.Printf("%s: blocked: %s\n", e, f.ID)
			continue
		}
		fmt.Printf("%s: allowed, warning %s\n", e, warnings[0].ID)
	}
	// Output:
	// chromium-156: allowed, warning AuthorizationCoveredByWildcard
	// spec: blocked: HeaderDisallowedByPreflightResponse
}

// Client.Do runs the request over the network and reports each step.
func ExampleClient_Do() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "https://app.example.com")
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer srv.Close()

	res, err := (&fetch.Client{}).Do(context.Background(), fetch.Request{
		Method: "DELETE",
		URL:    srv.URL + "/items/1",
		Origin: "https://app.example.com",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("allowed:", res.Allowed)
	fmt.Println("preflight sent:", res.PreflightSent)
	fmt.Println("error:", res.ChromiumError)
	for _, s := range res.Steps {
		fmt.Println("step:", s.Kind, s.Request.Method, s.Response.Status)
	}
	// Output:
	// allowed: false
	// preflight sent: true
	// error: MethodDisallowedByPreflightResponse
	// step: preflight OPTIONS 204
}

func ExampleEncodeHint() {
	fmt.Println(fetch.EncodeHint("http://\xe9.example"))
	// Output: http://\u00E9.example
}

func ExampleReadableHeaders() {
	h := http.Header{
		"Content-Type":                  {"application/json"},
		"X-Request-Id":                  {"42"},
		"X-Internal":                    {"secret"},
		"Set-Cookie":                    {"sid=1"},
		"Access-Control-Expose-Headers": {"X-Request-Id, Set-Cookie"},
	}
	fmt.Println(fetch.ReadableHeaders(h, fetch.Cors, fetch.Include))
	// Output: [content-type x-request-id]
}

func ExampleChromiumMaxAge() {
	for _, v := range []string{"600", "86400", "-1", "abc"} {
		h := http.Header{"Access-Control-Max-Age": {v}}
		fmt.Println(v, fetch.ChromiumMaxAge(h), fetch.FirefoxMaxAge(h))
	}
	// Output:
	// 600 10m0s 10m0s
	// 86400 2h0m0s 24h0m0s
	// -1 0s 0s
	// abc 5s 0s
}
