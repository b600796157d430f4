package fetch_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/crossgate/crossgate/fetch"
)

func redirect(status int, loc string, kv ...string) *resp {
	return &resp{status: status, header: hdr(append([]string{"Location", loc}, kv...)...)}
}

// The method a hop is sent with after a redirect
// (https://fetch.spec.whatwg.org/#http-redirect-fetch, step 12; WPT
// fetch/api/redirect/redirect-method.any.js).
func TestRedirect_method(t *testing.T) {
	tests := []struct {
		status     int
		method     string
		wantMethod string
		wantCT     bool // Content-Type still sent
	}{
		{301, "POST", "GET", false},
		{302, "POST", "GET", false},
		{303, "POST", "GET", false},
		{307, "POST", "POST", true},
		{308, "POST", "POST", true},
		{301, "PUT", "PUT", true},
		{302, "PUT", "PUT", true},
		{303, "PUT", "GET", false},
		{303, "HEAD", "HEAD", true},
		{303, "GET", "GET", true},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d %s", tc.status, tc.method), func(t *testing.T) {
			t.Parallel()
			allow := []string{"Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "PUT", "Access-Control-Allow-Headers", "content-type"}
			req := fetch.Request{Method: tc.method, Header: hdr("Content-Type", "application/json")}
			if tc.method != "GET" && tc.method != "HEAD" {
				req.Body = []byte("{}")
			}
			sc := scenario{
				request: req,
				routes: map[string]route{
					T:           {preflight: ok(allow...), actual: redirect(tc.status, T+"/next", "Access-Control-Allow-Origin", "*")},
					T + "/next": {preflight: ok(allow...), actual: ok("Access-Control-Allow-Origin", "*")},
				},
				want: outcome{allowed: true, preflight: true},
			}
			_, tr := sc.run(t)
			last := tr.sent[len(tr.sent)-1]
			if last.method != tc.wantMethod {
				t.Errorf("got method %s after the redirect; want %s", last.method, tc.wantMethod)
			}
			if got := last.header.Get("Content-Type") != ""; got != tc.wantCT {
				t.Errorf("got Content-Type %t after the redirect; want %t", got, tc.wantCT)
			}
		})
	}
}

// A cross-origin hop drops Authorization (step 13), so T2 needs no
// preflight and sees no credentials; the hop after it is tainted.
func TestRedirect_authorizationDropped(t *testing.T) {
	sc := scenario{
		request: fetch.Request{Header: hdr("Authorization", "Bearer secret")},
		routes: map[string]route{
			T:  {preflight: ok("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Headers", "authorization"), actual: redirect(302, T2, "Access-Control-Allow-Origin", "*")},
			T2: {actual: ok("Access-Control-Allow-Origin", "*")},
		},
		want: outcome{allowed: true, preflight: true},
	}
	_, tr := sc.run(t)
	if len(tr.sent) != 3 {
		t.Fatalf("got %d requests; want OPTIONS, GET, GET", len(tr.sent))
	}
	if got := tr.sent[2].header.Get("Authorization"); got != "" {
		t.Errorf("got Authorization %q on %s; want none", got, tr.sent[2].url)
	}
	if got := tr.sent[1].header.Get("Authorization"); got != "Bearer secret" {
		t.Errorf("got Authorization %q on the first hop; want it sent", got)
	}
}

// WPT fetch/api/cors/cors-redirect.any.js: which Origin each hop carries.
func TestRedirect_origin(t *testing.T) {
	tests := []struct {
		desc       string
		from, to   string
		wantOrigin string
	}{
		{"cors to the same cors origin keeps the origin", T, T + "/b", O},
		{"cors to another cors origin taints it", T, T2, "null"},
		{"same origin to cors keeps the origin", O + "/a", T, O},
		{"cors to the page's origin taints it", T, O + "/b", "null"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			sc := scenario{
				request: fetch.Request{URL: tc.from},
				routes: map[string]route{
					tc.from: {actual: redirect(302, tc.to, "Access-Control-Allow-Origin", "*")},
					tc.to:   {actual: ok("Access-Control-Allow-Origin", "*")},
				},
				want: outcome{allowed: true},
			}
			_, tr := sc.run(t)
			if got := tr.sent[1].header.Get("Origin"); got != tc.wantOrigin {
				t.Errorf("got Origin %q at %s; want %q", got, tc.to, tc.wantOrigin)
			}
		})
	}
}

// WPT fetch/api/redirect/redirect-count.any.js: 20 redirects are followed,
// the 21st is a network error.
func TestRedirect_count(t *testing.T) {
	for _, hops := range []int{20, 21} {
		t.Run(fmt.Sprint(hops), func(t *testing.T) {
			routes := map[string]route{}
			for i := range hops {
				routes[fmt.Sprintf("%s/%d", T, i)] = route{actual: redirect(302, fmt.Sprintf("%s/%d", T, i+1), "Access-Control-Allow-Origin", "*")}
			}
			routes[fmt.Sprintf("%s/%d", T, hops)] = route{actual: ok("Access-Control-Allow-Origin", "*")}
			want := outcome{allowed: true}
			if hops > fetch.MaxRedirects {
				want = outcome{networkError: "net::ERR_TOO_MANY_REDIRECTS", firefox: "CORSDidNotSucceed2"}
			}
			sc := scenario{request: fetch.Request{URL: T + "/0"}, routes: routes, want: want}
			res, tr := sc.run(t)
			if hops > fetch.MaxRedirects && len(tr.sent) != fetch.MaxRedirects+1 {
				t.Errorf("got %d requests; want %d", len(tr.sent), fetch.MaxRedirects+1)
			}
			if hops <= fetch.MaxRedirects && len(res.Steps) != hops+1 {
				t.Errorf("got %d steps; want %d", len(res.Steps), hops+1)
			}
		})
	}
}

func TestRedirect_networkErrors(t *testing.T) {
	tests := []struct {
		desc    string
		req     fetch.Request
		hop     *resp
		wantErr string
	}{
		{"a redirect to data:", fetch.Request{}, redirect(302, "data:,x", "Access-Control-Allow-Origin", "*"), "net::ERR_UNSAFE_REDIRECT"},
		{"a stream body cannot follow a 307", fetch.Request{Method: "POST", StreamBody: true, Body: []byte("x")}, redirect(307, T2, "Access-Control-Allow-Origin", "*"), "net::ERR_FAILED"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			req := tc.req
			req.URL, req.Origin = T, O
			tr := &cannedTransport{t: t, routes: map[string]route{T: {preflight: ok("Access-Control-Allow-Origin", "*"), actual: tc.hop}}}
			res, err := (&fetch.Client{Transport: tr}).Do(context.Background(), req)
			var ne *fetch.NetworkError
			if !errors.As(err, &ne) || ne.Code != tc.wantErr {
				t.Fatalf("got error %v; want a NetworkError %s", err, tc.wantErr)
			}
			if res == nil || res.NetworkError != tc.wantErr || res.Allowed || res.ChromiumError != "" {
				t.Errorf("got result %+v; want network error %s and no CORS verdict", res, tc.wantErr)
			}
		})
	}
}

// A same-origin request redirected to another origin becomes a CORS
// request from there on: the redirect needs no CORS headers, the next hop
// does (WPT fetch/api/cors/cors-redirect.any.js, same origin to cors).
func TestRedirect_sameOriginThenCORS(t *testing.T) {
	sc := scenario{
		request: fetch.Request{URL: O + "/a"},
		routes: map[string]route{
			O + "/a": {actual: redirect(302, T)},
			T:        {actual: ok()},
		},
		want: outcome{id: fetch.MissingAllowOriginHeader,
			console: "Access to fetch at '" + T + "' (redirected from '" + O + "/a') from origin '" + O + "' has been blocked by CORS policy: " + noACAO,
			firefox: "CORSMissingAllowOrigin2"},
	}
	sc.run(t)
}

// A same-origin request is not checked, and every header is readable.
func TestRedirect_sameOriginIsBasic(t *testing.T) {
	sc := scenario{
		request: fetch.Request{URL: O + "/a", Method: "PUT", Header: hdr("X-A", "1")},
		routes:  map[string]route{O + "/a": {actual: ok("X-Secret", "1", "Set-Cookie", "a=b")}},
		want:    outcome{allowed: true, responseType: fetch.Basic, readable: []string{"x-secret"}},
	}
	sc.run(t)
}

// The user-info rule applies only to CORS redirects: a no-cors one is
// followed (https://fetch.spec.whatwg.org/#http-redirect-fetch, step 8).
func TestRedirect_userinfoNoCORS(t *testing.T) {
	sc := scenario{
		request: fetch.Request{Mode: fetch.NoCORS},
		routes: map[string]route{
			T:                         {actual: redirect(302, "http://u:p@127.0.0.1:8002/b")},
			"http://127.0.0.1:8002/b": {actual: ok()},
		},
		want: outcome{allowed: true, responseType: fetch.Opaque},
	}
	sc.run(t)
}
