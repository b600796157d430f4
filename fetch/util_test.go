package fetch_test

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/crossgate/crossgate/fetch"
)

// The page origin and targets of the reference's scenario matrix
// (browser-cors.md §6).
const (
	O  = "http://127.0.0.1:8001"
	T  = "http://127.0.0.1:8002/api"
	T2 = "http://localhost:8002/api"
)

// resp is a canned response.
type resp struct {
	status int
	header http.Header
}

// hdr builds a header from name, value pairs; a repeated name adds a line.
func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func ok(kv ...string) *resp { return &resp{status: 200, header: hdr(kv...)} }

// route is what a server answers at one URL.
type route struct {
	preflight *resp // the answer to OPTIONS
	actual    *resp // the answer to anything else
}

// sent is a request the canned transport received.
type sent struct {
	method, url string
	header      http.Header
}

// cannedTransport answers from routes and records what it receives. A
// request with no canned answer fails the test.
type cannedTransport struct {
	t      testing.TB
	routes map[string]route
	mu     sync.Mutex
	sent   []sent
}

func (c *cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	u := *r.URL
	u.Fragment = ""
	c.mu.Lock()
	c.sent = append(c.sent, sent{r.Method, u.String(), r.Header.Clone()})
	c.mu.Unlock()
	rt, found := c.routes[u.String()]
	answer := rt.actual
	if r.Method == http.MethodOptions {
		answer = rt.preflight
	}
	if !found || answer == nil {
		c.t.Errorf("unexpected request %s %s", r.Method, u.String())
		answer = &resp{status: 599}
	}
	status := answer.status
	if status == 0 {
		status = 200
	}
	return &http.Response{
		StatusCode: status,
		Header:     answer.header.Clone(),
		Body:       io.NopCloser(strings.NewReader("")),
		Request:    r,
	}, nil
}

func (c *cannedTransport) count(method string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, s := range c.sent {
		if s.method == method {
			n++
		}
	}
	return n
}

// outcome is what a scenario expects.
type outcome struct {
	allowed      bool
	preflight    bool // at least one OPTIONS was sent
	id           fetch.ErrorID
	console      string   // exact Chromium console text, "" when allowed
	firefox      string   // Firefox reason key
	firefoxText  string   // exact Firefox text, checked when set
	warnings     []string // warning ids, in order
	readable     []string // checked when not nil
	exception    string
	networkError string
	fixMentions  []string // substrings the fix must contain
	responseType fetch.Tainting
}

func checkResult(t *testing.T, got *fetch.Result, want outcome, preflights int) {
	t.Helper()
	if got.Allowed != want.allowed {
		t.Errorf("got allowed %t; want %t (console %q)", got.Allowed, want.allowed, got.ConsoleMessage)
	}
	if got.PreflightSent != want.preflight {
		t.Errorf("got preflight_sent %t; want %t", got.PreflightSent, want.preflight)
	}
	if (preflights > 0) != want.preflight {
		t.Errorf("server saw %d preflights; want preflight %t", preflights, want.preflight)
	}
	if got.ChromiumError != want.id {
		t.Errorf("got chromium_error %q; want %q", got.ChromiumError, want.id)
	}
	if got.ConsoleMessage != want.console {
		t.Errorf("got console message\n\t%q\nwant\n\t%q", got.ConsoleMessage, want.console)
	}
	if got.FirefoxError != want.firefox {
		t.Errorf("got firefox_error %q; want %q", got.FirefoxError, want.firefox)
	}
	if want.firefoxText != "" && got.FirefoxMessage != want.firefoxText {
		t.Errorf("got firefox message\n\t%q\nwant\n\t%q", got.FirefoxMessage, want.firefoxText)
	}
	var ids []string
	for _, w := range got.Warnings {
		if w.ID != "" {
			ids = append(ids, w.ID)
		}
	}
	if !slices.Equal(ids, want.warnings) {
		t.Errorf("got warnings %q; want %q", ids, want.warnings)
	}
	if want.readable != nil && !slices.Equal(got.ReadableHeaders, want.readable) {
		t.Errorf("got readable headers %q; want %q", got.ReadableHeaders, want.readable)
	}
	if got.Exception != want.exception {
		t.Errorf("got exception %q; want %q", got.Exception, want.exception)
	}
	if got.NetworkError != want.networkError {
		t.Errorf("got network error %q; want %q", got.NetworkError, want.networkError)
	}
	if want.responseType != "" && got.ResponseType != want.responseType {
		t.Errorf("got response type %q; want %q", got.ResponseType, want.responseType)
	}
	blocked := !got.Allowed && want.exception == ""
	if blocked && got.Fix == "" {
		t.Errorf("got no fix for a blocked request")
	}
	if got.Allowed && (got.Fix != "" || got.ChromiumError != "") {
		t.Errorf("got fix %q and error %q on an allowed request", got.Fix, got.ChromiumError)
	}
	for _, s := range want.fixMentions {
		if !strings.Contains(got.Fix, s) {
			t.Errorf("got fix %q; want it to mention %q", got.Fix, s)
		}
	}
}
