package source_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/crossgate/crossgate/internal/audit"
	"github.com/crossgate/crossgate/internal/audit/source"
)

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// describe renders a target's requests as "METHOD name:value,...", sorted.
func describe(tg *audit.Target) []string {
	var out []string
	for _, r := range tg.Requests {
		var hs []string
		for n, vs := range r.Header {
			hs = append(hs, n+":"+vs[0])
		}
		slices.Sort(hs)
		out = append(out, r.Method+" "+strings.Join(hs, ","))
	}
	return out
}

func urls(ts []*audit.Target) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.URL.String())
	}
	return out
}

func TestOpenAPI30(t *testing.T) {
	ts, err := source.OpenAPI("petstore-3.0.yaml", read(t, "petstore-3.0.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	base := "https://petstore.example.com/api/v3"
	want := []string{base + "/pet", base + "/pet/findByStatus", base + "/pet/10", base + "/store/order/1", base + "/user/user1"}
	if got := urls(ts); !slices.Equal(got, want) {
		t.Fatalf("targets %q; want %q", got, want)
	}
	for i, want := range [][]string{
		// The body's JSON type, and the document's API key.
		{"PUT Api_key:crossgate,Content-Type:application/json", "POST Api_key:crossgate,Content-Type:application/json"},
		// security: [] drops the key.
		{"GET "},
		// Accept is ignored (OpenAPI says so); OAuth is Authorization.
		{"GET Api_key:crossgate", "DELETE Authorization:crossgate,X-Request-Id:crossgate"},
		{"GET Api_key:crossgate"},
		// OPTIONS is the audit's own.
		{"GET Api_key:crossgate"},
	} {
		if got := describe(ts[i]); !slices.Equal(got, want) {
			t.Errorf("%s: requests %q; want %q", ts[i].URL, got, want)
		}
	}
}

func TestOpenAPI31(t *testing.T) {
	src := read(t, "tasks-3.1.json")
	if _, err := source.OpenAPI("tasks-3.1.json", src, nil); err == nil || !strings.Contains(err.Error(), `servers[1].url "/staging/v2" is relative`) {
		t.Fatalf("a relative server without a base: %v", err)
	}
	base, _ := url.Parse("http://127.0.0.1:8080/")
	ts, err := source.OpenAPI("tasks-3.1.json", src, base)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"https://eu.tasks.example.net/v2/projects/crossgate/tasks", "http://127.0.0.1:8080/staging/v2/projects/crossgate/tasks",
		"https://eu.tasks.example.net/v2/tasks/4711", "http://127.0.0.1:8080/staging/v2/tasks/4711",
		"https://eu.tasks.example.net/v2/health", "http://127.0.0.1:8080/staging/v2/health",
	}
	if got := urls(ts); !slices.Equal(got, want) {
		t.Fatalf("targets %q; want %q", got, want)
	}
	for i, want := range [][]string{
		{"GET Authorization:crossgate,X-Tenant:crossgate", "POST Authorization:crossgate,Content-Type:application/merge-patch+json"},
		nil,
		{"PATCH Authorization:crossgate,Content-Type:text/plain"},
		nil,
		{"GET "},
	} {
		if want == nil {
			continue
		}
		if got := describe(ts[i]); !slices.Equal(got, want) {
			t.Errorf("%s: requests %q; want %q", ts[i].URL, got, want)
		}
	}
}

func TestOpenAPIErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"swagger: '2.0'\npaths: {}\n", "Swagger 2.0 is not supported"},
		{"openapi: 4.0.0\n", "want an OpenAPI 3.0 or 3.1 document"},
		{"openapi: 3.0.0\nservers: [{url: 'https://a.example'}]\n", "no paths"},
		{"openapi: [\n", "not an OpenAPI document"},
	} {
		if _, err := source.OpenAPI("x.yaml", []byte(tc.src), nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v; want %q", tc.src, err, tc.want)
		}
	}
}

func TestHAR(t *testing.T) {
	ts, err := source.HAR("session.har", bytes.NewReader(read(t, "session.har")))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"https://api.shop.example/v1/cart/items", "https://api.shop.example/v1/cart?expand=items"}
	if got := urls(ts); !slices.Equal(got, want) {
		t.Fatalf("targets %q; want %q", got, want)
	}
	// The token is not kept; the browser's own headers and the
	// preflight are left out.
	if got, want := describe(ts[0]), []string{"POST Authorization:crossgate,Content-Type:application/json"}; !slices.Equal(got, want) {
		t.Errorf("requests %q; want %q", got, want)
	}
	if got, want := describe(ts[1]), []string{"GET ", "GET X-Client-Version:crossgate"}; !slices.Equal(got, want) {
		t.Errorf("requests %q; want %q", got, want)
	}
	if got, want := ts[1].Origins, []string{"https://app.shop.example", "https://checkout.shop.example"}; !slices.Equal(got, want) {
		t.Errorf("origins %q; want %q", got, want)
	}
	if _, err := source.HAR("x.har", strings.NewReader(`{"log":{"entries":[]}}`)); err == nil || !strings.Contains(err.Error(), "no cross-origin request") {
		t.Errorf("empty HAR: %v", err)
	}
	if _, err := source.HAR("x.har", strings.NewReader(`<html>`)); err == nil || !strings.Contains(err.Error(), "reading the HAR") {
		t.Errorf("not JSON: %v", err)
	}
}

// The preflights of an audit of targets from an OpenAPI document ask for
// what the real client sends: the operation's method and headers.
func TestOpenAPIPreflightsAskWhatTheClientSends(t *testing.T) {
	var mu sync.Mutex
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions && r.Header.Get("Origin") == "http://"+r.Host {
			mu.Lock()
			asked = append(asked, r.Header.Get("Access-Control-Request-Method")+" "+r.Header.Get("Access-Control-Request-Headers"))
			mu.Unlock()
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	doc := strings.ReplaceAll(string(read(t, "petstore-3.0.yaml")), "https://petstore.example.com/api/v3", srv.URL)
	ts, err := source.OpenAPI("petstore", []byte(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, thorough := range []bool{false, true} {
		asked = nil
		if _, err := audit.Run(context.Background(), ts[2:3], audit.Options{Thorough: thorough}); err != nil {
			t.Fatal(err)
		}
		// GET /pet/10 with api_key is preflighted; so is the DELETE.
		for _, want := range []string{"GET api_key", "DELETE authorization,x-request-id"} {
			if !slices.Contains(asked, want) {
				t.Errorf("thorough=%t: the preflights from the own origin asked %q; want %q among them", thorough, asked, want)
			}
		}
		if slices.Contains(asked, "PUT content-type") {
			t.Errorf("thorough=%t: a preflight asked for the default JSON PUT although the document says what the client sends", thorough)
		}
	}
}

// A HAR that Chromium 156 recorded (e2e TestChromium_har, kept for check
// --har): its preflights are typed "other", and the request blocked at its
// preflight (/har/token) was recorded without its Origin header, so only
// its Referer says where it came from. Every cross-origin URL becomes a
// target, the blocked one included, with the header the page set.
func TestHAR_chromiumRecording(t *testing.T) {
	src, err := os.ReadFile("../../devtools/testdata/har/chromium-156.har")
	if err != nil {
		t.Fatal(err)
	}
	ts, err := source.HAR("chromium-156.har", bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	const api, page = "http://127.0.0.1:32945/har/", "http://127.0.0.1:45957"
	want := []string{api + "open", api + "closed", api + "put", api + "token", api + "cred", api + "redirect", api + "open?from=redirect"}
	if got := urls(ts); !slices.Equal(got, want) {
		t.Fatalf("targets %q; want %q", got, want)
	}
	for _, tg := range ts {
		if !slices.Equal(tg.Origins, []string{page}) {
			t.Errorf("%s: origins %q; want [%s]", tg.URL, tg.Origins, page)
		}
	}
	if got, want := describe(ts[2]), []string{"PUT Content-Type:application/json"}; !slices.Equal(got, want) {
		t.Errorf("put: requests %q; want %q", got, want)
	}
	if got, want := describe(ts[3]), []string{"GET X-Token:" + "crossgate"}; !slices.Equal(got, want) {
		t.Errorf("token (blocked at its preflight): requests %q; want %q", got, want)
	}
}

// The headers the page set are those check --har finds: a Cache-Control
// of the script's own is kept (it makes a preflight), the pair DevTools'
// "Disable cache" adds is not.
func TestHAR_pageHeaders(t *testing.T) {
	entry := func(cc, pragma string) string {
		return `{"request": {"method": "GET", "url": "https://api.example/x", "headers": [
			{"name": "Origin", "value": "https://app.example"}, {"name": "Cache-Control", "value": "` + cc + `"},
			{"name": "Pragma", "value": "` + pragma + `"}, {"name": "Accept", "value": "*/*"}]}, "response": {"status": 200, "headers": []}}`
	}
	for _, tc := range []struct {
		cc, pragma string
		want       string
	}{
		{"max-age=0", "x", "Cache-Control,Pragma"},
		{"no-cache", "no-cache", ""},
	} {
		ts, err := source.HAR("x.har", strings.NewReader(`{"log": {"entries": [`+entry(tc.cc, tc.pragma)+`]}}`))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for n := range ts[0].Requests[0].Header {
			names = append(names, n)
		}
		slices.Sort(names)
		if got := strings.Join(names, ","); got != tc.want {
			t.Errorf("Cache-Control %q, Pragma %q: headers %q; want %q", tc.cc, tc.pragma, got, tc.want)
		}
	}
}
