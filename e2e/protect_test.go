package e2e_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/crossgate/crossgate/internal/devproxy"
	"github.com/crossgate/crossgate/internal/gateway"
	"github.com/crossgate/crossgate/internal/policyfile"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// hits records the requests an upstream got, by the nonce in their path.
type hits struct {
	mu  sync.Mutex
	got map[string][]*http.Request
}

func (hs *hits) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hs.mu.Lock()
		if hs.got == nil {
			hs.got = map[string][]*http.Request{}
		}
		for _, seg := range strings.Split(r.URL.Path, "/") {
			if strings.HasPrefix(seg, "n-") {
				hs.got[seg] = append(hs.got[seg], r.Clone(context.Background()))
			}
		}
		hs.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (hs *hits) of(nonce string) []*http.Request {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	return append([]*http.Request(nil), hs.got[nonce]...)
}

// wsOrOK upgrades WebSocket handshakes (and echoes one message), and
// answers anything else with 200.
func wsOrOK(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		io.WriteString(w, "ok")
		return
	}
	conn, _, _, err := ws.UpgradeHTTP(r, w)
	if err != nil {
		return
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if msg, op, err := wsutil.ReadClientData(conn); err == nil {
		wsutil.WriteServerMessage(conn, op, msg)
	}
}

// eval runs an expression returning a promise of a string in the tab.
func (h *harness) eval(t *testing.T, js string) string {
	t.Helper()
	var out string
	ctx, cancel := context.WithTimeout(h.tab, 15*time.Second)
	defer cancel()
	err := chromedp.Run(ctx, chromedp.Evaluate(js, &out, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
		return p.WithAwaitPromise(true)
	}))
	if err != nil {
		t.Fatalf("running %s in Chromium: %v", js, err)
	}
	return out
}

// formPost submits a form POST to u from the page, into a hidden iframe.
func formPost(u, nonce string) string {
	return fmt.Sprintf(`new Promise(res => {
  const i = document.createElement('iframe'); i.name = 'f-%[2]s'; document.body.append(i);
  const f = document.createElement('form'); f.method = 'POST'; f.action = %[1]q; f.target = 'f-%[2]s';
  const x = document.createElement('input'); x.name = 'amount'; x.value = '100'; f.append(x);
  document.body.append(f); f.submit(); res('submitted');
})`, u, nonce)
}

// fetchJS makes a fetch and says whether the page could read it.
func fetchJS(u, method, contentType string) string {
	return fmt.Sprintf(`fetch(%q, {method: %q, headers: {'Content-Type': %q}, body: 'x', credentials: 'include'})
  .then(r => 'read ' + r.status, e => 'error ' + e)`, u, method, contentType)
}

// wsJS opens a WebSocket, sends a message, and says what happened.
func wsJS(u string) string {
	return fmt.Sprintf(`new Promise(res => {
  const w = new WebSocket(%q);
  const timer = setTimeout(() => res('timeout'), 5000);
  w.onopen = () => w.send('ping');
  w.onmessage = e => { clearTimeout(timer); w.close(); res('echo ' + e.data); };
  w.onerror = () => { clearTimeout(timer); res('error'); };
})`, u)
}

// waitSeen waits until the recorder holds a request for nonce, or 3 s.
func waitSeen(rec *hits, nonce string) []*http.Request {
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if got := rec.of(nonce); len(got) > 0 {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// TestChromium_protectWrites: through the gateway, from an allowed and a
// refused origin, a form POST, a fetch POST with text/plain and a fetch PUT
// reach the upstream (the handler) as the policy says, and new WebSocket()
// connects or fails. The route without protect_writes shows what CORS
// alone lets through.
func TestChromium_protectWrites(t *testing.T) {
	h := browser(t)
	defer h.navigate(t, h.origin)
	port := h.pagePort
	app := "http://app.example.test:" + port
	evil := "http://evil.test:" + port

	upRec, gwRec := new(hits), new(hits)
	up := httptest.NewServer(upRec.wrap(http.HandlerFunc(wsOrOK)))
	defer up.Close()
	file := fmt.Sprintf(`policies:
  - name: protected
    match: { paths: [/p/] }
    allow_origins: [%[1]s]
    allow_credentials: true
    allow_methods: [PUT]
    allow_headers: [Content-Type]
    protect_writes: true
    dangerously_allow_insecure_origins_with_credentials: true
  - name: cors-only
    match: { paths: [/c/] }
    allow_origins: [%[1]s]
    allow_credentials: true
    allow_methods: [PUT]
    allow_headers: [Content-Type]
    dangerously_allow_insecure_origins_with_credentials: true
proxy:
  upstream: %[2]s
  admin_listen: "off"
`, app, up.URL)
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := policyfile.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := gateway.New(f, gateway.Resolve(f.Proxy, gateway.Overrides{}), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	gl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: gwRec.wrap(gw), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(gl)
	defer srv.Close()
	_, gwPort, _ := net.SplitHostPort(gl.Addr().String())
	base := "http://api.example.test:" + gwPort

	n := 0
	for _, page := range []string{app, evil} {
		h.navigate(t, page)
		allowed := page == app
		for _, route := range []string{"/p/", "/c/"} {
			protected := route == "/p/"
			for _, kind := range []string{"form POST", "fetch POST text/plain", "fetch PUT json"} {
				n++
				nonce := fmt.Sprintf("n-w%d", n)
				u := base + route + nonce + "/orders"
				var got string
				switch kind {
				case "form POST":
					got = h.eval(t, formPost(u, nonce))
				case "fetch POST text/plain":
					got = h.eval(t, fetchJS(u, "POST", "text/plain"))
				default:
					got = h.eval(t, fetchJS(u, "PUT", "application/json"))
				}
				// Wait for the gateway to see the request (or its preflight).
				atGateway := waitSeen(gwRec, nonce)
				time.Sleep(50 * time.Millisecond) // let a forwarded request land upstream
				var writes int
				for _, r := range upRec.of(nonce) {
					if r.Method != http.MethodOptions {
						writes++
					}
				}
				// The handler runs for an allowed origin; from a refused
				// one, only a simple request without protect_writes gets
				// there (a PUT is stopped by its failed preflight).
				want := allowed || (!protected && kind != "fetch PUT json")
				if (writes > 0) != want {
					t.Errorf("%s %s from %s: the upstream ran it %d times; want ran=%v (page saw %q, gateway saw %d requests)",
						kind, route, page, writes, want, got, len(atGateway))
				}
				if len(atGateway) == 0 {
					t.Errorf("%s %s from %s: Chromium sent nothing (page saw %q)", kind, route, page, got)
				}
				if kind != "form POST" && strings.HasPrefix(got, "read") != allowed {
					t.Errorf("%s %s from %s: page saw %q; want read=%v", kind, route, page, got, allowed)
				}
			}
		}
		n++
		nonce := fmt.Sprintf("n-w%d", n)
		got := h.eval(t, wsJS("ws://api.example.test:"+gwPort+"/p/"+nonce+"/live"))
		if want := map[bool]string{true: "echo ping", false: "error"}[allowed]; got != want {
			t.Errorf("new WebSocket() from %s: %q; want %q", page, got, want)
		}
		if n := len(upRec.of(nonce)); (n > 0) != allowed {
			t.Errorf("WebSocket from %s: the upstream got %d handshakes; want any=%v", page, n, allowed)
		}
	}
}

// TestChromium_dev: through crossgate dev, the page and its API share one
// origin: a PUT with a JSON body and a custom header goes out with no
// preflight and reaches the API with no Origin header, and the frontend's
// hot-reload WebSocket connects.
func TestChromium_dev(t *testing.T) {
	h := browser(t)
	defer h.navigate(t, h.origin)
	feRec, apiRec := new(hits), new(hits)
	fe := httptest.NewServer(feRec.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			wsOrOK(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!doctype html><html><body>dev page</body></html>")
	})))
	defer fe.Close()
	api := httptest.NewServer(apiRec.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })))
	defer api.Close()
	feURL, _ := url.Parse(fe.URL)
	apiURL, _ := url.Parse(api.URL)
	p, err := devproxy.New(devproxy.Config{Frontend: feURL, APIs: []devproxy.API{{Prefix: "/api", Target: apiURL}}, Origin: "https://app.example.com", AllowedHosts: []string{"dev.test"}})
	if err != nil {
		t.Fatal(err)
	}
	dl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(dl)
	defer srv.Close()
	_, devPort, _ := net.SplitHostPort(dl.Addr().String())
	dev := "http://dev.test:" + devPort
	h.navigate(t, dev)

	got := h.eval(t, `fetch('/api/n-dev1/items', {method: 'PUT', headers: {'Content-Type': 'application/json', 'X-Request-Id': '7'}, body: '{}'})
  .then(r => r.text(), e => 'error ' + e)`)
	if got != "ok" {
		t.Errorf("PUT through crossgate dev: page saw %q; want ok", got)
	}
	reqs := apiRec.of("n-dev1")
	if len(reqs) != 1 || reqs[0].Method != "PUT" {
		t.Fatalf("the API got %d requests (%v); want one PUT and no preflight", len(reqs), reqs)
	}
	if o := reqs[0].Header.Get("Origin"); o != "" {
		t.Errorf("Origin %q reached the API; want none", o)
	}
	// (Chromium sends Sec-Fetch-Site only to potentially trustworthy
	// URLs, which http://dev.test is not: no Origin is the proof here.)
	if got := h.eval(t, wsJS("ws://dev.test:"+devPort+"/n-dev2/hmr")); got != "echo ping" {
		t.Errorf("hot-reload WebSocket through crossgate dev: %q; want echo ping", got)
	}
	if pol := p.Policy(); !strings.Contains(pol, `allow_methods: ["PUT"]`) || !strings.Contains(pol, `"x-request-id"`) {
		t.Errorf("the policy learnt lacks PUT or x-request-id:\n%s", pol)
	}
}
