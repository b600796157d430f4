package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/cli"
	"github.com/crossgate/crossgate/internal/gateway"
)

const adminPolicy = `policies:
  - name: app
    match: { hosts: [api.example.com], paths: [/api/] }
    allow_origins: [https://app.example.com]
    allow_credentials: true
    allow_methods: [PUT]
    allow_headers: [Content-Type]
`

// Values an attacker sends, to be shown as text and nothing else.
const (
	hostileOrigin = `https://x.example"><script>alert(1)</script>'`
	hostilePath   = `/api/%3Cimg%20src=x%20onerror=alert(2)%3E'%22`
	hostileHeader = `x-a</code><script>alert(3)</script>`
)

// sendRaw sends a request as written, so that the values reach the
// gateway exactly as an attacker would send them.
func sendRawTo(t *testing.T, addr, req string) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(addr, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading the response to %q: %v", req, err)
	}
	resp.Body.Close()
}

func adminState(t *testing.T, g *testGateway) gateway.AdminState {
	t.Helper()
	resp, err := client.Get(g.admin + "/admin/state.json")
	if err != nil {
		t.Fatal(err)
	}
	var st gateway.AdminState
	if err := json.Unmarshal([]byte(body(t, resp)), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestAdmin_page(t *testing.T) {
	t.Parallel()
	g := startGateway(t, adminPolicy, gateway.Overrides{Upstream: "echo"})
	body(t, g.do(request{path: "/api/x", host: "api.example.com", origin: "https://app.example.com"}))
	sendRawTo(t, g.url, "GET "+hostilePath+" HTTP/1.1\r\nHost: api.example.com\r\nOrigin: "+hostileOrigin+"\r\nConnection: close\r\n\r\n")
	sendRawTo(t, g.url, "OPTIONS /api/y HTTP/1.1\r\nHost: api.example.com\r\nOrigin: https://app.example.com\r\n"+
		"Access-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: "+hostileHeader+"\r\nConnection: close\r\n\r\n")

	resp, err := client.Get(g.admin + "/admin")
	if err != nil {
		t.Fatal(err)
	}
	page := body(t, resp)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /admin: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy: %q", csp)
	}
	// The only markup is the page's own: each hostile value is escaped.
	for _, bad := range []string{"<script>alert", "<img", "</code><script>"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page holds %q unescaped", bad)
		}
	}
	for _, want := range []string{
		"&lt;script&gt;alert(1)&lt;/script&gt;",  // the origin
		"x-a&lt;/code&gt;&lt;script&gt;alert(3)", // the requested header
		"invalid-origin", "invalid-request-headers",
		"<td>app</td>", "https://app.example.com", // the policy in force
		`<span id="reload-result">ok</span>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if n := strings.Count(page, "<script"); n != 1 {
		t.Errorf("the page has %d script elements; want 1 (admin.js)", n)
	}

	st := adminState(t, g)
	if len(st.Refusals) != 2 {
		t.Fatalf("got %d refusals; want 2: %+v", len(st.Refusals), st.Refusals)
	}
	if rf := st.Refusals[1]; rf.Origin != hostileOrigin || rf.Reason != "invalid-origin" || rf.Policy != "app" {
		t.Errorf("first refusal: got %+v", rf)
	}
	if rf := st.Refusals[0]; rf.ACRH != hostileHeader || rf.Reason != "invalid-request-headers" || rf.Kind != "preflight" {
		t.Errorf("second refusal: got %+v", rf)
	}
	if len(st.Policies) != 1 || st.Policies[0].Upstream != "echo" || !st.Policies[0].Credentials {
		t.Errorf("policies: got %+v", st.Policies)
	}
	var app *gateway.PolicyCounters
	for i := range st.Counters {
		if st.Counters[i].Policy == "app" {
			app = &st.Counters[i]
		}
	}
	if app == nil || app.Allowed != 1 || app.Refused != 2 || app.Preflights != 1 ||
		app.Rejections["invalid-origin"] != 1 || app.Rejections["invalid-request-headers"] != 1 {
		t.Errorf("counters of app: got %+v", app)
	}

	// Each command line, run by a shell, is crossgate explain on the same
	// request, and explain refuses it for the same reason.
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash to run the explain command lines")
	}
	for _, rf := range st.Refusals {
		out, err := exec.Command(bash, "-c", `printf '%s\0' `+rf.Explain).Output()
		if err != nil {
			t.Fatalf("bash -c %s: %v", rf.Explain, err)
		}
		argv := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
		if argv[0] != "crossgate" || argv[1] != "explain" {
			t.Fatalf("got argv %q", argv)
		}
		var stdout, stderr bytes.Buffer
		code := cli.Main(context.Background(), append(argv[1:], "--json"), strings.NewReader(""), &stdout, &stderr)
		var got struct {
			Policy     string `json:"policy"`
			Kind       string `json:"kind"`
			ReasonCode string `json:"reason_code"`
			Request    struct {
				Headers map[string]any `json:"headers"`
			} `json:"request"`
		}
		if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
			t.Fatalf("%s: exit %d, %v\nstdout %s\nstderr %s", rf.Explain, code, err, stdout.String(), stderr.String())
		}
		if code != 1 || got.ReasonCode != rf.Reason || got.Kind != rf.Kind || got.Policy != rf.Policy {
			t.Errorf("%s: exit %d, %+v; want exit 1, %s %s under %s", rf.Explain, code, got, rf.Kind, rf.Reason, rf.Policy)
		}
		if !strings.Contains(fmt.Sprint(got.Request.Headers), rf.Origin) {
			t.Errorf("%s: explained the headers %v; want origin %q", rf.Explain, got.Request.Headers, rf.Origin)
		}
	}
}

// Nothing on the admin listener changes anything, and the page is not on
// the gateway's own listener (there, /admin is a path like any other).
func TestAdmin_readOnly(t *testing.T) {
	t.Parallel()
	g := startGateway(t, adminPolicy, gateway.Overrides{Upstream: "echo"})
	for _, path := range []string{"/admin", "/admin/state.json"} {
		for _, m := range []string{"POST", "PUT", "DELETE"} {
			r, _ := http.NewRequest(m, g.admin+path, nil)
			resp, err := client.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			body(t, resp)
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: got %d; want 405", m, path, resp.StatusCode)
			}
		}
	}
	resp := g.do(request{path: "/admin"})
	if b := body(t, resp); strings.Contains(b, "crossgate admin") {
		t.Errorf("the gateway's listener serves the admin page")
	}
}

// The page shows the last reload and its result.
func TestAdmin_reload(t *testing.T) {
	t.Parallel()
	g := startGateway(t, adminPolicy, gateway.Overrides{Upstream: "echo"})
	if lr := adminState(t, g).LastReload; lr.Result != "ok" || lr.Cause != "start" {
		t.Errorf("at start: got %+v", lr)
	}
	writeFile(t, g.path, invalidPolicy+proxySection)
	waitFor(t, "the refusal to show", func() bool { return adminState(t, g).LastReload.Result == "refused" })
	lr := adminState(t, g).LastReload
	if lr.Cause != "file change" || !strings.Contains(lr.Error, `prohibited value \"null\"`) && !strings.Contains(lr.Error, `prohibited value "null"`) {
		t.Errorf("after an invalid file: got %+v", lr)
	}
	writeFile(t, g.path, strings.Replace(adminPolicy, "name: app", "name: app2", 1)+proxySection)
	waitFor(t, "the reload to show", func() bool { return adminState(t, g).LastReload.Result == "ok" })
	if st := adminState(t, g); len(st.Policies) != 1 || st.Policies[0].Name != "app2" {
		t.Errorf("after a valid file: policies %+v", st.Policies)
	}
}

// The gateway's own refusals (protect_writes, WebSocket handshakes) are
// listed with their reason.
func TestAdmin_gatewayRefusals(t *testing.T) {
	t.Parallel()
	g := startGateway(t, adminPolicy+"    protect_writes: true\n", gateway.Overrides{Upstream: "echo"})
	resp := g.do(request{method: "POST", path: "/api/orders", host: "api.example.com", origin: "https://evil.example"})
	body(t, resp)
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin POST: got %d; want 403", resp.StatusCode)
	}
	resp = g.do(request{path: "/api/feed", host: "api.example.com", header: map[string]string{
		"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
	}})
	body(t, resp)
	st := adminState(t, g)
	var reasons []string
	for _, rf := range st.Refusals {
		reasons = append(reasons, rf.Method+" "+rf.Reason)
	}
	if got := strings.Join(reasons, ", "); got != "GET websocket-no-origin, POST cross-origin-write" {
		t.Errorf("got refusals %q; want GET websocket-no-origin, POST cross-origin-write", got)
	}
}
