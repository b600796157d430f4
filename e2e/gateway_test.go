package e2e_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crossgate/crossgate/fetch"
	"github.com/crossgate/crossgate/internal/gateway"
	"github.com/crossgate/crossgate/internal/policyfile"
	"github.com/crossgate/crossgate/internal/scenarios"
)

// gwRoute is one path prefix of the gateway under test: the policy that
// applies to it (nil: none does) and what the page gets when the policy
// lets it read the response.
type gwRoute struct {
	path       string // a prefix, such as "/api/"
	policy     *policy
	upstream   string // the policy's own upstream, or "" for the default (echo)
	wantStatus int
	// realUpstream reports whether the route's upstream is the test's
	// upstream, which sets headers of its own that the policy exposes.
	realUpstream bool
}

// yaml returns the route's entry in the policy file: the policy's lists,
// as written by its author, matched on host and path.
func (r gwRoute) yaml(host string) string {
	p := r.policy
	list := func(key string, vs []string) string {
		if len(vs) == 0 {
			return ""
		}
		q := make([]string, len(vs))
		for i, v := range vs {
			q[i] = fmt.Sprintf("%q", v)
		}
		return fmt.Sprintf("    %s: [%s]\n", key, strings.Join(q, ", "))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  - name: %s\n    match: { hosts: [%s], paths: [%s] }\n", p.name, host, r.path)
	b.WriteString(list("allow_origins", p.origins))
	if p.credentials {
		// The pages are served over http.
		b.WriteString("    allow_credentials: true\n    dangerously_allow_insecure_origins_with_credentials: true\n")
	}
	b.WriteString(list("allow_methods", p.methods))
	b.WriteString(list("allow_headers", p.headers))
	b.WriteString(list("expose_headers", p.expose))
	if r.upstream != "" {
		fmt.Fprintf(&b, "    upstream: %s\n", r.upstream)
	}
	return b.String()
}

// gwRecorder records the requests that reach a server, by nonce: the
// second segment of the path ("/api/<nonce>/...").
type gwRecorder struct {
	mu   sync.Mutex
	seen map[string][]seenRequest
	all  []seenRequest
}

func (rc *gwRecorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := seenRequest{
			Method: r.Method, Path: r.URL.Path, Origin: r.Header.Get("Origin"),
			ACRM: r.Header.Get("Access-Control-Request-Method"), ACRH: r.Header.Get("Access-Control-Request-Headers"),
		}
		segs := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 3)
		nonce := ""
		if len(segs) > 1 {
			nonce = segs[1]
		}
		rc.mu.Lock()
		if rc.seen == nil {
			rc.seen = make(map[string][]seenRequest)
		}
		rc.seen[nonce] = append(rc.seen[nonce], s)
		rc.all = append(rc.all, s)
		rc.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (rc *gwRecorder) requests(nonce string) []seenRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.seen[nonce])
}

func (rc *gwRecorder) everything() []seenRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.all)
}

func (rc *gwRecorder) count() int { return len(rc.everything()) }

// conflictingUpstream answers like an application that does CORS itself,
// badly: every response carries a wildcard and a second origin, claims
// credentials and exposes everything, and a preflight would pass for any
// method and header. Paths under /api-fail/ get a 500.
func conflictingUpstream(evil string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Access-Control-Allow-Origin", "*")
		h.Add("Access-Control-Allow-Origin", evil)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Access-Control-Expose-Headers", "*")
		h.Set("Vary", "Accept-Encoding")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "*")
			h.Set("Access-Control-Allow-Headers", "*")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("X-Total-Count", "3")
		h.Set("X-Secret", "s3cret")
		if strings.HasPrefix(r.URL.Path, "/api-fail/") {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, "upstream failed")
			return
		}
		io.WriteString(w, "data")
	})
}

// hostTransport sends every request to 127.0.0.1, on the URL's port, as
// Chromium's host resolver rules do for the .test names.
func hostTransport() *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			_, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
		},
		ResponseHeaderTimeout: 10 * time.Second,
		DisableKeepAlives:     true,
	}
}

// TestChromium_gateway runs the crossgate proxy gateway, built in-process
// from a policy file, in front of the built-in echo upstream and of a real
// upstream that sets its own, conflicting CORS headers and fails with 500
// on some paths. Pages on other origins make simple and preflighted
// requests, with and without credentials, on every route: Chromium must
// let exactly the pages each route's policy means to allow read the
// response (with the upstream's status, errors and the gateway's own 502
// included, and only the policy's exposed headers), the fetch model must
// agree with Chromium on everything, and no preflight may ever reach an
// upstream.
func TestChromium_gateway(t *testing.T) {
	h := browser(t)
	port := h.pagePort
	app := "http://app.example.test:" + port
	evil := "http://evil.test:" + port
	const host = "api.example.test"

	upRec := new(gwRecorder)
	up := httptest.NewServer(upRec.wrap(conflictingUpstream(evil)))
	defer up.Close()
	// An upstream that is down: a port nobody listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close()

	appPolicy := &policy{name: "app", origins: []string{app}, credentials: true,
		methods: []string{"PUT", "DELETE"}, headers: []string{"Content-Type", "X-Request-Id"}, expose: []string{"X-Total-Count"}}
	routes := []gwRoute{
		{path: "/api/", policy: appPolicy, upstream: up.URL, wantStatus: 200, realUpstream: true},
		{path: "/api-fail/", policy: &policy{name: "app-fail", origins: appPolicy.origins, credentials: true,
			methods: appPolicy.methods, headers: appPolicy.headers, expose: appPolicy.expose},
			upstream: up.URL, wantStatus: 500, realUpstream: true},
		{path: "/public/", policy: &policy{name: "public", origins: []string{"*"},
			methods: []string{"PUT"}, headers: []string{"X-Api-Key", "Content-Type"}}, wantStatus: 200},
		{path: "/down/", policy: &policy{name: "down", origins: []string{app}, methods: []string{"PUT"},
			headers: []string{"Content-Type"}}, upstream: down, wantStatus: 502},
		{path: "/other/"}, // no policy: no CORS headers at all
	}
	var file strings.Builder
	file.WriteString("policies:\n")
	for _, r := range routes {
		if r.policy != nil {
			file.WriteString(r.yaml(host))
		}
	}
	file.WriteString("proxy:\n  upstream: echo\n  upstream_timeout: 5s\n  admin_listen: \"off\"\n")
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(file.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := policyfile.Load(path)
	if err != nil {
		t.Fatalf("the policy file:\n%s\n%v", file.String(), err)
	}
	gw, err := gateway.New(f, gateway.Resolve(f.Proxy, gateway.Overrides{}), nil, nil)
	if err != nil {
		t.Fatalf("gateway.New: %v", err)
	}
	gwRec := new(gwRecorder)
	gl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: gwRec.wrap(gw), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(gl)
	defer srv.Close()
	_, gwPort, _ := net.SplitHostPort(gl.Addr().String())

	requests := []fetch.Request{
		{Method: "GET"},
		{Method: "GET", Credentials: fetch.Include},
		{Method: "POST", Header: scenarios.H("Content-Type", "text/plain"), Body: []byte("x")},
		{Method: "PUT", Header: scenarios.H("Content-Type", "application/json"), Body: []byte("{}")},
		{Method: "PUT", Header: scenarios.H("Content-Type", "application/json"), Body: []byte("{}"), Credentials: fetch.Include},
		{Method: "DELETE", Credentials: fetch.Include},
		{Method: "GET", Header: scenarios.H("X-Request-Id", "7")},
		{Method: "GET", Header: scenarios.H("X-Api-Key", "k")},
		{Method: "GET", Header: scenarios.H("X-Api-Key", "k"), Credentials: fetch.Include},
		{Method: "GET", Initiator: fetch.XHR, Credentials: fetch.Include},
	}
	model := &fetch.Client{Transport: hostTransport()}
	n, allowed, preflights := 0, 0, 0
	for _, page := range []string{app, evil} {
		h.navigate(t, page)
		for _, rt := range routes {
			for ri, r := range requests {
				n++
				bNonce, mNonce := fmt.Sprintf("gwb%d", n), fmt.Sprintf("gwm%d", n)
				r.Origin = page
				name := fmt.Sprintf("%s%s %d %s %s creds=%s %v", page, rt.path, ri, r.Initiator, r.Method, r.Credentials, r.Header)
				want := rt.policy != nil && rt.policy.intends(r)

				// Chromium.
				r.URL = "http://" + host + ":" + gwPort + rt.path + bNonce + "/items"
				got := h.run(t, specFor(r), bNonce)
				bSeen := gwRec.requests(bNonce)
				if got.JS.OK != want {
					t.Errorf("%s: Chromium lets the page read the response: %t; the policy means %t (console %q, script error %q)",
						name, got.JS.OK, want, got.Console, got.JS.Error)
				}
				if got.JS.OK && got.JS.Status != rt.wantStatus {
					t.Errorf("%s: got status %d; want %d", name, got.JS.Status, rt.wantStatus)
				}
				if got.JS.OK && rt.realUpstream {
					for _, e := range rt.policy.expose {
						if !slices.Contains(got.JS.Headers, strings.ToLower(e)) {
							t.Errorf("%s: the page cannot read %s, which the policy exposes (readable: %q)", name, e, got.JS.Headers)
						}
					}
					if slices.Contains(got.JS.Headers, "x-secret") {
						t.Errorf("%s: the page reads X-Secret, exposed only by the upstream's own header", name)
					}
				}
				if slices.ContainsFunc(bSeen, func(s seenRequest) bool { return s.Method == http.MethodOptions }) {
					preflights++
				}
				if want {
					allowed++
				}

				// The model, through the same gateway.
				r.URL = "http://" + host + ":" + gwPort + rt.path + mNonce + "/items"
				ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
				res, err := model.Do(ctx, r)
				cancel()
				if res == nil {
					t.Fatalf("%s: model: %v", name, err)
				}
				compare(t, name+": model", got, bSeen, res, gwRec.requests(mNonce), mNonce, bNonce)
			}
		}
	}
	// No preflight reached an upstream: the gateway answers them all.
	for _, s := range upRec.everything() {
		if s.Method == http.MethodOptions {
			t.Errorf("a preflight reached the upstream: %s", s)
		}
	}
	t.Logf("%d gateway requests checked in Chromium (%d meant to be allowed, %d preflighted); the upstream got %d requests, none a preflight",
		n, allowed, preflights, upRec.count())
	if allowed == 0 || allowed == n || preflights == 0 || upRec.count() == 0 {
		t.Errorf("allowed %d of %d, %d preflights, %d upstream requests: the table tests only one side", allowed, n, preflights, upRec.count())
	}
}
