package gateway_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/gateway"
)

const appPolicy = `policies:
  - name: app
    match: { paths: [/api/] }
    allow_origins: [https://app.example.com]
    allow_credentials: true
    allow_methods: [PUT, DELETE]
    allow_headers: [Content-Type]
    expose_headers: [X-Total-Count]
    max_age: 10m
  - name: admin
    match: { paths: [/admin/] }
    allow_origins: [https://admin.example.com]
    allow_methods: [DELETE]
`

// What the app policy sets on an allowed actual request.
var appAllowed = []string{
	"Access-Control-Allow-Credentials: true",
	"Access-Control-Allow-Origin: https://app.example.com",
	"Access-Control-Expose-Headers: x-total-count",
}

// An upstream that sets CORS headers of its own gets them replaced, with
// no duplicate value, and its Vary merged with the policy's.
func TestGateway_upstreamWithCORS(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Add("Access-Control-Allow-Origin", "https://evil.example")
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("access-control-expose-headers", "X-Secret")
		h.Set("Access-Control-Max-Age", "86400")
		h.Set("Vary", "Accept-Encoding")
		h.Set("X-Total-Count", "3")
		io.WriteString(w, "data")
	})
	g := startGateway(t, appPolicy, gateway.Overrides{Upstream: up.URL})

	resp := g.do(request{path: "/api/items", origin: "https://app.example.com"})
	if b := body(t, resp); resp.StatusCode != 200 || b != "data" {
		t.Fatalf("got %d %q; want 200 %q", resp.StatusCode, b, "data")
	}
	checkHeaders(t, "allowed origin", resp.Header, append(appAllowed, "Vary: Accept-Encoding, Origin")...)
	if got := resp.Header.Get("X-Total-Count"); got != "3" {
		t.Errorf("got X-Total-Count %q; want the upstream's other headers kept", got)
	}

	resp = g.do(request{path: "/api/items", origin: "https://evil.example"})
	body(t, resp)
	checkHeaders(t, "refused origin", resp.Header, "Vary: Accept-Encoding, Origin")

	resp = g.do(request{path: "/api/items"})
	body(t, resp)
	checkHeaders(t, "no Origin", resp.Header, "Vary: Accept-Encoding, Origin")
}

// Vary values: the policy's are added to the upstream's, once each, and
// "*" covers everything.
func TestGateway_varyMerge(t *testing.T) {
	t.Parallel()
	cases := []struct {
		upstream []string
		want     []string
	}{
		{nil, []string{"Vary: Origin"}},
		{[]string{"origin"}, []string{"Vary: origin"}},
		{[]string{"Accept-Encoding", "Accept-Language"}, []string{"Vary: Accept-Encoding, Accept-Language, Origin"}},
		{[]string{"Accept-Encoding, ORIGIN"}, []string{"Vary: Accept-Encoding, ORIGIN"}},
		{[]string{"*"}, []string{"Vary: *"}},
	}
	for _, tc := range cases {
		up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request) {
			w.Header()["Vary"] = tc.upstream
		})
		g := startGateway(t, appPolicy, gateway.Overrides{Upstream: up.URL})
		resp := g.do(request{path: "/api/x", origin: "https://other.example"})
		body(t, resp)
		checkHeaders(t, fmt.Sprintf("upstream Vary %q", tc.upstream), resp.Header, tc.want...)
	}
}

func TestGateway_keepUpstreamCORS(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/own/cors" {
			w.Header().Set("Access-Control-Allow-Origin", "https://legacy.example")
			w.Header().Set("Vary", "Origin")
		}
	})
	g := startGateway(t, `policies:
  - name: legacy
    match: { paths: [/own/] }
    allow_origins: [https://app.example.com]
    keep_upstream_cors: true
`, gateway.Overrides{Upstream: up.URL})

	resp := g.do(request{path: "/own/cors", origin: "https://app.example.com"})
	body(t, resp)
	checkHeaders(t, "upstream with CORS headers", resp.Header, "Access-Control-Allow-Origin: https://legacy.example", "Vary: Origin")

	resp = g.do(request{path: "/own/none", origin: "https://app.example.com"})
	body(t, resp)
	checkHeaders(t, "upstream without CORS headers", resp.Header, "Access-Control-Allow-Origin: https://app.example.com", "Vary: Origin")
}

// Errors of the upstream and of the gateway itself carry the CORS headers,
// so that the page can read the status.
func TestGateway_errorsGetCORS(t *testing.T) {
	t.Parallel()
	failing := newUpstream(t, func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	down := newUpstream(t, okHandler)
	downURL := down.URL
	down.Close() // nothing listens there any more
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	slow := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	policies := strings.ReplaceAll(appPolicy, "    max_age: 10m\n", "    max_age: 10m\n    upstream: "+failing.URL+"\n")
	policies = strings.ReplaceAll(policies, "    allow_methods: [DELETE]\n", "    allow_methods: [DELETE]\n    upstream: "+slow.URL+"\n")
	g := startGateway(t, policies+`  - name: down
    match: { paths: [/down/] }
    allow_origins: [https://app.example.com]
    upstream: `+downURL+"\n", gateway.Overrides{Upstream: "echo"})

	resp := g.do(request{path: "/api/x", origin: "https://app.example.com"})
	if b := body(t, resp); resp.StatusCode != 500 || !strings.Contains(b, "boom") {
		t.Errorf("upstream 500: got %d %q; want 500 with the upstream's body", resp.StatusCode, b)
	}
	checkHeaders(t, "upstream 500", resp.Header, append(appAllowed, "Vary: Origin")...)

	resp = g.do(request{path: "/down/x", origin: "https://app.example.com"})
	body(t, resp)
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("upstream down: got status %d; want 502", resp.StatusCode)
	}
	checkHeaders(t, "upstream down", resp.Header, "Access-Control-Allow-Origin: https://app.example.com", "Vary: Origin")

	// upstream_timeout is 2s in the test files.
	start := time.Now()
	resp = g.do(request{path: "/admin/x", origin: "https://admin.example.com"})
	body(t, resp)
	if resp.StatusCode != http.StatusGatewayTimeout {
		t.Errorf("upstream slow: got status %d after %v; want 504", resp.StatusCode, time.Since(start))
	}
	checkHeaders(t, "upstream slow", resp.Header, "Access-Control-Allow-Origin: https://admin.example.com", "Vary: Origin")

	g.waitLogs(`"status":502`, `"upstream":"`+downURL+`"`, "connection refused",
		`"status":504`, "timeout awaiting response headers")
}

// No preflight ever reaches the upstream, whatever its outcome; an OPTIONS
// request that is not a preflight does.
func TestGateway_preflightsNeverForwarded(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, okHandler)
	g := startGateway(t, appPolicy, gateway.Overrides{Upstream: up.URL})
	cases := []struct {
		desc       string
		path       string
		origin     string
		acrm, acrh string
		wantStatus int
		want       []string
	}{
		{"allowed", "/api/x", "https://app.example.com", "PUT", "content-type", 204, []string{
			"Access-Control-Allow-Credentials: true",
			"Access-Control-Allow-Headers: content-type",
			"Access-Control-Allow-Methods: PUT,DELETE",
			"Access-Control-Allow-Origin: https://app.example.com",
			"Access-Control-Max-Age: 600",
		}},
		{"origin refused", "/api/x", "https://evil.example", "PUT", "", 403, nil},
		{"method refused", "/api/x", "https://app.example.com", "PATCH", "", 204, []string{
			"Access-Control-Allow-Credentials: true",
			"Access-Control-Allow-Headers: content-type",
			"Access-Control-Allow-Methods: PUT,DELETE",
			"Access-Control-Allow-Origin: https://app.example.com",
		}},
		{"invalid method", "/api/x", "https://app.example.com", "P U T", "", 403, nil},
		{"no policy", "/other", "https://app.example.com", "PUT", "", 403, nil},
		{"dot segments", "/api/../other", "https://app.example.com", "PUT", "", 403, nil},
	}
	for _, tc := range cases {
		h := map[string]string{"Access-Control-Request-Method": tc.acrm}
		if tc.acrh != "" {
			h["Access-Control-Request-Headers"] = tc.acrh
		}
		resp := g.do(request{method: "OPTIONS", path: tc.path, origin: tc.origin, header: h})
		body(t, resp)
		if resp.StatusCode != tc.wantStatus {
			t.Errorf("%s: got status %d; want %d", tc.desc, resp.StatusCode, tc.wantStatus)
		}
		checkHeaders(t, tc.desc, resp.Header, tc.want...)
	}
	if got := up.got(); len(got) != 0 {
		t.Errorf("the upstream got %d preflights; want none (first: %s %s)", len(got), got[0].Method, got[0].URL)
	}
	// The control: an OPTIONS request without Access-Control-Request-Method
	// is an actual request, and goes upstream.
	resp := g.do(request{method: "OPTIONS", path: "/api/x", origin: "https://app.example.com"})
	body(t, resp)
	if got := up.got(); len(got) != 1 || got[0].Method != "OPTIONS" {
		t.Errorf("the upstream got %d requests; want the one OPTIONS actual request", len(got))
	}
}

// Requests that no policy matches go to the default upstream, and get no
// CORS header: not the policy's, not the upstream's.
func TestGateway_noPolicy(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		io.WriteString(w, "ok")
	})
	g := startGateway(t, appPolicy, gateway.Overrides{Upstream: up.URL})
	resp := g.do(request{path: "/elsewhere", origin: "https://app.example.com"})
	if b := body(t, resp); resp.StatusCode != 200 || b != "ok" {
		t.Fatalf("got %d %q; want 200 ok", resp.StatusCode, b)
	}
	checkHeaders(t, "no policy", resp.Header)
	g.waitLogs(`"policy":"","upstream":"` + up.URL + `","cors_kind":"actual","cors_allowed":false,"cors_reason":"no-policy"`)
}

// rawRequest sends a request line as written, without any client
// normalising its target, and returns the response.
func rawRequest(t *testing.T, addr, method, target string, header ...string) *http.Response {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	req := method + " " + target + " HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n" + strings.Join(header, "\r\n")
	if len(header) > 0 {
		req += "\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	return resp
}

// The path a policy is matched on is the path forwarded upstream, so that
// "/api/../admin/" gets the admin policy and reaches /admin/, and never
// gets /api/'s policy while reaching /admin/.
func TestGateway_pathNormalisation(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, okHandler)
	g := startGateway(t, appPolicy, gateway.Overrides{Upstream: up.URL})
	addr := strings.TrimPrefix(g.url, "http://")
	cases := []struct {
		target     string
		wantURI    string // what the upstream receives
		wantOrigin string // the ACAO for Origin https://admin.example.com
	}{
		{"/admin/x", "/admin/x", "https://admin.example.com"},
		{"/api/../admin/x", "/admin/x", "https://admin.example.com"},
		{"/api/%2e%2e/admin/x?q=1", "/admin/x?q=1", "https://admin.example.com"},
		{"/api/%2E%2E/%61dmin/x", "/admin/x", "https://admin.example.com"},
		{"/api/./x/../../admin//x", "/admin/x", "https://admin.example.com"},
		{"//admin/x", "/admin/x", "https://admin.example.com"},
		{"/admin/../api/x", "/api/x", ""},
		{"/../../../admin/x", "/admin/x", "https://admin.example.com"},
	}
	for i, tc := range cases {
		resp := rawRequest(t, addr, "GET", tc.target, "Origin: https://admin.example.com")
		body(t, resp)
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tc.wantOrigin {
			t.Errorf("GET %s: got ACAO %q; want %q", tc.target, got, tc.wantOrigin)
		}
		reqs := up.got()
		if len(reqs) != i+1 {
			t.Fatalf("GET %s: the upstream got %d requests; want %d", tc.target, len(reqs), i+1)
		}
		if got := reqs[i].RequestURI; got != tc.wantURI {
			t.Errorf("GET %s: the upstream got %q; want %q", tc.target, got, tc.wantURI)
		}
	}
}

// X-Forwarded-For is the client's address (a client's own value is not
// trusted), X-Forwarded-Proto and -Host are set, and hop-by-hop headers,
// including those the client names in Connection, are not forwarded.
func TestGateway_forwardedHeaders(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Connection", "X-Upstream-Hop")
		w.Header().Set("X-Upstream-Hop", "1")
		w.Header().Set("Keep-Alive", "timeout=5")
	})
	g := startGateway(t, appPolicy, gateway.Overrides{Upstream: up.URL})
	resp := g.do(request{path: "/api/x", host: "api.test", header: map[string]string{
		"X-Forwarded-For": "203.0.113.9",
		"Connection":      "X-Client-Hop",
		"X-Client-Hop":    "1",
		"X-Kept":          "1",
	}})
	body(t, resp)
	r := up.got()[0]
	want := map[string]string{
		"X-Forwarded-For":   "127.0.0.1",
		"X-Forwarded-Proto": "http",
		"X-Forwarded-Host":  "api.test",
		"X-Client-Hop":      "",
		"X-Kept":            "1",
	}
	for k, v := range want {
		if got := strings.Join(r.Header.Values(k), ","); got != v {
			t.Errorf("upstream got %s %q; want %q", k, got, v)
		}
	}
	if got := resp.Header.Get("X-Upstream-Hop") + resp.Header.Get("Keep-Alive"); got != "" {
		t.Errorf("client got the upstream's hop-by-hop headers: %q", got)
	}
}

// Response and request bodies are streamed: each part goes through
// before the next one is written.
func TestGateway_streaming(t *testing.T) {
	t.Parallel()
	next := make(chan struct{})
	got := make(chan string, 4)
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" {
			buf := make([]byte, 5)
			for range 2 {
				if _, err := io.ReadFull(r.Body, buf); err != nil {
					got <- "error: " + err.Error()
					return
				}
				got <- string(buf)
			}
			return
		}
		for i := range 3 {
			fmt.Fprintf(w, "part%d\n", i)
			http.NewResponseController(w).Flush()
			select {
			case <-next:
			case <-time.After(5 * time.Second):
				return
			}
		}
	})
	g := startGateway(t, appPolicy, gateway.Overrides{Upstream: up.URL})

	resp := g.do(request{path: "/api/stream", origin: "https://app.example.com"})
	defer resp.Body.Close()
	checkHeaders(t, "streamed response", resp.Header, append(appAllowed, "Vary: Origin")...)
	br := bufio.NewReader(resp.Body)
	for i := range 3 {
		var line string
		err := within(5*time.Second, func() (err error) { line, err = br.ReadString('\n'); return })
		if err != nil || line != fmt.Sprintf("part%d\n", i) {
			t.Fatalf("part %d: got %q, %v; want it before the upstream writes the next", i, line, err)
		}
		next <- struct{}{}
	}

	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		resp, err := g.try(request{method: "POST", path: "/api/upload", body: pr})
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for _, part := range []string{"first", "secnd"} {
		io.WriteString(pw, part)
		select {
		case s := <-got:
			if s != part {
				t.Fatalf("upstream read %q; want %q", s, part)
			}
		case <-time.After(5 * time.Second):
			pw.Close()
			t.Fatalf("the upstream did not get %q before the rest of the body was written", part)
		}
	}
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// The built-in echo upstream answers with what it received.
func TestGateway_echo(t *testing.T) {
	t.Parallel()
	g := startGateway(t, appPolicy, gateway.Overrides{Upstream: "echo"})
	resp := g.do(request{method: "PUT", path: "/api/../api/x?y=1", origin: "https://app.example.com", body: strings.NewReader("hello")})
	var e gateway.Echo
	if err := json.Unmarshal([]byte(body(t, resp)), &e); err != nil {
		t.Fatal(err)
	}
	if e.Method != "PUT" || e.URI != "/api/x?y=1" || e.Body != "hello" || e.BodyBytes != 5 || e.Header.Get("Origin") != "https://app.example.com" {
		t.Errorf("got echo %+v", e)
	}
	checkHeaders(t, "echo", resp.Header, append(appAllowed, "Vary: Origin")...)
}

// A policy's own upstream gets its requests; the others go to the
// default.
func TestGateway_perPolicyUpstream(t *testing.T) {
	t.Parallel()
	def := newUpstream(t, func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "default") })
	own := newUpstream(t, func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "own") })
	policies := strings.ReplaceAll(appPolicy, "    allow_methods: [DELETE]\n", "    allow_methods: [DELETE]\n    upstream: "+own.URL+"/base\n")
	g := startGateway(t, policies, gateway.Overrides{Upstream: def.URL})
	for path, want := range map[string]string{"/api/x": "default", "/admin/x": "own", "/other": "default"} {
		if got := body(t, g.do(request{path: path})); got != want {
			t.Errorf("GET %s: got %q; want %q", path, got, want)
		}
	}
	if r := own.got(); len(r) != 1 || r[0].URL.Path != "/base/admin/x" {
		t.Errorf("own upstream got %v; want one request for /base/admin/x", r)
	}
}

func TestGateway_admin(t *testing.T) {
	t.Parallel()
	g := startGateway(t, appPolicy, gateway.Overrides{Upstream: "echo"})
	body(t, g.do(request{path: "/api/x", origin: "https://app.example.com"}))
	body(t, g.do(request{path: "/api/x", origin: "https://evil.example"}))
	body(t, g.do(request{method: "OPTIONS", path: "/api/x", origin: "https://app.example.com", header: map[string]string{"Access-Control-Request-Method": "PUT"}}))
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200, "/nothing": 404} {
		resp, err := client.Get(g.admin + path)
		if err != nil {
			t.Fatal(err)
		}
		b := body(t, resp)
		if resp.StatusCode != want {
			t.Errorf("GET %s: got %d; want %d", path, resp.StatusCode, want)
		}
		if path != "/metrics" {
			continue
		}
		for _, line := range []string{
			`crossgate_requests_total{decision="allowed",kind="actual",policy="app"} 1`,
			`crossgate_requests_total{decision="refused",kind="actual",policy="app"} 1`,
			`crossgate_requests_total{decision="allowed",kind="preflight",policy="app"} 1`,
			`crossgate_preflights_total{decision="allowed",policy="app"} 1`,
			`crossgate_cors_rejections_total{policy="app",reason="origin-not-allowed"} 1`,
			`crossgate_upstream_duration_seconds_count{policy="app",upstream="echo"} 2`,
			`crossgate_in_flight_requests 0`,
			`crossgate_config_last_reload_successful 1`,
		} {
			if !strings.Contains(b, line+"\n") {
				t.Errorf("/metrics lacks %q", line)
			}
		}
	}
}

// An encoded slash or backslash that would select another policy once the
// upstream decodes it ("/api/..%2Fadmin/x") is refused with 400 and never
// forwarded; one that changes nothing is forwarded as it is.
func TestGateway_ambiguousPath(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, okHandler)
	g := startGateway(t, appPolicy, gateway.Overrides{Upstream: up.URL})
	addr := strings.TrimPrefix(g.url, "http://")
	for _, target := range []string{"/api/..%2fadmin/x", "/api/..%5Cadmin/x", "/api%2F..%2Fadmin/x"} {
		resp := rawRequest(t, addr, "GET", target, "Origin: https://app.example.com")
		body(t, resp)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET %s: got status %d; want 400", target, resp.StatusCode)
		}
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("GET %s: got ACAO %q; want none", target, got)
		}
	}
	if n := len(up.got()); n != 0 {
		t.Errorf("the upstream got %d requests; want none", n)
	}
	resp := rawRequest(t, addr, "GET", "/api/a%2Fb", "Origin: https://app.example.com")
	body(t, resp)
	if got := resp.Header.Get("Access-Control-Allow-Origin"); resp.StatusCode != 200 || got != "https://app.example.com" {
		t.Errorf("GET /api/a%%2Fb: got status %d, ACAO %q; want 200 and the app policy", resp.StatusCode, got)
	}
	if reqs := up.got(); len(reqs) != 1 || reqs[0].RequestURI != "/api/a%2Fb" {
		t.Errorf("the upstream got %d requests; want one for /api/a%%2Fb", len(reqs))
	}
}

// When every policy has its own upstream, no default is needed: the
// requests that no policy matches get 404 and reach no upstream.
func TestGateway_noDefaultUpstream(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, okHandler)
	policies := `policies:
  - name: app
    match: { paths: [/api/] }
    allow_origins: [https://app.example.com]
    upstream: ` + up.URL + "\n"
	g := startGateway(t, policies, gateway.Overrides{})
	resp := g.do(request{path: "/api/x", origin: "https://app.example.com"})
	body(t, resp)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("GET /api/x: got status %d, ACAO %q; want 200 from the policy's upstream", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	resp = g.do(request{path: "/other", origin: "https://app.example.com"})
	body(t, resp)
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("GET /other: got status %d, ACAO %q; want 404 with no CORS header", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	if n := len(up.got()); n != 1 {
		t.Errorf("the upstream got %d requests; want 1", n)
	}
}
