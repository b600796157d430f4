package devproxy_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/devproxy"
	"github.com/crossgate/crossgate/internal/policyfile"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// recorder is an upstream that records the headers it got.
type recorder struct {
	*httptest.Server
	mu  sync.Mutex
	got []http.Header
}

func newRecorder(t *testing.T, name string) *recorder {
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		h := r.Header.Clone()
		h.Set("X-Path", r.URL.Path)
		h.Set("X-Host", r.Host)
		rec.got = append(rec.got, h)
		rec.mu.Unlock()
		if r.Header.Get("Upgrade") == "websocket" {
			conn, _, _, err := ws.UpgradeHTTP(r, w)
			if err != nil {
				return
			}
			defer conn.Close()
			msg, _, err := wsutil.ReadClientData(conn)
			if err == nil {
				wsutil.WriteServerText(conn, append([]byte(name+": "), msg...))
			}
			return
		}
		io.WriteString(w, name)
	}))
	t.Cleanup(rec.Close)
	return rec
}

func (r *recorder) last() http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.got) == 0 {
		return nil
	}
	return r.got[len(r.got)-1]
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestProxy(t *testing.T) {
	frontend := newRecorder(t, "frontend")
	api := newRecorder(t, "api")
	auth := newRecorder(t, "auth")
	changes := 0
	p, err := devproxy.New(devproxy.Config{
		Frontend: mustURL(t, frontend.URL),
		APIs: []devproxy.API{
			{Prefix: "/api", Target: mustURL(t, api.URL)},
			{Prefix: "/api/auth/", Target: mustURL(t, auth.URL+"/v2")},
		},
		Origin:   "https://app.example.com",
		OnChange: func() { changes++ },
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()
	self := srv.URL // http://127.0.0.1:port, the development origin

	send := func(method, path string, h map[string]string) string {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader("x"))
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return string(b)
	}
	// Routing: longest prefix, on segment boundaries, the target's path first.
	for path, want := range map[string]string{"/": "frontend", "/src/main.ts": "frontend", "/apix": "frontend", "/api": "api", "/api/items": "api", "/api/auth/login": "auth"} {
		if got := send("GET", path, nil); got != want {
			t.Errorf("GET %s went to %s; want %s", path, got, want)
		}
	}
	if got := auth.last().Get("X-Path"); got != "/v2/api/auth/login" {
		t.Errorf("auth saw path %q; want /v2/api/auth/login", got)
	}
	if got, want := api.last().Get("X-Host"), strings.TrimPrefix(api.URL, "http://"); got != want {
		t.Errorf("api saw Host %q; want its own, %q", got, want)
	}

	// The page's own requests reach the API without Origin.
	send("PUT", "/api/items/1", map[string]string{"Origin": self, "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors",
		"Content-Type": "application/json", "X-Request-ID": "1", "Cookie": "sid=1", "User-Agent": "test"})
	if h := api.last(); h.Get("Origin") != "" || h.Get("X-Request-Id") != "1" {
		t.Errorf("api got Origin %q; want none", h.Get("Origin"))
	}
	// A foreign page keeps its Origin: the API judges it.
	send("POST", "/api/items", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
	if got := api.last().Get("Origin"); got != "https://evil.example" {
		t.Errorf("api got Origin %q from a foreign page; want it kept", got)
	}
	// The frontend sees its own origin.
	send("POST", "/", map[string]string{"Origin": self})
	if got, want := frontend.last().Get("Origin"), frontend.URL; got != want {
		t.Errorf("frontend got Origin %q; want %q", got, want)
	}

	// Hot reload: a WebSocket to the frontend goes through.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d := ws.Dialer{Header: ws.HandshakeHeaderHTTP(http.Header{"Origin": {self}})}
	conn, _, _, err := d.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/@vite/hmr")
	if err != nil {
		t.Fatalf("WebSocket through crossgate dev: %v", err)
	}
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	wsutil.WriteClientText(conn, []byte("update"))
	msg, err := wsutil.ReadServerText(conn)
	conn.Close()
	if err != nil || string(msg) != "frontend: update" {
		t.Errorf("WebSocket echo %q, %v; want %q", msg, err, "frontend: update")
	}
	if got := frontend.last().Get("Origin"); got != frontend.URL {
		t.Errorf("hot-reload handshake Origin %q; want the frontend's %q", got, frontend.URL)
	}

	// The policy learnt: PUT, X-Request-ID (Content-Type: application/json
	// is not safelisted either), credentials, for /api only.
	pol := p.Policy()
	for _, want := range []string{
		`  - name: "api"` + "\n" + `    match: { paths: ["/api"] }` + "\n" + `    allow_origins: ["https://app.example.com"]` + "\n" +
			"    allow_credentials: true\n" + `    allow_methods: ["PUT"]` + "\n" + `    allow_headers: ["content-type", "x-request-id"]` + "\n" + "    protect_writes: true\n",
		`  - name: "api-auth"` + "\n" + `    match: { paths: ["/api/auth"] }` + "\n" + `    allow_origins: ["https://app.example.com"]` + "\n    protect_writes: true\n",
	} {
		if !strings.Contains(pol, want) {
			t.Errorf("policy lacks\n%s\ngot\n%s", want, pol)
		}
	}
	if strings.Contains(pol, "user-agent") || strings.Contains(pol, "POST") {
		t.Errorf("policy learnt from a browser header or a foreign page:\n%s", pol)
	}
	f, err := policyfile.Parse("learnt.yaml", []byte(pol))
	if err != nil {
		t.Fatalf("the policy does not lint:\n%v\n%s", err, pol)
	}
	if len(f.Warnings) > 0 || len(f.Policies) != 2 {
		t.Errorf("warnings %v, %d policies", f.Warnings, len(f.Policies))
	}
	if changes == 0 {
		t.Error("OnChange never called")
	}
}

func TestNew_errors(t *testing.T) {
	fe := &url.URL{Scheme: "http", Host: "localhost:5173"}
	api := &url.URL{Scheme: "http", Host: "localhost:8081"}
	for _, cfg := range []devproxy.Config{
		{Frontend: nil, APIs: []devproxy.API{{Prefix: "/api", Target: api}}},
		{Frontend: fe, APIs: []devproxy.API{{Prefix: "api", Target: api}}},
		{Frontend: fe, APIs: []devproxy.API{{Prefix: "/", Target: api}}},
		{Frontend: fe, APIs: []devproxy.API{{Prefix: "/a%2Fb", Target: api}}}, // never matches the decoded path
		{Frontend: fe, APIs: []devproxy.API{{Prefix: "/api", Target: api}, {Prefix: "/api/", Target: api}}},
		{Frontend: fe, APIs: []devproxy.API{{Prefix: "/api", Target: &url.URL{Scheme: "ftp", Host: "x"}}}},
	} {
		if _, err := devproxy.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

// A request whose Host an attacker could have re-pointed at the machine
// (DNS rebinding) is refused before any upstream sees it; localhost, its
// subdomains, IP addresses and the allowed hosts are served.
func TestProxy_hostCheck(t *testing.T) {
	frontend := newRecorder(t, "frontend")
	api := newRecorder(t, "api")
	p, err := devproxy.New(devproxy.Config{
		Frontend:     mustURL(t, frontend.URL),
		APIs:         []devproxy.API{{Prefix: "/api", Target: mustURL(t, api.URL)}},
		AllowedHosts: []string{"devbox.lan"},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()
	for host, want := range map[string]int{
		"127.0.0.1:5000": 200, "localhost:5000": 200, "LOCALHOST": 200, "app.localhost:5000": 200,
		"[::1]:5000": 200, "192.168.1.20:5000": 200, "devbox.lan:5000": 200, "DevBox.LAN.": 200,
		"evil.example:5000": 403, "localhost.evil.example": 403, "evil.example": 403, "devbox.lan.evil.example": 403,
	} {
		for _, path := range []string{"/", "/api/x"} {
			before := frontend.count() + api.count()
			req, _ := http.NewRequest("GET", srv.URL+path, nil)
			req.Host = host
			req.Header.Set("Origin", "http://"+host)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("Host %s, %s: status %d; want %d", host, path, resp.StatusCode, want)
			}
			if want == 403 {
				if !strings.Contains(string(b), "DNS rebinding") || !strings.Contains(string(b), "--allowed-host") {
					t.Errorf("Host %s: body %q does not say why", host, b)
				}
				if after := frontend.count() + api.count(); after != before {
					t.Errorf("Host %s, %s reached an upstream", host, path)
				}
			}
		}
	}
}
