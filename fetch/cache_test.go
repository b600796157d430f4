package fetch_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/crossgate/crossgate/fetch"
)

func TestMaxAge(t *testing.T) {
	tests := []struct {
		desc              string
		h                 http.Header
		chromium, firefox time.Duration
	}{
		{"absent", hdr(), 5 * time.Second, 5 * time.Second},
		{"600", hdr("Access-Control-Max-Age", "600"), 600 * time.Second, 600 * time.Second},
		{"0", hdr("Access-Control-Max-Age", "0"), 0, 0},
		{"-1", hdr("Access-Control-Max-Age", "-1"), 0, 0},
		{"abc", hdr("Access-Control-Max-Age", "abc"), 5 * time.Second, 0},
		{"7201 is capped by Chromium", hdr("Access-Control-Max-Age", "7201"), 7200 * time.Second, 7201 * time.Second},
		{"86401 is capped by both", hdr("Access-Control-Max-Age", "86401"), 7200 * time.Second, 86400 * time.Second},
		{"an overflowing number", hdr("Access-Control-Max-Age", "99999999999999999999999"), 7200 * time.Second, 86400 * time.Second},
		{"two lines", hdr("Access-Control-Max-Age", "600", "Access-Control-Max-Age", "600"), 5 * time.Second, 0},
	}
	for _, tc := range tests {
		if got := fetch.ChromiumMaxAge(tc.h); got != tc.chromium {
			t.Errorf("%s: ChromiumMaxAge = %v; want %v", tc.desc, got, tc.chromium)
		}
		if got := fetch.FirefoxMaxAge(tc.h); got != tc.firefox {
			t.Errorf("%s: FirefoxMaxAge = %v; want %v", tc.desc, got, tc.firefox)
		}
	}
}

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// cacheStep is one request of a sequence sharing a preflight cache.
type cacheStep struct {
	after         time.Duration // clock advance before the request
	req           fetch.Request
	wantPreflight bool
	wantAllowed   bool
	wantID        fetch.ErrorID
}

func runCacheSteps(t *testing.T, preflight *resp, steps []cacheStep) {
	t.Helper()
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	c := &fetch.Client{Cache: &fetch.PreflightCache{Now: clock.Now}}
	// The actual response carries the same CORS headers as the preflight.
	c.Transport = &cannedTransport{t: t, routes: map[string]route{T: {preflight: preflight, actual: preflight}}}
	for i, s := range steps {
		clock.Add(s.after)
		req := s.req
		req.URL, req.Origin = T, O
		res, err := c.Do(context.Background(), req)
		if err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
		if res.PreflightSent != s.wantPreflight {
			t.Errorf("request %d: got preflight %t; want %t", i+1, res.PreflightSent, s.wantPreflight)
		}
		if res.PreflightCached == s.wantPreflight && s.req.Method == "PUT" {
			t.Errorf("request %d: got preflight_cached %t; want %t", i+1, res.PreflightCached, !s.wantPreflight)
		}
		if res.Allowed != s.wantAllowed || res.ChromiumError != s.wantID {
			t.Errorf("request %d: got allowed %t, %q; want %t, %q", i+1, res.Allowed, res.ChromiumError, s.wantAllowed, s.wantID)
		}
	}
}

var put = fetch.Request{Method: "PUT"}

// §6#40: Max-Age 600 serves the second PUT; a new header needs a new
// preflight, which fails.
func TestCache_row40(t *testing.T) {
	runCacheSteps(t, ok("Access-Control-Allow-Origin", O, "Access-Control-Allow-Methods", "PUT", "Access-Control-Max-Age", "600"), []cacheStep{
		{req: put, wantPreflight: true, wantAllowed: true},
		{after: time.Second, req: put, wantAllowed: true},
		{after: time.Second, req: fetch.Request{Method: "PUT", Header: hdr("X-New", "1")}, wantPreflight: true, wantID: fetch.HeaderDisallowedByPreflightResponse},
	})
}

// §6#41: without Max-Age a preflight lives 5 s: PUT at 0, 3 and 6 s sends
// OPTIONS at 0 and 6 s only.
func TestCache_row41(t *testing.T) {
	runCacheSteps(t, ok("Access-Control-Allow-Origin", O, "Access-Control-Allow-Methods", "PUT"), []cacheStep{
		{req: put, wantPreflight: true, wantAllowed: true},
		{after: 3 * time.Second, req: put, wantAllowed: true},
		{after: 3 * time.Second, req: put, wantPreflight: true, wantAllowed: true},
	})
}

// §6#42: a credentialed entry serves both kinds of request, a
// non-credentialed one only requests without credentials.
func TestCache_row42(t *testing.T) {
	cred := fetch.Request{Method: "PUT", Credentials: fetch.Include}
	runCacheSteps(t, ok("Access-Control-Allow-Origin", O, "Access-Control-Allow-Credentials", "true", "Access-Control-Allow-Methods", "PUT", "Access-Control-Max-Age", "600"), []cacheStep{
		{req: put, wantPreflight: true, wantAllowed: true},
		{req: cred, wantPreflight: true, wantAllowed: true},
		{req: cred, wantAllowed: true},
		{req: put, wantAllowed: true},
	})
}

// Access-Control-Max-Age: -1 caches nothing; 7200 s is the most Chromium
// keeps.
func TestCache_maxAge(t *testing.T) {
	runCacheSteps(t, ok("Access-Control-Allow-Origin", O, "Access-Control-Allow-Methods", "PUT", "Access-Control-Max-Age", "-1"), []cacheStep{
		{req: put, wantPreflight: true, wantAllowed: true},
		{req: put, wantPreflight: true, wantAllowed: true},
	})
	runCacheSteps(t, ok("Access-Control-Allow-Origin", O, "Access-Control-Allow-Methods", "PUT", "Access-Control-Max-Age", "86400"), []cacheStep{
		{req: put, wantPreflight: true, wantAllowed: true},
		{after: 7199 * time.Second, req: put, wantAllowed: true},
		{after: 2 * time.Second, req: put, wantPreflight: true, wantAllowed: true},
	})
}

func TestPreflightCache_wildcards(t *testing.T) {
	plan := func(e fetch.Engine, method string, creds fetch.Credentials, kv ...string) *fetch.Plan {
		t.Helper()
		p, err := e.Classify(fetch.Request{URL: T, Origin: O, Method: method, Credentials: creds, Header: hdr(kv...)})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	star := hdr("Access-Control-Allow-Methods", "*", "Access-Control-Allow-Headers", "*", "Access-Control-Max-Age", "60")
	tests := []struct {
		desc string
		p    *fetch.Plan
		want bool
	}{
		{"any method", plan(fetch.Chromium, "DELETE", fetch.Omit), true},
		{"any header", plan(fetch.Chromium, "GET", fetch.Omit, "X-A", "1"), true},
		{"Authorization under Chromium", plan(fetch.Chromium, "GET", fetch.Omit, "Authorization", "x"), true},
		{"not Authorization under the standard", plan(fetch.Spec, "GET", fetch.Omit, "Authorization", "x"), false},
		{"not with credentials", plan(fetch.Chromium, "DELETE", fetch.Include), false},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			c := &fetch.PreflightCache{}
			c.Store(plan(tc.p.Engine, "PUT", tc.p.Credentials), star)
			if got := c.Covers(tc.p); got != tc.want {
				t.Errorf("got Covers %t; want %t", got, tc.want)
			}
			c.Clear(tc.p)
			if c.Covers(tc.p) {
				t.Errorf("got Covers true after Clear")
			}
		})
	}
}
