package fetch_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/crossgate/crossgate/fetch"
)

const pageOrigin = "http://page.example"

// apiServer is a server on 127.0.0.1 that allows pageOrigin for PUT and
// X-Token, and records the methods it sees.
func apiServer(t *testing.T, allowOrigin string) (*httptest.Server, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+" origin="+r.Header.Get("Origin")+" acrh="+r.Header.Get("Access-Control-Request-Headers"))
		mu.Unlock()
		w.Header().Set("Access-Control-Allow-Origin", allowOrigin)
		switch {
		case r.Method == http.MethodOptions:
			w.Header().Set("Access-Control-Allow-Methods", "PUT")
			w.Header().Set("Access-Control-Allow-Headers", "X-Token")
			w.WriteHeader(http.StatusNoContent)
		case strings.HasPrefix(r.URL.Path, "/redirect"):
			http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
		default:
			w.Header().Set("X-Request-Id", "1")
			w.Header().Set("Access-Control-Expose-Headers", "X-Request-Id")
			_, _ = w.Write([]byte("ok"))
		}
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), seen...) }
}

func TestClient_network(t *testing.T) {
	tests := []struct {
		desc          string
		req           fetch.Request
		wantAllowed   bool
		wantPreflight bool
		wantSeen      []string
	}{
		{"a simple GET sends no preflight", fetch.Request{}, true, false,
			[]string{"GET /api origin=" + pageOrigin + " acrh="}},
		{"a PUT with X-Token is preflighted", fetch.Request{Method: "put", Header: hdr("X-Token", "t")}, true, true,
			[]string{"OPTIONS /api origin=" + pageOrigin + " acrh=x-token", "PUT /api origin=" + pageOrigin + " acrh="}},
		{"a DELETE is refused at the preflight", fetch.Request{Method: "DELETE"}, false, true,
			[]string{"OPTIONS /api origin=" + pageOrigin + " acrh="}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			srv, seen := apiServer(t, pageOrigin)
			req := tc.req
			req.URL, req.Origin = srv.URL+"/api", pageOrigin
			res, err := (&fetch.Client{}).Do(context.Background(), req)
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if res.Allowed != tc.wantAllowed || res.PreflightSent != tc.wantPreflight {
				t.Errorf("got allowed %t, preflight %t; want %t, %t (%s)", res.Allowed, res.PreflightSent, tc.wantAllowed, tc.wantPreflight, res.ConsoleMessage)
			}
			if got := seen(); strings.Join(got, "\n") != strings.Join(tc.wantSeen, "\n") {
				t.Errorf("server saw\n\t%q\nwant\n\t%q", got, tc.wantSeen)
			}
			if len(res.Steps) != len(tc.wantSeen) {
				t.Errorf("got %d steps; want %d", len(res.Steps), len(tc.wantSeen))
			}
		})
	}
}

func TestClient_readableHeaders(t *testing.T) {
	srv, _ := apiServer(t, pageOrigin)
	res, err := (&fetch.Client{}).Do(context.Background(), fetch.Request{URL: srv.URL + "/api", Origin: pageOrigin})
	if err != nil {
		t.Fatal(err)
	}
	want := "content-length,content-type,x-request-id"
	if got := strings.Join(res.ReadableHeaders, ","); got != want {
		t.Errorf("got readable headers %q; want %q", got, want)
	}
	if res.Status != 200 || res.ResponseType != fetch.Cors {
		t.Errorf("got status %d, type %q; want 200, cors", res.Status, res.ResponseType)
	}
}

// A redirect chain between two servers on different ports (two origins):
// the second hop carries Origin: null, and the second server allows only
// the page's origin, so the fetch is blocked there.
func TestClient_redirectChain(t *testing.T) {
	second, seen2 := apiServer(t, pageOrigin)
	first, _ := apiServer(t, "*")
	target := second.URL + "/api"
	start := first.URL + "/redirect?to=" + target
	res, err := (&fetch.Client{}).Do(context.Background(), fetch.Request{URL: start, Origin: pageOrigin})
	if err != nil {
		t.Fatal(err)
	}
	if res.Allowed || res.ChromiumError != fetch.AllowOriginMismatch {
		t.Fatalf("got allowed %t, %q; want AllowOriginMismatch", res.Allowed, res.ChromiumError)
	}
	want := "Access to fetch at '" + target + "' (redirected from '" + start + "') from origin '" + pageOrigin +
		"' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value '" + pageOrigin +
		"' that is not equal to the supplied origin. Have the server send the header with a valid value."
	if res.ConsoleMessage != want {
		t.Errorf("got console message\n\t%q\nwant\n\t%q", res.ConsoleMessage, want)
	}
	if got := seen2(); len(got) != 1 || got[0] != "GET /api origin=null acrh=" {
		t.Errorf("second server saw %q; want one GET with Origin: null", got)
	}
	if len(res.Steps) != 2 || res.Steps[0].Response.Status != 302 || res.Steps[0].Response.Header.Get("Location") != target {
		t.Errorf("got steps %+v; want the 302 then the GET", res.Steps)
	}
}

// A refused connection is a network error, not a CORS verdict.
func TestClient_connectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	u := "http://" + addr + "/api"
	res, err := (&fetch.Client{}).Do(context.Background(), fetch.Request{URL: u, Origin: pageOrigin, Method: "PUT"})
	var ne *fetch.NetworkError
	if !errors.As(err, &ne) || ne.Code != "net::ERR_CONNECTION_REFUSED" {
		t.Fatalf("got error %v; want a NetworkError net::ERR_CONNECTION_REFUSED", err)
	}
	if res == nil || res.Allowed || res.ChromiumError != "" || res.ConsoleMessage != "" {
		t.Fatalf("got result %+v; want no CORS verdict", res)
	}
	if res.NetworkError != "net::ERR_CONNECTION_REFUSED" || res.FirefoxError != "CORSDidNotSucceed2" {
		t.Errorf("got network error %q, firefox %q", res.NetworkError, res.FirefoxError)
	}
	wantFF := "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at " + u + ". (Reason: CORS request did not succeed). Status code: (null)."
	if res.FirefoxMessage != wantFF {
		t.Errorf("got Firefox message %q; want %q", res.FirefoxMessage, wantFF)
	}
	if !res.PreflightSent || len(res.Steps) != 1 || res.Steps[0].Response != nil {
		t.Errorf("got steps %+v; want one preflight without a response", res.Steps)
	}
}

func TestClient_cookies(t *testing.T) {
	var mu sync.Mutex
	var cookies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		cookies = append(cookies, r.Header.Get("Cookie"))
		mu.Unlock()
		w.Header().Set("Access-Control-Allow-Origin", pageOrigin)
		w.Header().Set("Access-Control-Allow-Credentials", "true")
	}))
	defer srv.Close()
	jar := jarFunc(func() []*http.Cookie { return []*http.Cookie{{Name: "sid", Value: "1"}} })
	c := &fetch.Client{Jar: jar}
	for _, creds := range []fetch.Credentials{fetch.Include, fetch.SameOrigin, fetch.Omit} {
		if _, err := c.Do(context.Background(), fetch.Request{URL: srv.URL, Origin: pageOrigin, Credentials: creds}); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(cookies, "|"); got != "sid=1||" {
		t.Errorf("got cookies %q; want only the credentialed request to carry sid=1", got)
	}
}

type jarFunc func() []*http.Cookie

func (f jarFunc) SetCookies(*url.URL, []*http.Cookie) {}
func (f jarFunc) Cookies(*url.URL) []*http.Cookie     { return f() }

func TestResult_JSON(t *testing.T) {
	sc := matrixScenarios[0] // §6#1
	res, _ := sc.run(t)
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"engine", "allowed", "preflight_sent", "chromium_error", "console_message", "firefox_error", "fix", "steps"} {
		if _, ok := m[key]; !ok {
			t.Errorf("JSON has no %q: %s", key, b)
		}
	}
	if m["chromium_error"] != "MissingAllowOriginHeader" || m["engine"] != "chromium-156" || m["allowed"] != false {
		t.Errorf("got %s", b)
	}
	steps := m["steps"].([]any)
	step := steps[0].(map[string]any)
	if step["kind"] != "request" || step["request"].(map[string]any)["method"] != "GET" || step["response"].(map[string]any)["status"] != 200.0 {
		t.Errorf("got step %v", step)
	}
}
